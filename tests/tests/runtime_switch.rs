//! `TEMPORAL_CACHE_DISABLED=1` turns caching off for a whole process. The switch is read once per
//! process, so each case runs the `probe` binary as a process of its own.

use std::process::Command;

use redis::AsyncCommands;
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;

/// Runs `probe echo` (two identical calls of `Cached::echo`) and returns what it printed.
fn probe_echo(redis: &RedisServer, disabled: Option<&str>) -> serde_json::Value {
    run_probe("echo", redis, disabled)
}

/// Runs `probe <command> <redis url> switch 11` and returns the JSON line it printed.
fn run_probe(subcommand: &str, redis: &RedisServer, disabled: Option<&str>) -> serde_json::Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_probe"));
    command.args([subcommand, &redis.url(), "switch", "11"]);
    command.env_remove("TEMPORAL_CACHE_DISABLED");
    if let Some(value) = disabled {
        command.env("TEMPORAL_CACHE_DISABLED", value);
    }
    let output = command.output().expect("the probe binary runs");
    assert!(
        output.status.success(),
        "probe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the probe prints one JSON line")
}

fn stored_keys(redis: &RedisServer) -> usize {
    block_on(async {
        let mut connection = redis.connection().await;
        let keys: Vec<String> = connection.keys("*").await.unwrap();
        keys.len()
    })
}

#[test]
fn the_environment_variable_turns_caching_off() {
    for value in ["1", "true"] {
        let redis = RedisServer::start();
        let report = probe_echo(&redis, Some(value));
        assert_eq!(report["caching_enabled"], false, "{report}");
        assert_eq!(report["runs"], 2, "both calls run the body: {report}");
        assert_eq!(stored_keys(&redis), 0, "nothing is stored");
    }
}

#[test]
fn without_the_switch_the_same_calls_are_cached() {
    let redis = RedisServer::start();
    let report = probe_echo(&redis, None);
    assert_eq!(report["caching_enabled"], true, "{report}");
    assert_eq!(report["runs"], 1, "the second call is a hit: {report}");
    assert_eq!(report["outputs"][0], report["outputs"][1]);
    assert_eq!(stored_keys(&redis), 1);
    let other = probe_echo(&redis, Some("0"));
    assert_eq!(
        other["caching_enabled"], true,
        "only 1 or true turn caching off"
    );
}

/// Invalidation honours the switch as calls do: a process with caching off touches no backend, so
/// it removes nothing (and says so), while the same invalidation with caching on removes the entry.
#[test]
fn with_the_switch_invalidation_touches_no_backend() {
    let redis = RedisServer::start();
    probe_echo(&redis, None);
    assert_eq!(stored_keys(&redis), 1);

    let disabled = run_probe("invalidate", &redis, Some("1"));
    assert_eq!(disabled["caching_enabled"], false, "{disabled}");
    assert_eq!(disabled["removed"], false, "{disabled}");
    assert_eq!(stored_keys(&redis), 1, "the entry is still there");

    let enabled = run_probe("invalidate", &redis, None);
    assert_eq!(enabled["removed"], true, "{enabled}");
    assert_eq!(stored_keys(&redis), 0);
}
