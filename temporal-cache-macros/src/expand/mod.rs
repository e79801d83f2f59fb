//! Emitting a valid activity: the original signature with a body that delegates to the runtime,
//! and beside it the hidden companion function `invalidate_cache!` calls.
//!
//! Both describe the activity's cache entry the same way, from the same [`entry::EntryCode`]: the
//! body to look it up and store it, the companion to name it for removal. Every internal name
//! the expansion introduces is mixed-site, so that the user's code can neither see nor shadow
//! it; only the companion's name is not, since `invalidate_cache!` names it from the user's code.

mod body;
pub(crate) mod companion;
mod entry;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ImplItemFn;

use self::entry::EntryCode;
use crate::args::{Args, Policy};
use crate::signature::ActivitySignature;

/// The path of everything the expansion calls.
fn runtime() -> TokenStream {
    quote!(::temporal_cache_runtime::__private)
}

/// The same path spanned at `span`: a call's unmet bound is reported at its path, and a path
/// that starts at the attribute's tokens is reported at the attribute.
fn runtime_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::temporal_cache_runtime::__private)
}

pub(crate) fn expand(
    function: &ImplItemFn,
    args: &Args,
    activity: &ActivitySignature,
) -> TokenStream {
    if args.policy == Policy::NoCache {
        let input_types: Vec<_> = activity.inputs.iter().map(|input| &input.ty).collect();
        let companion = companion::without_entry(function, &input_types);
        return quote! {
            #function
            #companion
        };
    }
    let entry = EntryCode::new(function, args, activity);
    let rewritten = body::rewrite(function, activity, &entry);
    let companion = companion::with_entry(function, activity, &entry);
    quote! {
        #rewritten
        #companion
    }
}
