//! A second process for the tests: a worker, or callers of cached activities. Each takes its
//! backend's storage settings (encryption, keyed hashing) from the environment.
//!
//! - `probe worker <temporal address> <redis url> <task queue>`: runs a worker with the test
//!   workflows and activities until its standard input closes.
//! - `probe sealed-worker <temporal address> <redis url> <task queue> <key byte>`: the same, with
//!   the encrypting payload codec of `stored::sealing_converter(key byte)` on its client and on
//!   its cache.
//! - `probe echo <redis url> <token> <value>`: calls `Cached::echo` twice with the same input and
//!   prints one JSON line: whether caching is enabled, both outputs, and how often the body ran.
//! - `probe invalidate <redis url> <token> <value>`: runs `invalidate_cache!(Cached::echo, ...)`
//!   once and prints one JSON line: whether caching is enabled and whether an entry was removed.
//! - `probe calls <redis url> <activity> <token> <count> <millis>`: prints `ready`, waits for a
//!   line on standard input, makes `count` concurrent calls of a slow activity (`slow`,
//!   `short_lease`, `sync_short_lease`, `impatient` or `stale_slow`) and prints one JSON line
//!   with the outputs, how long each call took and the runs.
//! - `probe hold <redis url> <activity> <token> <millis>`: calls a slow activity once and prints
//!   `started` when its body has started, then waits for the call (or to be killed).
//! - `probe held <redis url> <activity> <token> <value>`: calls `Cached::held` or
//!   `Cached::held_unlocked` with its body held at its gate, prints `started` once the body has
//!   started, waits for a line on standard input, releases the body and prints its output as
//!   JSON.
//! - `probe collections <redis url> <token>`: calls `Cached::by_collections` with a set and a map
//!   built in this process (with its own hash seeds) and prints the output as JSON.
//! - `probe from-env`: builds `RedisCacheBackend::from_env()` and prints one JSON line: its near
//!   cache's byte bound (or null) and its `Debug` form; or fails with its error.

use std::process::ExitCode;

