//! `RedisCacheBackend::from_env()` in a process of its own (the `probe` binary), given only the
//! environment a deployment would set: what it configures, and the configuration errors it gives.
//! Building a backend does not connect, so no server is needed.

use std::process::{Command, Output};

/// Every variable `from_env` reads, cleared before each run so that the test's own environment
/// cannot leak in.
const READ: [&str; 8] = [
    "TEMPORAL_CACHE_REDIS_URL",
    "TEMPORAL_CACHE_REDIS_CA_FILE",
    "TEMPORAL_CACHE_REDIS_CLIENT_CERT_FILE",
    "TEMPORAL_CACHE_REDIS_CLIENT_KEY_FILE",
    "TEMPORAL_CACHE_REDIS_PREFIX",
    "TEMPORAL_CACHE_NEAR_CACHE_BYTES",
    "TEMPORAL_CACHE_ENCRYPTION_KEYS",
    "TEMPORAL_CACHE_KEY_SECRET",
];

fn from_env(env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_probe"));
    command.arg("from-env");
    for name in READ {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("the probe runs")
}

/// The backend's report, from a run that must succeed.
fn built(env: &[(&str, &str)]) -> serde_json::Value {
    let output = from_env(env);
    assert!(
        output.status.success(),
        "from_env failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON line")
}

/// The error of a run that must fail.
fn refused(env: &[(&str, &str)]) -> String {
    let output = from_env(env);
    assert!(!output.status.success(), "from_env accepted {env:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_near_cache_and_the_prefix_come_from_the_environment() {
    let report = built(&[
        ("TEMPORAL_CACHE_REDIS_URL", "redis://127.0.0.1:6379"),
        ("TEMPORAL_CACHE_REDIS_PREFIX", "billing-cache"),
        ("TEMPORAL_CACHE_NEAR_CACHE_BYTES", "64MiB"),
    ]);
    assert_eq!(report["near_cache_max_bytes"], 64 << 20);
    let debug = report["debug"].as_str().expect("the Debug form");
    assert!(debug.contains("prefix: \"billing-cache\""), "{debug}");
}

#[test]
fn without_a_size_or_with_zero_there_is_no_near_cache() {
    for env in [
        &[("TEMPORAL_CACHE_REDIS_URL", "redis://127.0.0.1:6379")][..],
        &[
            ("TEMPORAL_CACHE_REDIS_URL", "redis://127.0.0.1:6379"),
            ("TEMPORAL_CACHE_NEAR_CACHE_BYTES", "0"),
        ],
    ] {
        assert_eq!(
            built(env)["near_cache_max_bytes"],
            serde_json::Value::Null,
            "{env:?}"
        );
    }
}

#[test]
fn a_size_that_is_not_one_is_a_configuration_error_naming_its_variable() {
    let error = refused(&[
        ("TEMPORAL_CACHE_REDIS_URL", "redis://127.0.0.1:6379"),
        ("TEMPORAL_CACHE_NEAR_CACHE_BYTES", "256MB"),
    ]);
    assert!(
        error.contains("TEMPORAL_CACHE_NEAR_CACHE_BYTES: `256MB` is not a size"),
        "{error}"
    );
}

#[test]
fn a_missing_url_is_a_configuration_error() {
    let error = refused(&[("TEMPORAL_CACHE_NEAR_CACHE_BYTES", "64MiB")]);
    assert!(
        error.contains("TEMPORAL_CACHE_REDIS_URL is not set"),
        "{error}"
    );
}
