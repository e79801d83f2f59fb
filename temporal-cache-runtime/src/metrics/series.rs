//! One series per activity type, namespace and task queue: its in-process tallies and its
//! instruments in each sink, found by its labels in a sharded table and made once.
//!
//! A series lives as long as the process: there is one per activity type, namespace and task
//! queue a worker serves, a small and fixed set, so the table only grows while a worker starts
//! serving. Finding one borrows the labels from the call's context, and allocates nothing.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::FallbackReason;
use super::core_meter::Binding;
#[cfg(feature = "metrics")]
use super::facade::Handles;
use super::instrument::{Count, Timed};
use super::labels::SeriesKey;
use super::stats::{SeriesStats, Tallies};

/// The metrics of the calls of one activity type in one namespace and task queue: what the
/// call pipeline records its events to.
pub(crate) struct Series {
    key: SeriesKey,
    tallies: Tallies,
    core: Binding,
    #[cfg(feature = "metrics")]
    facade: Handles,
}

impl Series {
    /// The series of `activity_type` in `namespace` and `task_queue`, made on first use.
    ///
    /// Every call asks for its series, so the last one a thread used is kept at hand: a worker
    /// thread mostly runs calls of a few activities, and comparing three short strings costs a
    /// hit less than hashing them and taking a shard's lock.
    pub(crate) fn of(activity_type: &str, namespace: &str, task_queue: &str) -> &'static Self {
        thread_local! {
            static LAST: Cell<Option<&'static Series>> = const { Cell::new(None) };
        }
        if let Some(series) = LAST.get()
            && series.key.is(activity_type, namespace, task_queue)
        {
            return series;
        }
        let series = Self::find_or_make(activity_type, namespace, task_queue);
        LAST.set(Some(series));
        series
    }

    fn find_or_make(activity_type: &str, namespace: &str, task_queue: &str) -> &'static Self {
        let hash = HASHER.hash_one((activity_type, namespace, task_queue));
        let shard = &SHARDS[usize::try_from(hash % SHARD_COUNT).unwrap_or(0)];
        let found = |table: &Table| {
            table.get(&hash).and_then(|series| {
                series
                    .iter()
                    .copied()
                    .find(|series| series.key.is(activity_type, namespace, task_queue))
            })
        };
        if let Some(series) = found(&shard.read().unwrap_or_else(PoisonError::into_inner)) {
            return series;
        }
        let mut table = shard.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = found(&table) {
            return series;
        }
        let key = SeriesKey {
            activity_type: activity_type.into(),
            namespace: namespace.into(),
            task_queue: task_queue.into(),
        };
        // Kept for the life of the process: see the module's documentation.
        let series: &'static Self = Box::leak(Box::new(Self {
            #[cfg(feature = "metrics")]
            facade: Handles::new(&key),
            key,
            tallies: Tallies::new(),
            core: Binding::new(),
        }));
        table.entry(hash).or_default().push(series);
        series
    }

    /// A call served a stored result.
    pub(crate) fn hit(&self) {
        self.count(Count::Hits, 1);
    }

    /// A call found no entry and runs its body.
    pub(crate) fn miss(&self) {
        self.count(Count::Misses, 1);
    }

    /// A call's result, `bytes` long, was written.
    pub(crate) fn stored(&self, bytes: usize) {
        self.count(Count::Stores, 1);
        self.count(Count::BytesWritten, as_u64(bytes));
    }

    /// A call's result was not written for being too large.
    pub(crate) fn store_skipped(&self) {
        self.count(Count::StoresSkipped, 1);
    }

    /// An entry `bytes` long was read from the backend.
    pub(crate) fn read(&self, bytes: usize) {
        self.count(Count::BytesRead, as_u64(bytes));
    }

    /// One read of the backend took `took`.
    pub(crate) fn looked_up(&self, took: Duration) {
        self.time(Timed::Lookup, took);
    }

    /// A call waited `took` for an identical call's result.
    pub(crate) fn lease_waited(&self, took: Duration) {
        self.count(Count::LeaseWaits, 1);
        self.time(Timed::LeaseWait, took);
    }

    /// A waiting call took the lease over from a holder that released it or died.
    pub(crate) fn took_over(&self) {
        self.count(Count::Takeovers, 1);
    }

    /// The body of a call that missed ran for `took`.
    pub(crate) fn body_ran(&self, took: Duration) {
        self.time(Timed::Body, took);
    }

    /// A cache operation failed for `reason` and the call went on without it.
    pub(crate) fn fallback(&self, reason: FallbackReason) {
        self.tallies.fallback(reason);
        self.core.fallback(&self.key, reason);
        #[cfg(feature = "metrics")]
        self.facade.fallback(reason);
    }

    fn count(&self, count: Count, amount: u64) {
        self.tallies.count(count, amount);
        self.core.count(&self.key, count, amount);
        #[cfg(feature = "metrics")]
        self.facade.count(count, amount);
    }

    fn time(&self, timed: Timed, took: Duration) {
        self.tallies.time(timed, took);
        self.core.time(&self.key, timed, took);
        #[cfg(feature = "metrics")]
        self.facade.time(timed, took);
    }

    fn stats(&self) -> SeriesStats {
        SeriesStats::new(
            &self.key.activity_type,
            &self.key.namespace,
            &self.key.task_queue,
            self.tallies.snapshot(),
        )
    }
}

