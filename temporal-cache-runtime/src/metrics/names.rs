//! The names the cache's metrics are exported under, and the names of their labels, in one place,
//! so that the Temporal meter, the `metrics` facade, the documentation and the Grafana dashboard
//! cannot drift apart.
//!
//! They follow the Temporal SDK's own conventions: snake case, a `temporal_` prefix (here
//! `temporal_cache_`), counters without a unit, and duration histograms named `..._latency`
//! whose unit (milliseconds, or seconds with `use_seconds_for_durations`) the meter chooses,
//! as it does for `temporal_activity_execution_latency`. A Prometheus exporter configured with
//! `counters_total_suffix` or `unit_suffix` appends `_total` or the unit, as it does to the SDK's
//! metrics.

/// Calls served a stored result: their body did not run.
pub const HITS: &str = "temporal_cache_hits";
/// Calls that found no entry (or waited in vain for another caller's) and ran their body.
pub const MISSES: &str = "temporal_cache_misses";
/// Results written to the backend.
pub const STORES: &str = "temporal_cache_stores";
/// Results not written because they were larger than the backend stores.
pub const STORES_SKIPPED: &str = "temporal_cache_stores_skipped";
/// Cache operations that failed and were gone around (the call ran, or returned, without the
/// cache), labelled with [`REASON_LABEL`].
pub const FALLBACKS: &str = "temporal_cache_fallbacks";
/// Calls that waited for an identical call's result (in this worker or on another).
pub const LEASE_WAITS: &str = "temporal_cache_lease_waits";
/// Waiting calls that took the entry's lease over after its holder released it or died.
pub const TAKEOVERS: &str = "temporal_cache_takeovers";
/// Bytes of stored entries read from the backend.
pub const BYTES_READ: &str = "temporal_cache_bytes_read";
/// Bytes of entries written to the backend.
pub const BYTES_WRITTEN: &str = "temporal_cache_bytes_written";
/// How long one lookup (one read of the backend) took.
pub const LOOKUP_LATENCY: &str = "temporal_cache_lookup_latency";
/// How long a call waited for an identical call's result.
pub const LEASE_WAIT_LATENCY: &str = "temporal_cache_lease_wait_latency";
/// How long a successful activity body ran when the cache ran it (a miss, or a fallback): what a
/// hit on its entry saves.
pub const BODY_LATENCY: &str = "temporal_cache_body_latency";

/// Reads a near cache served from process memory (exported once a second, as the growth since
/// the last export).
pub const NEAR_HITS: &str = "temporal_cache_near_hits";
/// Reads a near cache passed on to Redis.
pub const NEAR_MISSES: &str = "temporal_cache_near_misses";
/// Near-cache entries dropped because Redis reported their key changed (or this process changed
/// it).
pub const NEAR_INVALIDATIONS: &str = "temporal_cache_near_invalidations";
/// Times a near cache was emptied because its tracking connection stopped or was re-made.
pub const NEAR_RESETS: &str = "temporal_cache_near_resets";
/// Entries a near cache holds.
pub const NEAR_ENTRIES: &str = "temporal_cache_near_entries";
/// Bytes a near cache holds (keys, values and a per-entry overhead).
pub const NEAR_BYTES: &str = "temporal_cache_near_bytes";
/// The byte bound of a near cache.
pub const NEAR_MAX_BYTES: &str = "temporal_cache_near_max_bytes";
/// 1 while a near cache's tracking connection is up (it serves entries only then), else 0.
pub const NEAR_TRACKING: &str = "temporal_cache_near_tracking";

/// The registered Temporal activity type, as the SDK's own metrics label it.
pub const ACTIVITY_TYPE_LABEL: &str = "activity_type";
/// The Temporal namespace of the call.
pub const NAMESPACE_LABEL: &str = "namespace";
/// The task queue the activity was polled from.
pub const TASK_QUEUE_LABEL: &str = "task_queue";
/// The key prefix of the Redis backend a near cache's metric is about.
pub const KEY_PREFIX_LABEL: &str = "key_prefix";
/// Why a cache operation fell back: see [`FallbackReason`](super::FallbackReason).
pub const REASON_LABEL: &str = "reason";
