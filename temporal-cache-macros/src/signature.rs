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

/// How far the signature could be read.
pub(crate) enum Analysis {
    /// An activity the macro can rewrite.
    Activity(ActivitySignature),
    /// The context parameter is there, but it or an input is not bound to a plain name (which
    /// was reported). The inputs' types are known: all the companion's stub needs.
    Unnamed { input_types: Vec<Type> },
    /// No `ActivityContext` parameter (reported): which parameters are inputs is unknown.
    NotAnActivity,
}

impl Analysis {
    /// The inputs' names, to check `exclude` against.
    pub(crate) fn input_names(&self) -> Option<Vec<&Ident>> {
        match self {
            Self::Activity(activity) => {
                Some(activity.inputs.iter().map(|input| &input.name).collect())
            }
            Self::Unnamed { .. } | Self::NotAnActivity => None,
        }
    }

    /// The inputs' types, for the companion function.
    pub(crate) fn input_types(&self) -> Option<Vec<&Type>> {
        match self {
            Self::Activity(activity) => {
                Some(activity.inputs.iter().map(|input| &input.ty).collect())
            }
            Self::Unnamed { input_types } => Some(input_types.iter().collect()),
            Self::NotAnActivity => None,
        }
    }
}

pub(crate) fn analyze(sig: &Signature, errors: &mut Errors) -> Analysis {
    let mut params = sig.inputs.iter().filter_map(|arg| match arg {
        FnArg::Typed(arg) => Some(arg),
        FnArg::Receiver(_) => None,
    });
    let Some(context) = params.by_ref().find(|arg| is_activity_context(&arg.ty)) else {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "#[cached_activity] goes on a Temporal activity: the function must take an \
             `ActivityContext` parameter (first, or second after `self: Arc<Self>`)",
        ));
        return Analysis::NotAnActivity;
    };
    let context = plain_name(&context.pat).or_else(|| {
        errors.push(syn::Error::new_spanned(
            &context.pat,
            "#[cached_activity] reads the activity type from the context: give this parameter a \
             name, such as `_ctx`",
        ));
        None
    });
    let mut named = context.is_some();
    let mut inputs = Vec::new();
    let mut input_types = Vec::new();
    for arg in params {
        input_types.push((*arg.ty).clone());
        match plain_name(&arg.pat) {
            Some(pat) => inputs.push(Input {
                name: pat.ident.clone(),
                ty: (*arg.ty).clone(),
            }),
            None => {
                named = false;
                errors.push(syn::Error::new_spanned(
                    &arg.pat,
                    "#[cached_activity] hashes each input by name: bind this input to a plain \
                     name and destructure it in the body",
                ));
            }
        }
    }
    match context {
        Some(context) if named => Analysis::Activity(ActivitySignature {
            context: context.clone(),
            inputs,
        }),
        _ => Analysis::Unnamed { input_types },
    }
}

/// The pattern as a plain binding (`name`, `mut name`), if it is one.
fn plain_name(pat: &Pat) -> Option<&PatIdent> {
    match pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => Some(pat),
        _ => None,
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
