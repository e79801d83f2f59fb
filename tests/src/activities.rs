//! Cached activities the integration tests, the end-to-end tests and the `probe` binary share.
//!
//! Every activity takes a `token` first and counts its body's runs per token, so tests running in
//! parallel in one process never see each other's calls. Results carry the run number and the id
//! of the process whose body produced them, so a test can tell a value served from the cache
//! (an older run, maybe another process) from a fresh one.

// The SDK's `#[activities]` generates undocumented marker constants.
#![allow(missing_docs)]

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{MemoryCacheBackend, RedisCacheBackend, cached_activity};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

static RUNS: LazyLock<Mutex<HashMap<String, u32>>> = LazyLock::new(Default::default);

/// Counts one run of a body for `token` and returns its number (from 1).
pub fn record_run(token: &str) -> u32 {
    let mut runs = RUNS.lock().expect("run counter");
    let count = runs.entry(token.to_owned()).or_default();
    *count += 1;
    *count
}

static STARTS: LazyLock<tokio::sync::watch::Sender<Vec<String>>> =
    LazyLock::new(|| tokio::sync::watch::Sender::new(Vec::new()));

/// Records that a body for `token` has started, for [`body_started`].
pub fn record_start(token: &str) {
    STARTS.send_modify(|started| started.push(token.to_owned()));
}

/// Resolves once a body for `token` has started in this process.
pub async fn body_started(token: &str) {
    let mut starts = STARTS.subscribe();
    // `wait_for` checks the current value first, so a start before this call counts.
    let _ = starts
        .wait_for(|started| started.iter().any(|started| started == token))
        .await;
}

/// How many times a body ran for `token` in this process.
pub fn runs(token: &str) -> u32 {
    RUNS.lock()
        .expect("run counter")
        .get(token)
        .copied()
        .unwrap_or(0)
}

/// A unique token for one test: tests share activities and backends, never tokens.
pub fn token(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The tokens whose [`Cached::dependent`] body fails.
static BROKEN: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// Makes [`Cached::dependent`]'s body fail for `token` from now on, as if its dependency were down.
pub fn break_dependency(token: &str) {
    BROKEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(token.to_owned());
}

/// What the activities return: which body run produced the value, and in which process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub token: String,
    pub value: u64,
    /// The run number of the body that produced this value, for its token.
    pub run: u32,
    /// The process whose body produced this value.
    pub pid: u32,
}

impl Output {
    fn produced(token: String, value: u64) -> Self {
        let run = record_run(&token);
        Self {
            token,
            value,
            run,
            pid: std::process::id(),
        }
    }
}

/// The URL of the Redis behind [`OWN_BACKEND`]; set it before the first call of
/// [`Cached::own_backend`].
pub static OWN_BACKEND_URL: OnceLock<String> = OnceLock::new();

/// The per-activity backend of [`Cached::own_backend`], under its own key prefix.
pub static OWN_BACKEND: LazyLock<Arc<RedisCacheBackend>> = LazyLock::new(|| {
    let url = OWN_BACKEND_URL
        .get()
        .expect("set OWN_BACKEND_URL before calling Cached::own_backend");
    Arc::new(
        RedisCacheBackend::new(url)
            .expect("a valid Redis URL")
            .with_prefix("own"),
    )
});

/// The URL of the Redis behind [`COUNTED_BACKEND`]; set it before the first call of
/// [`Cached::counted`].
pub static COUNTED_BACKEND_URL: OnceLock<String> = OnceLock::new();

/// A Redis of its own for [`Cached::counted`], so that a test can count exactly its commands.
pub static COUNTED_BACKEND: LazyLock<Arc<RedisCacheBackend>> = LazyLock::new(|| {
    let url = COUNTED_BACKEND_URL
        .get()
        .expect("set COUNTED_BACKEND_URL before calling Cached::counted");
    Arc::new(RedisCacheBackend::new(url).expect("a valid Redis URL"))
});

/// An in-memory backend for [`Cached::in_memory`].
pub static MEMORY_BACKEND: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

/// Whether bodies of [`Cached::held`] and [`Cached::held_unlocked`] wait at their gate.
static HOLDING: LazyLock<tokio::sync::watch::Sender<bool>> =
    LazyLock::new(|| tokio::sync::watch::Sender::new(false));

