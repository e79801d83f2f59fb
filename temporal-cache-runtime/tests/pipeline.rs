//! The call pipeline without a server: hits, misses, errors, fail-open on every backend method,
//! in-process single-flight, cancellation while waiting, and one outage warning per backend.
//!
//! Each test has its own activity and its own [`Scripted`] backend (a memory backend that fails on
//! cue and counts its calls), so the tests run in parallel without sharing state. Each takes
//! milliseconds; what needs a real Redis or Temporal server is tested in `tests/tests`.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

mod support;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use temporal_cache_runtime::backend::BackendErrorKind;
use temporal_cache_runtime::{InvalidateError, cached_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::testing::{
    ActivityEnvironment, ActivityEnvironmentError, TestActivityInfoOptions,
};
use tokio::sync::Barrier;

use crate::support::{Gate, Logs, Op, Scripted, environment_for, record_run, run, runs};

fn failure() -> ActivityError {
    std::io::Error::other("the body failed").into()
}

macro_rules! backends {
    ($($name:ident),* $(,)?) => {
        $(
            static $name: LazyLock<Arc<Scripted>> =
                LazyLock::new(|| Arc::new(Scripted::new(stringify!($name))));
        )*
    };
}

backends!(
    HITS,
    ERRORS,
    SYNC,
    LOOKUP,
    REFUSED_CLAIM,
    CLAIM,
    STORE,
    UNLOCKED,
    RELEASE,
    RENEWAL,
    WATCH,
    EVERYTHING,
    FLIGHT,
    CANCEL_FLIGHT,
    CANCEL_LEASE,
    DOWN,
    UP,
    INVALIDATED,
);

static FLIGHT_GATE: Gate = Gate::new();
static CANCEL_GATE: Gate = Gate::new();
static UNLOCKED_BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(4));

pub struct Pipeline;

#[activities]
impl Pipeline {
    #[cached_activity(backend = &*HITS)]
    #[activity]
    pub async fn hits(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*ERRORS)]
    #[activity]
    pub async fn fails_first(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        match record_run(&token) {
            1 => Err(failure()),
            run => Ok(run),
        }
    }

    #[cached_activity(backend = &*SYNC)]
    #[activity]
    pub fn sync_hits(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*LOOKUP)]
    #[activity]
    pub async fn lookup(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*CLAIM)]
    #[activity]
    pub async fn claim(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*REFUSED_CLAIM)]
    #[activity]
    pub async fn refused_claim(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*STORE)]
    #[activity]
    pub async fn store(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*UNLOCKED, lock = false)]
    #[activity]
    pub async fn unlocked(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*RELEASE)]
    #[activity]
    pub async fn release(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        record_run(&token);
        Err(failure())
    }

    /// Returns once its lease has been renewed (or has tried to be).
    #[cached_activity(backend = &*RENEWAL, lock_ttl = "30ms")]
    #[activity]
    pub async fn renewal(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        RENEWAL.called(Op::Extend).await;
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*WATCH)]
    #[activity]
    pub async fn watch(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*EVERYTHING)]
    #[activity]
    pub async fn everything(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*FLIGHT)]
    #[activity]
    pub async fn flight(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        FLIGHT_GATE.wait().await;
        Ok(record_run(&token))
    }

    /// Meets three other calls before it returns: it runs only if all four run at once.
    #[cached_activity(backend = &*UNLOCKED, lock = false)]
    #[activity]
    pub async fn unlocked_flight(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<u32, ActivityError> {
        UNLOCKED_BARRIER.wait().await;
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*CANCEL_FLIGHT)]
    #[activity]
    pub async fn cancel_flight(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        CANCEL_GATE.wait().await;
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*CANCEL_LEASE)]
    #[activity]
    pub async fn cancel_lease(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*DOWN)]
    #[activity]
    pub async fn down(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*UP)]
    #[activity]
    pub async fn up(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*INVALIDATED)]
    #[activity]
    pub async fn invalidated(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }
}

