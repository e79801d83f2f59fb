//! The figures temporal-cache must reach, shown beside the measurements (never asserted: the
//! machine is too noisy for a bench to fail a build).

use std::time::Duration;

/// A hit may cost at most this much more than the bare GET it makes (p50 over p50).
pub(crate) const HIT_P50_MAX_RATIO: f64 = 1.1;

/// A 233 B hit with built-in encryption may cost at most this much more than the bare GET of the
/// same value unencrypted.
pub(crate) const ENCRYPTED_HIT_P50_MAX_RATIO: f64 = 1.15;

/// A 100 KB hit with compression may cost at most this much more than the bare GET of the same
/// value uncompressed.
pub(crate) const COMPRESSED_HIT_P50_MAX_RATIO: f64 = 1.1;

/// A hit recording the cache's metrics to a Temporal meter may cost at most this much more than
/// one without a meter (p50 over p50).
pub(crate) const METRICS_HIT_P50_MAX_RATIO: f64 = 1.02;

/// A workflow whose cached activity hits through `execute_cached!`, against a workflow with no
/// activity at all: the lookup must cost (almost) nothing.
pub(crate) const HELPER_HIT_WALL_MAX_RATIO: f64 = 1.1;

/// A workflow whose cached activity misses through `execute_cached!`, against the same miss
/// through the plain call: the failed lookup must cost (almost) nothing.
pub(crate) const HELPER_MISS_WALL_MAX_RATIO: f64 = 1.05;

/// Hits from many tasks must reach this share of the bare GET rate with as many tasks.
pub(crate) const CONCURRENT_HITS_MIN_RATIO: f64 = 0.9;

/// A hit served from the near cache may take at most this share of a bare GET (p50 over p50).
pub(crate) const NEAR_HIT_P50_MAX_RATIO: f64 = 0.05;

/// With `stale`, every caller of an entry that has just turned stale but the one refreshing it
/// must return within this long.
pub(crate) const STALE_MAX_WAIT: Duration = Duration::from_millis(2);

/// Identical concurrent calls must run the body this many times in all.
pub(crate) const FLIGHT_MAX_BODY_RUNS: usize = 1;

/// ... and the last of them must return at most this long after the body ended.
pub(crate) const FLIGHT_MAX_RETURN_LAG: Duration = Duration::from_millis(10);

/// A body longer than its lease must still run once for concurrent callers.
pub(crate) const LONG_BODY_MAX_RUNS: usize = 1;

/// An uncontended miss may take at most this many Redis round trips.
pub(crate) const MISS_MAX_ROUND_TRIPS: f64 = 3.0;

/// With Redis down and the circuit open, a cached call may add at most this much at p99 over the
/// same body uncached.
pub(crate) const FAULT_OPEN_MAX_P99_OVERHEAD: Duration = Duration::from_millis(1);

/// Before the circuit opens, a call with Redis down may take at most this many operation timeouts
/// (its lookup's: a call whose lookup could not reach Redis does not try to store).
pub(crate) const FAULT_FIRST_CALL_MAX_TIMEOUTS: u32 = 1;

/// After Redis comes back, the first hit must come within the breaker's cool-down plus this many
/// operation timeouts (the probe's).
pub(crate) const FAULT_RECOVERY_MAX_TIMEOUTS: u32 = 1;

/// Whether a figure reached its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Met,
    NotMet,
}

impl Verdict {
    pub(crate) fn of(met: bool) -> Self {
        if met { Self::Met } else { Self::NotMet }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not met",
        }
    }
}
