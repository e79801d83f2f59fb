//! The hidden companion function behind `invalidate_cache!` and `invalidate_activity!`.
//!
//! `invalidate_cache!(Activities::fetch, 123, name)` must remove exactly the entry a call
//! `fetch(ctx, 123, name)` would have stored, and `invalidate_activity!(Activities::fetch)` every
//! entry `fetch` stores. Only the attribute on `fetch` knows what those are (its `version`,
//! `task_source` hash, backend, namespace sharing and `exclude` list), and a macro at the call
//! site cannot read another item's attribute. So the attribute emits, beside the activity, an
//! associated function `__temporal_cache_fetch()` returning a `Companion`: the activity's cache
//! (its spec and backend, for the whole-activity removal) and a closure describing one call's
//! entry, taking the activity's inputs with their declared types (and returning the entry as a
//! function of its `Scope`). The call site's inputs are then
//! type-checked against the activity like the arguments of any call, with no registry, no
//! per-function static and no string naming the activity. The entry also needs its
//! `Scope` (activity type and namespace) because the activity type is only known where the
//! activity is registered: the macros pass it in from the marker `Activities::fetch`, with the
//! namespace they were given.
//!
//! The companion is always emitted, even for a `no_cache` activity (which has no entry) and
//! beside a bad attribute (see [`crate::fallback`]), so that a call of either macro never fails
//! because of how the activity is configured.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, ImplItemFn, Type};

use super::entry::EntryCode;
use super::runtime;
use crate::signature::ActivitySignature;

/// The companion's name for `method`. Inside `#[activities]` the method has already been
/// renamed `__method`, while a workflow names the activity `Type::method`.
pub(crate) fn name(method: &Ident) -> Ident {
    let name = method.to_string();
    let base = name.strip_prefix("__").unwrap_or(&name);
    format_ident!("__temporal_cache_{}", base, span = method.span())
}

/// The path of the companion of the activity a workflow names `path` (`Activities::fetch` gives
/// `Activities::__temporal_cache_fetch`), for the macros that call it.
pub(crate) fn path(activity: &syn::ExprPath) -> syn::Result<syn::ExprPath> {
    let mut companion = activity.clone();
    let last = companion.path.segments.last_mut().ok_or_else(|| {
        syn::Error::new_spanned(
            activity,
            "expected a path such as `UserActivities::fetch_user`",
        )
    })?;
    last.ident = name(&last.ident);
    Ok(companion)
}

/// The companion of a cached activity: its cache and its entry, described as the body
/// describes them.
pub(super) fn with_entry(
    function: &ImplItemFn,
    activity: &ActivitySignature,
    entry: &EntryCode<'_>,
) -> TokenStream {
    let params: Vec<_> = activity
        .inputs
        .iter()
        .map(|input| {
            let ty = &input.ty;
            if entry.keys(&input.name) {
                let name = &input.name;
                quote!(#name: #ty)
            } else {
                quote!(_: #ty)
            }
        })
        .collect();
    let types = activity.inputs.iter().map(|input| &input.ty);
    let runtime = runtime();
    let scope = Ident::new("__temporal_cache_scope", Span::mixed_site());
    let entry_ident = Ident::new("__temporal_cache_entry", Span::mixed_site());
    let declare_entry = entry.declare_under_spec(&entry_ident, &quote!(#scope));
    let spec_item = entry.spec_item();
    let spec_ref = entry.spec_ref();
    let backend = entry.backend();
    let body = quote! {
        #spec_item
        #runtime::Companion {
            activity: #runtime::ActivityCache::new(#spec_ref, || #backend),
            describe: move |#(#params),*| {
                #runtime::ScopedEntry::new(move |#scope: #runtime::Scope<'_>| {
                    #declare_entry
                    #entry_ident
                })
            },
        }
    };
    emit(function, types, &body)
}

/// A companion that describes no entry: for a `no_cache` activity, and the stub beside an
/// attribute or signature with errors. Its closure takes the inputs' types all the same.
pub(crate) fn without_entry(function: &ImplItemFn, input_types: &[&Type]) -> TokenStream {
    let runtime = runtime();
    let params = input_types.iter().map(|ty| quote!(_: #ty));
    let body = quote! {
        #runtime::Companion {
            activity: #runtime::ActivityCache::nothing(),
            describe: |#(#params),*| #runtime::ScopedEntry::nothing(),
        }
    };
    emit(function, input_types.iter().copied(), &body)
}

fn emit<'a>(
    function: &ImplItemFn,
    input_types: impl Iterator<Item = &'a Type>,
    body: &TokenStream,
) -> TokenStream {
    let runtime = runtime();
    let name = name(&function.sig.ident);
    let vis = &function.vis;
    let doc = format!(
        " Describes the cache of `{}`, for `invalidate_cache!` and `invalidate_activity!`.",
        function.sig.ident
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, clippy::too_many_arguments, clippy::type_complexity)]
        #vis fn #name() -> #runtime::Companion<
            impl ::core::ops::FnOnce(#(#input_types),*) -> #runtime::ScopedEntry
        > {
            #body
        }
    }
}