/// The activity's own error, as the environment reports it.
fn activity_error<T: std::fmt::Debug>(
    result: Result<T, ActivityEnvironmentError>,
) -> ActivityError {
    match result {
        Err(ActivityEnvironmentError::Activity(error)) => error,
        other => panic!("expected the activity's error, got {other:?}"),
    }
}

fn ok(result: Result<u32, ActivityEnvironmentError>) -> u32 {
    result.unwrap_or_else(|error| panic!("the activity failed: {error:?}"))
}

#[tokio::test]
async fn an_identical_call_is_served_and_another_input_misses() {
    assert_eq!(ok(run(Pipeline::hits, "hits-a".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::hits, "hits-a".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::hits, "hits-b".to_owned()).await), 1);
    assert_eq!((runs("hits-a"), runs("hits-b")), (1, 1));
    assert_eq!(
        HITS.count(Op::Complete),
        2,
        "each miss stored its result once"
    );
}

#[tokio::test]
async fn standalone_activities_are_cached_like_any_other() {
    // Started by a client, not a workflow: no workflow id.
    let standalone = || {
        ActivityEnvironment::builder_with_default()
            .info(
                TestActivityInfoOptions::builder()
                    .activity_type(Pipeline::hits.name())
                    .workflow_id(None)
                    .build(),
            )
            .build()
    };
    let token = || "standalone".to_owned();
    assert_eq!(ok(standalone().run(Pipeline::hits, token()).await), 1);
    assert_eq!(ok(standalone().run(Pipeline::hits, token()).await), 1);
    assert_eq!(
        ok(run(Pipeline::hits, token()).await),
        1,
        "and shared with workflows"
    );
    assert_eq!(runs("standalone"), 1);
}

#[tokio::test]
async fn errors_are_never_stored() {
    let error = activity_error(run(Pipeline::fails_first, "errors".to_owned()).await);
    assert!(!matches!(error, ActivityError::Cancelled { .. }));
    assert_eq!(ok(run(Pipeline::fails_first, "errors".to_owned()).await), 2);
    assert_eq!(ok(run(Pipeline::fails_first, "errors".to_owned()).await), 2);
    assert_eq!(runs("errors"), 2);
    assert_eq!(
        ERRORS.count(Op::Release),
        1,
        "the failed run handed its lease over"
    );
}

#[tokio::test]
async fn sync_activities_are_served_too() {
    assert_eq!(ok(run(Pipeline::sync_hits, "sync".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::sync_hits, "sync".to_owned()).await), 1);
    assert_eq!(runs("sync"), 1);
}

#[tokio::test]
async fn a_failing_lookup_runs_the_body_and_pays_no_second_deadline() {
    LOOKUP.fail(&[Op::Get]);
    assert_eq!(ok(run(Pipeline::lookup, "lookup".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::lookup, "lookup".to_owned()).await), 2);
    assert_eq!(
        (LOOKUP.count(Op::Claim), LOOKUP.count(Op::Set)),
        (0, 0),
        "after a failed lookup the call neither takes a lease nor stores"
    );
    LOOKUP.heal();
    assert_eq!(ok(run(Pipeline::lookup, "lookup".to_owned()).await), 3);
    assert_eq!(ok(run(Pipeline::lookup, "lookup".to_owned()).await), 3);
    assert_eq!(runs("lookup"), 3);
}

#[tokio::test]
async fn a_failing_claim_runs_the_body_without_storing() {
    CLAIM.fail(&[Op::Claim]);
    assert_eq!(ok(run(Pipeline::claim, "claim".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::claim, "claim".to_owned()).await), 2);
    assert_eq!((CLAIM.count(Op::Set), CLAIM.count(Op::Complete)), (0, 0));
}

