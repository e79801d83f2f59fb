//! The cache's metrics: hits, misses, stores, fallbacks, lease waits and their timings, per
//! activity type, namespace and task queue.
//!
//! They are always counted in process ([`cache_stats`] returns a snapshot), and recorded to the
//! worker's own Temporal meter once [`set_meter`] is given it, the `CoreMeter` the worker's
//! `TelemetryOptions` were given: the cache's metrics are then on the worker's Prometheus
//! endpoint or OTLP pipeline, beside the SDK's. With the cargo feature `metrics` they also go to
//! the [`metrics`](https://docs.rs/metrics) crate's facade.
//!
//! | metric | kind | counts |
//! |---|---|---|
//! | `temporal_cache_hits` | counter | calls served a stored result (the body did not run) |
//! | `temporal_cache_misses` | counter | calls that found no entry and ran the body |
//! | `temporal_cache_fallbacks` | counter, by `reason` | cache operations that failed and were gone around (see [`FallbackReason`]) |
//! | `temporal_cache_stores` | counter | results written |
//! | `temporal_cache_stores_skipped` | counter | results not written for being larger than the backend stores |
//! | `temporal_cache_lease_waits` | counter | calls that waited for an identical call's result |
//! | `temporal_cache_takeovers` | counter | waiting calls that took the lease over from a holder that released it or died |
//! | `temporal_cache_bytes_read` | counter | bytes of entries read |
//! | `temporal_cache_bytes_written` | counter | bytes of entries written |
//! | `temporal_cache_lookup_latency` | histogram | one read of the backend |
//! | `temporal_cache_lease_wait_latency` | histogram | one wait for an identical call's result |
//! | `temporal_cache_body_latency` | histogram | a successful body's run by the cache (a miss or a fallback): what a hit saves |
//!
//! A Redis backend's near cache exports its figures too, labelled `key_prefix` (the backend's):
//! its tracking task exports them once a second, so a near hit stays one atomic addition.
//!
//! | metric | kind | counts |
//! |---|---|---|
//! | `temporal_cache_near_hits` | counter | reads served from process memory |
//! | `temporal_cache_near_misses` | counter | reads passed on to Redis |
//! | `temporal_cache_near_invalidations` | counter | copies dropped because Redis reported their key changed |
//! | `temporal_cache_near_resets` | counter | times the near cache was emptied because tracking stopped |
//! | `temporal_cache_near_entries` | gauge | copies held |
//! | `temporal_cache_near_bytes` | gauge | bytes held (keys, values, a per-entry overhead) |
//! | `temporal_cache_near_max_bytes` | gauge | the bound given to `with_near_cache` |
//! | `temporal_cache_near_tracking` | gauge | 1 while the tracking connection is up, else 0 |
//!
//! Every other metric has the labels `activity_type`, `namespace` and `task_queue`, as the SDK's
//! own activity metrics do. Each call is one hit, one miss or one fallback of its lookup; a miss
//! may then count a fallback of its store too (a result that cannot be encoded, a store that
//! fails).
//! The histograms are in the meter's duration unit: milliseconds by default, seconds with the
//! Prometheus exporter's `use_seconds_for_durations`, like the SDK's `..._latency` histograms.
//!
//! Recording costs a hit a few atomic additions, and with a meter, the meter's own increments:
//! each series binds its instruments once (see `scripts/bench`, which measures it).
//!
//! ```
//! let stats = temporal_cache_runtime::cache_stats();
//! println!("{} hits, {} misses", stats.total.hits, stats.total.misses);
//! for series in &stats.series {
//!     let ratio = series.counts.hit_ratio().unwrap_or(0.0);
//!     println!("{} on {}: {:.0}% hits", series.activity_type, series.task_queue, ratio * 100.0);
//! }
//! ```

// The near cache's instruments are used by the Redis backend alone.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
mod core_meter;
#[cfg(feature = "metrics")]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
mod facade;
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
mod instrument;
mod labels;
pub mod names;
#[cfg(feature = "redis")]
mod near;
mod reason;
mod series;
mod stats;

pub use self::core_meter::{clear_meter, set_meter};
#[cfg(feature = "redis")]
pub(crate) use self::near::NearMetrics;
pub use self::reason::FallbackReason;
pub(crate) use self::series::{LeaseWait, Series};
pub use self::stats::{CacheStats, Counts, Fallbacks, SeriesStats};

/// A snapshot of the cache's counters in this process since it started: per activity type,
/// namespace and task queue, and in total.
///
/// They are counted whether or not a meter is set; use them in tests and status pages.
pub fn cache_stats() -> CacheStats {
    CacheStats::from_series(series::all_stats())
}
