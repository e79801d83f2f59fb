//! The compile-time settings of one cached activity, as `#[cached_activity]` emits them.

use std::time::Duration;

use crate::outcome::Failure;

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
    /// How long an entry is kept and served stale after `ttl` ends (`stale`); `None` when
    /// entries are not served stale.
    pub stale: Option<Duration>,
    /// What a call whose body fails does when it holds a stale value (`on_error`).
    pub on_error: OnError,
}

impl CacheSpec {
    /// How long the backend keeps an entry: its `ttl`, and its stale window after it.
    pub(crate) fn stored_ttl(&self) -> Option<Duration> {
        self.ttl.map(|ttl| ttl + self.stale.unwrap_or_default())
    }

    /// For an entry stored now: until when it is fresh, in milliseconds since the Unix epoch, if
    /// it has a stale window (`None` otherwise: it is fresh as long as it exists).
    pub(crate) fn fresh_until_from_now(&self) -> Option<u64> {
        self.stale?;
        let ttl = u64::try_from(self.ttl?.as_millis()).unwrap_or(u64::MAX);
        Some(now_millis().saturating_add(ttl))
    }

    /// Whether an entry fresh until `fresh_until` must be served as stale now.
    pub(crate) fn is_stale(&self, fresh_until: Option<u64>) -> bool {
        self.stale.is_some()
            && fresh_until.is_some_and(|until| matches!(Freshness::now(until), Freshness::Stale(_)))
    }
}

/// Which side of its freshness deadline an entry with a stale window (`stale = ...`) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Served as it is for this long more.
    Fresh(Duration),
    /// Past its deadline by this long: served stale while one call refreshes it.
    Stale(Duration),
}

impl Freshness {
    /// The freshness, at `now`, of an entry fresh until `until` (both in milliseconds since the
    /// Unix epoch): stale from the deadline on.
    pub(crate) fn at(until: u64, now: u64) -> Self {
        if now < until {
            Self::Fresh(Duration::from_millis(until - now))
        } else {
            Self::Stale(Duration::from_millis(now - until))
        }
    }

    /// The freshness now of an entry fresh until `until` (milliseconds since the Unix epoch).
    pub(crate) fn now(until: u64) -> Self {
        Self::at(until, now_millis())
    }
}

/// Milliseconds since the Unix epoch: the freshness deadlines of entries are wall-clock times,
/// since every worker that reads an entry compares it with its own clock.
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

impl OnError {
    /// Whether a body that failed with `failure` is answered with the stale value.
    pub(crate) fn serves_stale(self, failure: Failure) -> bool {
        match self {
            Self::Fail => false,
            Self::Stale => failure == Failure::Retryable,
            Self::StaleAlways => true,
        }
    }
}

/// What a call whose body fails does when it found a stale value.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// The error reaches the caller (the default).
    Fail,
    /// `on_error = "stale"`: a retryable failure is answered with the stale value.
    Stale,
    /// `on_error = "stale_always"`: any failure, non-retryable ones included, is answered with
    /// the stale value.
    StaleAlways,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_stale_from_its_deadline_on() {
        assert_eq!(
            Freshness::at(10_000, 4_000),
            Freshness::Fresh(Duration::from_secs(6))
        );
        assert_eq!(
            Freshness::at(10_000, 9_999),
            Freshness::Fresh(Duration::from_millis(1))
        );
        assert_eq!(
            Freshness::at(10_000, 10_000),
            Freshness::Stale(Duration::ZERO)
        );
        assert_eq!(
            Freshness::at(10_000, 70_000),
            Freshness::Stale(Duration::from_secs(60))
        );
    }
}
