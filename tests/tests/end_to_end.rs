//! End to end on a real Temporal dev server: workers run cached activities for real workflows.

use std::time::{Duration, Instant};

use temporal_cache_tests::activities::{Cached, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::redis_server::{self, RedisServer};
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::temporal_server::{TemporalServer, unique_task_queue};
use temporal_cache_tests::workflows::{Call, CallWorkflow, WaitWorkflow, execute_call};
use temporalio_client::{WorkflowCancelOptions, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

fn call(token: &str, value: u64) -> Call {
    Call {
        uncached: false,
        token: token.to_owned(),
        value,
    }
}

#[test]
fn a_second_workflow_with_the_same_input_is_served_from_the_cache() {
    redis_server::global();
    let temporal = TemporalServer::shared();
    block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("e2e");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let options = WorkerOptions::new(task_queue.as_str())
            .register_workflow::<CallWorkflow>()
            .unwrap()
            .register_activities(Cached)
            .build();
        let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();
        let token = token("e2e");

        let workflows = async {
            let a = execute_call(&client, &task_queue, call(&token, 1)).await;
            let b = execute_call(&client, &task_queue, call(&token, 1)).await;
            assert_eq!(a.run, 1);
            assert_eq!(b, a, "workflow B gets workflow A's result");
            assert_eq!(runs(&token), 1, "the body ran once for two workflows");

            let other = execute_call(&client, &task_queue, call(&token, 2)).await;
            assert_eq!(
                (other.value, other.run),
                (2, 2),
                "a different input runs the body"
            );

            let uncached_token = crate::token("e2e-no-cache");
            for expected_run in 1..=2 {
                let output = execute_call(
                    &client,
                    &task_queue,
                    Call {
                        uncached: true,
                        ..call(&uncached_token, 1)
                    },
                )
                .await;
                assert_eq!(output.run, expected_run, "no_cache runs in every workflow");
            }
            shutdown();
        };
        let (worker_result, ()) = tokio::join!(worker.run(), workflows);
        worker_result.expect("the worker stops cleanly");
    });
}

fn probe(args: &[&str], ready: &str) -> Probe {
    Probe::start_ready(env!("CARGO_BIN_EXE_probe"), args, ready)
}

#[test]
fn a_worker_in_another_process_is_served_what_this_one_stored() {
    let redis = redis_server::global();
    let temporal = TemporalServer::shared();
    let task_queue = unique_task_queue("e2e-remote");
    let worker = probe(
        &["worker", &temporal.address(), &redis.url(), &task_queue],
        "worker ready",
    );
    block_on(async {
        let token = token("e2e-remote");
        let stored_here = run(Cached::echo, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(stored_here.pid, std::process::id());

        let client = temporal.client().await;
        let served_there = execute_call(&client, &task_queue, call(&token, 1)).await;
        assert_eq!(
            served_there, stored_here,
            "the other worker returns this process's stored result instead of running the body"
        );

        let computed_there = execute_call(&client, &task_queue, call(&token, 2)).await;
        assert_eq!(
            computed_there.pid,
            worker.pid(),
            "the other worker does run the body for an input nobody cached"
        );
    });
}

#[test]
fn a_cancelled_waiting_activity_returns_promptly() {
    let redis = redis_server::global();
    let temporal = TemporalServer::shared();
    let token = token("e2e-cancel");
    // Another process holds the entry's lease while its body sleeps for a minute.
    let _holder = probe(&["hold", &redis.url(), "slow", &token, "60000"], "started");
    block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("e2e-cancel");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let options = WorkerOptions::new(task_queue.as_str())
            .register_workflow::<WaitWorkflow>()
            .unwrap()
            .register_activities(Cached)
            .build();
        let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();

        let workflow = async {
            let workflow_id = unique_task_queue("wait-workflow");
            let handle = client
                .start_workflow(
                    WaitWorkflow::run,
                    Call {
                        uncached: false,
                        token: token.clone(),
                        value: 60_000,
                    },
                    WorkflowStartOptions::new(task_queue.as_str(), workflow_id.as_str()).build(),
                )
                .await
                .expect("the workflow starts");
            wait_until_someone_waits_on(redis, "*Cached::slow*").await;

            let asked = Instant::now();
            handle
                .cancel(WorkflowCancelOptions::default())
                .await
                .expect("cancellation is requested");
            let result: String = handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .expect("the workflow completes");
            let took = asked.elapsed();
            shutdown();
            assert_eq!(result, "cancelled");
            assert!(
                took < Duration::from_secs(5),
                "the waiting activity took {took:?} to acknowledge its cancellation \
                 (heartbeat timeout 1 s; the holder's body runs for a minute)"
            );
            assert_eq!(runs(&token), 0, "the waiter never ran the body");
        };
        let (worker_result, ()) = tokio::join!(worker.run(), workflow);
        worker_result.expect("the worker stops cleanly");
    });
}

/// Resolves once some process subscribes to an entry channel matching `pattern`: a waiting
/// activity does that. Redis pushes nothing when a subscription starts, so this polls.
async fn wait_until_someone_waits_on(redis: &RedisServer, pattern: &str) {
    let mut connection = redis.connection().await;
    let give_up = Instant::now() + Duration::from_secs(20);
    loop {
        let channels: Vec<String> = redis::cmd("PUBSUB")
            .arg("CHANNELS")
            .arg(pattern)
            .query_async(&mut connection)
            .await
            .unwrap();
        if !channels.is_empty() {
            return;
        }
        assert!(
            Instant::now() < give_up,
            "no activity started waiting on {pattern}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
