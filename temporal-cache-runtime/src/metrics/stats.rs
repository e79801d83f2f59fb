//! The in-process side of the metrics: atomic tallies per series, always kept (a few relaxed
//! atomic additions per call), and the snapshot [`cache_stats`](super::cache_stats) copies them
//! into, for tests and for services with a status page of their own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::FallbackReason;
use super::instrument::{Count, Timed};

/// One series' running tallies.
pub(super) struct Tallies {
    counts: [AtomicU64; Count::ALL.len()],
    fallbacks: [AtomicU64; FallbackReason::ALL.len()],
    /// Per timing: how many were recorded, and their total in nanoseconds.
    times: [(AtomicU64, AtomicU64); Timed::ALL.len()],
}

impl Tallies {
    pub(super) fn new() -> Self {
        Self {
            counts: Default::default(),
            fallbacks: Default::default(),
            times: Default::default(),
        }
    }

    pub(super) fn count(&self, count: Count, amount: u64) {
        self.counts[count.index()].fetch_add(amount, Ordering::Relaxed);
    }

    pub(super) fn fallback(&self, reason: FallbackReason) {
        self.fallbacks[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn time(&self, timed: Timed, took: Duration) {
        let (count, nanos) = &self.times[timed.index()];
        count.fetch_add(1, Ordering::Relaxed);
        nanos.fetch_add(
            u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The tallies as they are now. (Each is read on its own: a call recorded meanwhile may show
    /// in some and not yet in others.)
    pub(super) fn snapshot(&self) -> Counts {
        let count = |count: Count| self.counts[count.index()].load(Ordering::Relaxed);
        let time = |timed: Timed| {
            let (count, nanos) = &self.times[timed.index()];
            (
                count.load(Ordering::Relaxed),
                Duration::from_nanos(nanos.load(Ordering::Relaxed)),
            )
        };
        let (lookups, lookup_time) = time(Timed::Lookup);
        let (_, lease_wait_time) = time(Timed::LeaseWait);
        let (body_runs, body_time) = time(Timed::Body);
        Counts {
            hits: count(Count::Hits),
            misses: count(Count::Misses),
            stores: count(Count::Stores),
            stores_skipped: count(Count::StoresSkipped),
            fallbacks: Fallbacks(
                FallbackReason::ALL
                    .map(|reason| self.fallbacks[reason.index()].load(Ordering::Relaxed)),
            ),
            lease_waits: count(Count::LeaseWaits),
            lease_wait_time,
            takeovers: count(Count::Takeovers),
            bytes_read: count(Count::BytesRead),
            bytes_written: count(Count::BytesWritten),
            lookups,
            lookup_time,
            body_runs,
            body_time,
        }
    }
}

/// A snapshot of the cache's counters in this process, from
/// [`cache_stats`](super::cache_stats): per series (activity type, namespace and task queue),
/// and their total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Every series, in this process, since it started.
    pub total: Counts,
    /// One entry per activity type, namespace and task queue that made a cached call, sorted by
    /// them.
    pub series: Vec<SeriesStats>,
}

impl CacheStats {
    /// The counters of one activity type in one namespace and task queue, if it made a call.
    pub fn series(
        &self,
        activity_type: &str,
        namespace: &str,
        task_queue: &str,
    ) -> Option<&Counts> {
        self.series
            .iter()
            .find(|series| {
                series.activity_type == activity_type
                    && series.namespace == namespace
                    && series.task_queue == task_queue
            })
            .map(|series| &series.counts)
    }

    /// The counters of one activity type, over every namespace and task queue (all zero if it
    /// made no call).
    pub fn activity(&self, activity_type: &str) -> Counts {
        let mut counts = Counts::default();
        for series in &self.series {
            if series.activity_type == activity_type {
                counts.add(&series.counts);
            }
        }
        counts
    }

    pub(super) fn from_series(mut series: Vec<SeriesStats>) -> Self {
        series.sort_by(|a, b| {
            (&a.activity_type, &a.namespace, &a.task_queue).cmp(&(
                &b.activity_type,
                &b.namespace,
                &b.task_queue,
            ))
        });
        let mut total = Counts::default();
        for one in &series {
            total.add(&one.counts);
        }
        Self { total, series }
    }
}

/// The counters of one activity type in one namespace and task queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeriesStats {
    /// The registered Temporal activity type.
    pub activity_type: String,
    /// The Temporal namespace.
    pub namespace: String,
    /// The task queue the activity ran from.
    pub task_queue: String,
    /// Its counters.
    pub counts: Counts,
}

impl SeriesStats {
    pub(super) fn new(
        activity_type: &str,
        namespace: &str,
        task_queue: &str,
        counts: Counts,
    ) -> Self {
        Self {
            activity_type: activity_type.to_owned(),
            namespace: namespace.to_owned(),
            task_queue: task_queue.to_owned(),
            counts,
        }
    }
}

/// The cache's counters for some set of calls; see the crate's metrics table for what each
/// counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Calls served a stored result (`temporal_cache_hits`).
    pub hits: u64,
    /// Calls that found no entry and ran the body (`temporal_cache_misses`).
    pub misses: u64,
    /// Results written (`temporal_cache_stores`).
    pub stores: u64,
    /// Results not written for being too large (`temporal_cache_stores_skipped`).
    pub stores_skipped: u64,
    /// Operations the calls went on without, by reason (`temporal_cache_fallbacks`).
    pub fallbacks: Fallbacks,
    /// Calls that waited for an identical call's result (`temporal_cache_lease_waits`).
    pub lease_waits: u64,
    /// The time they waited, in all.
    pub lease_wait_time: Duration,
    /// Waiting calls that took a lease over (`temporal_cache_takeovers`).
    pub takeovers: u64,
    /// Bytes of entries read (`temporal_cache_bytes_read`).
    pub bytes_read: u64,
    /// Bytes of entries written (`temporal_cache_bytes_written`).
    pub bytes_written: u64,
    /// Reads of the backend timed (`temporal_cache_lookup_latency`).
    pub lookups: u64,
    /// Their time, in all.
    pub lookup_time: Duration,
    /// Successful bodies the cache ran, timed (`temporal_cache_body_latency`).
    pub body_runs: u64,
    /// Their time, in all.
    pub body_time: Duration,
}

impl Counts {
    /// Hits over hits and misses: the share of calls the cache could answer that it served;
    /// `None` before the first of either.
    pub fn hit_ratio(&self) -> Option<f64> {
        let answered = self.hits + self.misses;
        #[allow(
            clippy::cast_precision_loss,
            reason = "a ratio: counts beyond 2^53 lose digits no reader needs"
        )]
        (answered > 0).then(|| self.hits as f64 / answered as f64)
    }