/// A backend that answers but refuses the lease (a missing ACL permission, say) still caches.
#[tokio::test]
async fn a_refused_claim_runs_the_body_and_stores_without_a_lease() {
    REFUSED_CLAIM.fail_with(&[Op::Claim], BackendErrorKind::Rejected);
    assert_eq!(
        ok(run(Pipeline::refused_claim, "refused".to_owned()).await),
        1
    );
    assert_eq!(REFUSED_CLAIM.count(Op::Set), 1);
    assert_eq!(
        ok(run(Pipeline::refused_claim, "refused".to_owned()).await),
        1
    );
    assert_eq!(runs("refused"), 1);
}

#[tokio::test]
async fn a_failing_store_returns_the_result_uncached() {
    STORE.fail(&[Op::Complete]);
    assert_eq!(ok(run(Pipeline::store, "store".to_owned()).await), 1);
    assert_eq!(
        STORE.count(Op::Release),
        1,
        "the lease is handed over, not left to expire"
    );
    assert_eq!(ok(run(Pipeline::store, "store".to_owned()).await), 2);
    assert_eq!(runs("store"), 2);
}

#[tokio::test]
async fn without_the_lock_a_failing_store_returns_the_result_uncached() {
    UNLOCKED.fail(&[Op::Complete]);
    assert_eq!(ok(run(Pipeline::unlocked, "unlocked".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::unlocked, "unlocked".to_owned()).await), 2);
    assert_eq!(
        UNLOCKED.count(Op::Claim),
        2,
        "lock = false takes the lease that fences its store, once per miss"
    );
    assert_eq!(UNLOCKED.count(Op::Watch), 0, "and never waits for it");
    assert_eq!(
        UNLOCKED.count(Op::Set),
        0,
        "every store goes through the lease"
    );
}

#[tokio::test]
async fn a_failing_release_returns_the_bodys_own_error() {
    RELEASE.fail(&[Op::Release]);
    let error = activity_error(run(Pipeline::release, "release".to_owned()).await);
    assert!(!matches!(error, ActivityError::Cancelled { .. }));
    assert_eq!(RELEASE.count(Op::Release), 1);
}

#[tokio::test]
async fn a_failing_renewal_lets_the_body_finish_and_store() {
    let (logs, _recording) = Logs::record();
    RENEWAL.fail(&[Op::Extend]);
    assert_eq!(ok(run(Pipeline::renewal, "renewal".to_owned()).await), 1);
    assert!(RENEWAL.count(Op::Extend) >= 1);
    assert!(!logs.lines("WARN", "lease renewal failed").is_empty());
    assert_eq!(ok(run(Pipeline::renewal, "renewal".to_owned()).await), 1);
    assert_eq!(runs("renewal"), 1);
}

#[tokio::test]
async fn a_failing_subscription_falls_back_to_claiming_again() {
    WATCH.hold_next_claims(1);
    WATCH.fail(&[Op::Watch]);
    assert_eq!(ok(run(Pipeline::watch, "watch".to_owned()).await), 1);
    assert_eq!((WATCH.count(Op::Claim), WATCH.count(Op::Watch)), (2, 1));
}

#[tokio::test]
async fn a_backend_failing_everything_only_costs_the_cache() {
    EVERYTHING.fail_all();
    assert_eq!(
        ok(run(Pipeline::everything, "everything".to_owned()).await),
        1
    );
    assert_eq!(
        ok(run(Pipeline::everything, "everything".to_owned()).await),
        2
    );
    let removed = invalidate_cache!(Pipeline::everything, "everything".to_owned()).await;
    assert!(matches!(removed, Err(InvalidateError::Backend(_))));
}

/// The test runs on one thread: the calls spawned here all run, up to their first wait, before
/// this task resumes from the body's start signal, so every later call finds the flight open.
#[tokio::test]
async fn identical_concurrent_calls_share_one_body_run() {
    let calls: Vec<_> = (0..8)
        .map(|_| tokio::spawn(run(Pipeline::flight, "flight".to_owned())))
        .collect();
    FLIGHT_GATE.started.notified().await;
    tokio::task::yield_now().await;
    FLIGHT_GATE.open();
    for call in calls {
        assert_eq!(ok(call.await.expect("the call's task")), 1);
    }
    assert_eq!(runs("flight"), 1);
    assert_eq!(
        (FLIGHT.count(Op::Get), FLIGHT.count(Op::Claim)),
        (1, 1),
        "the followers were served by the flight, not by the backend"
    );
}

