//! Emitting the rewritten activity: the original signature, a body that delegates to the runtime,
//! and the hidden function `invalidate_cache!` uses.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ImplItemFn};

use crate::args::{Args, Policy};
use crate::signature::{self, ActivitySignature};
use crate::source_hash;
use crate::ttl::Ttl;

/// The hidden function `invalidate_cache!(Type::method, ...)` calls for `method`. Inside
/// `#[activities]` the method has already been renamed `__method`; the marker keeps `method`.
pub(crate) fn companion_name(method: &Ident) -> Ident {
    let name = method.to_string();
    let base = name.strip_prefix("__").unwrap_or(&name);
    format_ident!("__temporal_cache_{}", base, span = method.span())
}

fn runtime() -> TokenStream {
    quote!(::temporal_cache_runtime::__private)
}

pub(crate) fn expand(
    function: &ImplItemFn,
    args: &Args,
    activity: &ActivitySignature,
) -> TokenStream {
    let companion = invalidation_companion(function, args, activity);
    if args.policy == Policy::NoCache {
        return quote! {
            #function
            #companion
        };
    }

    let runtime = runtime();
    let ImplItemFn {
        attrs,
        vis,
        defaultness,
        sig,
        block,
    } = function;
    let spec_ident = Ident::new("__TEMPORAL_CACHE_SPEC", Span::mixed_site());
    let call = Ident::new("__temporal_cache_call", Span::mixed_site());
    let context = Ident::new("__temporal_cache_context", Span::mixed_site());
    let spec = spec(function, args, &spec_ident);
    let backend = backend(args);
    let inputs = key_inputs(args, activity, &call);
    let user_context = &activity.context.ident;
    let context_pattern = &activity.context;
    let return_type = signature::return_type(sig);
    // Errors about the result (not cacheable, not a `Result`) point at the return type, or at
    // the `T` of `Result<T, ActivityError>`.
    let result_span = signature::result_value_type(sig)
        .map(Spanned::span)
        .unwrap_or_else(|| match &sig.output {
            syn::ReturnType::Type(_, ty) => ty.span(),
            syn::ReturnType::Default => sig.ident.span(),
        });

    let run = if sig.asyncness.is_some() {
        let unreachable = Ident::new("__temporal_cache_unreachable", Span::mixed_site());
        // The dead `return` fixes the async block's output type, so that `?` in the body
        // converts errors exactly as it did in the original `async fn`.
        quote_spanned! {result_span=>
            #runtime::run(
                #call,
                #context,
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
            .await
        }
    } else {
        quote_spanned! {result_span=>
            #runtime::run_blocking(
                #call,
                #context,
                move |#context_pattern: #runtime::ActivityContext| -> #return_type #block,
            )
        }
    };

    // The context is rebound by the closure with the pattern as written (`mut ctx` included), so
    // the parameter itself is emitted without `mut`: it is never mutated before the closure.
    let mut sig = sig.clone();
    for arg in &mut sig.inputs {
        if let syn::FnArg::Typed(arg) = arg
            && let syn::Pat::Ident(pat) = &mut *arg.pat
            && pat.ident == *user_context
        {
            pat.mutability = None;
        }
    }

    quote! {
        #(#attrs)*
        #vis #defaultness #sig {
            #spec
            #[allow(clippy::used_underscore_binding)]
            let #context = #user_context;
            let mut #call = #runtime::CachedCall::new(&#spec_ident, &#context, #backend);
            #(#inputs)*
            #run
        }

        #companion
    }
}

fn spec(function: &ImplItemFn, args: &Args, ident: &Ident) -> TokenStream {
    let runtime = runtime();
    let ttl = match args.ttl {
        Ttl::Never => quote!(#runtime::None),
        Ttl::Millis(millis) => quote!(#runtime::Some(#runtime::Duration::from_millis(#millis))),
    };
    let version = &args.version;
    let source_hash = if args.policy == Policy::TaskSource {
        let mut tokens = function.sig.to_token_stream();
        function.block.to_tokens(&mut tokens);
        let bytes = source_hash::hash(tokens);
        quote!(#runtime::Some([#(#bytes),*]))
    } else {
        quote!(#runtime::None)
    };
    let lock = match args.lock {
        Some(lock) => {
            let (lease, wait) = (lock.lease_millis, lock.wait_millis);
            quote!(#runtime::Some(#runtime::LockSpec {
                lease: #runtime::Duration::from_millis(#lease),
                wait: #runtime::Duration::from_millis(#wait),
            }))
        }
        None => quote!(#runtime::None),
    };
    quote! {
        const #ident: #runtime::CacheSpec = #runtime::CacheSpec {
            ttl: #ttl,
            version: #version,
            source_hash: #source_hash,
            lock: #lock,
        };
    }
}

fn backend(args: &Args) -> TokenStream {
    let runtime = runtime();
    match &args.backend {
        Some(expr) => quote_spanned! {expr.span()=> #runtime::backend(#expr) },
        None => quote!(#runtime::None),
    }
}

/// One statement per input that is part of the key. The input's declared type is named in the
/// call, so that an input that cannot be hashed is reported on that type.
fn key_inputs(args: &Args, activity: &ActivitySignature, target: &Ident) -> Vec<TokenStream> {
    activity
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, input)| !args.exclude.contains(&input.name))
        .map(|(position, input)| {
            let position = u8::try_from(position).expect("activities take at most 6 inputs");
            let (name, ty) = (&input.name, &input.ty);
            let runtime = runtime();
            quote_spanned! {ty.span()=>
                #runtime::key_input::<#ty>(&mut #target, #position, &#name);
            }
        })
        .collect()
}

/// The hidden function behind `invalidate_cache!`: it takes the activity's inputs and returns
/// what describes their entry once given the activity type, with the activity's own settings.
fn invalidation_companion(
    function: &ImplItemFn,
    args: &Args,
    activity: &ActivitySignature,
) -> TokenStream {
    let runtime = runtime();
    let name = companion_name(&function.sig.ident);
    let vis = &function.vis;
    let activity_type = Ident::new("__temporal_cache_activity_type", Span::mixed_site());
    let invalidation = Ident::new("__temporal_cache_invalidation", Span::mixed_site());
    let params = activity.inputs.iter().map(|input| {
        let ty = &input.ty;
        if args.policy == Policy::NoCache || args.exclude.contains(&input.name) {
            quote!(_: #ty)
        } else {
            let name = &input.name;
            quote!(#name: #ty)
        }
    });
    let doc = format!(
        "Describes the cached entry of one `{}` call, for `invalidate_cache!`.",
        function.sig.ident
    );
    let body = if args.policy == Policy::NoCache {
        quote! { |_: &str| #runtime::Invalidation::nothing() }
    } else {
        let spec_ident = Ident::new("__TEMPORAL_CACHE_SPEC", Span::mixed_site());
        let spec = spec(function, args, &spec_ident);
        let backend = backend(args);
        let inputs = key_inputs(args, activity, &invalidation);
        quote! {
            move |#activity_type: &str| {
                #spec
                let mut #invalidation =
                    #runtime::Invalidation::new(&#spec_ident, #activity_type, #backend);
                #(#inputs)*
                #invalidation
            }
        }
    };
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, clippy::too_many_arguments)]
        #vis fn #name(#(#params),*) -> impl ::core::ops::FnOnce(&str) -> #runtime::Invalidation {
            #body
        }
    }
}
