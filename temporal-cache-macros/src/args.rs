//! Parsing and validating the arguments of `#[cached_activity(...)]`.
//!
//! Parsing only reads the syntax; validation checks values against each other and against the
//! function. Every problem found is reported, each on the token that caused it.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, LitStr, Token, bracketed};

use crate::errors::Errors;
use crate::ttl::{self, Ttl};

const KEYS: &str =
    "`policy`, `ttl`, `exclude`, `version`, `backend`, `lock`, `lock_ttl` and `lock_wait`";
const POLICIES: &str = "\"inputs\", \"task_source\" or \"no_cache\"";

/// The default TTL when none is given: long enough to matter, short enough that a forgotten TTL
/// cannot grow a Redis database forever.
const DEFAULT_TTL: Ttl = Ttl::Millis(86_400_000);
/// How long a lease lasts between renewals unless `lock_ttl` says otherwise.
const DEFAULT_LOCK_TTL_MILLIS: u64 = 30_000;
/// How long a caller waits for another's result unless `lock_wait` says otherwise.
const DEFAULT_LOCK_WAIT_MILLIS: u64 = 300_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    Inputs,
    TaskSource,
    NoCache,
}

/// Validated arguments.
pub(crate) struct Args {
    pub(crate) policy: Policy,
    pub(crate) ttl: Ttl,
    pub(crate) exclude: Vec<Ident>,
    pub(crate) version: String,
    pub(crate) backend: Option<Expr>,
    /// Single-flight: lease length and wait bound in milliseconds; `None` for `lock = false`.
    pub(crate) lock: Option<Lock>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Lock {
    pub(crate) lease_millis: u64,
    pub(crate) wait_millis: u64,
}

/// One `key = value` as written.
struct RawArg {
    key: Ident,
    value: RawValue,
}

enum RawValue {
    Str(LitStr),
    Bool(LitBool),
    Idents(Punctuated<Ident, Token![,]>),
    Expr(Expr),
}

impl Parse for RawArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("expected an argument such as `ttl = \"1h\"`; the arguments are {KEYS}"),
            )
        })?;
        input.parse::<Token![=]>().map_err(|error| {
            syn::Error::new(error.span(), format!("expected `=` after `{key}`"))
        })?;
        let value = match key.to_string().as_str() {
            "policy" | "ttl" | "version" | "lock_ttl" | "lock_wait" => {
                RawValue::Str(input.parse().map_err(|error| {
                    let example = match key.to_string().as_str() {
                        "policy" => "\"inputs\"",
                        "version" => "\"2\"",
                        "lock_wait" => "\"5m\"",
                        _ => "\"1h\"",
                    };
                    syn::Error::new(
                        error.span(),
                        format!("`{key}` takes a string literal, as in `{key} = {example}`"),
                    )
                })?)
            }
            "lock" => RawValue::Bool(input.parse().map_err(|error| {
                syn::Error::new(error.span(), "`lock` takes `true` or `false`")
            })?),
            "exclude" => {
                let content;
                bracketed!(content in input);
                RawValue::Idents(content.parse_terminated(Ident::parse, Token![,])?)
            }
            _ => RawValue::Expr(input.parse()?),
        };
        Ok(Self { key, value })
    }
}

