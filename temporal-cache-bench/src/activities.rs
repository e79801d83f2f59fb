//! The activities under measurement and the results they return.
//!
//! Each is a real `#[cached_activity]` inside the SDK's `#[activities]`, so calling its renamed
//! method (`BenchActivities::__fetch_small`) runs exactly the code a worker runs for it. Bodies
//! count their runs, so a measurement can tell the hits it timed from silent fallbacks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{MemoryCacheBackend, RedisCacheBackend, cached_activity};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// The size of the small entry as stored in Redis (envelope header included), as in the Python
/// original's figures.
pub(crate) const SMALL_ENTRY_BYTES: usize = 233;

/// The length of the text of the large result: with its other fields and the envelope, about
/// 100 KB stored.
const LARGE_TEXT_BYTES: usize = 100_000;

/// How long the body of [`FlightActivities::identical`] takes.
pub(crate) const IDENTICAL_BODY: Duration = Duration::from_millis(200);

/// How long the body of [`FlightActivities::long_body`] takes: 2.5 times its `lock_ttl`.
pub(crate) const LONG_BODY: Duration = Duration::from_millis(1000);

/// The `lock_ttl` of [`FlightActivities::long_body`], as written in its attribute.
pub(crate) const LONG_BODY_LOCK_TTL: &str = "400ms";

/// A typical small result: a user profile with a short free-text field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Profile {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) tags: Vec<String>,
    pub(crate) score: f64,
    pub(crate) bio: String,
}

/// A typical large result: a document whose text (with a line break about every 80 characters,
/// so JSON escapes are decoded too) makes up nearly all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Document {
    pub(crate) id: u64,
    pub(crate) title: String,
    pub(crate) mime_type: String,
    pub(crate) revision: u32,
    pub(crate) text: String,
}

/// The small result, its `bio` padded so that the stored entry is [`SMALL_ENTRY_BYTES`] long.
pub(crate) static PROFILE: LazyLock<Profile> = LazyLock::new(|| {
    let mut profile = Profile {
        id: 1000,
        name: "Ada Lovelace".to_owned(),
        email: "ada.lovelace@example.com".to_owned(),
        tags: vec!["admin".to_owned(), "beta".to_owned()],
        score: 0.97,
        bio: String::new(),
    };
    let unpadded = stored_len(&profile);
    let mut padding = SMALL_ENTRY_BYTES.saturating_sub(unpadded);
    profile.bio = filler_text(padding, LineBreaks::No);
    // A longer string can take a longer length prefix: take that back from the padding.
    padding -= stored_len(&profile).saturating_sub(SMALL_ENTRY_BYTES);
    profile.bio = filler_text(padding, LineBreaks::No);
    profile
});

/// The large result.
pub(crate) static DOCUMENT: LazyLock<Document> = LazyLock::new(|| Document {
    id: 1000,
    title: "Quarterly report".to_owned(),
    mime_type: "text/plain".to_owned(),
    revision: 12,
    text: filler_text(LARGE_TEXT_BYTES, LineBreaks::Every80),
});

/// How many bytes `value` takes in the cache with default settings: the envelope's 4-byte header,
/// then its MessagePack.
pub(crate) fn stored_len<T: Serialize + DeserializeOwned + 'static>(value: &T) -> usize {
    temporal_cache_runtime::__private::stored_len(value)
}

/// Whether [`filler_text`] breaks its lines (each break is two bytes in JSON: `\n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineBreaks {
    No,
    Every80,
}

/// `len` bytes of words drawn pseudo-randomly (the same in every run), some followed by a number:
/// text that compresses about as well as real prose and data do (a few times), not a repeating
/// pattern that any compressor shrinks a hundredfold.
fn filler_text(len: usize, breaks: LineBreaks) -> String {
    const WORDS: [&str; 8] = [
        "cache", "activity", "worker", "result", "temporal", "redis", "lorem", "ipsum",
    ];
    let mut text = String::with_capacity(len + 16);
    let mut line = 0;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    while text.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = WORDS[(state % 8) as usize];
        if breaks == LineBreaks::Every80 && line > 72 {
            text.push('\n');
            line = 0;
        } else if !text.is_empty() {
            text.push(' ');
            line += 1;
        }
        text.push_str(word);
        line += word.len();
        if (state >> 8).is_multiple_of(4) {
            let number = (state >> 16) % 10_000;
            let digits = number.to_string();
            text.push_str(&digits);
            line += digits.len();
        }
    }
    text.truncate(len);
    text
}

