//! Invalidation on a real Redis, against a call already running in another process: the probe
//! process starts a call whose body is held at a gate ("reading the old data"), this process
//! invalidates, then the probe's body is released. Its result must not be stored, with locking on
//! or off, for one entry (`invalidate_cache!`) and for a whole activity (`invalidate_activity!`).
//! And whole-activity invalidation of 100,000 entries: every one removed, the neighbours kept,
//! within its bound, while Redis keeps answering another client.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use temporal_cache_runtime::{RedisCacheBackend, invalidate_activity, invalidate_cache};
use temporal_cache_tests::activities::{Cached, Output, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::redis_server;
use temporal_cache_tests::runtime::block_on;
use temporalio_common::data_converters::MultiArgs2;

async fn call(activity: &str, token: &str, value: u64) -> Output {
    redis_server::global();
    let input = MultiArgs2(token.to_owned(), value);
    match activity {
        "held" => run(Cached::held, input).await,
        "held_unlocked" => run(Cached::held_unlocked, input).await,
        other => panic!("no activity {other}"),
    }
}

/// Starts a call of `activity` in a probe process and returns once its body has started (and is
/// held).
fn held_call_in_another_process(activity: &str, token: &str, value: u64) -> Probe {
    let mut probe = Probe::start(
        env!("CARGO_BIN_EXE_probe"),
        &[
            "held",
            &redis_server::global().url(),
            activity,
            token,
            &value.to_string(),
        ],
    );
    assert_eq!(probe.line(), "started");
    probe
}

/// Releases the probe's held body and returns what its call returned.
fn release(mut probe: Probe) -> Output {
    probe.go();
    let output: Output = serde_json::from_value(probe.report()).expect("an output");
    assert_eq!(output.pid, probe.pid(), "its own body ran");
    output
}

fn an_entry_invalidation_wins_over_a_body_running_in_another_process(activity: &str) {
    let token = token(activity);
    let probe = held_call_in_another_process(activity, &token, 1);
    let removed = block_on(async {
        match activity {
            "held" => invalidate_cache!(Cached::held, token.clone(), 1).await,
            _ => invalidate_cache!(Cached::held_unlocked, token.clone(), 1).await,
        }
    })
    .expect("the invalidation reaches Redis");
    assert!(!removed, "nothing was stored yet");
    let stale = release(probe);
    assert_eq!(stale.run, 1);

    let fresh = block_on(call(activity, &token, 1));
    assert_eq!(
        (fresh.pid, fresh.run),
        (std::process::id(), 1),
        "the probe's result, computed before the invalidation, was not stored: this call ran \
         its own body"
    );
    assert_eq!(
        block_on(call(activity, &token, 1)),
        fresh,
        "and stored its result"
    );
    assert_eq!(runs(&token), 1);
}

#[test]
fn with_the_lock_an_entry_invalidation_wins_over_another_processs_running_body() {
    an_entry_invalidation_wins_over_a_body_running_in_another_process("held");
}

#[test]
fn without_the_lock_an_entry_invalidation_wins_over_another_processs_running_body() {
    an_entry_invalidation_wins_over_a_body_running_in_another_process("held_unlocked");
}

#[test]
fn an_activity_invalidation_removes_every_input_and_wins_over_a_running_body() {
    let token = token("whole");
    // Stored entries for three inputs of `held`, and one of `held_unlocked` beside them.
    for value in [10, 11, 12] {
        block_on(call("held", &token, value));
    }
    let neighbour = block_on(call("held_unlocked", &token, 10));
    assert_eq!(runs(&token), 4);

    let probe = held_call_in_another_process("held", &token, 13);
    let removed = block_on(invalidate_activity!(Cached::held)).expect("Redis answers");
    assert!(
        removed >= 3,
        "at least this test's three entries (other tests' entries of `held` go too): {removed}"
    );
    let stale = release(probe);
    assert_eq!(stale.value, 13);

    for value in [10, 11, 12, 13] {
        let fresh = block_on(call("held", &token, value));
        assert_eq!(
            fresh.pid,
            std::process::id(),
            "input {value} misses after the invalidation, the held one included"
        );
    }
    assert_eq!(runs(&token), 8);
    assert_eq!(
        block_on(call("held_unlocked", &token, 10)),
        neighbour,
        "another activity keeps its entries"
    );
}

/// The documented bound for removing 100,000 entries: generous, because a loaded CI machine
/// shares its two cores with this Redis (the bench measures the real figure).
const HUNDRED_THOUSAND_BOUND: Duration = Duration::from_secs(60);

#[test]
fn invalidating_100_000_entries_keeps_redis_answering_other_clients() {
    let server = redis_server::global();
    let backend = RedisCacheBackend::new(&server.url()).expect("a Redis URL");
    let prefix = backend.activity_prefix(Some("bulk-namespace"), "Bulk::activity");
    let neighbours = backend.activity_prefix(Some("bulk-namespace"), "Bulk::neighbour");
    block_on(async {
        let mut connection = server
            .client()
            .get_multiplexed_async_connection()
            .await
            .expect("a connection");
        for chunk in (0..100_000u32).collect::<Vec<_>>().chunks(5_000) {
            let mut pipe = redis::pipe();
            for i in chunk {
                pipe.set(format!("{prefix}{i:064x}}}"), "v").ignore();
            }
            let () = pipe.query_async(&mut connection).await.expect("stored");
        }
        for i in 0..10u32 {
            let () = connection
                .set(format!("{neighbours}{i:064x}}}"), "n")
                .await
                .expect("stored");
        }

        // Another client reads all along.
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let reader = tokio::spawn({
            let mut connection = connection.clone();
            let key = format!("{neighbours}{:064x}}}", 0);
            async move {
                let mut latencies = Vec::new();
                while !*stopped.borrow_and_update() {
                    let started = Instant::now();
                    let value: Option<String> = connection.get(&key).await.expect("answered");
                    latencies.push(started.elapsed());
                    assert_eq!(value.as_deref(), Some("n"));
                }
                latencies
            }
        });

        let started = Instant::now();
        let removed = temporal_cache_runtime::CacheBackend::delete_prefix(&backend, &prefix)
            .await
            .expect("Redis answers");
        let took = started.elapsed();
        stop.send_replace(true);
        let mut latencies = reader.await.expect("the reader");

        assert_eq!(removed, 100_000);
        assert!(
            took < HUNDRED_THOUSAND_BOUND,
            "100,000 entries took {took:?}"
        );
        let left: Vec<String> = connection.keys(format!("{prefix}*")).await.expect("listed");
        assert!(left.is_empty(), "{} entries left", left.len());
        let kept: Vec<String> = connection
            .keys(format!("{neighbours}*"))
            .await
            .expect("listed");
        assert_eq!(kept.len(), 10, "the other activity's entries stay");

        latencies.sort();
        assert!(latencies.len() > 10, "the other client kept being served");
        let p99 = latencies[latencies.len() * 99 / 100];
        eprintln!(
            "removed 100,000 entries in {took:?}; the other client's p99 meanwhile: {p99:?} \
             over {} reads",
            latencies.len()
        );
        assert!(
            p99 < Duration::from_millis(250),
            "no call of the removal stalls Redis: p99 {p99:?}"
        );
    });
}
