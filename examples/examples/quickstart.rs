//! The quickstart: one cached activity, the same workflow run twice with the same input.
//!
//! The first run executes the slow activity body and stores its result; the second run, a
//! different workflow execution, is served from the cache and skips the body.
//!
//! It needs a Temporal server (`TEMPORAL_ADDRESS`, default `http://localhost:7233`) and uses the
//! Redis that `TEMPORAL_CACHE_REDIS_URL` names when it is set (TLS included: see
//! `RedisCacheBackend::from_env`), else an in-memory cache. `scripts/demo` starts both servers and
//! runs it.

// The SDK macros generate undocumented marker constants for workflows and activities.
#![allow(missing_docs)]

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{
    MemoryCacheBackend, RedisCacheBackend, cached_activity, invalidate_cache, set_cache_backend,
};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowGetResultOptions,
    WorkflowStartOptions,
};
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};

/// How many times the activity body really ran in this process.
static BODY_RUNS: AtomicU32 = AtomicU32::new(0);

/// What the slow activity returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: u64,
    /// The user's display name.
    pub name: String,
}

/// The activities of the quickstart.
pub struct UserActivities;

#[activities]
impl UserActivities {
    /// Looks a user up, slowly. Its result is cached for an hour, keyed by `id`.
    #[cached_activity(policy = "inputs", ttl = "1h")]
    #[activity]
    pub async fn fetch_user(_ctx: ActivityContext, id: u64) -> Result<User, ActivityError> {
        BODY_RUNS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await; // stands in for a slow query
        Ok(User {
            id,
            name: format!("User {id}"),
        })
    }
}

/// A workflow that fetches one user.
#[workflow]
#[derive(Default)]
pub struct UserWorkflow;

#[workflow_methods]
impl UserWorkflow {
    /// Fetches the user `id` through the cached activity.
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, id: u64) -> WorkflowResult<User> {
        let user = ctx
            .execute_activity(
                UserActivities::fetch_user,
                id,
                ActivityOptions::start_to_close_timeout(Duration::from_secs(30)),
            )
            .await?;
        Ok(user)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,temporal_cache=debug".into()),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    if std::env::var_os(RedisCacheBackend::URL_ENV_VAR).is_some() {
        let backend = RedisCacheBackend::from_env()?;
        println!("cache backend: Redis {backend:?}");
        set_cache_backend(backend);
    } else {
        println!(
            "cache backend: in-memory (set {} to share results between workers)",
            RedisCacheBackend::URL_ENV_VAR
        );
        set_cache_backend(MemoryCacheBackend::new());
    }

    let address =
        std::env::var("TEMPORAL_ADDRESS").unwrap_or_else(|_| "http://localhost:7233".to_owned());
    let connection = Connection::connect(ConnectionOptions::new(Url::parse(&address)?).build())
        .await
        .map_err(|error| format!("cannot reach the Temporal server at {address}: {error}"))?;
    let client = Client::new(connection, ClientOptions::new("default").build())?;
    println!("temporal server: {address}");

    let task_queue = format!("quickstart-{}", std::process::id());
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let options = WorkerOptions::new(&task_queue)
        .register_workflow::<UserWorkflow>()?
        .register_activities(UserActivities)
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), options)?;
    let shutdown = worker.shutdown_handle();

    let user_id = 123;
    // A Redis that outlives the demo may still hold the entry from an earlier run: start clean.
    invalidate_cache!(UserActivities::fetch_user, user_id).await?;

    let starter = async {
        let mut runs = Vec::new();
        for run in ["a", "b"] {
            let workflow_id = format!("quickstart-{run}-{}", std::process::id());
            let before = BODY_RUNS.load(Ordering::SeqCst);
            let started = Instant::now();
            let handle = client
                .start_workflow(
                    UserWorkflow::run,
                    user_id,
                    WorkflowStartOptions::new(task_queue.as_str(), workflow_id.as_str()).build(),
                )
                .await?;
            let user = handle
                .get_result(WorkflowGetResultOptions::default())
                .await?;
            let elapsed = started.elapsed();
            let body_ran = BODY_RUNS.load(Ordering::SeqCst) > before;
            println!(
                "workflow {workflow_id}: {user:?} in {:.3} s, activity body {}",
                elapsed.as_secs_f64(),
                if body_ran {
                    "ran (cache miss)"
                } else {
                    "skipped (cache hit)"
                }
            );
            runs.push((user, body_ran, elapsed));
        }
        shutdown();
        Ok::<_, BoxError>(runs)
    };
    let (worker_result, runs) = tokio::join!(worker.run(), starter);
    worker_result?;
    let runs = runs?;

    let (first, second) = (&runs[0], &runs[1]);
    if !first.1 || second.1 || first.0 != second.0 {
        return Err(
            "expected the first run to execute the body and the second to be served \
                    the same user from the cache"
                .into(),
        );
    }
    println!(
        "second run served from the cache: {:.1}x faster, body ran {} time(s) in all",
        first.2.as_secs_f64() / second.2.as_secs_f64(),
        BODY_RUNS.load(Ordering::SeqCst)
    );
    Ok(())
}
