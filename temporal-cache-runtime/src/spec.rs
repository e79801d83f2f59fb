//! The compile-time settings of one cached activity, as `#[cached_activity]` emits them.

use std::time::Duration;

/// What `#[cached_activity(...)]` decided about an activity, fixed at compile time.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct CacheSpec {
    /// How long an entry lives; `None` for `ttl = "never"`.
    pub ttl: Option<Duration>,
    /// The `version` salt (empty when not given).
    pub version: &'static str,
    /// For `policy = "task_source"`: the blake3 hash of the activity's tokens.
    pub source_hash: Option<[u8; 32]>,
    /// Single-flight settings; `None` for `lock = false`.
    pub lock: Option<LockSpec>,
    /// Whether entries are kept per Temporal namespace (the default) or shared by all of them.
    pub namespaces: Namespaces,
}

/// Whose entries a call may be served: its own namespace's, or every namespace's.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespaces {
    /// The Temporal namespace is part of the key: a namespace is served only what it stored.
    Isolated,
    /// `namespaces = "shared"`: one entry serves every namespace.
    Shared,
}

/// How identical concurrent calls wait for one another.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct LockSpec {
    /// How long a lease lasts without renewal (`lock_ttl`). The holder renews it every third of
    /// this while its body runs; a holder that dies is taken over after at most this long.
    pub lease: Duration,
    /// How long a caller waits for another's result (`lock_wait`) before running the body itself.
    pub wait: Duration,
}
