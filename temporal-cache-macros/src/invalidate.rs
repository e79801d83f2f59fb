//! `invalidate_cache!([namespace = ns,] Type::method, inputs...)`: the entry the activity's
//! companion function (see [`crate::expand::companion`]) describes for the inputs, in the
//! namespace given (else the runtime's default namespace), handed to the runtime's `invalidate`;
//! and `invalidate_activity!([namespace = ns,] Type::method)`: the companion's activity cache,
//! handed to the runtime's `invalidate_activity`.

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

/// Which of the two macros is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `invalidate_cache!`: one entry.
    Entry,
    /// `invalidate_activity!`: every entry of the activity.
    Activity,
}

pub(crate) fn expand(tokens: TokenStream, target: Target) -> syn::Result<TokenStream> {
    let Invocation {
        namespace,
        activity,
        inputs,
    } = syn::parse2(tokens)?;
    let companion = companion::path(&activity)?;
    let namespace = match namespace {
        // Spanned at the expression, so that one that is not a `&str` is reported there.
        Some(namespace) => quote_spanned! {namespace.span()=>
            ::temporal_cache_runtime::__private::Some(::core::convert::AsRef::<str>::as_ref(&#namespace))
        },
        None => quote!(::temporal_cache_runtime::__private::None),
    };
    let scope = quote! {
        ::temporal_cache_runtime::__private::invalidation_scope(&#activity, #namespace)
    };
    // Spanned at the activity's path, so that a wrong number or type of inputs is reported
    // there, as for a call of the activity.
    let span = activity.span();
    Ok(match target {
        Target::Entry => {
            let inputs = inputs.iter();
            let describe = quote_spanned!(span=> (#companion().describe));
            quote! {
                ::temporal_cache_runtime::__private::invalidate(#describe(#(#inputs),*).within(#scope))
            }
        }
        Target::Activity => {
            if let Some(input) = inputs.first() {
                return Err(syn::Error::new_spanned(
                    input,
                    "invalidate_activity! takes the activity alone: it removes the entries of \
                     every input, as in invalidate_activity!(UserActivities::fetch_user); to \
                     remove one entry, use invalidate_cache!(UserActivities::fetch_user, 123)",
                ));
            }
            quote! {
                ::temporal_cache_runtime::__private::invalidate_activity(#companion().activity, #scope)
            }
        }
    })
}
