//! Caching against a real `redis-server`: policies, TTLs, `exclude`, `version`, invalidation,
//! per-activity backends, result kinds, sync and instance activities, and fail-open behaviour.
//!
//! One Redis serves as the global backend of this process and a second one as the per-activity
//! backend of `Cached::own_backend`. Tests share them (and run in parallel), so every test uses
//! inputs of its own (a token) and, where it inspects Redis keys, an activity of its own.

use std::sync::OnceLock;
use std::time::Duration;

use redis::AsyncCommands;
use temporal_cache_runtime::invalidate_cache;
use temporal_cache_tests::activities::{
    Alpha, Beta, Cached, OWN_BACKEND_URL, Stateful, VersionOne, VersionTwo, runs, token,
};
use temporal_cache_tests::environment::{run, try_run};
use temporal_cache_tests::redis_server::{RedisServer, SharedServers};
use temporal_cache_tests::runtime::block_on;
use temporalio_common::data_converters::{MultiArgs2, MultiArgs3};
use temporalio_sdk::testing::{ActivityEnvironment, TestActivityInfoOptions};

fn servers() -> &'static SharedServers {
    static SERVERS: OnceLock<SharedServers> = OnceLock::new();
    SERVERS.get_or_init(|| SharedServers::start(&OWN_BACKEND_URL))
}

async fn keys(server: &RedisServer, pattern: &str) -> Vec<String> {
    server.connection().await.keys(pattern).await.expect("KEYS")
}

/// The one key matching `pattern`; the test owns the activity, so there must be exactly one.
async fn only_key(server: &RedisServer, pattern: &str) -> String {
    let mut found = keys(server, pattern).await;
    assert_eq!(
        found.len(),
        1,
        "expected one key matching {pattern}, found {found:?}"
    );
    found.remove(0)
}

#[test]
fn inputs_policy_serves_equal_inputs_from_the_cache() {
    let servers = servers();
    block_on(async {
        let token = token("inputs");
        let first = run(Cached::echo, MultiArgs2(token.clone(), 7)).await;
        let second = run(Cached::echo, MultiArgs2(token.clone(), 7)).await;
        assert_eq!(first.run, 1);
        assert_eq!(
            second, first,
            "the second call must be served the first result"
        );
        assert_eq!(runs(&token), 1);

        let other = run(Cached::echo, MultiArgs2(token.clone(), 8)).await;
        assert_eq!(
            (other.value, other.run),
            (8, 2),
            "a different input runs the body"
        );

        let stored = keys(
            &servers.global,
            "temporal-cache:v2:default:Cached::echo:{*}",
        )
        .await;
        assert!(stored.len() >= 2, "both results are in Redis: {stored:?}");
    });
}

