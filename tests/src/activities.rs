//! Cached activities the integration tests, the end-to-end tests and the `probe` binary share.
//!
//! Every activity takes a `token` first and counts its body's runs per token, so tests running in
//! parallel in one process never see each other's calls. Results carry the run number and the id
//! of the process whose body produced them, so a test can tell a value served from the cache
//! (an older run, maybe another process) from a fresh one.

// The SDK's `#[activities]` generates undocumented marker constants.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{RedisCacheBackend, cached_activity};
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