/// Makes the bodies of the held activities in this process wait until [`release_bodies`]: a
/// body that started then is "reading old data" for as long as a test needs.
pub fn hold_bodies() {
    HOLDING.send_replace(true);
}

/// Lets the held bodies of this process finish.
pub fn release_bodies() {
    HOLDING.send_replace(false);
}

async fn held_body(token: String, value: u64) -> Output {
    record_start(&token);
    let mut holding = HOLDING.subscribe();
    let _ = holding.wait_for(|holding| !holding).await;
    Output::produced(token, value)
}

async fn slow_body(token: String, millis: u64) -> Output {
    record_start(&token);
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Output::produced(token, millis)
}

/// Static activities, one per caching behaviour.
pub struct Cached;

#[activities]
impl Cached {
    #[cached_activity(policy = "inputs", ttl = "1h")]
    #[activity]
    pub async fn echo(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(policy = "task_source", ttl = "1h")]
    #[activity]
    pub async fn sourced(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(policy = "no_cache")]
    #[activity]
    pub async fn uncached(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(ttl = "300ms")]
    #[activity]
    pub async fn short_lived(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(ttl = "never")]
    #[activity]
    pub async fn forever(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(ttl = "1h", exclude = [request_id])]
    #[activity]
    pub async fn excluding(
        _ctx: ActivityContext,
        token: String,
        value: u64,
        request_id: String,
    ) -> Result<Output, ActivityError> {
        assert!(!request_id.is_empty());
        Ok(Output::produced(token, value))
    }

