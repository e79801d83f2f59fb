//! What a bad attribute or signature expands to, like thiserror-impl's `fallback.rs`: the
//! function exactly as written, the errors, and everything other code relies on.
//!
//! Other code relies on the companion function (`invalidate_cache!` calls it), so a stub of it
//! is emitted too, with the activity's input types. One mistake is then one diagnostic: no
//! half-rewritten body to report follow-on errors in, and no "no function named
//! `__temporal_cache_fetch`" at every call site of `invalidate_cache!`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ImplItemFn, Type};

use crate::expand::companion;

/// The function as written, with the stub companion when the input types are known (only a
/// function without an `ActivityContext` leaves them unknown) and the errors.
pub(crate) fn fallback(
    function: &ImplItemFn,
    input_types: Option<&[&Type]>,
    error: Option<syn::Error>,
) -> TokenStream {
    let companion = input_types.map(|input_types| companion::without_entry(function, input_types));
    let error = error.map(|error| error.to_compile_error());
    quote! {
        #function
        #companion
        #error
    }
}

/// The item as written and the error, for an attribute on something that is not a function.
pub(crate) fn not_a_function(item: TokenStream, error: &syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote! {
        #item
        #error
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use crate::cached_activity_impl;

    /// The expansion, and how many `compile_error!`s it holds.
    fn expand(attr: TokenStream, item: TokenStream) -> (String, usize) {
        let expanded = cached_activity_impl(attr, item).to_string();
        let errors = expanded.matches("compile_error").count();
        (expanded, errors)
    }

    #[test]
    fn a_bad_attribute_keeps_the_function_and_a_typed_stub() {
        let (expanded, errors) = expand(
            quote!(ttl = "soon"),
            quote! {
                pub async fn fetch(ctx: ActivityContext, id: u64, name: String) -> Result<u64, E> {
                    Ok(id)
                }
            },
        );
        assert_eq!(errors, 1);
        assert!(expanded.contains("pub async fn fetch (ctx : ActivityContext"));
        assert!(
            !expanded.contains("run ("),
            "the body is not rewritten: {expanded}"
        );
        assert!(
            expanded.contains("pub fn __temporal_cache_fetch ()")
                && expanded.contains("| _ : u64 , _ : String | :: temporal_cache_runtime"),
            "{expanded}"
        );
        assert!(expanded.contains("Entry :: nothing ()"));
    }

    #[test]
    fn a_signature_with_unnamed_parameters_still_gets_the_stub() {
        let (expanded, errors) = expand(
            TokenStream::new(),
            quote! {
                async fn norm(_: ActivityContext, Point { x, y }: Point) -> Result<i64, E> {
                    Ok(x + y)
                }
            },
        );
        assert_eq!(errors, 2);
        assert!(
            expanded.contains("fn __temporal_cache_norm ()")
                && expanded.contains("| _ : Point | :: temporal_cache_runtime"),
            "{expanded}"
        );
    }

    #[test]
    fn without_a_context_or_a_function_there_is_no_stub() {
        let (expanded, errors) = expand(
            TokenStream::new(),
            quote!(
                async fn fetch(id: u64) -> Result<u64, E> {
                    Ok(id)
                }
            ),
        );
        assert_eq!(errors, 1);
        assert!(!expanded.contains("__temporal_cache_fetch"), "{expanded}");

        let (expanded, errors) = expand(
            TokenStream::new(),
            quote!(
                pub struct Activities;
            ),
        );
        assert_eq!(errors, 1);
        assert!(
            expanded.starts_with("pub struct Activities ;"),
            "{expanded}"
        );
    }
}
