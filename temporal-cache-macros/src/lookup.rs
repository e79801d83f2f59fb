//! `execute_cached!(ctx, Type::method, input, options)`: the workflow-side call that looks a
//! cached activity's entry up in a local activity before scheduling it. The runtime's
//! `execute_cached` does the work; the macro adds what only a path can reach: the activity's
//! companion (see [`crate::expand::companion`]), which says whether the activity caches at all,
//! and the marker twice (markers cannot be copied).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, ExprPath, Token};

use crate::expand::companion;

struct Invocation {
    ctx: Expr,
    activity: ExprPath,
    input: Expr,
    options: Expr,
}

impl Parse for Invocation {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let usage = |span| {
            syn::Error::new(
                span,
                "expected the workflow's context, the activity as a workflow names it, its input \
                 and its options, as for execute_activity: \
                 execute_cached!(ctx, UserActivities::fetch_user, 123, options)",
            )
        };
        let ctx: Expr = input.parse().map_err(|error| usage(error.span()))?;
        input
            .parse::<Token![,]>()
            .map_err(|error| usage(error.span()))?;
        let activity: ExprPath = input.parse().map_err(|error| usage(error.span()))?;
        input
            .parse::<Token![,]>()
            .map_err(|error| usage(error.span()))?;
        let activity_input: Expr = input.parse().map_err(|error| usage(error.span()))?;
        input
            .parse::<Token![,]>()
            .map_err(|error| usage(error.span()))?;
        let options: Expr = input.parse().map_err(|error| usage(error.span()))?;
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(usage(input.span()));
        }
        Ok(Self {
            ctx,
            activity,
            input: activity_input,
            options,
        })
    }
}

pub(crate) fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let Invocation {
        ctx,
        activity,
        input,
        options,
    } = syn::parse2(tokens)?;
    let companion = companion::path(&activity)?;
    let cached = quote_spanned!(activity.span()=> #companion().activity.is_cached());
    Ok(quote! {
        ::temporal_cache_runtime::__private::execute_cached(
            #ctx, #cached, #activity, #activity, #input, #options,
        )
    })
}
