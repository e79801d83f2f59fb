//! Procedural macros of [temporal-cache](https://docs.rs/temporal-cache-runtime).
//!
//! Use them through `temporal-cache-runtime`, which re-exports them and holds everything the
//! generated code calls; this crate is an implementation detail.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod errors;
mod expand;
mod invalidate;
mod signature;
mod source_hash;
mod ttl;

use proc_macro::TokenStream;
use quote::quote;
use syn::ImplItemFn;

use crate::errors::Errors;

/// Caches a Temporal activity's result. See `temporal_cache_runtime` for the arguments.
#[proc_macro_attribute]
pub fn cached_activity(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let function: ImplItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                "#[cached_activity] goes on an activity function (a method inside #[activities])",
            )
            .to_compile_error();
            return quote!(#item #error).into();
        }
    };

    let mut errors = Errors::new();
    let activity = signature::analyze(&function.sig, &mut errors);
    // Without a usable signature, `exclude` names cannot be checked against the inputs.
    let inputs: Option<Vec<&syn::Ident>> = activity
        .as_ref()
        .map(|activity| activity.inputs.iter().map(|input| &input.name).collect());
    let args = args::parse(attr.into(), inputs.as_deref(), &mut errors);
    match (errors.into_result(), activity) {
        (Ok(()), Some(activity)) => expand::expand(&function, &args, &activity).into(),
        // Emit the function as written beside the errors: one diagnostic per mistake, and no
        // cascade of follow-on errors from a half-rewritten body.
        (Err(error), _) => {
            let error = error.to_compile_error();
            quote!(#function #error).into()
        }
        (Ok(()), None) => quote!(#function).into(),
    }
}

/// Removes the cached result of one activity call: `invalidate_cache!(Type::method, inputs...)`.
/// See `temporal_cache_runtime::invalidate_cache`.
#[proc_macro]
pub fn invalidate_cache(input: TokenStream) -> TokenStream {
    match invalidate::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}
