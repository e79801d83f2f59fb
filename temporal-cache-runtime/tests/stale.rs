//! Serving stale values, without a server: stale-while-revalidate (one call refreshes, every
//! concurrent call is served the stale value at once), a failing refresh, `on_error` with
//! retryable and non-retryable failures, the exact end of `ttl` and of the stale window, and
//! invalidation (an invalidated entry is gone, not stale).
//!
//! The same across two processes on a real Redis, and end to end on the Temporal dev server, are
//! in `tests/tests/stale.rs`.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

#[allow(dead_code, reason = "each test file uses part of the shared support")]
mod support;

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use temporal_cache_runtime::{MemoryCacheBackend, cached_activity, invalidate_cache};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::testing::ActivityEnvironmentError;

use crate::support::{Gate, record_run, run, runs};

/// The tokens whose bodies fail, and how.
static FAILING: LazyLock<Mutex<Vec<(String, bool)>>> = LazyLock::new(Default::default);

fn fail(token: &str, non_retryable: bool) {
    lock_failing().push((token.to_owned(), non_retryable));
}

fn succeed(token: &str) {
    lock_failing().retain(|(failing, _)| failing != token);
}

fn lock_failing() -> std::sync::MutexGuard<'static, Vec<(String, bool)>> {
    FAILING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The body of the failing activities: the run number, or the failure the test asked for.
fn run_or_fail(token: &str) -> Result<u32, ActivityError> {
    let failing = lock_failing()
        .iter()
        .find(|(t, _)| t == token)
        .map(|(_, n)| *n);
    let run = record_run(token);
    match failing {
        None => Ok(run),
        Some(non_retryable) => {
            let failure = ApplicationFailure::builder(std::io::Error::other("dependency down"))
                .non_retryable(non_retryable)
                .build();
            Err(failure.into())
        }
    }
}

/// The backend of every activity here: the memory backend's leases make one call the refresher.
static MEMORY: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

static REFRESH_GATE: Gate = Gate::new();
/// The tokens whose refreshes (every run after the first) wait at [`REFRESH_GATE`].
static GATED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

pub struct Stale;

#[activities]
impl Stale {
    #[cached_activity(ttl = "200ms", stale = "10s", backend = &*MEMORY)]
    #[activity]
    pub async fn revalidated(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        let gated = GATED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&token);
        let outcome = run_or_fail(&token);
        if gated && runs(&token) > 1 {
            REFRESH_GATE.wait().await;
        }
        outcome
    }

    #[cached_activity(ttl = "200ms", stale = "10s", lock = false, backend = &*MEMORY)]
    #[activity]
    pub async fn revalidated_unlocked(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u32, ActivityError> {
        run_or_fail(&token)
    }

    #[cached_activity(ttl = "200ms", stale = "300ms", on_error = "stale", backend = &*MEMORY)]
    #[activity]
    pub async fn stale_on_error(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u32, ActivityError> {
        run_or_fail(&token)
    }

    #[cached_activity(
        ttl = "200ms",
        stale = "300ms",
        on_error = "stale_always",
        backend = &*MEMORY
    )]
    #[activity]
    pub async fn stale_on_any_error(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u32, ActivityError> {
        run_or_fail(&token)
    }
}

fn ok(result: Result<u32, ActivityEnvironmentError>) -> u32 {
    result.unwrap_or_else(|error| panic!("the activity failed: {error:?}"))
}

/// Sleeps until `at` after `since`: the TTLs being tested are what is waited for.
async fn at(since: Instant, at: Duration) {
    tokio::time::sleep(at.saturating_sub(since.elapsed())).await;
}

const PAST_TTL: Duration = Duration::from_millis(230);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_refreshes_a_stale_entry_while_every_other_is_served_at_once() {
    let token = "revalidated".to_owned();
    GATED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(token.clone());
    assert_eq!(ok(run(Stale::revalidated, token.clone()).await), 1);
    let stored = Instant::now();
    at(stored, PAST_TTL).await;

    let refresher = tokio::spawn(run(Stale::revalidated, token.clone()));
    REFRESH_GATE.started.notified().await;
    // The refresh is held at its gate: nineteen more calls, each served the stale value without
    // waiting for it.
    let served = futures::future::join_all((0..19).map(|_| run(Stale::revalidated, token.clone())));
    let served: Vec<u32> = served.await.into_iter().map(ok).collect();
    assert_eq!(served, vec![1; 19]);
    assert!(!refresher.is_finished(), "the refresh is still running");
    assert_eq!(runs(&token), 2, "one refresh, however many callers");

    REFRESH_GATE.open();
    assert_eq!(
        ok(refresher.await.unwrap()),
        2,
        "the refresher waits for its own body"
    );
    assert_eq!(
        ok(run(Stale::revalidated, token.clone()).await),
        2,
        "fresh again"
    );
    assert_eq!(runs(&token), 2);
}

