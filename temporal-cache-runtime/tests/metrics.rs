//! The cache's metrics through the call pipeline, without a server: what [`cache_stats`] counts
//! for misses, hits and stores, for each reason of a fallback, for a result too large to store
//! and for a wait on another caller's lease, each in its own activity type, namespace and task
//! queue; and the `cache.status` of the events a call emits inside its activity span.
//!
//! The counters are process-wide, so each test counts in series (activity type and task queue)
//! no other test uses, and the tests run in parallel. The Prometheus endpoint itself is tested
//! on a real worker in `tests/tests/metrics.rs`.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

#[allow(
    dead_code,
    reason = "the support module serves pipeline.rs too; this file uses a part of it"
)]
mod support;

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::backend::{
    BackendError, BackendErrorKind, BoxFuture, CacheBackend, MemoryCacheBackend,
};
use temporal_cache_runtime::metrics::{Counts, FallbackReason};
use temporal_cache_runtime::{cache_stats, cached_activity};
use temporalio_common::ActivityDefinition;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError, ExecutableActivity};
use temporalio_sdk::testing::{ActivityEnvironment, TestActivityInfoOptions};

use crate::support::{Logs, Op, Scripted};

/// The namespace every call of these tests runs in.
const NAMESPACE: &str = "metrics-tests";

static COUNTED: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));
static FAILING: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("FAILING")));
static PLANTED: LazyLock<Arc<Planted>> = LazyLock::new(|| Arc::new(Planted::default()));
static SMALL: LazyLock<Arc<Small>> = LazyLock::new(|| Arc::new(Small::default()));
static ENCODE: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));
static HELD: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("HELD")));
static STATUS: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

/// A backend that answers a planted, unreadable entry until something is stored.
#[derive(Default)]
struct Planted {
    inner: MemoryCacheBackend,
    stored: Mutex<bool>,
}

impl CacheBackend for Planted {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        Box::pin(async move {
            if *self.stored.lock().unwrap() {
                self.inner.get(key).await
            } else {
                Ok(Some(b"planted: not an entry".to_vec()))
            }
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            *self.stored.lock().unwrap() = true;
            self.inner.set(key, value, ttl).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.inner.delete(key)
    }
}

/// A backend that stores no value larger than 16 bytes.
#[derive(Default)]
struct Small(MemoryCacheBackend);

impl CacheBackend for Small {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        self.0.get(key)
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        self.0.set(key, value, ttl)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.0.delete(key)
    }

    fn max_value_bytes(&self) -> usize {
        16
    }
}

/// A result whose `Serialize` fails: it can be returned, never stored.
#[derive(Debug, Deserialize)]
pub struct Unencodable;

impl Serialize for Unencodable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be encoded",
        ))
    }
}

pub struct Measured;

#[activities]
impl Measured {
    #[cached_activity(backend = &*COUNTED)]
    #[activity]
    pub async fn counted(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        Ok(format!("computed from {input}"))
    }

    #[cached_activity(backend = &*FAILING)]
    #[activity]
    pub async fn failing(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        Ok(input)
    }

    #[cached_activity(backend = &*PLANTED)]
    #[activity]
    pub async fn planted(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        Ok(input)
    }

    #[cached_activity(backend = &*SMALL)]
    #[activity]
    pub async fn large(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        Ok(input.repeat(20))
    }

    #[cached_activity(backend = &*ENCODE)]
    #[activity]
    pub async fn unencodable(
        _ctx: ActivityContext,
        _input: String,
    ) -> Result<Unencodable, ActivityError> {
        Ok(Unencodable)
    }

    #[cached_activity(backend = &*HELD, lock_ttl = "100ms")]
    #[activity]
    pub async fn held(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        Ok(input)
    }

    #[cached_activity(backend = &*STATUS)]
    #[activity]
    pub async fn status(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        Ok(input)
    }
}

/// Runs `activity` once, as a worker polling `task_queue` in [`NAMESPACE`] would, and returns
/// its value.
async fn call<A>(activity: A, task_queue: &str, input: A::Input) -> A::Output
where
    A: ExecutableActivity + ActivityDefinition,
{
    let environment = ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity.name())
                .namespace(NAMESPACE.to_owned())
                .task_queue(task_queue.to_owned())
                .workflow_id(Some("metrics-test".to_owned()))
                .build(),
        )
        .build();
    match environment.run(activity, input).await {
        Ok(output) => output,
        Err(error) => panic!("the activity failed: {error:?}"),
    }
}

/// The counters of `activity` on `task_queue` in [`NAMESPACE`].
fn counts<A: ActivityDefinition>(activity: &A, task_queue: &str) -> Counts {
    cache_stats()
        .series(activity.name(), NAMESPACE, task_queue)
        .copied()
        .unwrap_or_else(|| panic!("no series for {} on {task_queue}", activity.name()))
}

