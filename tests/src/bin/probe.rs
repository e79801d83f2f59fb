//! A second process for the tests: a worker, or a one-off caller of a cached activity.
//!
//! - `probe worker <temporal address> <redis url> <task queue>`: runs a worker with the test
//!   workflows and activities until its standard input closes.
//! - `probe echo <redis url> <token> <value>`: calls `Cached::echo` twice with the same input and
//!   prints one JSON line: whether caching is enabled, both outputs, and how often the body ran.

use std::process::ExitCode;

use temporal_cache_runtime::{RedisCacheBackend, caching_enabled, set_cache_backend};
use temporal_cache_tests::activities::{Cached, runs};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::workflows::CallWorkflow;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use tokio::io::AsyncReadExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    temporal_cache_tests::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["worker", address, redis_url, task_queue] => worker(address, redis_url, task_queue).await,
        ["echo", redis_url, token, value] => echo(redis_url, token, value).await,
        _ => Err(
            "usage: probe worker <temporal address> <redis url> <task queue> | \
                  probe echo <redis url> <token> <value>"
                .into(),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("probe: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn worker(address: &str, redis_url: &str, task_queue: &str) -> Result<(), BoxError> {
    set_cache_backend(RedisCacheBackend::new(redis_url)?);
    let connection =
        Connection::connect(ConnectionOptions::new(Url::parse(address)?).build()).await?;
    let client = Client::new(connection, ClientOptions::new("default").build())?;
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let options = WorkerOptions::new(task_queue)
        .register_workflow::<CallWorkflow>()?
        .register_activities(Cached)
        .build();
    let mut worker = Worker::new(&runtime, client, options)?;
    let shutdown = worker.shutdown_handle();
    println!("worker ready on {task_queue}");
    let stop_on_eof = async {
        let mut sink = Vec::new();
        // Ends when the test process closes our standard input (or exits).
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        shutdown();
    };
    let (result, ()) = tokio::join!(worker.run(), stop_on_eof);
    result?;
    Ok(())
}

async fn echo(redis_url: &str, token: &str, value: &str) -> Result<(), BoxError> {
    set_cache_backend(RedisCacheBackend::new(redis_url)?);
    let value: u64 = value.parse()?;
    let first = run(Cached::echo, MultiArgs2(token.to_owned(), value)).await;
    let second = run(Cached::echo, MultiArgs2(token.to_owned(), value)).await;
    println!(
        "{}",
        serde_json::json!({
            "caching_enabled": caching_enabled(),
            "outputs": [first, second],
            "runs": runs(token),
        })
    );
    Ok(())
}
