//! Giving the parsed arguments their meaning, and checking them against each other and against
//! the function: duplicates, policy names, durations, `exclude` names, and options that have no
//! effect with `lock = false` or `policy = "no_cache"`.

use syn::{Ident, LitStr};

use super::key::Key;
use super::parse::{Arg, Value};
use super::ttl::{self, Ttl};
use super::{Args, Lock, Namespaces, OnError, Policy};
use crate::errors::Errors;

/// The policies, by the name `policy = "..."` gives them.
const POLICIES: [(&str, Policy); 3] = [
    ("inputs", Policy::Inputs),
    ("task_source", Policy::TaskSource),
    ("no_cache", Policy::NoCache),
];

/// The namespace scopes, by the name `namespaces = "..."` gives them.
const NAMESPACES: [(&str, Namespaces); 2] = [
    ("isolated", Namespaces::Isolated),
    ("shared", Namespaces::Shared),
];

/// What a failing body may do, by the name `on_error = "..."` gives it.
const ON_ERROR: [(&str, OnError); 3] = [
    ("fail", OnError::Fail),
    ("stale", OnError::Stale),
    ("stale_always", OnError::StaleAlways),
];

/// The default TTL when none is given: long enough to matter, short enough that a forgotten TTL
/// cannot grow a Redis database forever.
const DEFAULT_TTL: Ttl = Ttl::Millis(86_400_000);
/// How long a lease lasts between renewals unless `lock_ttl` says otherwise.
const DEFAULT_LOCK_TTL_MILLIS: u64 = 30_000;
/// How long a caller waits for another's result unless `lock_wait` says otherwise.
const DEFAULT_LOCK_WAIT_MILLIS: u64 = 300_000;