#[tokio::test]
async fn without_the_lock_concurrent_calls_each_run_the_body() {
    let calls: Vec<_> = (0..4)
        .map(|_| tokio::spawn(run(Pipeline::unlocked_flight, "unlocked-flight".to_owned())))
        .collect();
    let all = tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(calls))
        .await
        .expect("four bodies ran at once: without the lock nobody waits for another");
    assert_eq!(all.len(), 4);
    assert_eq!(runs("unlocked-flight"), 4);
}

#[tokio::test]
async fn a_call_waiting_on_a_flight_is_cancelled_with_its_activity() {
    let leader = tokio::spawn(run(Pipeline::cancel_flight, "cancel-flight".to_owned()));
    CANCEL_GATE.started.notified().await;
    let waiter = environment_for("Pipeline::cancel_flight");
    waiter.cancel();
    let error = activity_error(
        waiter
            .run(Pipeline::cancel_flight, "cancel-flight".to_owned())
            .await,
    );
    assert!(
        matches!(error, ActivityError::Cancelled { .. }),
        "{error:?}"
    );
    CANCEL_GATE.open();
    assert_eq!(ok(leader.await.expect("the leader's task")), 1);
    assert_eq!(runs("cancel-flight"), 1);
}

#[tokio::test]
async fn a_call_waiting_on_another_workers_lease_is_cancelled_with_its_activity() {
    CANCEL_LEASE.hold_next_claims(u32::MAX);
    let waiter = environment_for("Pipeline::cancel_lease");
    waiter.cancel();
    let error = activity_error(
        waiter
            .run(Pipeline::cancel_lease, "cancel-lease".to_owned())
            .await,
    );
    assert!(
        matches!(error, ActivityError::Cancelled { .. }),
        "{error:?}"
    );
    assert_eq!(runs("cancel-lease"), 0, "the body never ran");
}

#[tokio::test]
async fn an_outage_is_one_warning_per_backend() {
    let (logs, _recording) = Logs::record();
    let outage_warnings = || logs.lines("WARN", "cache fallback");
    DOWN.fail_all();
    for token in ["a", "b", "c"] {
        assert_eq!(ok(run(Pipeline::down, format!("down-{token}")).await), 1);
        assert_eq!(ok(run(Pipeline::up, format!("up-{token}")).await), 1);
    }
    let warnings = outage_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains("key=DOWN:"), "{}", warnings[0]);

    DOWN.heal();
    assert_eq!(ok(run(Pipeline::down, "outage-d".to_owned()).await), 1);
    assert_eq!(logs.lines("INFO", "answers again").len(), 1);

    DOWN.fail_all();
    assert_eq!(ok(run(Pipeline::down, "outage-e".to_owned()).await), 1);
    assert_eq!(outage_warnings().len(), 2, "a new outage warns again");
}

#[tokio::test]
async fn invalidation_removes_exactly_the_entry_a_call_reads() {
    assert_eq!(ok(run(Pipeline::invalidated, "inv-a".to_owned()).await), 1);
    assert_eq!(ok(run(Pipeline::invalidated, "inv-b".to_owned()).await), 1);
    let removed = invalidate_cache!(Pipeline::invalidated, "inv-a".to_owned()).await;
    assert!(removed.expect("the backend answers"));
    let again = invalidate_cache!(Pipeline::invalidated, "inv-a".to_owned()).await;
    assert!(
        !again.expect("the backend answers"),
        "nothing left to remove"
    );
    assert_eq!(ok(run(Pipeline::invalidated, "inv-a".to_owned()).await), 2);
    assert_eq!(ok(run(Pipeline::invalidated, "inv-b".to_owned()).await), 1);
}