#[tokio::test]
async fn a_miss_and_two_hits_count_one_miss_one_store_and_two_hits() {
    for _ in 0..3 {
        let output = call(Measured::counted, "orders", "order-1".to_owned()).await;
        assert_eq!(output, "computed from order-1");
    }
    call(Measured::counted, "invoices", "order-1".to_owned()).await;

    let orders = counts(&Measured::counted, "orders");
    assert_eq!((orders.misses, orders.hits, orders.stores), (1, 2, 1));
    assert_eq!(orders.fallbacks.total(), 0);
    assert_eq!((orders.lookups, orders.body_runs), (3, 1));
    assert!(orders.bytes_written > 0);
    assert_eq!(
        orders.bytes_read,
        2 * orders.bytes_written,
        "each hit reads the entry the miss wrote"
    );
    assert_eq!(orders.hit_ratio(), Some(2.0 / 3.0));
    assert!(orders.time_saved().is_some());

    // Another task queue is a series of its own (it shares the entry, so it hits).
    let invoices = counts(&Measured::counted, "invoices");
    assert_eq!((invoices.misses, invoices.hits, invoices.stores), (0, 1, 0));
    let activity = cache_stats().activity(Measured::counted.name());
    assert_eq!((activity.misses, activity.hits), (1, 3));
}

#[tokio::test]
async fn each_failing_lookup_is_a_fallback_with_its_reason() {
    let kinds = [
        (BackendErrorKind::Timeout, FallbackReason::Timeout),
        (BackendErrorKind::Unavailable, FallbackReason::Connection),
        (BackendErrorKind::CircuitOpen, FallbackReason::CircuitOpen),
        (BackendErrorKind::Rejected, FallbackReason::Rejected),
        (
            BackendErrorKind::Configuration,
            FallbackReason::Configuration,
        ),
    ];
    for (kind, reason) in kinds {
        FAILING.fail_with(&[Op::Get], kind);
        let task_queue = reason.as_str();
        let output = call(Measured::failing, task_queue, "input".to_owned()).await;
        assert_eq!(output, "input", "{reason}: the call succeeds");
        let counts = counts(&Measured::failing, task_queue);
        assert_eq!(counts.fallbacks.get(reason), 1, "{reason}");
        assert_eq!(counts.fallbacks.total(), 1, "{reason}: no other reason");
        assert_eq!(
            (counts.hits, counts.misses),
            (0, 0),
            "{reason}: neither hit nor miss"
        );
        FAILING.heal();
    }
}

#[tokio::test]
async fn an_unreadable_entry_is_a_fallback_and_its_overwrite_a_store() {
    let first = call(Measured::planted, "planted", "input".to_owned()).await;
    assert_eq!(first, "input");
    let counts_after_first = counts(&Measured::planted, "planted");
    assert_eq!(
        counts_after_first
            .fallbacks
            .get(FallbackReason::UnreadableEntry),
        1
    );
    assert_eq!(
        (counts_after_first.misses, counts_after_first.stores),
        (0, 1)
    );

    call(Measured::planted, "planted", "input".to_owned()).await;
    assert_eq!(counts(&Measured::planted, "planted").hits, 1);
}

#[tokio::test]
async fn a_result_too_large_to_store_is_a_store_skipped_every_time() {
    for _ in 0..2 {
        let output = call(Measured::large, "large", "0123456789".to_owned()).await;
        assert_eq!(output.len(), 200);
    }
    let counts = counts(&Measured::large, "large");
    assert_eq!(
        (counts.misses, counts.stores_skipped, counts.stores),
        (2, 2, 0)
    );
    assert_eq!((counts.hits, counts.bytes_written), (0, 0));
}

#[tokio::test]
async fn a_result_that_cannot_be_encoded_is_an_encode_fallback() {
    // Returned, though not stored.
    let Unencodable = call(Measured::unencodable, "unencodable", "input".to_owned()).await;
    let counts = counts(&Measured::unencodable, "unencodable");
    assert_eq!(counts.fallbacks.get(FallbackReason::Encode), 1);
    assert_eq!((counts.misses, counts.stores), (1, 0));
}

/// The claim answers "held" twice (another worker's lease), then finds the lease free: the call
/// waited once, and took the lease over.
#[tokio::test]
async fn a_call_that_finds_the_lease_held_waits_then_takes_it_over() {
    HELD.hold_next_claims(2);
    let output = call(Measured::held, "held", "input".to_owned()).await;
    assert_eq!(output, "input");
    assert_eq!(HELD.count(Op::Claim), 3);
    let counts = counts(&Measured::held, "held");
    assert_eq!((counts.lease_waits, counts.takeovers), (1, 1));
    assert!(counts.lease_wait_time > Duration::ZERO);
    assert_eq!((counts.misses, counts.stores), (1, 1));
}

#[tokio::test]
async fn the_events_of_a_call_say_how_the_cache_answered_it() {
    let (logs, _recording) = Logs::record();
    call(Measured::status, "status", "input".to_owned()).await;
    call(Measured::status, "status", "input".to_owned()).await;
    let status = |value: &str| logs.lines("DEBUG", &format!("cache.status=\"{value}\""));
    assert_eq!(status("miss").len(), 1, "{:?}", status("miss"));
    assert_eq!(status("hit").len(), 1, "{:?}", status("hit"));
    assert!(status("fallback").is_empty());
}