/// Checks the arguments in the order they are written, then the ones that conflict.
pub(crate) fn validate(
    parsed: Vec<syn::Result<Arg>>,
    inputs: Option<&[&Ident]>,
    errors: &mut Errors,
) -> Args {
    let mut args = Args {
        policy: Policy::Inputs,
        ttl: DEFAULT_TTL,
        exclude: Vec::new(),
        version: String::new(),
        backend: None,
        namespaces: Namespaces::Isolated,
        lock: None,
        stale_millis: None,
        on_error: OnError::Fail,
    };
    let mut lock = Lock {
        lease_millis: DEFAULT_LOCK_TTL_MILLIS,
        wait_millis: DEFAULT_LOCK_WAIT_MILLIS,
    };
    let mut lock_enabled = true;
    // The first occurrence of each key given.
    let mut given: Vec<Arg> = Vec::new();
    for arg in parsed {
        let arg = match arg {
            Ok(arg) => arg,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        if let Some(first) = given.iter().find(|first| first.key == arg.key) {
            let mut error = syn::Error::new(arg.ident.span(), format!("duplicate `{}`", arg.ident));
            error.combine(syn::Error::new(first.ident.span(), "first given here"));
            errors.push(error);
            continue;
        }
        match (arg.key, &arg.value) {
            (Key::Policy, Value::Str(lit)) => match named(lit, &POLICIES, Key::Policy) {
                Ok(policy) => args.policy = policy,
                Err(error) => errors.push(error),
            },
            (Key::Ttl, Value::Str(lit)) => match ttl::parse(&lit.value()) {
                Ok(ttl) => args.ttl = ttl,
                Err(error) => errors.push(invalid_duration(Key::Ttl, lit, &error)),
            },
            (Key::Version, Value::Str(lit)) => {
                args.version = lit.value();
                if args.version.is_empty() {
                    errors.push(syn::Error::new(
                        lit.span(),
                        "`version` must not be empty; use a label such as `version = \"2\"`",
                    ));
                }
            }
            (Key::Exclude, Value::Names(names)) => {
                for name in names {
                    match exclusion(name, inputs, &args.exclude) {
                        Ok(()) => args.exclude.push(name.clone()),
                        Err(error) => errors.push(error),
                    }
                }
            }
            (Key::Backend, Value::Expr(expr)) => args.backend = Some((**expr).clone()),
            (Key::Namespaces, Value::Str(lit)) => match named(lit, &NAMESPACES, Key::Namespaces) {
                Ok(namespaces) => args.namespaces = namespaces,
                Err(error) => errors.push(error),
            },
            (Key::Lock, Value::Bool(lit)) => lock_enabled = lit.value,
            (key @ (Key::LockTtl | Key::LockWait), Value::Str(lit)) => {
                match lock_duration(key, lit) {
                    Ok(millis) if key == Key::LockTtl => lock.lease_millis = millis,
                    Ok(millis) => lock.wait_millis = millis,
                    Err(error) => errors.push(error),
                }
            }
            (Key::Stale, Value::Str(lit)) => match finite_duration(Key::Stale, lit) {
                Ok(millis) => args.stale_millis = Some(millis),
                Err(error) => errors.push(error),
            },
            (Key::OnError, Value::Str(lit)) => match named(lit, &ON_ERROR, Key::OnError) {
                Ok(on_error) => args.on_error = on_error,
                Err(error) => errors.push(error),
            },
            (key, _) => unreachable!(
                "the parser reads `{}` in the syntax of its table entry",
                key.name()
            ),
        }
        given.push(arg);
    }

    if lock_enabled {
        args.lock = Some(lock);
    } else {
        for arg in &given {
            if matches!(arg.key, Key::LockTtl | Key::LockWait) {
                errors.push(syn::Error::new(
                    arg.ident.span(),
                    format!(
                        "`{}` has no effect with `lock = false`; remove it",
                        arg.ident
                    ),
                ));
            }
        }
    }

    let given_arg = |key: Key| given.iter().find(|arg| arg.key == key);
    if args.policy != Policy::NoCache {
        if let (Some(stale), Ttl::Never) = (given_arg(Key::Stale), args.ttl) {
            errors.push(syn::Error::new(
                stale.ident.span(),
                "`stale` has no effect with ttl = \"never\": entries never turn stale; remove \
                 `stale`, or give a finite `ttl`",
            ));
        }
        if let (Some(on_error), None) = (given_arg(Key::OnError), args.stale_millis)
            && args.on_error != OnError::Fail
        {
            errors.push(syn::Error::new(
                on_error.ident.span(),
                "`on_error` serves a stale value, so it needs `stale`: add a stale window such \
                 as `stale = \"10m\"` (how long after `ttl` an entry may still be served)",
            ));
        }
    }

    if args.policy == Policy::NoCache {
        for arg in given.iter().filter(|arg| arg.key != Key::Policy) {
            let key = &arg.ident;
            errors.push(syn::Error::new(
                key.span(),
                format!(
                    "`{key}` has no effect with policy = \"no_cache\": the body always runs and \
                     nothing is stored; remove `{key}`"
                ),
            ));
        }
    }
    args
}

/// The value `lit` names among the `known` values of `key`.
fn named<T: Copy>(lit: &LitStr, known: &[(&str, T)], key: Key) -> syn::Result<T> {
    let name = lit.value();
    if let Some((_, value)) = known.iter().find(|(known, _)| *known == name) {
        return Ok(*value);
    }
    let names: Vec<String> = known
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    let (last, rest) = names.split_last().expect("every key has values");
    let expected = if rest.is_empty() {
        last.clone()
    } else {
        format!("{} or {last}", rest.join(", "))
    };
    let key_name = key.name();
    Err(syn::Error::new(
        lit.span(),
        format!(
            "unknown {key_name} \"{name}\"; expected {expected}, as in `{key_name} = {}`",
            key.entry().example
        ),
    ))
}

/// Checks one name of `exclude = [...]` against the inputs and the names already excluded.
fn exclusion(name: &Ident, inputs: Option<&[&Ident]>, excluded: &[Ident]) -> syn::Result<()> {
    // Without a usable signature, names cannot be checked against the inputs.
    if let Some(inputs) = inputs
        && !inputs.contains(&name)
    {
        let known = if inputs.is_empty() {
            "the activity has no inputs".to_owned()
        } else {
            let names: Vec<String> = inputs.iter().map(|input| format!("`{input}`")).collect();
            format!("its inputs are {}", names.join(", "))
        };
        return Err(syn::Error::new(
            name.span(),
            format!("`{name}` is not an input of this activity; {known}"),
        ));
    }
    if excluded.contains(name) {
        return Err(syn::Error::new(
            name.span(),
            format!("`{name}` is excluded twice"),
        ));
    }
    Ok(())
}

/// The milliseconds of `lock_ttl` or `lock_wait`: finite, and for a lease long enough to renew.
fn lock_duration(key: Key, lit: &LitStr) -> syn::Result<u64> {
    match finite_duration(key, lit)? {
        millis if key == Key::LockTtl && millis < 3 => Err(syn::Error::new(
            lit.span(),
            format!(
                "`{}` must be at least 3ms: the lease is renewed every third of it",
                key.name()
            ),
        )),
        millis => Ok(millis),
    }
}

/// The milliseconds of a duration that must be finite (`lock_ttl`, `lock_wait`, `stale`).
fn finite_duration(key: Key, lit: &LitStr) -> syn::Result<u64> {
    match ttl::parse(&lit.value()) {
        Ok(Ttl::Millis(millis)) => Ok(millis),
        Ok(Ttl::Never) => Err(syn::Error::new(
            lit.span(),
            format!(
                "`{}` must be a finite duration, such as {}",
                key.name(),
                key.entry().example
            ),
        )),
        Err(error) => Err(invalid_duration(key, lit, &error)),
    }
}

fn invalid_duration(key: Key, lit: &LitStr, error: &ttl::TtlError) -> syn::Error {
    syn::Error::new(
        lit.span(),
        format!("invalid {}: {}", key.name(), error.describe(key)),
    )
}

#[cfg(test)]
mod tests {
    use proc_macro2::{Span, TokenStream};
    use quote::quote;

    use super::*;
    use crate::args::parse::parse;

    fn check(tokens: TokenStream, inputs: &[&str]) -> (Args, Vec<String>) {
        let inputs: Vec<Ident> = inputs
            .iter()
            .map(|name| Ident::new(name, Span::call_site()))
            .collect();
        let inputs: Vec<&Ident> = inputs.iter().collect();
        let mut errors = Errors::new();
        let args = validate(parse(tokens), Some(&inputs), &mut errors);
        let messages = match errors.into_result() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        };
        (args, messages)
    }

    #[test]
    fn no_arguments_are_the_defaults() {
        let (args, errors) = check(TokenStream::new(), &[]);
        assert!(errors.is_empty());
        assert_eq!(args.policy, Policy::Inputs);
        assert_eq!(args.ttl, DEFAULT_TTL);
        let lock = args.lock.unwrap();
        assert_eq!(
            (lock.lease_millis, lock.wait_millis),
            (DEFAULT_LOCK_TTL_MILLIS, DEFAULT_LOCK_WAIT_MILLIS)
        );
    }

    #[test]
    fn every_key_sets_its_value() {
        let (args, errors) = check(
            quote! {
                policy = "task_source", ttl = "never", exclude = [trace_id], version = "3",
                backend = &*BACKEND, namespaces = "shared", lock_ttl = "10s", lock_wait = "1m",
            },
            &["id", "trace_id"],
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.policy, Policy::TaskSource);
        assert_eq!(args.ttl, Ttl::Never);
        assert_eq!(args.exclude, ["trace_id"]);
        assert_eq!(args.version, "3");
        assert!(args.backend.is_some());
        assert_eq!(args.namespaces, Namespaces::Shared);
        let lock = args.lock.unwrap();
        assert_eq!((lock.lease_millis, lock.wait_millis), (10_000, 60_000));
        assert!(check(quote!(lock = false), &[]).0.lock.is_none());
    }

    #[test]
    fn errors_come_in_the_order_written_then_the_conflicts() {
        let (_, errors) = check(
            quote! {
                lock = false, policy = "sometimes", colour = "blue", ttl = "1y",
                exclude = [missing, id, id], lock_ttl = "2ms", ttl = "1h", version = "",
                namespaces = "everyone",
            },
            &["id"],
        );
        assert_eq!(
            errors,
            [
                "unknown policy \"sometimes\"; expected \"inputs\", \"task_source\" or \
                 \"no_cache\", as in `policy = \"inputs\"`",
                "unknown argument `colour`; #[cached_activity] takes `policy`, `ttl`, `exclude`, \
                 `version`, `backend`, `namespaces`, `lock`, `lock_ttl`, `lock_wait`, `stale` and \
                 `on_error`, as in #[cached_activity(policy = \"inputs\", ttl = \"1h\")]",
                "invalid ttl: unknown unit `y`; use ms, s, m, h or d",
                "`missing` is not an input of this activity; its inputs are `id`",
                "`id` is excluded twice",
                "`lock_ttl` must be at least 3ms: the lease is renewed every third of it",
                "duplicate `ttl`",
                "first given here",
                "`version` must not be empty; use a label such as `version = \"2\"`",
                "unknown namespaces \"everyone\"; expected \"isolated\" or \"shared\", as in \
                 `namespaces = \"shared\"`",
                "`lock_ttl` has no effect with `lock = false`; remove it",
            ]
        );
    }

    #[test]
    fn no_cache_rejects_every_other_key() {
        let (_, errors) = check(quote!(policy = "no_cache", ttl = "1h", lock = true), &[]);
        assert_eq!(
            errors,
            [
                "`ttl` has no effect with policy = \"no_cache\": the body always runs and nothing \
                 is stored; remove `ttl`",
                "`lock` has no effect with policy = \"no_cache\": the body always runs and \
                 nothing is stored; remove `lock`",
            ]
        );
    }

    #[test]
    fn stale_and_on_error_set_their_values() {
        let (args, errors) = check(
            quote!(ttl = "200ms", stale = "300ms", on_error = "stale"),
            &[],
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.stale_millis, Some(300));
        assert_eq!(args.on_error, OnError::Stale);
        let (args, errors) = check(quote!(stale = "1m", on_error = "stale_always"), &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.on_error, OnError::StaleAlways);
        let (args, errors) = check(quote!(on_error = "fail"), &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((args.stale_millis, args.on_error), (None, OnError::Fail));
    }

    #[test]
    fn stale_needs_a_finite_ttl_and_on_error_needs_stale() {
        let (_, errors) = check(
            quote!(ttl = "never", stale = "1m", on_error = "sometimes"),
            &[],
        );
        assert_eq!(
            errors,
            [
                "unknown on_error \"sometimes\"; expected \"fail\", \"stale\" or \
                 \"stale_always\", as in `on_error = \"stale\"`",
                "`stale` has no effect with ttl = \"never\": entries never turn stale; remove \
                 `stale`, or give a finite `ttl`",
            ]
        );
        let (_, errors) = check(quote!(on_error = "stale", stale = "never"), &[]);
        assert_eq!(
            errors,
            [
                "`stale` must be a finite duration, such as \"10m\"",
                "`on_error` serves a stale value, so it needs `stale`: add a stale window such as \
                 `stale = \"10m\"` (how long after `ttl` an entry may still be served)",
            ]
        );
        let (_, errors) = check(quote!(policy = "no_cache", stale = "1m"), &[]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`stale` has no effect with policy = \"no_cache\""));
    }

    #[test]
    fn lock_durations_must_be_finite() {
        let (_, errors) = check(quote!(lock_ttl = "never", lock_wait = "0s"), &[]);
        assert_eq!(
            errors,
            [
                "`lock_ttl` must be a finite duration, such as \"30s\"",
                "invalid lock_wait: a zero lock_wait would never wait for another caller; use a \
                 positive duration, or `lock = false`",
            ]
        );
    }
}
