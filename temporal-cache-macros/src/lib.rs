//! Procedural macros of [temporal-cache](https://docs.rs/temporal-cache-runtime).
//!
//! Use them through `temporal-cache-runtime`, which re-exports them and holds everything the
//! generated code calls; this crate is an implementation detail.
//!
//! # What `#[cached_activity]` emits
//!
//! The macro is thin: it reads and checks its arguments (`args/`), reads the signature
//! (`signature.rs`), and emits the activity with its parameters and output as written (an
//! `async fn` as a `fn` returning `impl Future`, see `expand/body.rs`) and a body that hands the
//! original body to one call into the runtime's hidden `__private` module, which does everything
//! else (keys, lookups, locking, storing, failing open). The expansion of each shape of activity
//! is kept in `tests/expand/*.expanded.rs`.
//!
//! Beside the activity it emits one more item, a hidden associated function
//! `__temporal_cache_<method>`, the companion. It exists for typed invalidation:
//! `invalidate_cache!(Activities::fetch, 123)` expands to a call of the closure
//! `Activities::__temporal_cache_fetch().describe` with `123`, which takes the activity's inputs
//! with their declared types (so a wrong input, or a wrong number of them, is a type error at the
//! call site) and describes the entry with the activity's own spec, backend and `exclude` list
//! (so the entry removed is exactly the one the activity stores); `invalidate_activity!` takes
//! the companion's `activity` instead, the spec and backend of all its entries. Only the attribute knows those,
//! and only an item beside the activity can carry them to another macro's call site; the
//! alternatives are a registry keyed by strings, unchecked until run time, or per-function
//! statics, which break inside impl blocks and generic code. See `expand/companion.rs`.
//!
//! # Errors
//!
//! Every mistake is reported on the token that caused it, and all of them in one build. On a
//! mistake the function is emitted as written, with a stub of the companion (`fallback.rs`), so
//! that one mistake is one diagnostic.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod errors;
mod expand;
#[cfg(test)]
mod expandtest;
mod fallback;
mod invalidate;
mod lookup;
mod signature;
mod source_hash;

use proc_macro::TokenStream;
use syn::ImplItemFn;

use crate::errors::Errors;
use crate::signature::Analysis;

/// Caches a Temporal activity's result. See `temporal_cache_runtime` for the arguments.
#[proc_macro_attribute]
pub fn cached_activity(attr: TokenStream, item: TokenStream) -> TokenStream {
    cached_activity_impl(attr.into(), item.into()).into()
}

/// Removes the cached result of one activity call: `invalidate_cache!(Type::method, inputs...)`.
/// See `temporal_cache_runtime::invalidate_cache`.
#[proc_macro]
pub fn invalidate_cache(input: TokenStream) -> TokenStream {
    invalidate_impl(input, invalidate::Target::Entry)
}

/// Removes every cached result of one activity, whatever its inputs:
/// `invalidate_activity!(Type::method)`. See `temporal_cache_runtime::invalidate_activity`.
#[proc_macro]
pub fn invalidate_activity(input: TokenStream) -> TokenStream {
    invalidate_impl(input, invalidate::Target::Activity)
}

/// Runs a cached activity from a workflow, looking its entry up in a local activity first:
/// `execute_cached!(ctx, Type::method, input, options)`. See
/// `temporal_cache_runtime::execute_cached`.
#[proc_macro]
pub fn execute_cached(input: TokenStream) -> TokenStream {
    match lookup::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn invalidate_impl(input: TokenStream, target: invalidate::Target) -> TokenStream {
    match invalidate::expand(input.into(), target) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// `#[cached_activity]` on `proc_macro2` tokens, so that tests can run it.
fn cached_activity_impl(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let function: ImplItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                "#[cached_activity] goes on an activity function (a method inside #[activities])",
            );
            return fallback::not_a_function(item, &error);
        }
    };
    let mut errors = Errors::new();
    let analysis = signature::analyze(&function.sig, &mut errors);
    let args = args::read(attr, analysis.input_names().as_deref(), &mut errors);
    match (errors.into_result(), analysis) {
        (Ok(()), Analysis::Activity(activity)) => expand::expand(&function, &args, &activity),
        (result, analysis) => {
            fallback::fallback(&function, analysis.input_types().as_deref(), result.err())
        }
    }
}