#[test]
fn task_source_policy_caches_under_a_key_of_its_own() {
    servers();
    block_on(async {
        let token = token("task-source");
        let first = run(Cached::sourced, MultiArgs2(token.clone(), 1)).await;
        let second = run(Cached::sourced, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(second, first);
        assert_eq!(runs(&token), 1);
    });
}

#[test]
fn no_cache_policy_runs_every_time_and_stores_nothing() {
    let servers = servers();
    block_on(async {
        let token = token("no-cache");
        for expected_run in 1..=3 {
            let output = run(Cached::uncached, MultiArgs2(token.clone(), 1)).await;
            assert_eq!(output.run, expected_run);
        }
        assert!(keys(&servers.global, "*Cached::uncached*").await.is_empty());
        assert!(
            !invalidate_cache!(Cached::uncached, token.clone(), 1)
                .await
                .unwrap()
        );
    });
}

#[test]
fn sub_second_ttls_are_exact_and_expire() {
    let servers = servers();
    block_on(async {
        let token = token("ttl");
        let first = run(Cached::short_lived, MultiArgs2(token.clone(), 1)).await;
        let key = only_key(
            &servers.global,
            "temporal-cache:v2:default:Cached::short_lived:*",
        )
        .await;
        let ttl: i64 = servers.global.connection().await.pttl(&key).await.unwrap();
        assert!(
            (1..=300).contains(&ttl),
            "a 300ms TTL is stored in milliseconds, not rounded to seconds: PTTL {ttl}"
        );
        assert_eq!(
            run(Cached::short_lived, MultiArgs2(token.clone(), 1)).await,
            first
        );

        // Expiry is a matter of time passing: wait out the TTL Redis reported.
        tokio::time::sleep(Duration::from_millis(ttl as u64 + 10)).await;
        let after = run(Cached::short_lived, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(after.run, 2, "an expired entry is a miss");
    });
}

#[test]
fn long_and_never_ttls_reach_redis() {
    let servers = servers();
    block_on(async {
        let token = token("ttl-long");
        run(Cached::forever, MultiArgs2(token.clone(), 1)).await;
        let key = only_key(
            &servers.global,
            "temporal-cache:v2:default:Cached::forever:*",
        )
        .await;
        let ttl: i64 = servers.global.connection().await.pttl(&key).await.unwrap();
        assert_eq!(ttl, -1, "ttl = \"never\" stores without expiry");

        run(Cached::echo, MultiArgs2(token.clone(), 1)).await;
        let mut connection = servers.global.connection().await;
        let echo_keys: Vec<String> = connection
            .keys("temporal-cache:v2:default:Cached::echo:*")
            .await
            .unwrap();
        let mut checked = 0;
        for key in echo_keys {
            let ttl: i64 = connection.pttl(&key).await.unwrap();
            // -2: gone since it was listed (tests running in parallel invalidate their entries
            // of the shared activity); this test's own entry is never removed.
            if ttl == -2 {
                continue;
            }
            checked += 1;
            assert!(
                (3_500_000..=3_600_000).contains(&ttl),
                "ttl = \"1h\" is 3,600,000 ms: PTTL {ttl}"
            );
        }
        assert!(checked >= 1, "at least this test's own entry was checked");
    });
}

#[test]
fn excluded_inputs_do_not_change_the_key() {
    servers();
    block_on(async {
        let token = token("exclude");
        let first = run(
            Cached::excluding,
            MultiArgs3(token.clone(), 5, "request-1".to_owned()),
        )
        .await;
        let second = run(
            Cached::excluding,
            MultiArgs3(token.clone(), 5, "request-2".to_owned()),
        )
        .await;
        assert_eq!(second, first);
        let other = run(
            Cached::excluding,
            MultiArgs3(token.clone(), 6, "request-1".to_owned()),
        )
        .await;
        assert_eq!(other.run, 2, "included inputs still count");
        assert!(
            invalidate_cache!(Cached::excluding, token.clone(), 5, "any id".to_owned())
                .await
                .unwrap(),
            "invalidation ignores excluded inputs too"
        );
    });
}

#[test]
fn a_new_version_retires_old_entries() {
    servers();
    block_on(async {
        let token = token("version");
        assert_eq!(VersionOne::versioned.name(), VersionTwo::versioned.name());
        assert_eq!(run(VersionOne::versioned, token.clone()).await, "one");
        assert_eq!(run(VersionOne::versioned, token.clone()).await, "one");
        assert_eq!(runs(&token), 1);
        assert_eq!(run(VersionTwo::versioned, token.clone()).await, "two");
        assert_eq!(runs(&token), 2, "version 2 does not read version 1's entry");
        assert_eq!(run(VersionOne::versioned, token.clone()).await, "one");
        assert_eq!(runs(&token), 2);
    });
}

#[test]
fn methods_of_the_same_name_in_different_impls_never_share_entries() {
    servers();
    block_on(async {
        let token = token("same-name");
        assert_eq!(run(Alpha::lookup, token.clone()).await, "alpha");
        assert_eq!(run(Beta::lookup, token.clone()).await, "beta");
        assert_eq!(run(Alpha::lookup, token.clone()).await, "alpha");
        assert_eq!(run(Beta::lookup, token.clone()).await, "beta");
        assert_eq!(runs(&token), 2);
    });
}

#[test]
fn the_key_uses_the_registered_activity_type_name() {
    let servers = servers();
    block_on(async {
        let token = token("renamed");
        assert_eq!(Cached::renamed.name(), "renamed-echo");
        run(Cached::renamed, MultiArgs2(token.clone(), 1)).await;
        only_key(
            &servers.global,
            "temporal-cache:v2:default:renamed-echo:{*}",
        )
        .await;
        assert!(keys(&servers.global, "*Cached::renamed*").await.is_empty());
    });
}

#[test]
fn invalidation_removes_one_entry_from_the_global_backend() {
    servers();
    block_on(async {
        let token = token("invalidate");
        let first = run(Cached::echo, MultiArgs2(token.clone(), 1)).await;
        let kept = run(Cached::echo, MultiArgs2(token.clone(), 2)).await;
        assert!(
            invalidate_cache!(Cached::echo, token.clone(), 1)
                .await
                .unwrap()
        );
        assert!(
            !invalidate_cache!(Cached::echo, token.clone(), 1)
                .await
                .unwrap()
        );
        let fresh = run(Cached::echo, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(
            (first.run, fresh.run),
            (1, 3),
            "the invalidated call runs again"
        );
        assert_eq!(run(Cached::echo, MultiArgs2(token.clone(), 2)).await, kept);
    });
}

#[test]
fn per_activity_backend_stores_and_invalidates_in_its_own_redis() {
    let servers = servers();
    block_on(async {
        let token = token("own-backend");
        let first = run(Cached::own_backend, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(
            run(Cached::own_backend, MultiArgs2(token.clone(), 1)).await,
            first
        );
        only_key(&servers.second, "own:v2:default:Cached::own_backend:*").await;
        assert!(keys(&servers.global, "*own_backend*").await.is_empty());

        assert!(
            invalidate_cache!(Cached::own_backend, token.clone(), 1)
                .await
                .unwrap()
        );
        assert!(keys(&servers.second, "*own_backend*").await.is_empty());
        let fresh = run(Cached::own_backend, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(fresh.run, 2);
    });
}

#[test]
fn unit_and_none_results_are_cached_and_served() {
    servers();
    block_on(async {
        let token = token("unit");
        run(Cached::unit, token.clone()).await;
        run(Cached::unit, token.clone()).await;
        assert_eq!(runs(&token), 1, "a () result is served from the cache");

        let token = crate::token("none");
        assert_eq!(run(Cached::nothing, token.clone()).await, None);
        assert_eq!(run(Cached::nothing, token.clone()).await, None);
        assert_eq!(runs(&token), 1, "a None result is served from the cache");
    });
}

#[test]
fn errors_are_never_cached() {
    servers();
    block_on(async {
        let token = token("errors");
        assert!(try_run(Cached::fails_once, token.clone()).await.is_err());
        assert_eq!(run(Cached::fails_once, token.clone()).await, 2);
        assert_eq!(run(Cached::fails_once, token.clone()).await, 2);
        assert_eq!(runs(&token), 2);
    });
}

#[test]
fn sync_activities_cache_like_async_ones() {
    let servers = servers();
    block_on(async {
        let token = token("sync");
        let first = run(Cached::sync_echo, MultiArgs2(token.clone(), 3)).await;
        let second = run(Cached::sync_echo, MultiArgs2(token.clone(), 3)).await;
        assert_eq!(second, first);
        assert_eq!(runs(&token), 1);
        assert!(
            !keys(
                &servers.global,
                "temporal-cache:v2:default:Cached::sync_echo:*"
            )
            .await
            .is_empty()
        );
        assert!(
            invalidate_cache!(Cached::sync_echo, token.clone(), 3)
                .await
                .unwrap()
        );
        assert_eq!(
            run(Cached::sync_echo, MultiArgs2(token.clone(), 3))
                .await
                .run,
            2
        );
    });
}

#[test]
fn instance_activities_cache_like_static_ones() {
    servers();
    block_on(async {
        let token = token("instance");
        let environment = ActivityEnvironment::builder_with_default()
            .info(
                TestActivityInfoOptions::builder()
                    .activity_type(Stateful::count.name())
                    .build(),
            )
            .register_activities(Stateful::default())
            .build();
        let first = environment
            .run(Stateful::count, token.clone())
            .await
            .unwrap();
        let second = environment
            .run(Stateful::count, token.clone())
            .await
            .unwrap();
        assert_eq!(
            (first, second),
            (1, 1),
            "the second call is served the first count"
        );
        assert_eq!(runs(&token), 1);
    });
}

#[test]
fn an_unreadable_entry_is_a_miss_and_is_overwritten() {
    let servers = servers();
    block_on(async {
        let token = token("corrupt");
        let first = run(Cached::corruptible, MultiArgs2(token.clone(), 9)).await;
        let key = only_key(
            &servers.global,
            "temporal-cache:v2:default:Cached::corruptible:*",
        )
        .await;
        let mut connection = servers.global.connection().await;
        let _: () = connection.set(&key, b"\x00garbage").await.unwrap();

        let recomputed = run(Cached::corruptible, MultiArgs2(token.clone(), 9)).await;
        assert_eq!(recomputed.run, 2, "garbage is a miss, never a value");
        assert_ne!(recomputed, first);
        let stored: Vec<u8> = connection.get(&key).await.unwrap();
        assert!(
            stored.starts_with(b"tc\x02\x10"),
            "the entry was overwritten (MessagePack)"
        );
        assert_eq!(
            run(Cached::corruptible, MultiArgs2(token.clone(), 9)).await,
            recomputed
        );
    });
}

#[test]
fn sets_and_maps_key_alike_in_another_process() {
    let servers = servers();
    let token = token("collections");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_probe"))
        .args(["collections", &servers.global.url(), &token])
        .output()
        .expect("the probe runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: temporal_cache_tests::activities::Output =
        serde_json::from_slice(&output.stdout).expect("the probe prints its output");
    assert_ne!(theirs.pid, std::process::id());

    // Built in the other order, with this process's own hash seeds.
    let (words, counts) = temporal_cache_tests::activities::collections(true);
    let ours = block_on(run(
        Cached::by_collections,
        temporalio_common::data_converters::MultiArgs3(token.clone(), words, counts),
    ));
    assert_eq!(
        ours, theirs,
        "served the other process's result: the keys are equal"
    );
    assert_eq!(runs(&token), 0);
}
