//! The hidden companion function behind `invalidate_cache!`.
//!
//! `invalidate_cache!(Activities::fetch, 123, name)` must remove exactly the entry a call
//! `fetch(ctx, 123, name)` would have stored. Only the attribute on `fetch` knows what that
//! entry is (its `version`, `task_source` hash, backend and `exclude` list), and a macro at the
//! call site cannot read another item's attribute. So the attribute emits, beside the activity,
//! an associated function `__temporal_cache_fetch` taking the activity's inputs with their
//! declared types. The call site's inputs are then type-checked against the activity like the
//! arguments of any call, and the entry is described by the activity's own settings, with no
//! registry, no per-function static and no string naming the activity. It returns a closure of
//! the entry's `Scope` (activity type and namespace) because the activity type is only known
//! where the activity is registered: the macro passes it in from the marker
//! `Activities::fetch`, with the namespace it was given.
//!
//! The companion is always emitted, even for a `no_cache` activity (which has no entry) and
//! beside a bad attribute (see [`crate::fallback`]), so that a call of `invalidate_cache!` never
//! fails because of how the activity is configured.

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

/// The companion of a cached activity: its entry, described as the body describes it.
pub(super) fn with_entry(
    function: &ImplItemFn,
    activity: &ActivitySignature,
    entry: &EntryCode<'_>,
) -> TokenStream {
    let params = activity.inputs.iter().map(|input| {
        let ty = &input.ty;
        if entry.keys(&input.name) {
            let name = &input.name;
            quote!(#name: #ty)
        } else {
            quote!(_: #ty)
        }
    });
    let runtime = runtime();
    let scope = Ident::new("__temporal_cache_scope", Span::mixed_site());
    let entry_ident = Ident::new("__temporal_cache_entry", Span::mixed_site());
    let declare_entry = entry.declare(&entry_ident, &quote!(#scope));
    let body = quote! {
        move |#scope: #runtime::Scope<'_>| {
            #declare_entry
            #entry_ident
        }
    };
    emit(function, params, &body)
}

/// A companion that describes no entry: for a `no_cache` activity, and the stub beside an
/// attribute or signature with errors. It takes the inputs' types all the same.
pub(crate) fn without_entry(function: &ImplItemFn, input_types: &[&Type]) -> TokenStream {
    let runtime = runtime();
    let params = input_types.iter().map(|ty| quote!(_: #ty));
    emit(
        function,
        params,
        &quote!(|_: #runtime::Scope<'_>| #runtime::Entry::nothing()),
    )
}

fn emit(
    function: &ImplItemFn,
    params: impl Iterator<Item = TokenStream>,
    body: &TokenStream,
) -> TokenStream {
    let runtime = runtime();
    let name = name(&function.sig.ident);
    let vis = &function.vis;
    let doc = format!(
        " Describes the cached entry of one `{}` call, for `invalidate_cache!`.",
        function.sig.ident
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, clippy::too_many_arguments)]
        #vis fn #name(#(#params),*) -> impl ::core::ops::FnOnce(#runtime::Scope<'_>) -> #runtime::Entry {
            #body
        }
    }
}