/// Parses the attribute's tokens and checks them. `inputs` are the names of the activity's
/// inputs, for `exclude`.
pub(crate) fn parse(tokens: TokenStream, inputs: Option<&[&Ident]>, errors: &mut Errors) -> Args {
    let mut args = Args {
        policy: Policy::Inputs,
        ttl: DEFAULT_TTL,
        exclude: Vec::new(),
        version: String::new(),
        backend: None,
        lock: Some(Lock {
            lease_millis: DEFAULT_LOCK_TTL_MILLIS,
            wait_millis: DEFAULT_LOCK_WAIT_MILLIS,
        }),
    };
    let mut lock_enabled: Option<&LitBool> = None;
    let mut lock_durations: Vec<&Ident> = Vec::new();
    let raw = match Punctuated::<RawArg, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(raw) => raw,
        Err(error) => {
            errors.push(error);
            return args;
        }
    };

    let mut seen: Vec<Ident> = Vec::new();
    for arg in &raw {
        if let Some(first) = seen.iter().find(|seen| **seen == arg.key) {
            let mut error = syn::Error::new(arg.key.span(), format!("duplicate `{}`", arg.key));
            error.combine(syn::Error::new(first.span(), "first given here"));
            errors.push(error);
            continue;
        }
        seen.push(arg.key.clone());
        match (arg.key.to_string().as_str(), &arg.value) {
            ("policy", RawValue::Str(lit)) => {
                match lit.value().as_str() {
                    "inputs" => args.policy = Policy::Inputs,
                    "task_source" => args.policy = Policy::TaskSource,
                    "no_cache" => args.policy = Policy::NoCache,
                    other => errors.push(syn::Error::new(
                        lit.span(),
                        format!("unknown policy \"{other}\"; expected {POLICIES}, as in `policy = \"inputs\"`"),
                    )),
                }
            }
            ("ttl", RawValue::Str(lit)) => match ttl::parse(&lit.value()) {
                Ok(ttl) => args.ttl = ttl,
                Err(error) => errors.push(syn::Error::new(
                    lit.span(),
                    format!("invalid ttl: {}", error.describe("ttl")),
                )),
            },
            ("version", RawValue::Str(lit)) => {
                args.version = lit.value();
                if args.version.is_empty() {
                    errors.push(syn::Error::new(
                        lit.span(),
                        "`version` must not be empty; use a label such as `version = \"2\"`",
                    ));
                }
            }
            ("exclude", RawValue::Idents(names)) => {
                for name in names {
                    if inputs.is_some_and(|inputs| !inputs.contains(&name)) {
                        let inputs = inputs.unwrap_or_default();
                        let known = if inputs.is_empty() {
                            "the activity has no inputs".to_owned()
                        } else {
                            let names: Vec<String> =
                                inputs.iter().map(|input| format!("`{input}`")).collect();
                            format!("its inputs are {}", names.join(", "))
                        };
                        errors.push(syn::Error::new(
                            name.span(),
                            format!("`{name}` is not an input of this activity; {known}"),
                        ));
                    } else if args.exclude.contains(name) {
                        errors.push(syn::Error::new(
                            name.span(),
                            format!("`{name}` is excluded twice"),
                        ));
                    } else {
                        args.exclude.push(name.clone());
                    }
                }
            }
            ("backend", RawValue::Expr(expr)) => args.backend = Some(expr.clone()),
            ("lock", RawValue::Bool(lit)) => lock_enabled = Some(lit),
            ("lock_ttl" | "lock_wait", RawValue::Str(lit)) => {
                lock_durations.push(&arg.key);
                match ttl::parse(&lit.value()) {
                    Ok(Ttl::Millis(millis)) if arg.key == "lock_ttl" && millis < 3 => {
                        errors.push(syn::Error::new(
                            lit.span(),
                            "`lock_ttl` must be at least 3ms: the lease is renewed every third of it",
                        ));
                    }
                    Ok(Ttl::Millis(millis)) => {
                        if let Some(lock) = &mut args.lock {
                            if arg.key == "lock_ttl" {
                                lock.lease_millis = millis;
                            } else {
                                lock.wait_millis = millis;
                            }
                        }
                    }
                    Ok(Ttl::Never) => errors.push(syn::Error::new(
                        lit.span(),
                        format!("`{}` must be a finite duration, such as \"30s\"", arg.key),
                    )),
                    Err(error) => errors.push(syn::Error::new(
                        lit.span(),
                        format!("invalid {}: {}", arg.key, error.describe(&arg.key.to_string())),
                    )),
                }
            }
            (_, _) => errors.push(syn::Error::new(
                arg.key.span(),
                format!(
                    "unknown argument `{}`; #[cached_activity] takes {KEYS}, as in \
                     #[cached_activity(policy = \"inputs\", ttl = \"1h\")]",
                    arg.key
                ),
            )),
        }
    }

    if let Some(lit) = lock_enabled
        && !lit.value
    {
        args.lock = None;
        for key in &lock_durations {
            errors.push(syn::Error::new(
                key.span(),
                format!("`{key}` has no effect with `lock = false`; remove it"),
            ));
        }
    }

    if args.policy == Policy::NoCache {
        for key in &seen {
            if key != "policy" {
                errors.push(syn::Error::new(
                    key.span(),
                    format!(
                        "`{key}` has no effect with policy = \"no_cache\": the body always runs \
                         and nothing is stored; remove `{key}`"
                    ),
                ));
            }
        }
    }
    args
}
