//! Serving stale values on a real Redis and a real Temporal dev server: with an entry just past
//! its `ttl`, twenty concurrent callers over two processes run the body once, and the nineteen
//! others are served the stale value without waiting for it; and a workflow whose activity's
//! dependency fails still completes, with the stale result and no activity retry.
//!
//! The rules themselves (a failed refresh, `on_error` and non-retryable failures, the exact ends
//! of `ttl` and `stale`, invalidation) are tested without a server in
//! `temporal-cache-runtime/tests/stale.rs`.

use std::time::{Duration, Instant};

use temporal_cache_tests::activities::{Cached, Output, break_dependency, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::redis_server;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::temporal_server::{TemporalServer, unique_task_queue};
use temporal_cache_tests::workflows::DependentWorkflow;
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

/// How long the refreshing body takes: every stale caller must return well before it ends.
const BODY: Duration = Duration::from_millis(1500);

/// The `ttl` of the activities here, and a moment past it.
const PAST_TTL: Duration = Duration::from_millis(400);

async fn stale_slow(token: &str) -> (Output, Duration) {
    let started = Instant::now();
    let millis = u64::try_from(BODY.as_millis()).expect("short");
    let output = run(Cached::stale_slow, MultiArgs2(token.to_owned(), millis)).await;
    (output, started.elapsed())
}

#[test]
fn twenty_callers_over_two_processes_run_one_refresh_and_nineteen_are_served_at_once() {
    let redis = redis_server::global();
    let token = token("stale-revalidate");
    let (first, _) = block_on(stale_slow(&token));
    assert_eq!(first.pid, std::process::id());
    std::thread::sleep(PAST_TTL);

    let millis = BODY.as_millis().to_string();
    let mut probe = Probe::start_ready(
        env!("CARGO_BIN_EXE_probe"),
        &["calls", &redis.url(), "stale_slow", &token, "10", &millis],
        "ready",
    );
    probe.go();
    let ours = block_on(futures::future::join_all(
        (0..10).map(|_| stale_slow(&token)),
    ));
    let theirs = probe.report();

    let mut calls: Vec<(Output, Duration)> = ours;
    let their_outputs: Vec<Output> =
        serde_json::from_value(theirs["outputs"].clone()).expect("outputs");
    let their_elapsed: Vec<u64> =
        serde_json::from_value(theirs["elapsed_ms"].clone()).expect("elapsed");
    calls.extend(
        their_outputs
            .into_iter()
            .zip(their_elapsed.into_iter().map(Duration::from_millis)),
    );
    let (stale, refreshed): (Vec<_>, Vec<_>) =
        calls.into_iter().partition(|(output, _)| *output == first);
    assert_eq!(refreshed.len(), 1, "one caller refreshed: {refreshed:?}");
    assert_eq!(stale.len(), 19);
    let their_runs = theirs["runs"].as_u64().expect("runs");
    assert_eq!(
        u64::from(runs(&token)) + their_runs,
        2,
        "the first run and one refresh: {theirs}"
    );
    for (_, took) in &stale {
        assert!(
            *took < BODY / 3,
            "a stale caller waited {took:?} for a {BODY:?} body"
        );
    }
    let (refreshed, took) = &refreshed[0];
    assert!(*took >= BODY, "the refresher waits for its own body");
    let (later, _) = block_on(stale_slow(&token));
    assert_eq!(&later, refreshed, "later callers get the fresh value");
}

#[test]
fn a_workflow_whose_dependency_fails_completes_with_the_stale_result_and_no_retry() {
    redis_server::global();
    let temporal = TemporalServer::shared();
    block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("stale");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let options = WorkerOptions::new(task_queue.as_str())
            .register_workflow::<DependentWorkflow>()
            .unwrap()
            .register_activities(Cached)
            .build();
        let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();
        let token = token("stale-dependency");

        let workflows = async {
            let execute = || async {
                let workflow_id = unique_task_queue("dependent");
                client
                    .start_workflow(
                        DependentWorkflow::run,
                        token.clone(),
                        WorkflowStartOptions::new(task_queue.as_str(), workflow_id.as_str())
                            .build(),
                    )
                    .await
                    .expect("the workflow starts")
                    .get_result(WorkflowGetResultOptions::default())
                    .await
                    .expect("the workflow completes")
            };
            let first: Output = execute().await;
            assert_eq!(first.run, 1);
            tokio::time::sleep(PAST_TTL).await;
            break_dependency(&token);
            let second: Output = execute().await;
            assert_eq!(second, first, "the stale result");
            assert_eq!(
                runs(&token),
                2,
                "the refresh ran once and failed; Temporal did not retry the activity"
            );
            shutdown();
        };
        let (worker_result, ()) = tokio::join!(worker.run(), workflows);
        worker_result.expect("the worker stops cleanly");
    });
}