#[tokio::test]
async fn a_failed_refresh_leaves_the_stale_value_and_a_later_call_refreshes_it() {
    let token = "failed-refresh".to_owned();
    assert_eq!(ok(run(Stale::revalidated, token.clone()).await), 1);
    at(Instant::now(), PAST_TTL).await;
    fail(&token, false);
    let failed = run(Stale::revalidated, token.clone()).await;
    assert!(
        failed.is_err(),
        "without on_error the refresher gets its failure: {failed:?}"
    );
    assert_eq!(runs(&token), 2);
    succeed(&token);
    // The stale entry is still there: the next call refreshes it.
    assert_eq!(ok(run(Stale::revalidated, token.clone()).await), 3);
    assert_eq!(
        ok(run(Stale::revalidated, token.clone()).await),
        3,
        "and it is fresh"
    );
}

#[tokio::test]
async fn without_the_lock_one_call_still_refreshes_and_the_fresh_value_is_stored() {
    let token = "unlocked".to_owned();
    assert_eq!(ok(run(Stale::revalidated_unlocked, token.clone()).await), 1);
    at(Instant::now(), PAST_TTL).await;
    assert_eq!(ok(run(Stale::revalidated_unlocked, token.clone()).await), 2);
    assert_eq!(ok(run(Stale::revalidated_unlocked, token.clone()).await), 2);
    assert_eq!(runs(&token), 2);
}

#[tokio::test]
async fn ttl_and_the_stale_window_end_to_the_millisecond() {
    let (fresh, stale, gone) = ("exact-fresh", "exact-stale", "exact-gone");
    for token in [fresh, stale, gone] {
        assert_eq!(ok(run(Stale::stale_on_error, token.to_owned()).await), 1);
        fail(token, false);
    }
    let stored = Instant::now();
    // At 150 ms the entry is fresh: served, the failing body does not even run.
    at(stored, Duration::from_millis(150)).await;
    assert_eq!(ok(run(Stale::stale_on_error, fresh.to_owned()).await), 1);
    assert_eq!(runs(fresh), 1);
    // At 400 ms it is stale: the body runs, fails, and the stale value answers.
    at(stored, Duration::from_millis(400)).await;
    assert_eq!(ok(run(Stale::stale_on_error, stale.to_owned()).await), 1);
    assert_eq!(runs(stale), 2);
    // At 550 ms (past 200 + 300) it is gone: the failure reaches the caller.
    at(stored, Duration::from_millis(550)).await;
    assert!(run(Stale::stale_on_error, gone.to_owned()).await.is_err());
    assert_eq!(runs(gone), 2);
}

#[tokio::test]
async fn on_error_stale_masks_retryable_failures_only_unless_it_says_always() {
    let (retryable, final_failure, always) = ("masked", "not-masked", "always-masked");
    assert_eq!(
        ok(run(Stale::stale_on_error, retryable.to_owned()).await),
        1
    );
    assert_eq!(
        ok(run(Stale::stale_on_error, final_failure.to_owned()).await),
        1
    );
    assert_eq!(
        ok(run(Stale::stale_on_any_error, always.to_owned()).await),
        1
    );
    at(Instant::now(), PAST_TTL).await;
    fail(retryable, false);
    fail(final_failure, true);
    fail(always, true);
    assert_eq!(
        ok(run(Stale::stale_on_error, retryable.to_owned()).await),
        1
    );
    let unmasked = run(Stale::stale_on_error, final_failure.to_owned()).await;
    assert!(
        unmasked.is_err(),
        "a non-retryable failure is not masked: {unmasked:?}"
    );
    assert_eq!(
        ok(run(Stale::stale_on_any_error, always.to_owned()).await),
        1
    );
    // Errors are never stored: once the dependency is back, a call refreshes the entry.
    succeed(retryable);
    assert_eq!(
        ok(run(Stale::stale_on_error, retryable.to_owned()).await),
        3
    );
}

#[tokio::test]
async fn an_invalidated_entry_is_gone_not_stale() {
    let token = "invalidated".to_owned();
    assert_eq!(ok(run(Stale::stale_on_error, token.clone()).await), 1);
    at(Instant::now(), PAST_TTL).await;
    assert!(
        invalidate_cache!(Stale::stale_on_error, token.clone())
            .await
            .unwrap()
    );
    fail(&token, false);
    assert!(run(Stale::stale_on_error, token.clone()).await.is_err());
}