/// Runs of the bodies of the cached [`BenchActivities`] (the uncached twins do not count).
static CACHED_BODY_RUNS: AtomicU64 = AtomicU64::new(0);

/// How many times a cached body of [`BenchActivities`] has run in this process.
pub(crate) fn cached_body_runs() -> u64 {
    CACHED_BODY_RUNS.load(Ordering::Relaxed)
}

/// The small result for `id`, counted as a run of a cached body.
fn counted_profile(id: u64) -> Profile {
    CACHED_BODY_RUNS.fetch_add(1, Ordering::Relaxed);
    Profile {
        id,
        ..PROFILE.clone()
    }
}

/// The large result for `id`, counted as a run of a cached body.
fn counted_document(id: u64) -> Document {
    CACHED_BODY_RUNS.fetch_add(1, Ordering::Relaxed);
    Document {
        id,
        ..DOCUMENT.clone()
    }
}

/// The activities of the hit and miss measurements.
pub(crate) struct BenchActivities;

#[activities]
impl BenchActivities {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub(crate) async fn fetch_small(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }

    #[cached_activity(ttl = "1h")]
    #[activity]
    pub(crate) async fn fetch_large(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Document, ActivityError> {
        Ok(counted_document(id))
    }

    /// [`Self::fetch_small`] as it would be without the cache.
    #[cached_activity(policy = "no_cache")]
    #[activity]
    pub(crate) async fn fetch_small_uncached(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(Profile {
            id,
            ..PROFILE.clone()
        })
    }

    /// [`Self::fetch_large`] as it would be without the cache.
    #[cached_activity(policy = "no_cache")]
    #[activity]
    pub(crate) async fn fetch_large_uncached(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Document, ActivityError> {
        Ok(Document {
            id,
            ..DOCUMENT.clone()
        })
    }

    /// A miss with the default settings (single-flight locking on).
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub(crate) async fn miss_default(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }

    /// A miss without single-flight locking.
    #[cached_activity(ttl = "1h", lock = false)]
    #[activity]
    pub(crate) async fn miss_unlocked(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }
}

/// The in-process backend of [`MetricsActivities::fetch_small_in_memory`].
static MEMORY_BACKEND: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

/// The activity of the metrics measurement on an in-process backend, where a hit takes
/// microseconds rather than a Redis round trip, so that recording's own cost shows.
pub(crate) struct MetricsActivities;

#[activities]
impl MetricsActivities {
    #[cached_activity(ttl = "1h", backend = &*MEMORY_BACKEND)]
    #[activity]
    pub(crate) async fn fetch_small_in_memory(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }
}

/// The TLS backend of [`ProductionActivities::fetch_small_tls`], set by the measurement.
pub(crate) static TLS_BACKEND: OnceLock<Arc<RedisCacheBackend>> = OnceLock::new();
/// The cluster backend of [`ProductionActivities::fetch_small_cluster`], set by the measurement.
pub(crate) static CLUSTER_BACKEND: OnceLock<Arc<RedisCacheBackend>> = OnceLock::new();

fn production_backend(
    backend: &'static OnceLock<Arc<RedisCacheBackend>>,
) -> &'static Arc<RedisCacheBackend> {
    backend
        .get()
        .expect("the production measurement sets its backends before calling its activities")
}

/// The small hit over TLS and on a cluster: [`BenchActivities::fetch_small`] on other backends.
pub(crate) struct ProductionActivities;

#[activities]
impl ProductionActivities {
    #[cached_activity(ttl = "1h", backend = production_backend(&TLS_BACKEND))]
    #[activity]
    pub(crate) async fn fetch_small_tls(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }

    #[cached_activity(ttl = "1h", backend = production_backend(&CLUSTER_BACKEND))]
    #[activity]
    pub(crate) async fn fetch_small_cluster(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }
}

/// The stored forms the storage measurement compares, each on a backend of its own (all on the
/// bench's Redis, under prefixes of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// JSON as it is: compression off.
    Plain,
    /// zstd from the default threshold.
    Compressed,
    /// AES-256-GCM with a one-key keyring.
    Encrypted,
    /// Through Temporal's default `DataConverter` (payload converter and its no-op codec).
    Converted,
}

/// The backends of [`StorageActivities`], by [`Form`], set by the storage measurement.
pub(crate) static STORAGE_BACKENDS: OnceLock<[Arc<RedisCacheBackend>; 4]> = OnceLock::new();

fn storage_backend(form: Form) -> &'static Arc<RedisCacheBackend> {
    let backends = STORAGE_BACKENDS
        .get()
        .expect("the storage measurement sets its backends before calling its activities");
    &backends[form as usize]
}

