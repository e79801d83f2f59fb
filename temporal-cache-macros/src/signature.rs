//! What the macro needs to know about the activity's signature.

use syn::{FnArg, Ident, Pat, PatIdent, ReturnType, Signature, Type};

use crate::errors::Errors;

/// The activity's `ActivityContext` parameter and its inputs, by name.
pub(crate) struct ActivitySignature {
    /// The context parameter's pattern, as written (`ctx`, `_ctx`, `mut ctx`).
    pub(crate) context: PatIdent,
    pub(crate) inputs: Vec<Input>,
}

pub(crate) struct Input {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

pub(crate) fn analyze(sig: &Signature, errors: &mut Errors) -> Option<ActivitySignature> {
    // `Some(None)`: the context parameter was found, but it is not bound to a name.
    let mut context: Option<Option<PatIdent>> = None;
    let mut inputs = Vec::new();
    for arg in &sig.inputs {
        let FnArg::Typed(arg) = arg else { continue };
        if context.is_none() {
            if is_activity_context(&arg.ty) {
                context = Some(match &*arg.pat {
                    Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                        Some(pat.clone())
                    }
                    other => {
                        errors.push(syn::Error::new_spanned(
                            other,
                            "#[cached_activity] reads the activity type from the context: give \
                             this parameter a name, such as `_ctx`",
                        ));
                        None
                    }
                });
            }
            continue;
        }
        match &*arg.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => inputs.push(Input {
                name: pat.ident.clone(),
                ty: (*arg.ty).clone(),
            }),
            other => errors.push(syn::Error::new_spanned(
                other,
                "#[cached_activity] hashes each input by name: bind this input to a plain name \
                 and destructure it in the body",
            )),
        }
    }
    match context {
        Some(Some(context)) => Some(ActivitySignature { context, inputs }),
        Some(None) => None,
        None => {
            errors.push(syn::Error::new_spanned(
                &sig.ident,
                "#[cached_activity] goes on a Temporal activity: the function must take an \
                 `ActivityContext` parameter (first, or second after `self: Arc<Self>`)",
            ));
            None
        }
    }
}

fn is_activity_context(ty: &Type) -> bool {
    matches!(ty, Type::Path(path)
        if path.path.segments.last().is_some_and(|segment| segment.ident == "ActivityContext"))
}

/// The type a body returns: the declared one, or `()` for a function declared without one.
pub(crate) fn return_type(sig: &Signature) -> Type {
    match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => syn::parse_quote!(()),
    }
}

/// The `T` of a return type written `Result<T, E>` (by any path), for errors that point at it.
pub(crate) fn result_value_type(sig: &Signature) -> Option<&Type> {
    let ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    let Type::Path(path) = &**ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    }
}
