//! Invalidation against calls already running, without a server: a body that started before
//! `invalidate_cache!` or `invalidate_activity!` returned never stores its result, with locking on
//! or off, and a call made after it is never handed that body's result; and whole-activity
//! invalidation removes every input's entry of one activity and nothing else.
//!
//! The same races across two processes on a real Redis are in `tests/tests/invalidation.rs`.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

#[allow(dead_code, reason = "each test file uses part of the shared support")]
mod support;

use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::{cached_activity, invalidate_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::testing::ActivityEnvironmentError;

use crate::support::{Gate, Op, Scripted, record_run, run};

/// The body of the gated activities: its run number, after waiting at `gate` if it is the first
/// run (the one "reading old data").
async fn held_first(gate: &Gate, token: &str) -> u32 {
    let run = record_run(token);
    if run == 1 {
        gate.wait().await;
    }
    run
}

static LOCKED: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("locked")));
static UNLOCKED: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("unlocked")));
static WHOLE: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("whole")));
static LOCKED_GATE: Gate = Gate::new();
static UNLOCKED_GATE: Gate = Gate::new();
static WHOLE_GATE: Gate = Gate::new();

pub struct Race;

#[activities]
impl Race {
    #[cached_activity(backend = &*LOCKED)]
    #[activity]
    pub async fn locked(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(held_first(&LOCKED_GATE, &token).await)
    }

    #[cached_activity(backend = &*UNLOCKED, lock = false)]
    #[activity]
    pub async fn unlocked(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(held_first(&UNLOCKED_GATE, &token).await)
    }

    #[cached_activity(backend = &*WHOLE)]
    #[activity]
    pub async fn whole(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(held_first(&WHOLE_GATE, &token).await)
    }

    #[cached_activity(backend = &*WHOLE)]
    #[activity]
    pub async fn neighbour(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&format!("neighbour-{token}")))
    }
}

fn ok(result: Result<u32, ActivityEnvironmentError>) -> u32 {
    result.unwrap_or_else(|error| panic!("the activity failed: {error:?}"))
}

#[tokio::test]
async fn with_the_lock_an_invalidation_wins_over_the_running_body() {
    let stale = tokio::spawn(run(Race::locked, "locked".to_owned()));
    LOCKED_GATE.started.notified().await;
    assert!(
        !invalidate_cache!(Race::locked, "locked".to_owned())
            .await
            .unwrap(),
        "nothing is stored yet, only a lease"
    );
    // A call made after the invalidation neither follows the running body's flight nor waits
    // on its lease: it runs the body on fresh data and stores that.
    assert_eq!(ok(run(Race::locked, "locked".to_owned()).await), 2);
    LOCKED_GATE.open();
    assert_eq!(
        ok(stale.await.unwrap()),
        1,
        "the caller still gets its result"
    );
    assert_eq!(
        ok(run(Race::locked, "locked".to_owned()).await),
        2,
        "the stale result was not stored over the fresh one"
    );
    assert_eq!(LOCKED.count(Op::Set), 0);
}

#[tokio::test]
async fn without_the_lock_an_invalidation_wins_over_the_running_body() {
    let stale = tokio::spawn(run(Race::unlocked, "unlocked".to_owned()));
    UNLOCKED_GATE.started.notified().await;
    invalidate_cache!(Race::unlocked, "unlocked".to_owned())
        .await
        .unwrap();
    UNLOCKED_GATE.open();
    assert_eq!(ok(stale.await.unwrap()), 1);
    assert_eq!(
        ok(run(Race::unlocked, "unlocked".to_owned()).await),
        2,
        "the result of the body that started before the invalidation was not stored"
    );
    assert_eq!(
        ok(run(Race::unlocked, "unlocked".to_owned()).await),
        2,
        "the fresh one was"
    );
}

#[tokio::test]
async fn invalidate_activity_removes_every_input_and_wins_over_the_running_body() {
    for token in ["a", "b", "c"] {
        assert_eq!(ok(run(Race::neighbour, token.to_owned()).await), 1);
    }
    // Two stored entries of `whole` (their first runs pass the gate at once: it opens below).
    for token in ["x", "y"] {
        record_run(token);
        assert_eq!(ok(run(Race::whole, token.to_owned()).await), 2);
        assert_eq!(ok(run(Race::whole, token.to_owned()).await), 2, "a hit");
    }
    // A body running while the whole activity is invalidated.
    let stale = tokio::spawn(run(Race::whole, "z".to_owned()));
    WHOLE_GATE.started.notified().await;

    let removed = invalidate_activity!(Race::whole).await.unwrap();
    assert_eq!(removed, 2, "the entries of x and y, not the lease of z");
    WHOLE_GATE.open();
    assert_eq!(ok(stale.await.unwrap()), 1);

    assert_eq!(ok(run(Race::whole, "x".to_owned()).await), 3, "x misses");
    assert_eq!(ok(run(Race::whole, "y".to_owned()).await), 3, "y misses");
    assert_eq!(
        ok(run(Race::whole, "z".to_owned()).await),
        2,
        "z's body from before the invalidation stored nothing"
    );
    for token in ["a", "b", "c"] {
        assert_eq!(
            ok(run(Race::neighbour, token.to_owned()).await),
            1,
            "another activity on the same backend keeps its entries"
        );
    }
    assert_eq!(
        invalidate_activity!(namespace = "elsewhere", Race::neighbour)
            .await
            .unwrap(),
        0,
        "another namespace has none of them"
    );
}