/// Both results, stored in each [`Form`]: [`BenchActivities::fetch_small`] and
/// [`BenchActivities::fetch_large`] on other backends.
pub(crate) struct StorageActivities;

#[activities]
impl StorageActivities {
    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Plain))]
    #[activity]
    pub(crate) async fn small_plain(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }

    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Encrypted))]
    #[activity]
    pub(crate) async fn small_encrypted(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }

    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Converted))]
    #[activity]
    pub(crate) async fn small_converted(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(counted_profile(id))
    }

    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Plain))]
    #[activity]
    pub(crate) async fn large_plain(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Document, ActivityError> {
        Ok(counted_document(id))
    }

    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Compressed))]
    #[activity]
    pub(crate) async fn large_compressed(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Document, ActivityError> {
        Ok(counted_document(id))
    }

    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Encrypted))]
    #[activity]
    pub(crate) async fn large_encrypted(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Document, ActivityError> {
        Ok(counted_document(id))
    }

    #[cached_activity(ttl = "1h", backend = storage_backend(Form::Converted))]
    #[activity]
    pub(crate) async fn large_converted(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Document, ActivityError> {
        Ok(counted_document(id))
    }
}

/// When each body run of the flight activities ended, by token (one token per measurement).
static BODY_ENDS: LazyLock<Mutex<HashMap<String, Vec<SystemTime>>>> =
    LazyLock::new(Default::default);

fn record_body_end(token: &str) {
    let end = SystemTime::now();
    BODY_ENDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(token.to_owned())
        .or_default()
        .push(end);
}

/// When the bodies run for `token` in this process ended, in order.
pub(crate) fn body_ends(token: &str) -> Vec<SystemTime> {
    BODY_ENDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(token)
        .cloned()
        .unwrap_or_default()
}

/// The activities of the single-flight measurements: identical concurrent calls of a slow body.
pub(crate) struct FlightActivities;

#[activities]
impl FlightActivities {
    /// A 200 ms body with the default settings.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub(crate) async fn identical(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u64, ActivityError> {
        tokio::time::sleep(IDENTICAL_BODY).await;
        record_body_end(&token);
        Ok(IDENTICAL_BODY.as_millis() as u64)
    }

    /// A body 2.5 times as long as its lease. `lock_wait` is generous so that only the lease's
    /// renewal decides whether a waiter runs the body too.
    #[cached_activity(ttl = "1h", lock_ttl = "400ms", lock_wait = "10s")]
    #[activity]
    pub(crate) async fn long_body(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u64, ActivityError> {
        tokio::time::sleep(LONG_BODY).await;
        record_body_end(&token);
        Ok(LONG_BODY.as_millis() as u64)
    }
}

/// How long the body of the stale measurement's activities runs.
pub(crate) const REFRESH_BODY: Duration = Duration::from_millis(200);

/// The activities of the stale measurement: an entry that turns stale after 300 ms, with and
/// without a stale window.
pub(crate) struct StaleActivities;

#[activities]
impl StaleActivities {
    /// Served stale for an hour after its `ttl`, while one call refreshes it.
    #[cached_activity(ttl = "300ms", stale = "1h")]
    #[activity]
    pub(crate) async fn revalidated(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        tokio::time::sleep(REFRESH_BODY).await;
        Ok(id)
    }

    /// The same without `stale`: past its `ttl` the entry is gone.
    #[cached_activity(ttl = "300ms")]
    #[activity]
    pub(crate) async fn expiring(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        tokio::time::sleep(REFRESH_BODY).await;
        Ok(id)
    }
}

/// A helper activity whose body hands out its context; see [`crate::context`].
pub(crate) struct ContextProbe;

/// The context the last run of [`ContextProbe::capture`] received.
static CAPTURED: Mutex<Option<ActivityContext>> = Mutex::new(None);

/// Takes the context [`ContextProbe::capture`] stored.
pub(crate) fn take_captured() -> Option<ActivityContext> {
    CAPTURED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

#[activities]
impl ContextProbe {
    #[activity]
    pub(crate) async fn capture(ctx: ActivityContext) -> Result<(), ActivityError> {
        *CAPTURED.lock().unwrap_or_else(PoisonError::into_inner) = Some(ctx);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_entry_has_the_size_of_the_python_figures() {
        assert_eq!(stored_len(&*PROFILE), SMALL_ENTRY_BYTES);
    }

    #[test]
    fn the_large_entry_is_about_100_kb() {
        let len = stored_len(&*DOCUMENT);
        assert!((100_000..102_400).contains(&len), "{len}");
    }
}
