//! A least-privilege Redis user: with exactly the rule `RedisCacheBackend::acl_rule` gives,
//! every feature works (policies, invalidation, single-flight across two processes) without one
//! warning; with a rule that lacks a permission the cache needs, every activity still succeeds and
//! one warning names what is missing. The tests run one at a time: each points the global
//! backend at a Redis of its own.

use temporal_cache_runtime::{RedisCacheBackend, invalidate_cache, set_cache_backend};
use temporal_cache_tests::activities::{Cached, Output, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::warnings;
use temporalio_common::data_converters::MultiArgs2;

/// A Redis whose user `cache` (password `secret`) has exactly `rule`, and the URL that logs in
/// as that user.
fn server_with_user(rule: &str) -> (RedisServer, String) {
    let redis = RedisServer::start_with(&["--user", &format!("cache on >secret {rule}")]);
    let url = redis.url().replace("redis://", "redis://cache:secret@");
    (redis, url)
}

fn minimal_rule() -> String {
    RedisCacheBackend::new("redis://127.0.0.1:1")
        .expect("a valid URL")
        .acl_rule()
}

fn echo(token: &str, value: u64) -> Output {
    block_on(run(Cached::echo, MultiArgs2(token.to_owned(), value)))
}

#[test]
fn the_minimal_rule_is_enough_for_every_feature() {
    let _serial = temporal_cache_tests::serial();
    let (_redis, url) = server_with_user(&minimal_rule());
    set_cache_backend(RedisCacheBackend::new(&url).expect("a valid URL"));
    warnings::recorded().clear();

    let token = token("acl-minimal");
    assert_eq!(echo(&token, 1).run, 1);
    assert_eq!(echo(&token, 1).run, 1, "the second call is a hit");

    let sourced = token.clone() + "-sourced";
    for _ in 0..2 {
        block_on(run(Cached::sourced, MultiArgs2(sourced.clone(), 2)));
    }
    assert_eq!(
        runs(&sourced),
        1,
        "task_source entries are stored and read too"
    );

    let removed = block_on(invalidate_cache!(Cached::echo, token.clone(), 1));
    assert!(removed.expect("DEL is allowed"), "the entry was there");
    assert_eq!(echo(&token, 1).run, 2, "invalidated: the body runs again");

    // Single-flight across two processes: the lease scripts, PUBLISH and SUBSCRIBE.
    let flight = token.clone() + "-flight";
    let mut probe = Probe::start(
        env!("CARGO_BIN_EXE_probe"),
        &["calls", &url, "slow", &flight, "5", "300"],
    );
    assert_eq!(probe.line(), "ready");
    probe.go();
    let ours = block_on(futures::future::join_all(
        (0..5).map(|_| run(Cached::slow, MultiArgs2(flight.clone(), 300))),
    ));
    let report = probe.report();
    let their_runs = report["runs"].as_u64().expect("runs");
    assert_eq!(
        u64::from(runs(&flight)) + their_runs,
        1,
        "ten calls over two processes ran the body once: {report}"
    );
    assert!(ours.windows(2).all(|pair| pair[0] == pair[1]));

    let warnings = warnings::recorded();
    assert!(warnings.is_empty(), "no warning: {warnings:#?}");
}

#[test]
fn a_rule_without_evalsha_fails_open_with_one_warning_naming_it() {
    let _serial = temporal_cache_tests::serial();
    let rule = minimal_rule().replace(" +evalsha", "");
    let (_redis, url) = server_with_user(&rule);
    set_cache_backend(RedisCacheBackend::new(&url).expect("a valid URL"));
    warnings::recorded().clear();

    let token = token("acl-no-evalsha");
    for value in 0..5 {
        assert_eq!(echo(&token, value).run, u32::try_from(value + 1).unwrap());
    }
    // The leases are refused, but GET and SET are not: results are still cached.
    assert_eq!(echo(&token, 0).run, 1);

    let warnings = warnings::recorded();
    assert_eq!(warnings.len(), 1, "one warning: {warnings:#?}");
    assert!(
        warnings[0].contains("evalsha"),
        "it names the command: {}",
        warnings[0]
    );
}

#[test]
fn the_minimal_rule_of_a_backend_with_a_near_cache_is_enough_for_it() {
    let _serial = temporal_cache_tests::serial();
    let near = |url: &str| {
        RedisCacheBackend::new(url)
            .expect("a valid URL")
            .with_near_cache(1 << 20)
    };
    let rule = near("redis://127.0.0.1:1").acl_rule();
    assert!(
        rule.ends_with("+pttl +ping +client|tracking +client|setname"),
        "{rule}"
    );
    let (_redis, url) = server_with_user(&rule);
    let backend = std::sync::Arc::new(near(&url));
    set_cache_backend(std::sync::Arc::clone(&backend));
    warnings::recorded().clear();

    let token = token("acl-near");
    assert_eq!(echo(&token, 1).run, 1);
    let started = std::time::Instant::now();
    // Served from process memory once tracking is on (this process's own store is reported back
    // to it, and may drop the first copy).
    while backend.near_cache_stats().expect("a near cache").hits == 0 {
        assert_eq!(echo(&token, 1).run, 1, "a hit");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "never served near: {:?}",
            backend.near_cache_stats()
        );
    }
    let warnings = warnings::recorded();
    assert!(warnings.is_empty(), "no warning: {warnings:#?}");
}
