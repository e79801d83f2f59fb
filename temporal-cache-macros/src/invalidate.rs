//! `invalidate_cache!(Type::method, inputs...)`: a call of the activity's companion function
//! (see [`crate::expand::companion`]) with the inputs, handed to the runtime's `invalidate`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprPath, Token};

use crate::expand::companion;

struct Invocation {
    activity: ExprPath,
    inputs: Punctuated<Expr, Token![,]>,
}

impl Parse for Invocation {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let activity: ExprPath = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected the activity as a workflow names it, then its inputs: \
                 invalidate_cache!(UserActivities::fetch_user, 123)",
            )
        })?;
        let inputs = if input.is_empty() {
            Punctuated::new()
        } else {
            input.parse::<Token![,]>()?;
            Punctuated::parse_terminated(input)?
        };
        Ok(Self { activity, inputs })
    }
}

pub(crate) fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let Invocation { activity, inputs } = syn::parse2(tokens)?;
    let mut companion = activity.clone();
    let last = companion.path.segments.last_mut().ok_or_else(|| {
        syn::Error::new_spanned(
            &activity,
            "expected a path such as `UserActivities::fetch_user`",
        )
    })?;
    last.ident = companion::name(&last.ident);
    let inputs = inputs.iter();
    Ok(quote! {
        ::temporal_cache_runtime::__private::invalidate(
            #companion(#(#inputs),*)(::temporal_cache_runtime::__private::activity_name(&#activity))
        )
    })
}
