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
}
