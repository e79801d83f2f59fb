//! `execute_cached!` end to end, on a real Temporal dev server: a hit is served by the
//! local-activity lookup with no activity scheduled (the history shows its marker and no
//! `ActivityTaskScheduled`), a miss schedules the activity once, both histories replay with the
//! SDK's replayer (with Redis stopped too: replay never touches the cache), a `no_cache` activity
//! and an entry of another result type go to the real activity, and with Redis down the workflow
//! still completes through the real activity. An entry past its `ttl` but within its `stale` window
//! is a miss for the lookup: the activity it falls back to refreshes it.
//!
//! The tests run one at a time: each points the global backend at a Redis of its own.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use temporal_cache_runtime::directive::interceptor;
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_tests::activities::{Cached, Output, runs, token};
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::temporal_server::{TemporalServer, unique_task_queue};
use temporal_cache_tests::workflows::{LookupCall, LookupWorkflow};
use temporalio_client::{
    Client, WorkflowFetchHistoryOptions, WorkflowGetResultOptions, WorkflowHistory,
    WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

/// A finished workflow: its output and its history's events.
struct Ran {
    output: Output,
    events: Vec<HistoryEvent>,
}

impl Ran {
    fn count(&self, event_type: EventType) -> usize {
        self.events
            .iter()
            .filter(|event| event.event_type() == event_type)
            .count()
    }

    fn history(&self) -> WorkflowHistory {
        WorkflowHistory::from(History {
            events: self.events.clone(),
        })
    }
}

/// How long [`Cached::stale_slow`]'s entry is fresh (its `ttl`).
const STALE_SLOW_TTL: Duration = Duration::from_millis(300);

async fn execute(client: &Client, task_queue: &str, activity: &str, token: &str) -> Ran {
    let call = LookupCall {
        activity: activity.to_owned(),
        token: token.to_owned(),
        value: 1,
        task_queue: None,
    };
    execute_call(client, task_queue, call).await
}

async fn execute_call(client: &Client, task_queue: &str, call: LookupCall) -> Ran {
    let workflow_id = unique_task_queue("lookup-workflow");
    let handle = client
        .start_workflow(
            LookupWorkflow::run,
            call,
            WorkflowStartOptions::new(task_queue, workflow_id.as_str()).build(),
        )
        .await
        .expect("the workflow starts");
    let output = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .expect("the workflow completes");
    let events = handle
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await
        .expect("the history");
    Ran { output, events }
}

/// A worker with the lookup workflow, the cached activities and the directive interceptor.
fn lookup_worker(runtime: &Runtime, client: &Client, task_queue: &str) -> Worker {
    let options = WorkerOptions::new(task_queue)
        .register_workflow::<LookupWorkflow>()
        .expect("the workflow registers")
        .register_activities(Cached)
        .register_workflow_interceptors(vec![interceptor()])
        .build();
    Worker::new(runtime, client.clone(), options).expect("a worker")
}

async fn replay(histories: Vec<WorkflowHistory>) {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<LookupWorkflow>()
        .expect("the workflow registers")
        .register_workflow_interceptors(vec![interceptor()])
        .build();
    let replayer = WorkflowReplayer::new(options).expect("a replayer");
    for history in histories {
        replayer
            .replay_workflow(history)
            .await
            .expect("the history replays deterministically");
    }
}

#[test]
fn a_hit_through_execute_cached_schedules_no_activity_and_replays() {
    let _serial = temporal_cache_tests::serial();
    temporal_cache_tests::init_tracing();
    let mut redis = RedisServer::start();
    let url = redis.url();
    set_cache_backend(RedisCacheBackend::new(&url).expect("a Redis URL"));
    let temporal = TemporalServer::shared();
    let token = token("lookup");
    let (miss, hit) = block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("lookup");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let mut worker = lookup_worker(&runtime, &client, &task_queue);
        let shutdown = worker.shutdown_handle();
        let workflows = async {
            let miss = execute(&client, &task_queue, "echo", &token).await;
            assert_eq!(miss.output.run, 1);
            assert_eq!(
                miss.count(EventType::ActivityTaskScheduled),
                1,
                "a miss schedules the activity once"
            );
            assert_eq!(miss.count(EventType::MarkerRecorded), 1, "after the lookup");

            let hit = execute(&client, &task_queue, "echo", &token).await;
            assert_eq!(hit.output, miss.output, "the first run's result");
            assert_eq!(
                hit.count(EventType::ActivityTaskScheduled),
                0,
                "a hit schedules no activity"
            );
            assert_eq!(
                hit.count(EventType::MarkerRecorded),
                1,
                "the lookup's marker"
            );
            assert_eq!(runs(&token), 1, "the body ran once for both workflows");

            let uncached = execute(&client, &task_queue, "uncached", &token).await;
            assert_eq!(
                (
                    uncached.count(EventType::ActivityTaskScheduled),
                    uncached.count(EventType::MarkerRecorded)
                ),
                (1, 0),
                "a no_cache activity is scheduled at once, with no lookup"
            );

            // An entry whose JSON is of another type (the result type changed between deploys):
            // the lookup misses and the activity runs and overwrites it.
            let changed = crate::token("lookup-changed");
            let first = execute(&client, &task_queue, "corruptible", &changed).await;
            plant_another_type(&url).await;
            let second = execute(&client, &task_queue, "corruptible", &changed).await;
            assert_eq!(second.count(EventType::ActivityTaskScheduled), 1);
            assert_eq!(
                (second.output.run, runs(&changed)),
                (2, 2),
                "never a wrong value: the body ran again"
            );
            assert_ne!(second.output, first.output);
            shutdown();
            (miss, hit)
        };
        let (worker_result, ran) = tokio::join!(worker.run(), workflows);
        worker_result.expect("the worker stops cleanly");
        ran
    });

    block_on(replay(vec![miss.history(), hit.history()]));
    redis.kill();
    block_on(replay(vec![miss.history(), hit.history()]));

    // Redis down: the lookup fails, the activity runs (uncached), the workflow completes.
    let down = crate::token("lookup-down");
    let ran = block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("lookup-down");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let mut worker = lookup_worker(&runtime, &client, &task_queue);
        let shutdown = worker.shutdown_handle();
        let workflow = async {
            let ran = execute(&client, &task_queue, "echo", &down).await;
            shutdown();
            ran
        };
        let (worker_result, ran) = tokio::join!(worker.run(), workflow);
        worker_result.expect("the worker stops cleanly");
        ran
    });
    assert_eq!(ran.output.run, 1);
    assert_eq!(ran.count(EventType::ActivityTaskScheduled), 1);
}

