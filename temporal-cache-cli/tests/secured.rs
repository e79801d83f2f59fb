//! The `temporal-cache` binary against a Redis secured as in production: TLS only, with a private
//! CA and client certificates, and ACL users with exactly the rules the README gives (the
//! workers' `acl_rule()`, plus `+strlen +pttl` for reading sizes and TTLs). A refused handshake
//! or a missing permission ends the command with status 1 and says why.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

pub mod support;

use std::time::{Duration, Instant};

use temporal_cache_runtime::backend::RedisTls;
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_servers::{ClientCerts, RedisServer, TlsMaterial};

use crate::support::{
    Reports, Users, activity_type, cli, cli_ok, figures, global_backend, keys_of, run, stats_with,
};

/// The ACL tests' key prefix, not the default: the users' key patterns are made for it.
const PREFIX: &str = "billing-cache";

/// What the CLI's `stats` reads on top of the workers' rule, as the README says.
const OPS_COMMANDS: &str = "+strlen +pttl";

/// The options of the `ops` user of [`acl_server`].
const OPS_LOGIN: [&str; 6] = [
    "--prefix",
    PREFIX,
    "--user",
    "ops",
    "--password",
    "ops-secret",
];

/// The options of the `worker` user of [`acl_server`].
const WORKER_LOGIN: [&str; 6] = [
    "--prefix",
    PREFIX,
    "--user",
    "worker",
    "--password",
    "worker-secret",
];

/// A path as a command-line argument.
fn arg(path: &std::path::Path) -> &str {
    path.to_str()
        .expect("the temporary directory's path is UTF-8")
}

/// Runs `Users::fetch_user` for `users` and `Reports::render` for `reports` through the backend
/// `backend` makes, as a worker would; the keys of the users' entries.
fn store(backend: impl Fn() -> RedisCacheBackend, users: &[u64], reports: &[&str]) -> Vec<String> {
    let _global = global_backend();
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(async {
        set_cache_backend(backend());
        for &id in users {
            run(Users::fetch_user, id).await;
        }
        for &report in reports {
            run(Reports::render, report.to_owned()).await;
        }
        keys_of(&backend(), &activity_type(Users::fetch_user)).await
    })
}

/// The keys of `Users::fetch_user` that `backend` finds.
fn users_keys(backend: &RedisCacheBackend) -> Vec<String> {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(keys_of(backend, &activity_type(Users::fetch_user)))
}

/// The stderr of a run of the CLI that must fail with status 1, promptly.
fn cli_error(url: &str, args: &[&str]) -> String {
    let started = Instant::now();
    let output = cli(url, args);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "temporal-cache {args:?}: {stderr}"
    );
    assert!(
        stderr.starts_with("temporal-cache: error: "),
        "one error line, not a panic: {stderr}"
    );
    assert!(
        took < Duration::from_secs(10),
        "a refusal, not the CLI's 5 s timeout nor a hang: {took:?}"
    );
    stderr
}

#[test]
fn mutual_tls_with_a_private_ca_counts_and_purges_the_entries() {
    let tls = TlsMaterial::generate().unwrap_or_else(|error| panic!("{error}"));
    let redis = RedisServer::start_tls(&tls, ClientCerts::Required)
        .unwrap_or_else(|error| panic!("{error}"));
    let url = format!("rediss://127.0.0.1:{}", redis.port());
    let backend = || {
        RedisCacheBackend::new(&url)
            .expect("a valid URL")
            .with_tls(
                RedisTls::new()
                    .with_ca_file(tls.ca().cert_path())
                    .with_client_certificate_files(
                        tls.client().cert_path(),
                        tls.client().key_path(),
                    ),
            )
            .expect("valid TLS settings")
    };
    assert_eq!(store(backend, &[0, 1, 2], &[]).len(), 3);
    let users = activity_type(Users::fetch_user);
    let options = [
        "--tls-ca",
        arg(tls.ca().cert_path()),
        "--tls-cert",
        arg(tls.client().cert_path()),
        "--tls-key",
        arg(tls.client().key_path()),
    ];

    let report = stats_with(&url, &options);
    let figures_of_users = figures(&report, &users).expect("the users' figures");
    assert_eq!(figures_of_users["entries"], 3, "{report:#}");
    // Measured too: the probe's own connection got through the same TLS.
    assert_eq!(figures_of_users["sampled"], 3, "{report:#}");
    assert!(
        figures_of_users["ttl_ms"]["max"].as_u64() > Some(0),
        "{report:#}"
    );

    let purged = cli_ok(
        &url,
        &[&options[..], &["purge", "--activity", &users]].concat(),
    );
    assert_eq!(
        purged,
        format!("removed 3 entries of `{users}` in namespace `default`\n")
    );
    assert_eq!(stats_with(&url, &options)["keys_scanned"], 0);
    assert!(users_keys(&backend()).is_empty());
}

/// A command that measures keys on a connection of its own, and one that goes through the
/// backend only, with how each says that it could not reach Redis.
const FAILING_TO_CONNECT: [(&[&str], &str); 2] = [
    (&["stats"], "cannot connect to Redis"),
    (&["purge", "--all"], "cache backend unavailable"),
];