    /// The body time that hits saved, estimated as hits times the mean body time of misses;
    /// `None` before a body was timed.
    pub fn time_saved(&self) -> Option<Duration> {
        let mean = self
            .body_time
            .checked_div(u32::try_from(self.body_runs).ok()?)?;
        Some(mean.saturating_mul(u32::try_from(self.hits).unwrap_or(u32::MAX)))
    }

    fn add(&mut self, other: &Self) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.stores += other.stores;
        self.stores_skipped += other.stores_skipped;
        for (total, more) in self.fallbacks.0.iter_mut().zip(other.fallbacks.0) {
            *total += more;
        }
        self.lease_waits += other.lease_waits;
        self.lease_wait_time += other.lease_wait_time;
        self.takeovers += other.takeovers;
        self.bytes_read += other.bytes_read;
        self.bytes_written += other.bytes_written;
        self.lookups += other.lookups;
        self.lookup_time += other.lookup_time;
        self.body_runs += other.body_runs;
        self.body_time += other.body_time;
    }
}

/// Fallbacks counted by [`FallbackReason`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fallbacks([u64; FallbackReason::ALL.len()]);

impl Fallbacks {
    /// How many fell back for `reason`.
    pub fn get(&self, reason: FallbackReason) -> u64 {
        self.0[reason.index()]
    }

    /// How many fell back, for any reason.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Each reason with its count, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (FallbackReason, u64)> + '_ {
        FallbackReason::ALL
            .into_iter()
            .map(|reason| (reason, self.get(reason)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_shows_what_was_tallied() {
        let tallies = Tallies::new();
        tallies.count(Count::Hits, 1);
        tallies.count(Count::Hits, 1);
        tallies.count(Count::BytesRead, 40);
        tallies.fallback(FallbackReason::Timeout);
        tallies.time(Timed::Lookup, Duration::from_micros(3));
        tallies.time(Timed::Lookup, Duration::from_micros(5));
        let counts = tallies.snapshot();
        assert_eq!((counts.hits, counts.misses, counts.bytes_read), (2, 0, 40));
        assert_eq!(counts.fallbacks.get(FallbackReason::Timeout), 1);
        assert_eq!(counts.fallbacks.total(), 1);
        assert_eq!(
            (counts.lookups, counts.lookup_time),
            (2, Duration::from_micros(8))
        );
    }

    #[test]
    fn totals_and_activities_sum_their_series() {
        let one = |hits, misses| Counts {
            hits,
            misses,
            ..Counts::default()
        };
        let stats = CacheStats::from_series(vec![
            SeriesStats::new("B::b", "default", "q1", one(5, 0)),
            SeriesStats::new("A::a", "default", "q2", one(1, 1)),
            SeriesStats::new("A::a", "default", "q1", one(2, 1)),
        ]);
        assert_eq!(
            stats
                .series
                .iter()
                .map(|s| (&*s.activity_type, &*s.task_queue))
                .collect::<Vec<_>>(),
            [("A::a", "q1"), ("A::a", "q2"), ("B::b", "q1")]
        );
        assert_eq!((stats.total.hits, stats.total.misses), (8, 2));
        assert_eq!(stats.activity("A::a"), one(3, 2));
        assert_eq!(stats.activity("C::c"), Counts::default());
        assert_eq!(stats.series("A::a", "default", "q2"), Some(&one(1, 1)));
        assert_eq!(stats.series("A::a", "other", "q2"), None);
    }

    #[test]
    fn ratio_and_time_saved_need_something_to_divide_by() {
        let mut counts = Counts::default();
        assert_eq!(counts.hit_ratio(), None);
        assert_eq!(counts.time_saved(), None);
        counts.hits = 3;
        counts.misses = 1;
        counts.body_runs = 2;
        counts.body_time = Duration::from_millis(30);
        assert_eq!(counts.hit_ratio(), Some(0.75));
        assert_eq!(counts.time_saved(), Some(Duration::from_millis(45)));
    }
}
