//! The code that describes an activity call's cache entry, shared by the rewritten body and the
//! companion function: the `CacheSpec` constant, `Entry::new` and one `key_input` per input that
//! is part of the key.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ImplItemFn, Type};

use super::runtime;
use crate::args::{Args, Namespaces, OnError, Policy, Ttl};
use crate::signature::ActivitySignature;
use crate::source_hash;

/// The entry's description, computed once per activity (the `task_source` hash included).
pub(super) struct EntryCode<'a> {
    /// The `const` item holding the activity's `CacheSpec`.
    spec: TokenStream,
    /// The activity's own backend: `Some(...)` from `backend = ...`, or `None`.
    backend: TokenStream,
    /// The inputs that are part of the key, with their positions among all inputs.
    key_inputs: Vec<(u8, &'a Ident, &'a Type)>,
}

/// The name of the spec constant in both places it is declared.
fn spec_ident() -> Ident {
    Ident::new("__TEMPORAL_CACHE_SPEC", Span::mixed_site())
}

impl<'a> EntryCode<'a> {
    pub(super) fn new(function: &ImplItemFn, args: &Args, activity: &'a ActivitySignature) -> Self {
        let key_inputs = activity
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, input)| !args.exclude.contains(&input.name))
            .map(|(position, input)| {
                let position = u8::try_from(position).expect("activities take at most 6 inputs");
                (position, &input.name, &input.ty)
            })
            .collect();
        Self {
            spec: spec(function, args),
            backend: backend(args),
            key_inputs,
        }
    }

    /// The statements that declare `entry`, the entry of the call in `scope` (an expression of
    /// type `Scope`: the activity type and the namespace) with the inputs in scope by their names.
    pub(super) fn declare(&self, entry: &Ident, scope: &TokenStream) -> TokenStream {
        let spec = &self.spec;
        let entry = self.declare_under_spec(entry, scope);
        quote! {
            #spec
            #entry
        }
    }

    /// [`declare`](Self::declare) where [`spec_item`](Self::spec_item) is already in scope.
    pub(super) fn declare_under_spec(&self, entry: &Ident, scope: &TokenStream) -> TokenStream {
        let runtime = runtime();
        let Self {
            backend,
            key_inputs,
            ..
        } = self;
        let spec_ident = spec_ident();
        // The input's declared type is named in the call, so that an input that cannot be
        // hashed is reported on that type.
        let key_inputs = key_inputs.iter().map(|(position, name, ty)| {
            quote_spanned! {ty.span()=>
                #runtime::key_input::<#ty>(&mut #entry, #position, &#name);
            }
        });
        let mutability = (!self.key_inputs.is_empty()).then(|| quote!(mut));
        quote! {
            let #mutability #entry = #runtime::Entry::new(&#spec_ident, #scope, #backend);
            #(#key_inputs)*
        }
    }

    /// The `const` item of the activity's `CacheSpec`.
    pub(super) fn spec_item(&self) -> &TokenStream {
        &self.spec
    }

    /// A reference to the spec constant, where [`spec_item`](Self::spec_item) is in scope.
    pub(super) fn spec_ref(&self) -> TokenStream {
        let spec_ident = spec_ident();
        quote!(&#spec_ident)
    }

    /// The activity's own backend, as an `Option<SharedBackend>` expression.
    pub(super) fn backend(&self) -> &TokenStream {
        &self.backend
    }

    /// Whether an input is part of the key, for the companion's parameter names.
    pub(super) fn keys(&self, name: &Ident) -> bool {
        self.key_inputs.iter().any(|(_, input, _)| *input == name)
    }
}

fn spec(function: &ImplItemFn, args: &Args) -> TokenStream {
    let runtime = runtime();
    let ttl = match args.ttl {
        Ttl::Never => quote!(#runtime::None),
        Ttl::Millis(millis) => quote!(#runtime::Some(#runtime::Duration::from_millis(#millis))),
    };
    let version = &args.version;
    let source_hash = if args.policy == Policy::TaskSource {
        let bytes = source_hash::hash(&function.sig, &function.block);
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
    let namespaces = match args.namespaces {
        Namespaces::Isolated => quote!(#runtime::Namespaces::Isolated),
        Namespaces::Shared => quote!(#runtime::Namespaces::Shared),
    };
    let stale = match args.stale_millis {
        Some(millis) => quote!(#runtime::Some(#runtime::Duration::from_millis(#millis))),
        None => quote!(#runtime::None),
    };
    let on_error = match args.on_error {
        OnError::Fail => quote!(#runtime::OnError::Fail),
        OnError::Stale => quote!(#runtime::OnError::Stale),
        OnError::StaleAlways => quote!(#runtime::OnError::StaleAlways),
    };
    let ident = spec_ident();
    quote! {
        const #ident: #runtime::CacheSpec = #runtime::CacheSpec {
            ttl: #ttl,
            version: #version,
            source_hash: #source_hash,
            lock: #lock,
            namespaces: #namespaces,
            stale: #stale,
            on_error: #on_error,
        };
    }
}

fn backend(args: &Args) -> TokenStream {
    let runtime = runtime();
    match &args.backend {
        // Spanned at the expression, so that one that is not a backend is reported there.
        Some(expr) => quote_spanned! {expr.span()=> #runtime::backend(#expr) },
        None => quote!(#runtime::None),
    }
}