/// A call's wait for another call's result on the backend's lease: timed from [`begin`] until
/// it is dropped, whichever way the wait ends.
///
/// [`begin`]: Self::begin
pub(crate) struct LeaseWait {
    series: &'static Series,
    since: Option<Instant>,
}

impl LeaseWait {
    /// A wait of a call of `series` that has not begun.
    pub(crate) fn of(series: &'static Series) -> Self {
        Self {
            series,
            since: None,
        }
    }

    /// The call found the lease held: it waits from now on (if it did not already).
    pub(crate) fn begin(&mut self) {
        self.since.get_or_insert_with(Instant::now);
    }

    /// Whether the call has waited.
    pub(crate) fn began(&self) -> bool {
        self.since.is_some()
    }
}

impl Drop for LeaseWait {
    fn drop(&mut self) {
        if let Some(since) = self.since {
            self.series.lease_waited(since.elapsed());
        }
    }
}

fn as_u64(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// Every series' snapshot.
pub(super) fn all_stats() -> Vec<SeriesStats> {
    SHARDS
        .iter()
        .flat_map(|shard| {
            let table = shard.read().unwrap_or_else(PoisonError::into_inner);
            table
                .values()
                .flatten()
                .map(|series| series.stats())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Series by the hash of their labels (hashes rarely collide; those that do share a list).
type Table = HashMap<u64, Vec<&'static Series>, BuildHasherDefault<Prehashed>>;

const SHARD_COUNT: u64 = 16;

static SHARDS: LazyLock<[RwLock<Table>; 16]> =
    LazyLock::new(|| std::array::from_fn(|_| RwLock::new(Table::default())));

/// Hashes the labels once, with a key of this process.
static HASHER: LazyLock<RandomState> = LazyLock::new(RandomState::new);

/// The table's keys are hashes already: use them as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_labels_find_the_same_series() {
        let a = Series::of("Series::same", "default", "queue");
        let b = Series::of(&String::from("Series::same"), "default", "queue");
        assert!(std::ptr::eq(a, b));
        for other in [
            Series::of("Series::same", "other", "queue"),
            Series::of("Series::same", "default", "other"),
            Series::of("Series::sam", "edefault", "queue"),
        ] {
            assert!(!std::ptr::eq(a, other));
        }
    }

    #[test]
    fn a_lease_wait_counts_once_it_began_and_when_it_ends() {
        let series = Series::of("Series::waited", "ns", "q");
        drop(LeaseWait::of(series));
        let mut wait = LeaseWait::of(series);
        assert!(!wait.began());
        wait.begin();
        std::thread::sleep(Duration::from_millis(2));
        wait.begin();
        assert!(wait.began());
        assert_eq!(
            series.tallies.snapshot().lease_waits,
            0,
            "not before it ends"
        );
        drop(wait);
        let counts = series.tallies.snapshot();
        assert_eq!(counts.lease_waits, 1);
        assert!(counts.lease_wait_time >= Duration::from_millis(2));
    }

    #[test]
    fn every_series_is_in_the_snapshot() {
        Series::of("Series::listed", "ns", "q1").hit();
        Series::of("Series::listed", "ns", "q2").miss();
        let stats = all_stats();
        let listed: Vec<_> = stats
            .iter()
            .filter(|series| series.activity_type == "Series::listed")
            .map(|series| {
                (
                    series.task_queue.as_str(),
                    series.counts.hits,
                    series.counts.misses,
                )
            })
            .collect();
        assert_eq!(listed.len(), 2);
        assert!(listed.contains(&("q1", 1, 0)));
        assert!(listed.contains(&("q2", 0, 1)));
    }
}
