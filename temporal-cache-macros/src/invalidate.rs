//! `invalidate_cache!([namespace = ns,] Type::method, inputs...)`: a call of the activity's
//! companion function (see [`crate::expand::companion`]) with the inputs, in the namespace given
//! (else the runtime's default namespace), handed to the runtime's `invalidate`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprPath, Token};

use crate::expand::companion;

struct Invocation {
    /// `namespace = expr,` before the activity: the Temporal namespace of the entry.
    namespace: Option<Expr>,
    activity: ExprPath,
    inputs: Punctuated<Expr, Token![,]>,
}

mod kw {
    syn::custom_keyword!(namespace);
}

impl Parse for Invocation {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let namespace = if input.peek(kw::namespace) && input.peek2(Token![=]) {
            input.parse::<kw::namespace>()?;
            input.parse::<Token![=]>()?;
            let namespace: Expr = input.parse()?;
            input.parse::<Token![,]>()?;
            Some(namespace)
        } else {
            None
        };
        let activity: ExprPath = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected the activity as a workflow names it, then its inputs: \
                 invalidate_cache!(UserActivities::fetch_user, 123), optionally after a \
                 namespace: invalidate_cache!(namespace = \"billing\", UserActivities::fetch_user, 123)",
            )
        })?;
        let inputs = if input.is_empty() {
            Punctuated::new()
        } else {
            input.parse::<Token![,]>()?;
            Punctuated::parse_terminated(input)?
        };
        Ok(Self {
            namespace,
            activity,
            inputs,
        })
    }
}

pub(crate) fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let Invocation {
        namespace,
        activity,
        inputs,
    } = syn::parse2(tokens)?;
    let mut companion = activity.clone();
    let last = companion.path.segments.last_mut().ok_or_else(|| {
        syn::Error::new_spanned(
            &activity,
            "expected a path such as `UserActivities::fetch_user`",
        )
    })?;
    last.ident = companion::name(&last.ident);
    let inputs = inputs.iter();
    let namespace = match namespace {
        // Spanned at the expression, so that one that is not a `&str` is reported there.
        Some(namespace) => quote_spanned! {namespace.span()=>
            ::temporal_cache_runtime::__private::Some(::core::convert::AsRef::<str>::as_ref(&#namespace))
        },
        None => quote!(::temporal_cache_runtime::__private::None),
    };
    Ok(quote! {
        ::temporal_cache_runtime::__private::invalidate(
            #companion(#(#inputs),*)(
                ::temporal_cache_runtime::__private::invalidation_scope(&#activity, #namespace)
            )
        )
    })
}
