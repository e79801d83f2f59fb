//! What the CLI tests share: activities cached the way a worker caches them, a way to run them
//! without a Temporal server, and running the built `temporal-cache` binary for a bounded time.

use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{RedisCacheBackend, cached_activity};
use temporal_cache_servers::run_bounded;
use temporalio_common::ActivityDefinition;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError, ExecutableActivity};
use temporalio_sdk::testing::{ActivityEnvironment, TestActivityInfoOptions};

/// A cached result with some structure to it.
#[derive(Debug, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub name: String,
}

pub struct Users;

#[activities]
impl Users {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn fetch_user(_ctx: ActivityContext, id: u64) -> Result<User, ActivityError> {
        Ok(User {
            id,
            name: format!("user {id}"),
        })
    }
}

pub struct Reports;

#[activities]
impl Reports {
    #[cached_activity(ttl = "never")]
    #[activity]
    pub async fn render(_ctx: ActivityContext, report: String) -> Result<String, ActivityError> {
        Ok(format!("<h1>{report}</h1>"))
    }
}

/// The registered activity type of `activity`, as its keys hold it.
pub fn activity_type<A: ActivityDefinition>(activity: A) -> String {
    activity.name().to_owned()
}

/// Runs `activity` once, in namespace `default`, as a worker would: through its cache.
pub async fn run<A>(activity: A, input: A::Input) -> A::Output
where
    A: ExecutableActivity + ActivityDefinition,
{
    let environment = ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity.name())
                .namespace("default")
                .build(),
        )
        .build();
    environment
        .run(activity, input)
        .await
        .unwrap_or_else(|error| panic!("the activity failed: {error:?}"))
}

/// Every key of `activity_type` in namespace `default`, as the runtime scans them.
pub async fn keys_of(backend: &RedisCacheBackend, activity_type: &str) -> Vec<String> {
    let mut scan = backend.scan_prefix(&backend.activity_prefix(Some("default"), activity_type));
    let mut keys = Vec::new();
    while let Some(batch) = scan.next_batch().await.expect("SCAN works") {
        keys.extend(batch);
    }
    keys.sort();
    keys.dedup();
    keys
}

/// How long one run of the CLI may take: its own Redis operations give up after 5 s, so a run
/// still going after this is a hang, and fails the test rather than stalling it.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(30);

/// The cache backend activities use is one per process: a test that sets it holds this until
/// its activities have run, so that tests running in parallel do not store into each other's
/// Redis.
pub fn global_backend() -> MutexGuard<'static, ()> {
    static GLOBAL_BACKEND: Mutex<()> = Mutex::new(());
    GLOBAL_BACKEND
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Runs `temporal-cache --url <url> <args>` with none of the environment variables it reads,
/// within [`CLI_TIMEOUT`].
pub fn cli(url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_temporal-cache"));
    for var in [
        "TEMPORAL_CACHE_REDIS_URL",
        "REDIS_URL",
        "TEMPORAL_CACHE_REDIS_PREFIX",
        "TEMPORAL_CACHE_REDIS_CA_FILE",
        "TEMPORAL_CACHE_REDIS_CLIENT_CERT_FILE",
        "TEMPORAL_CACHE_REDIS_CLIENT_KEY_FILE",
        "TEMPORAL_CACHE_REDIS_PASSWORD",
        "TEMPORAL_CACHE_ENCRYPTION_KEYS",
        "TEMPORAL_NAMESPACE",
    ] {
        command.env_remove(var);
    }
    if !url.is_empty() {
        command.args(["--url", url]);
    }
    command.args(args);
    let output = run_bounded(&mut command, CLI_TIMEOUT).unwrap_or_else(|error| panic!("{error}"));
    Output {
        status: output.status,
        stdout: output.stdout.into_bytes(),
        stderr: output.stderr.into_bytes(),
    }
}

/// The stdout of a run of the CLI that must succeed.
pub fn cli_ok(url: &str, args: &[&str]) -> String {
    let output = cli(url, args);
    assert!(
        output.status.success(),
        "temporal-cache {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the CLI prints UTF-8")
}

/// `stats --json`, parsed: (namespace, activity type) to that activity's figures.
pub fn stats(url: &str) -> serde_json::Value {
    stats_with(url, &[])
}

/// `stats --json` with connection `options` (`--user`, `--tls-ca`...), parsed.
pub fn stats_with(url: &str, options: &[&str]) -> serde_json::Value {
    let args = [options, &["stats", "--json"]].concat();
    serde_json::from_str(&cli_ok(url, &args)).expect("stats --json prints JSON")
}

/// The figures of `activity_type` in namespace `default` in a `stats --json` report, if any.
pub fn figures<'a>(
    report: &'a serde_json::Value,
    activity_type: &str,
) -> Option<&'a serde_json::Value> {
    report["activities"]
        .as_array()
        .expect("a list of activities")
        .iter()
        .find(|activity| {
            activity["namespace"] == "default" && activity["activity_type"] == activity_type
        })
}
