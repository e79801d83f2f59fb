//! Tests of the test harness itself: the servers start, answer, and can be killed and restarted.

use temporal_cache_tests::init_tracing;
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::temporal_server::{NAMESPACE, TemporalServer, unique_task_queue};
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;

/// Sends `PING` over a fresh connection to `client`.
async fn ping(client: &redis::Client) -> redis::RedisResult<String> {
    let mut connection = client.get_multiplexed_async_connection().await?;
    redis::cmd("PING").query_async(&mut connection).await
}

#[tokio::test]
async fn redis_starts_and_answers_ping() {
    init_tracing();
    let redis = RedisServer::start();
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{}/", redis.port()));
    assert_eq!(ping(&redis.client()).await.unwrap(), "PONG");
}

#[tokio::test]
async fn redis_kill_then_restart_keeps_the_port() {
    init_tracing();
    let mut redis = RedisServer::start();
    let port = redis.port();
    let client = redis.client();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SET")
        .arg("harness-key")
        .arg("value")
        .query_async::<()>(&mut connection)
        .await
        .unwrap();

    redis.kill();
    let error = ping(&client).await.unwrap_err();
    assert!(error.is_connection_refusal(), "unexpected error: {error}");

    redis.restart();
    assert_eq!(redis.port(), port);
    assert_eq!(ping(&client).await.unwrap(), "PONG");
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let value: Option<String> = redis::cmd("GET")
        .arg("harness-key")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(value, None, "a restarted server starts empty");
}

#[tokio::test]
async fn redis_start_with_passes_extra_args() {
    init_tracing();
    let redis = RedisServer::start_with(&["--requirepass", "secret"]);
    let error = ping(&redis.client()).await.unwrap_err();
    assert_eq!(error.code(), Some("NOAUTH"), "unexpected error: {error}");

    let with_password = format!("redis://:secret@127.0.0.1:{}/", redis.port());
    let client = redis::Client::open(with_password).unwrap();
    assert_eq!(ping(&client).await.unwrap(), "PONG");
}

#[tokio::test]
async fn temporal_shared_server_accepts_clients() {
    init_tracing();
    let server = TemporalServer::shared();
    assert!(std::ptr::eq(server, TemporalServer::shared()));
    assert_eq!(
        server.address(),
        format!("http://127.0.0.1:{}", server.port())
    );

    let client = server.client().await;
    let response = client
        .connection()
        .workflow_service()
        .describe_namespace(tonic_request(DescribeNamespaceRequest {
            namespace: NAMESPACE.to_owned(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let info = response.namespace_info.expect("namespace info");
    assert_eq!(info.name, NAMESPACE);
}

#[test]
fn unique_task_queues_differ() {
    let first = unique_task_queue("harness");
    let second = unique_task_queue("harness");
    assert!(first.starts_with("harness-"), "{first}");
    assert_ne!(first, second);
}

/// Wraps a gRPC message in a request.
fn tonic_request<T>(message: T) -> temporalio_client::tonic::Request<T> {
    temporalio_client::tonic::Request::new(message)
}
