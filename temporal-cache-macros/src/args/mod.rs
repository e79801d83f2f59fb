//! The arguments of `#[cached_activity(...)]`: read, then checked, from one table of keys.
//!
//! Like thiserror-impl's `attr.rs` then `valid.rs`: [`parse`] reads each `key = value` in the
//! syntax [`key`]'s table gives the key, and [`validate`] gives the values their meaning and
//! checks them against each other and against the function. Every problem found is reported,
//! each on the token that caused it, in the order they are written.

mod key;
mod parse;
mod ttl;
mod validate;

use proc_macro2::TokenStream;
use syn::{Expr, Ident};

use crate::errors::Errors;

pub(crate) use self::ttl::Ttl;

/// How an activity's entry is keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// By the activity type and the inputs.
    Inputs,
    /// As `Inputs`, plus a hash of the function's code.
    TaskSource,
    /// Not cached: the body always runs.
    NoCache,
}

/// Whose entries a call may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespaces {
    /// Each Temporal namespace has its own entries (the default).
    Isolated,
    /// `namespaces = "shared"`: every namespace shares one entry.
    Shared,
}

/// What a call does when its body fails and the entry it found has turned stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnError {
    /// The error reaches the caller (the default).
    Fail,
    /// `on_error = "stale"`: a retryable error is answered with the stale value.
    Stale,
    /// `on_error = "stale_always"`: any failure, non-retryable ones included, is answered with
    /// the stale value.
    StaleAlways,
}

/// Validated arguments.
pub(crate) struct Args {
    pub(crate) policy: Policy,
    pub(crate) ttl: Ttl,
    pub(crate) exclude: Vec<Ident>,
    pub(crate) version: String,
    pub(crate) backend: Option<Expr>,
    pub(crate) namespaces: Namespaces,
    /// Single-flight: lease length and wait bound; `None` for `lock = false`.
    pub(crate) lock: Option<Lock>,
    /// How long an entry is kept and served stale after its `ttl`, in milliseconds.
    pub(crate) stale_millis: Option<u64>,
    pub(crate) on_error: OnError,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Lock {
    pub(crate) lease_millis: u64,
    pub(crate) wait_millis: u64,
}

/// Reads and checks the attribute's tokens. `inputs` are the names of the activity's inputs, for
/// `exclude`, when the signature could be read.
pub(crate) fn read(tokens: TokenStream, inputs: Option<&[&Ident]>, errors: &mut Errors) -> Args {
    validate::validate(parse::parse(tokens), inputs, errors)
}