#[test]
fn a_lookup_on_a_worker_without_the_activity_is_logged_and_the_activity_runs_elsewhere() {
    let _serial = temporal_cache_tests::serial();
    let redis = RedisServer::start();
    set_cache_backend(RedisCacheBackend::new(&redis.url()).expect("a Redis URL"));
    let temporal = TemporalServer::shared();
    let token = token("lookup-unknown");
    let ran = block_on(async {
        let client = temporal.client().await;
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        // The workflow's worker does not know `Cached::echo`; another task queue's worker does.
        // (It registers other activities: on a worker with none at all, the SDK's core 0.10.1
        // panics when a workflow schedules any local activity, ours included; see the README.)
        let workflows_queue = unique_task_queue("lookup-workflows-only");
        let activities_queue = unique_task_queue("lookup-activities-only");
        let workflows_only = WorkerOptions::new(workflows_queue.as_str())
            .register_workflow::<LookupWorkflow>()
            .unwrap()
            .register_activities(temporal_cache_tests::stored::Stored)
            .register_workflow_interceptors(vec![interceptor()])
            .build();
        let activities_only = WorkerOptions::new(activities_queue.as_str())
            .register_activities(Cached)
            .build();
        let mut workflow_worker = Worker::new(&runtime, client.clone(), workflows_only).unwrap();
        let mut activity_worker = Worker::new(&runtime, client.clone(), activities_only).unwrap();
        let (stop_workflows, stop_activities) = (
            workflow_worker.shutdown_handle(),
            activity_worker.shutdown_handle(),
        );
        let workflow = async {
            let call = LookupCall {
                activity: "echo".to_owned(),
                token: token.clone(),
                value: 1,
                task_queue: Some(activities_queue.clone()),
            };
            let ran = execute_call(&client, &workflows_queue, call).await;
            stop_workflows();
            stop_activities();
            ran
        };
        let (workflows_result, activities_result, ran) =
            tokio::join!(workflow_worker.run(), activity_worker.run(), workflow);
        workflows_result.expect("the workflow worker stops cleanly");
        activities_result.expect("the activity worker stops cleanly");
        ran
    });
    assert_eq!(
        ran.output.run, 1,
        "the workflow completed through the real activity"
    );
    assert_eq!(ran.count(EventType::ActivityTaskScheduled), 1);
    let warnings = temporal_cache_tests::warnings::recorded();
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("cache lookup failed")
                && warning.contains("Cached::echo")),
        "the failed lookup is logged, naming the activity: {warnings:?}"
    );
}

