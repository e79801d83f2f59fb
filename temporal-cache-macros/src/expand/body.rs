//! The rewritten activity: its signature as written (an `async fn` becomes a plain `fn` that
//! returns `impl Future` of the same output), and a body that builds the call's entry and hands
//! the original body to the runtime's `run` (or `run_blocking`). An async activity returns
//! `run`'s future itself: the future of an `async fn` would keep every parameter, the 656-byte
//! context included, in each of its states beside `run`'s own copy, and every hit would move
//! and allocate that room.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ImplItemFn, Pat, ReturnType};

use super::entry::EntryCode;
use super::{runtime, runtime_at};
use crate::signature::{self, ActivitySignature};

pub(super) fn rewrite(
    function: &ImplItemFn,
    activity: &ActivitySignature,
    entry: &EntryCode<'_>,
) -> TokenStream {
    let runtime = runtime();
    let ImplItemFn {
        attrs,
        vis,
        defaultness,
        sig,
        block,
    } = function;
    let entry_ident = Ident::new("__temporal_cache_entry", Span::mixed_site());
    let context = Ident::new("__temporal_cache_context", Span::mixed_site());
    let user_context = &activity.context.ident;
    let context_pattern = &activity.context;
    let return_type = signature::return_type(sig);
    // Errors about the result (not cacheable, not a `Result`) point at the return type, or at
    // the `T` of `Result<T, ActivityError>`.
    let result_span = signature::result_value_type(sig)
        .map(Spanned::span)
        .unwrap_or_else(|| match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.ident.span(),
        });
    let declare_entry = entry.declare(&entry_ident, &quote!(#runtime::scope(&#context)));

    // The codec's path too: `outcome_codec` carries the bounds on the result, so that a result
    // that cannot be cached is reported once, on its type, not on the attribute.
    let runtime_at_result = runtime_at(result_span);
    let run = if sig.asyncness.is_some() {
        let unreachable = Ident::new("__temporal_cache_unreachable", Span::mixed_site());
        // The dead `return` fixes the async block's output type, so that `?` in the body
        // converts errors exactly as it did in the original `async fn`.
        quote_spanned! {result_span=>
            #runtime_at_result::run(
                #entry_ident,
                #context,
                #runtime_at_result::outcome_codec(),
                move |#context_pattern: #runtime::ActivityContext| async move {
                    #[allow(
                        unreachable_code,
                        clippy::diverging_sub_expression,
                        clippy::empty_loop,
                        clippy::let_unit_value,
                        clippy::needless_return
                    )]
                    if false {
                        let #unreachable: #return_type = loop {};
                        return #unreachable;
                    }
                    #block
                },
            )
        }
    } else {
        quote_spanned! {result_span=>
            #runtime_at_result::run_blocking(
                #entry_ident,
                #context,
                #runtime_at_result::outcome_codec(),
                move |#context_pattern: #runtime::ActivityContext| -> #return_type #block,
            )
        }
    };

    // The context is rebound by the closure with the pattern as written (`mut ctx` included), so
    // the parameter itself is emitted without `mut`: it is never mutated before the closure.
    let mut sig = sig.clone();
    if sig.asyncness.take().is_some() {
        // `run`'s future itself (see above). Callers see no difference, the SDK awaits it at
        // once; the entry is built when the function is called rather than when first polled.
        sig.output = syn::parse_quote_spanned! {sig.output.span()=>
            -> impl ::core::future::Future<Output = #return_type>
        };
    }
    for arg in &mut sig.inputs {
        if let FnArg::Typed(arg) = arg
            && let Pat::Ident(pat) = &mut *arg.pat
            && pat.ident == *user_context
        {
            pat.mutability = None;
        }
    }

    quote! {
        #(#attrs)*
        #vis #defaultness #sig {
            let (#entry_ident, #context) = {
                #[allow(clippy::used_underscore_binding)]
                let #context = #user_context;
                #declare_entry
                (#entry_ident, #context)
            };
            #run
        }
    }
}