use temporal_cache_runtime::{
    RedisCacheBackend, Storage, caching_enabled, invalidate_cache, set_cache_backend,
};
use temporal_cache_tests::activities::{
    Cached, Output, body_started, collections, hold_bodies, release_bodies, runs,
};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::stored::{Stored, sealing_converter};
use temporal_cache_tests::workflows::{CallWorkflow, ProfileWorkflow, WaitWorkflow};
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};
use temporalio_common::data_converters::{DataConverter, MultiArgs2, MultiArgs3};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

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
        ["worker", address, redis_url, task_queue] => {
            worker(address, redis_url, task_queue, None).await
        }
        ["sealed-worker", address, redis_url, task_queue, key] => match key.parse() {
            Ok(key) => worker(address, redis_url, task_queue, Some(sealing_converter(key))).await,
            Err(error) => Err(format!("the key byte: {error}").into()),
        },
        ["echo", redis_url, token, value] => echo(redis_url, token, value).await,
        ["invalidate", redis_url, token, value] => invalidate(redis_url, token, value).await,
        ["calls", redis_url, activity, token, count, millis] => {
            calls(redis_url, activity, token, count, millis).await
        }
        ["hold", redis_url, activity, token, millis] => {
            hold(redis_url, activity, token, millis).await
        }
        ["held", redis_url, activity, token, value] => {
            held(redis_url, activity, token, value).await
        }
        ["collections", redis_url, token] => by_collections(redis_url, token).await,
        ["from-env"] => from_env(),
        _ => Err("usage: see the documentation of tests/src/bin/probe.rs".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("probe: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn worker(
    address: &str,
    redis_url: &str,
    task_queue: &str,
    converter: Option<DataConverter>,
) -> Result<(), BoxError> {
    let mut storage = Storage::from_env()?;
    let mut client_options = ClientOptions::new("default").build();
    if let Some(converter) = converter {
        storage = storage.with_data_converter(converter.clone());
        client_options.data_converter = converter;
    }
    set_cache_backend(RedisCacheBackend::from_urls(redis_url)?.with_storage(storage));
    let connection =
        Connection::connect(ConnectionOptions::new(Url::parse(address)?).build()).await?;
    let client = Client::new(connection, client_options)?;
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let options = WorkerOptions::new(task_queue)
        .register_workflow::<CallWorkflow>()?
        .register_workflow::<WaitWorkflow>()?
        .register_workflow::<ProfileWorkflow>()?
        .register_activities(Cached)
        .register_activities(Stored)
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

/// The backend on `redis_url`, with the storage settings the environment asks for (see
/// `Storage::from_env`).
fn backend(redis_url: &str) -> Result<RedisCacheBackend, BoxError> {
    Ok(RedisCacheBackend::from_urls(redis_url)?.with_storage(Storage::from_env()?))
}

async fn echo(redis_url: &str, token: &str, value: &str) -> Result<(), BoxError> {
    set_cache_backend(backend(redis_url)?);
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

async fn invalidate(redis_url: &str, token: &str, value: &str) -> Result<(), BoxError> {
    set_cache_backend(backend(redis_url)?);
    let value: u64 = value.parse()?;
    let removed = invalidate_cache!(Cached::echo, token.to_owned(), value).await?;
    println!(
        "{}",
        serde_json::json!({ "caching_enabled": caching_enabled(), "removed": removed })
    );
    Ok(())
}

/// One call of the slow activity named `activity`.
pub async fn call_slow(activity: &str, token: &str, millis: u64) -> Result<Output, BoxError> {
    let input = MultiArgs2(token.to_owned(), millis);
    Ok(match activity {
        "slow" => run(Cached::slow, input).await,
        "short_lease" => run(Cached::short_lease, input).await,
        "sync_short_lease" => run(Cached::sync_short_lease, input).await,
        "impatient" => run(Cached::impatient, input).await,
        "stale_slow" => run(Cached::stale_slow, input).await,
        other => return Err(format!("unknown activity {other}").into()),
    })
}

async fn calls(
    redis_url: &str,
    activity: &str,
    token: &str,
    count: &str,
    millis: &str,
) -> Result<(), BoxError> {
    set_cache_backend(backend(redis_url)?);
    let (count, millis): (usize, u64) = (count.parse()?, millis.parse()?);
    println!("ready");
    let mut go = String::new();
    BufReader::new(tokio::io::stdin())
        .read_line(&mut go)
        .await?;
    let calls = (0..count).map(|_| async {
        let started = std::time::Instant::now();
        let output = call_slow(activity, token, millis).await?;
        Ok::<_, BoxError>((output, started.elapsed().as_millis()))
    });
    let (outputs, elapsed_ms): (Vec<Output>, Vec<u128>) = futures::future::try_join_all(calls)
        .await?
        .into_iter()
        .unzip();
    println!(
        "{}",
        serde_json::json!({ "outputs": outputs, "elapsed_ms": elapsed_ms, "runs": runs(token) })
    );
    Ok(())
}

async fn hold(redis_url: &str, activity: &str, token: &str, millis: &str) -> Result<(), BoxError> {
    set_cache_backend(backend(redis_url)?);
    let millis: u64 = millis.parse()?;
    let announce = async {
        body_started(token).await;
        println!("started");
    };
    let (output, ()) = tokio::join!(call_slow(activity, token, millis), announce);
    println!("{}", serde_json::to_string(&output?)?);
    Ok(())
}

async fn held(redis_url: &str, activity: &str, token: &str, value: &str) -> Result<(), BoxError> {
    set_cache_backend(backend(redis_url)?);
    let input = MultiArgs2(token.to_owned(), value.parse::<u64>()?);
    hold_bodies();
    let call = async {
        match activity {
            "held" => Ok(run(Cached::held, input).await),
            "held_unlocked" => Ok(run(Cached::held_unlocked, input).await),
            other => Err(BoxError::from(format!("unknown activity {other}"))),
        }
    };
    let release = async {
        body_started(token).await;
        println!("started");
        let mut go = String::new();
        let read = BufReader::new(tokio::io::stdin()).read_line(&mut go).await;
        release_bodies();
        read
    };
    let (output, read) = tokio::join!(call, release);
    read?;
    println!("{}", serde_json::to_string(&output?)?);
    Ok(())
}

async fn by_collections(redis_url: &str, token: &str) -> Result<(), BoxError> {
    set_cache_backend(backend(redis_url)?);
    let (words, counts) = collections(false);
    let output = run(
        Cached::by_collections,
        MultiArgs3(token.to_owned(), words, counts),
    )
    .await;
    println!("{}", serde_json::to_string(&output)?);
    Ok(())
}

fn from_env() -> Result<(), BoxError> {
    let backend = RedisCacheBackend::from_env()?;
    println!(
        "{}",
        serde_json::json!({
            "near_cache_max_bytes": backend.near_cache_stats().map(|stats| stats.max_bytes),
            "debug": format!("{backend:?}"),
        })
    );
    Ok(())
}
