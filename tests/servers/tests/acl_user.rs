//! An ACL user given to the launcher with its whole rule in one argument is in force: it can run
//! what its rule allows, on the keys it allows, and nothing else.

mod support;

use temporal_cache_servers::RedisServer;

use support::redis_cli;

/// The user the tests define: the cache's keys and channels, a few commands.
const CACHE_USER: &str = "cache on >secret ~tc:* &tc:* +get +set +acl|whoami";

/// Runs `command` on `redis` as `user` with `password`, and returns the reply.
fn as_user(redis: &RedisServer, user: &str, password: &str, command: &[&str]) -> String {
    let port = redis.port().to_string();
    let mut args = vec![
        "-p",
        &port,
        "--user",
        user,
        "--pass",
        password,
        "--no-auth-warning",
    ];
    args.extend_from_slice(command);
    redis_cli(&args).reply().to_owned()
}

fn start(extra_args: &[&str]) -> RedisServer {
    RedisServer::start_with(extra_args).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_user_rule_in_one_argument_is_in_force() {
    let redis = start(&["--user", CACHE_USER]);
    assert_eq!(
        as_user(&redis, "cache", "secret", &["ACL", "WHOAMI"]),
        "cache"
    );
    assert_eq!(
        as_user(&redis, "cache", "secret", &["SET", "tc:key", "v"]),
        "OK"
    );
    assert_eq!(as_user(&redis, "cache", "secret", &["GET", "tc:key"]), "v");

    let outside_the_commands = as_user(&redis, "cache", "secret", &["DEL", "tc:key"]);
    assert!(
        outside_the_commands.starts_with("NOPERM"),
        "{outside_the_commands}"
    );
    let outside_the_keys = as_user(&redis, "cache", "secret", &["GET", "other:key"]);
    assert!(outside_the_keys.starts_with("NOPERM"), "{outside_the_keys}");
}

#[test]
fn several_users_and_a_disabled_default_survive_a_restart() {
    let mut redis = start(&["--user", CACHE_USER, "--user", "default off"]);
    redis.restart().unwrap_or_else(|e| panic!("{e}"));
    let anonymous = support::command(redis.port(), &["PING"]);
    assert!(anonymous.starts_with("NOAUTH"), "{anonymous}");
    assert_eq!(
        as_user(&redis, "cache", "secret", &["ACL", "WHOAMI"]),
        "cache"
    );
}
