//! Per-call directives end to end, on a real Temporal dev server: a workflow asks for `refresh`
//! (the body runs, the entry changes, later calls are served the new value) and for `bypass` (the
//! body runs, the entry is unchanged), through `temporal_cache_runtime::directive` and its
//! workflow interceptor on the worker. And the worker-wide switch `TEMPORAL_CACHE_REFRESH=1`, in
//! another process: it reads nothing and stores everything.

use temporal_cache_runtime::directive::{REFRESH_ENV_VAR, interceptor};
use temporal_cache_tests::activities::{Cached, Output, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::redis_server;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::temporal_server::{TemporalServer, unique_task_queue};
use temporal_cache_tests::workflows::{DirectedCall, DirectedWorkflow};
use temporalio_client::{Client, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

async fn execute(
    client: &Client,
    task_queue: &str,
    token: &str,
    directive: Option<&str>,
) -> Output {
    let workflow_id = unique_task_queue("directed");
    let call = DirectedCall {
        directive: directive.map(str::to_owned),
        token: token.to_owned(),
        value: 1,
    };
    client
        .start_workflow(
            DirectedWorkflow::run,
            call,
            WorkflowStartOptions::new(task_queue, workflow_id.as_str()).build(),
        )
        .await
        .expect("the workflow starts")
        .get_result(WorkflowGetResultOptions::default())
        .await
        .expect("the workflow completes")
}

#[test]
fn a_workflow_refreshes_or_bypasses_the_cache_for_one_call() {
    redis_server::global();
    let temporal = TemporalServer::shared();
    block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("directives");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let options = WorkerOptions::new(task_queue.as_str())
            .register_workflow::<DirectedWorkflow>()
            .unwrap()
            .register_activities(Cached)
            .register_workflow_interceptors(vec![interceptor()])
            .build();
        let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();
        let token = token("directives");

        let workflows = async {
            let first = execute(&client, &task_queue, &token, None).await;
            assert_eq!(first.run, 1);
            assert_eq!(
                execute(&client, &task_queue, &token, None).await,
                first,
                "a hit"
            );

            let refreshed = execute(&client, &task_queue, &token, Some("refresh")).await;
            assert_eq!(refreshed.run, 2, "refresh runs the body");
            assert_eq!(
                execute(&client, &task_queue, &token, None).await,
                refreshed,
                "later calls are served the refreshed value"
            );

            let bypassed = execute(&client, &task_queue, &token, Some("bypass")).await;
            assert_eq!(bypassed.run, 3, "bypass runs the body");
            assert_eq!(
                execute(&client, &task_queue, &token, None).await,
                refreshed,
                "and leaves the entry as it was"
            );
            assert_eq!(runs(&token), 3);
            shutdown();
        };
        let (worker_result, ()) = tokio::join!(worker.run(), workflows);
        worker_result.expect("the worker stops cleanly");
    });
}

#[test]
fn a_worker_started_with_the_refresh_switch_reads_nothing_and_stores_everything() {
    let redis = redis_server::global();
    let token = token("refresh-switch");
    let stored_here = block_on(run(Cached::echo, MultiArgs2(token.clone(), 5)));
    assert_eq!(stored_here.pid, std::process::id());

    let mut probe = Probe::start_with_env(
        env!("CARGO_BIN_EXE_probe"),
        &["echo", &redis.url(), &token, "5"],
        &[(REFRESH_ENV_VAR, "1")],
    );
    let report = probe.report();
    assert_eq!(
        report["runs"], 2,
        "both of its calls ran the body: {report}"
    );
    let outputs: Vec<Output> = serde_json::from_value(report["outputs"].clone()).expect("outputs");
    assert!(outputs.iter().all(|output| output.pid == probe.pid()));

    let served_here = block_on(run(Cached::echo, MultiArgs2(token.clone(), 5)));
    assert_eq!(
        served_here, outputs[1],
        "its last result replaced the entry this process had stored"
    );
}