/// Replaces the JSON of the one `Cached::corruptible` entry with JSON of another type, keeping
/// the envelope's header.
async fn plant_another_type(url: &str) {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let keys: Vec<String> = connection
        .keys("temporal-cache:v2:default:Cached::corruptible:*")
        .await
        .expect("KEYS");
    let entries: Vec<&String> = keys.iter().filter(|key| !key.ends_with(":lease")).collect();
    assert_eq!(entries.len(), 1, "{keys:?}");
    let stored: Vec<u8> = connection.get(entries[0]).await.expect("GET");
    assert_eq!(&stored[..4], b"tc\x02\x10", "a MessagePack entry");
    // JSON of another shape, in an entry of the JSON form (which every worker reads).
    let mut planted = b"tc\x02\x00".to_vec();
    planted.extend_from_slice(br#"{"renamed_field":true}"#);
    let () = connection.set(entries[0], planted).await.expect("SET");
}

#[test]
fn a_stale_entry_is_a_miss_for_the_lookup_and_the_activity_refreshes_it() {
    let _serial = temporal_cache_tests::serial();
    temporal_cache_tests::init_tracing();
    let redis = RedisServer::start();
    set_cache_backend(RedisCacheBackend::new(&redis.url()).expect("a Redis URL"));
    let temporal = TemporalServer::shared();
    let token = token("lookup-stale");
    block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("lookup-stale");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let mut worker = lookup_worker(&runtime, &client, &task_queue);
        let shutdown = worker.shutdown_handle();
        let workflows = async {
            let stored = Instant::now();
            let first = execute(&client, &task_queue, "stale_slow", &token).await;
            assert_eq!(
                (
                    first.output.run,
                    first.count(EventType::ActivityTaskScheduled)
                ),
                (1, 1),
                "a miss schedules the activity, which stores the entry"
            );

            // The entry's freshness is wall-clock time: only waiting turns it stale.
            tokio::time::sleep_until((stored + STALE_SLOW_TTL * 2).into()).await;
            let stale = execute(&client, &task_queue, "stale_slow", &token).await;
            assert_eq!(
                stale.count(EventType::ActivityTaskScheduled),
                1,
                "the lookup does not serve a stale entry: the activity is scheduled"
            );
            assert_eq!(
                (stale.output.run, runs(&token)),
                (2, 2),
                "the activity refreshed the entry instead of serving the stale value"
            );

            let fresh = execute(&client, &task_queue, "stale_slow", &token).await;
            assert_eq!(
                fresh.count(EventType::ActivityTaskScheduled),
                0,
                "the refreshed entry is a hit for the lookup"
            );
            assert_eq!(fresh.output, stale.output, "the refreshed value");
            shutdown();
        };
        let (worker_result, ()) = tokio::join!(worker.run(), workflows);
        worker_result.expect("the worker stops cleanly");
    });
}