#[test]
fn a_refused_tls_handshake_fails_the_command_and_says_why() {
    let tls = TlsMaterial::generate().unwrap_or_else(|error| panic!("{error}"));
    let redis = RedisServer::start_tls(&tls, ClientCerts::Required)
        .unwrap_or_else(|error| panic!("{error}"));
    let url = redis.url();
    let (ca, client) = (tls.ca(), tls.client());

    // The server requires a client certificate, and none is presented.
    let trusting = ["--tls-ca", arg(ca.cert_path())];
    for (command, failed) in FAILING_TO_CONNECT {
        let error = cli_error(&url, &[&trusting[..], command].concat());
        assert!(
            error.contains(&format!(
                "{failed}: received fatal alert: CertificateRequired"
            )),
            "{error}"
        );
    }

    // The server's certificate is not signed by the CA the command trusts.
    let untrusting = [
        "--tls-ca",
        arg(tls.untrusted_ca().cert_path()),
        "--tls-cert",
        arg(client.cert_path()),
        "--tls-key",
        arg(client.key_path()),
    ];
    for (command, failed) in FAILING_TO_CONNECT {
        let error = cli_error(&url, &[&untrusting[..], command].concat());
        assert!(
            error.contains(&format!(
                "{failed}: invalid peer certificate: UnknownIssuer"
            )),
            "{error}"
        );
    }
}

/// A Redis with the default user off and three users for `PREFIX`, each with the workers' rule:
/// `ops` (password `ops-secret`) with `+strlen +pttl` on top, `worker` (`worker-secret`) with
/// nothing more, and `half` (`half-secret`) with only `+pttl` more.
fn acl_server() -> RedisServer {
    let rule = RedisCacheBackend::new("redis://127.0.0.1:1")
        .expect("a valid URL")
        .with_prefix(PREFIX)
        .acl_rule();
    RedisServer::start_with(&[
        "--user",
        "default off",
        "--user",
        &format!("ops on >ops-secret {rule} {OPS_COMMANDS}"),
        "--user",
        &format!("worker on >worker-secret {rule}"),
        "--user",
        &format!("half on >half-secret {rule} +pttl"),
    ])
    .unwrap_or_else(|error| panic!("{error}"))
}

/// `url` logged in as `user` with `password`.
fn logged_in(url: &str, user: &str, password: &str) -> String {
    url.replace("redis://", &format!("redis://{user}:{password}@"))
}

/// A worker's backend on `redis`: the `worker` user, keys under `PREFIX`.
fn worker_backend(redis: &RedisServer) -> RedisCacheBackend {
    RedisCacheBackend::new(&logged_in(&redis.url(), "worker", "worker-secret"))
        .expect("a valid URL")
        .with_prefix(PREFIX)
}

#[test]
fn an_ops_user_runs_every_command_with_user_and_password_or_in_the_url() {
    let redis = acl_server();
    let users = activity_type(Users::fetch_user);
    let reports = activity_type(Reports::render);
    let keys = store(|| worker_backend(&redis), &[0, 1, 2], &["q1"]);
    assert_eq!(keys.len(), 3);

    for (url, login) in [
        (redis.url(), &OPS_LOGIN[..]),
        (
            logged_in(&redis.url(), "ops", "ops-secret"),
            &["--prefix", PREFIX][..],
        ),
    ] {
        let report = stats_with(&url, login);
        let figures_of_users = figures(&report, &users).expect("the users' figures");
        assert_eq!(figures_of_users["entries"], 3, "{report:#}");
        assert_eq!(figures_of_users["sampled"], 3, "{report:#}");
        assert!(figures_of_users["bytes"].as_u64() > Some(0), "{report:#}");

        let listing = cli_ok(&url, &[login, &["ls", &users]].concat());
        assert!(listing.ends_with("3 entries, 0 leases\n"), "{listing}");
        assert!(
            keys.iter().all(|key| listing.contains(key.as_str())),
            "{listing}"
        );

        let shown = cli_ok(&url, &[login, &["show", &keys[0]]].concat());
        assert!(
            shown.contains(&format!("activity type: {users}\n")),
            "{shown}"
        );
        assert!(shown.contains("ttl:           59m"), "{shown}");
    }

    // Purging, once with each way of logging in.
    let purged = cli_ok(
        &redis.url(),
        &[&OPS_LOGIN[..], &["purge", "--activity", &reports]].concat(),
    );
    assert_eq!(
        purged,
        format!("removed 1 entries of `{reports}` in namespace `default`\n")
    );
    let purged = cli_ok(
        &logged_in(&redis.url(), "ops", "ops-secret"),
        &["--prefix", PREFIX, "purge", "--all"],
    );
    assert_eq!(
        purged,
        format!("removed 3 entries under prefix `{PREFIX}`\n")
    );
    assert!(users_keys(&worker_backend(&redis)).is_empty());
}

#[test]
fn a_user_with_only_the_workers_rule_can_purge_but_not_read_sizes_and_ttls() {
    let redis = acl_server();
    let users = activity_type(Users::fetch_user);
    let keys = store(|| worker_backend(&redis), &[0, 1, 2], &[]);
    assert_eq!(keys.len(), 3);

    for command in [&["stats"][..], &["ls", &users], &["show", &keys[0]]] {
        let error = cli_error(&redis.url(), &[&WORKER_LOGIN[..], command].concat());
        assert!(
            error.contains("may not read sizes and TTLs")
                && error.contains(&format!("add `{OPS_COMMANDS}` to its ACL rule"))
                && error.contains("Redis said: NoPerm: "),
            "{error}"
        );
    }
    // Not a silent 0 bytes: a missing STRLEN is named as well.
    let half = logged_in(&redis.url(), "half", "half-secret");
    let error = cli_error(&half, &["--prefix", PREFIX, "stats"]);
    assert!(
        error.contains("permissions to run the 'strlen' command"),
        "{error}"
    );

    let purged = cli_ok(
        &redis.url(),
        &[&WORKER_LOGIN[..], &["purge", "--activity", &users]].concat(),
    );
    assert_eq!(
        purged,
        format!("removed 3 entries of `{users}` in namespace `default`\n")
    );
    assert!(users_keys(&worker_backend(&redis)).is_empty());
}
