//! Tenancy and payload codecs end to end on a real Temporal dev server: two namespaces never
//! share an entry unless the activity opts in, and a worker whose client encrypts payloads with a
//! codec stores cache entries through the same DataConverter: no plaintext in Redis, hits for a
//! worker in another process with the same codec, a miss (never a failure) for one with another
//! key. The tests run one at a time: each sets the global backend.

use redis::AsyncCommands;
use temporal_cache_runtime::Storage;
use temporal_cache_tests::activities::{runs, token};
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::stored::{
    PLAINTEXT_MARKER, Profile, Stored, contains_text, redis, sealing_converter, use_storage,
};
use temporal_cache_tests::temporal_server::{TemporalServer, unique_task_queue};
use temporal_cache_tests::workflows::ProfileWorkflow;
use temporalio_client::{Client, ClientOptions, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::data_converters::DataConverter;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

async fn profiles(client: &Client, task_queue: &str, token: &str) -> Vec<Profile> {
    let workflow_id = unique_task_queue("profile");
    client
        .start_workflow(
            ProfileWorkflow::run,
            token.to_owned(),
            WorkflowStartOptions::new(task_queue, workflow_id.as_str()).build(),
        )
        .await
        .expect("the workflow starts")
        .get_result(WorkflowGetResultOptions::default())
        .await
        .expect("the workflow completes")
}

fn worker(runtime: &Runtime, client: &Client, task_queue: &str) -> Worker {
    let options = WorkerOptions::new(task_queue)
        .register_workflow::<ProfileWorkflow>()
        .unwrap()
        .register_activities(Stored)
        .build();
    Worker::new(runtime, client.clone(), options).expect("a worker")
}

#[test]
fn namespaces_never_share_an_entry_unless_the_activity_opts_in() {
    let _serial = temporal_cache_tests::serial();
    use_storage(Storage::new());
    let temporal = TemporalServer::shared();
    let tenant = format!("tenant-{}", std::process::id());
    temporal.create_namespace(&tenant);
    block_on(async {
        let default = temporal.client().await;
        let other = temporal
            .client_with(ClientOptions::new(tenant.as_str()).build())
            .await;
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let (queue_a, queue_b) = (unique_task_queue("tenant-a"), unique_task_queue("tenant-b"));
        let mut worker_a = worker(&runtime, &default, &queue_a);
        let mut worker_b = worker(&runtime, &other, &queue_b);
        let (stop_a, stop_b) = (worker_a.shutdown_handle(), worker_b.shutdown_handle());
        let token = token("tenancy");

        let workflows = async {
            let a = profiles(&default, &queue_a, &token).await;
            let b = profiles(&other, &queue_b, &token).await;
            let again = profiles(&other, &queue_b, &token).await;
            assert_eq!(
                (a[0].run, b[0].run),
                (1, 2),
                "each namespace ran the body once"
            );
            assert_eq!(again[0], b[0], "and is then served its own entry");
            assert_eq!(runs(&token), 2);
            assert_eq!(
                b[1], a[1],
                "the shared activity serves every namespace one entry"
            );
            assert_eq!(runs(&format!("{token}/shared")), 1);
            stop_a();
            stop_b();
        };
        let (a, b, ()) = tokio::join!(worker_a.run(), worker_b.run(), workflows);
        a.expect("worker A stops cleanly");
        b.expect("worker B stops cleanly");
    });
    let mut connection = block_on(redis().connection());
    let keys: Vec<String> =
        block_on(connection.keys(format!("temporal-cache:v2:{tenant}:Stored::profile:*")))
            .expect("KEYS");
    assert_eq!(
        keys.len(),
        1,
        "the tenant's entry is under its namespace: {keys:?}"
    );
}

fn sealed_client_options(converter: DataConverter) -> ClientOptions {
    let mut options = ClientOptions::new("default").build();
    options.data_converter = converter;
    options
}

fn sealed_worker(task_queue: &str, key: u8) -> Probe {
    let temporal = TemporalServer::shared();
    Probe::start_ready(
        env!("CARGO_BIN_EXE_probe"),
        &[
            "sealed-worker",
            &temporal.address(),
            &redis().url(),
            task_queue,
            &key.to_string(),
        ],
        "worker ready",
    )
}

#[test]
fn a_codec_encrypts_cache_entries_as_it_encrypts_history() {
    let _serial = temporal_cache_tests::serial();
    use_storage(Storage::new().with_data_converter(sealing_converter(1)));
    let temporal = TemporalServer::shared();
    let (local, same_key, other_key) = (
        unique_task_queue("sealed-local"),
        unique_task_queue("sealed-same-key"),
        unique_task_queue("sealed-other-key"),
    );
    let same = sealed_worker(&same_key, 1);
    let other = sealed_worker(&other_key, 2);
    let token = token("sealed");
    block_on(async {
        let client = temporal
            .client_with(sealed_client_options(sealing_converter(1)))
            .await;
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let mut worker = worker(&runtime, &client, &local);
        let stop = worker.shutdown_handle();
        let workflows = async {
            // Only this test's entries: the namespaces test stores plain ones of the activity.
            const PROFILES: &str = "temporal-cache:v2:*:Stored::*profile:*";
            let mut connection = redis().connection().await;
            let before: Vec<String> = connection.keys(PROFILES).await.expect("KEYS");
            let first = profiles(&client, &local, &token).await;
            assert_eq!(first[0].run, 1);

            let after: Vec<String> = connection.keys(PROFILES).await.expect("KEYS");
            let stored: Vec<&String> = after.iter().filter(|key| !before.contains(key)).collect();
            assert_eq!(stored.len(), 2, "one entry per activity: {stored:?}");
            for key in stored {
                let entry: Vec<u8> = connection.get(key).await.expect("GET");
                assert!(
                    !contains_text(&entry, PLAINTEXT_MARKER),
                    "no plaintext of a result in Redis"
                );
                assert!(entry.starts_with(b"tc\x02\x04"), "an encoded Payload");
            }

            let served = profiles(&client, &same_key, &token).await;
            assert_eq!(
                served[0], first[0],
                "another process with the same codec gets the hit"
            );

            let other_client = temporal
                .client_with(sealed_client_options(sealing_converter(2)))
                .await;
            let recomputed = profiles(&other_client, &other_key, &token).await;
            assert_eq!(
                recomputed[0].pid,
                other.pid(),
                "another key: a miss, the body ran there"
            );
            assert_eq!(recomputed[0].token, token);
            stop();
        };
        let (result, ()) = tokio::join!(worker.run(), workflows);
        result.expect("the worker stops cleanly");
    });
    assert_eq!(runs(&token), 1, "the body ran once in this process");
    drop(same);
}