    #[cached_activity(ttl = "1h", backend = &*OWN_BACKEND)]
    #[activity]
    pub async fn own_backend(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn unit(_ctx: ActivityContext, token: String) -> Result<(), ActivityError> {
        record_run(&token);
        Ok(())
    }

    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn nothing(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<Option<u64>, ActivityError> {
        record_run(&token);
        Ok(None)
    }

    /// Fails on its first run for a token, succeeds afterwards.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn fails_once(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        let run = record_run(&token);
        if run == 1 {
            return Err(std::io::Error::other("the first run fails").into());
        }
        Ok(run)
    }

    /// Single-flight with the default lease: sleeps `millis`.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn slow(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// A short lease, renewed while the body sleeps `millis` (which is not part of the key).
    #[cached_activity(ttl = "1h", lock_ttl = "600ms", lock_wait = "20s", exclude = [millis])]
    #[activity]
    pub async fn short_lease(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// The sync twin of [`Cached::short_lease`].
    #[cached_activity(ttl = "1h", lock_ttl = "600ms", lock_wait = "20s", exclude = [millis])]
    #[activity]
    pub fn sync_short_lease(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        record_start(&token);
        std::thread::sleep(Duration::from_millis(millis));
        Ok(Output::produced(token, millis))
    }

    /// Waits at most 200 ms for another caller's result.
    #[cached_activity(ttl = "1h", lock_wait = "200ms", exclude = [millis])]
    #[activity]
    pub async fn impatient(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// Waits at the gate of [`hold_bodies`] while it is closed; with single-flight.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn held(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(held_body(token, value).await)
    }

    /// [`Cached::held`] without single-flight.
    #[cached_activity(ttl = "1h", lock = false)]
    #[activity]
    pub async fn held_unlocked(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(held_body(token, value).await)
    }

    /// No single-flight at all.
    #[cached_activity(ttl = "1h", lock = false)]
    #[activity]
    pub async fn unlocked(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// Served stale: fresh for 300 ms, then stale for an hour; its body sleeps `millis` (not
    /// part of the key).
    #[cached_activity(ttl = "300ms", stale = "1h", exclude = [millis])]
    #[activity]
    pub async fn stale_slow(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// Served stale when its dependency fails: fresh for 300 ms, then stale for an hour; its
    /// body fails with a retryable error while [`break_dependency`] holds for its token.
    #[cached_activity(ttl = "300ms", stale = "1h", on_error = "stale")]
    #[activity]
    pub async fn dependent(_ctx: ActivityContext, token: String) -> Result<Output, ActivityError> {
        let broken = BROKEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&token);
        let output = Output::produced(token, 0);
        if broken {
            return Err(std::io::Error::other("the dependency is down").into());
        }
        Ok(output)
    }

    /// Sleeps 200 ms, and fails on its first run for a token.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn slow_fails_once(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u32, ActivityError> {
        record_start(&token);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let run = record_run(&token);
        if run == 1 {
            return Err(std::io::Error::other("the first run fails").into());
        }
        Ok(run)
    }

    /// Like [`Cached::slow`], on the Redis of [`COUNTED_BACKEND`].
    #[cached_activity(ttl = "1h", backend = &*COUNTED_BACKEND)]
    #[activity]
    pub async fn counted(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// Like [`Cached::slow`], in process memory.
    #[cached_activity(ttl = "1h", backend = &*MEMORY_BACKEND)]
    #[activity]
    pub async fn in_memory(
        _ctx: ActivityContext,
        token: String,
        millis: u64,
    ) -> Result<Output, ActivityError> {
        Ok(slow_body(token, millis).await)
    }

    /// Keyed by a set and a map: their iteration order differs in every process.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn by_collections(
        _ctx: ActivityContext,
        token: String,
        words: HashSet<String>,
        counts: HashMap<String, u64>,
    ) -> Result<Output, ActivityError> {
        let total = words.len() as u64 + counts.values().sum::<u64>();
        Ok(Output::produced(token, total))
    }

    /// Returns a result of `bytes` bytes (a string of that many `x`).
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn sized(
        _ctx: ActivityContext,
        token: String,
        bytes: u64,
    ) -> Result<String, ActivityError> {
        record_run(&token);
        Ok("x".repeat(usize::try_from(bytes).expect("a size that fits in memory")))
    }

    #[cached_activity(ttl = "1h")]
    #[activity]
    pub fn sync_echo(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    /// The test of unreadable entries plants garbage under this activity's key.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn corruptible(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }

    #[cached_activity(ttl = "1h")]
    #[activity(name = "renamed-echo")]
    pub async fn renamed(
        _ctx: ActivityContext,
        token: String,
        value: u64,
    ) -> Result<Output, ActivityError> {
        Ok(Output::produced(token, value))
    }
}

/// Two impl blocks with a method of the same name: their entries must never mix.
pub struct Alpha;
/// See [`Alpha`].
pub struct Beta;

#[activities]
impl Alpha {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn lookup(_ctx: ActivityContext, token: String) -> Result<String, ActivityError> {
        record_run(&token);
        Ok("alpha".to_owned())
    }
}

#[activities]
impl Beta {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn lookup(_ctx: ActivityContext, token: String) -> Result<String, ActivityError> {
        record_run(&token);
        Ok("beta".to_owned())
    }
}

/// The same registered activity under two `version` salts, as two deploys would have it.
pub struct VersionOne;
/// See [`VersionOne`].
pub struct VersionTwo;

#[activities]
impl VersionOne {
    #[cached_activity(ttl = "1h", version = "1")]
    #[activity(name = "versioned")]
    pub async fn versioned(_ctx: ActivityContext, token: String) -> Result<String, ActivityError> {
        record_run(&token);
        Ok("one".to_owned())
    }
}

#[activities]
impl VersionTwo {
    #[cached_activity(ttl = "1h", version = "2")]
    #[activity(name = "versioned")]
    pub async fn versioned(_ctx: ActivityContext, token: String) -> Result<String, ActivityError> {
        record_run(&token);
        Ok("two".to_owned())
    }
}

/// Activities with instance state (`self: Arc<Self>`).
#[derive(Default)]
pub struct Stateful {
    /// How many times a body of this instance ran.
    pub runs: AtomicU32,
}

#[activities]
impl Stateful {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn count(
        self: Arc<Self>,
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u32, ActivityError> {
        record_run(&token);
        Ok(self.runs.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

/// The words and counts `Cached::by_collections` is called with, inserted in `reversed` order.
pub fn collections(reversed: bool) -> (HashSet<String>, HashMap<String, u64>) {
    let mut words: Vec<String> = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
        .iter()
        .map(|word| (*word).to_owned())
        .collect();
    if reversed {
        words.reverse();
    }
    let set = words.iter().cloned().collect();
    let map = words
        .iter()
        .map(|word| (word.clone(), word.len() as u64))
        .collect();
    (set, map)
}
