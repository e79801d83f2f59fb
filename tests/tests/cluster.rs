//! The cache on a real Redis Cluster of three masters with a replica each: policies, TTLs and
//! invalidation (of one entry and of a whole activity, scanning every master); identical calls over two processes run once, woken through sharded pub/sub; a
//! master killed under load costs only its own slots, and caching for them resumes after its
//! replica is promoted; slots moved under load lose no hit. The tests run one at a time: each
//! points the global backend at a cluster of its own.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use redis::Commands;
use temporal_cache_runtime::{
    RedisCacheBackend, invalidate_activity, invalidate_cache, set_cache_backend,
};
use temporal_cache_servers::{RedisCluster, key_slot};
use temporal_cache_tests::activities::{Cached, Output, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::runtime::block_on;
use temporalio_common::data_converters::MultiArgs2;

/// How long a failover may take on a loaded machine (a few seconds here).
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(30);

/// A fresh cluster of 3 masters and 3 replicas, made the global backend.
fn cluster() -> RedisCluster {
    let cluster = RedisCluster::start(3, 1).unwrap_or_else(|e| panic!("{e}"));
    set_cache_backend(RedisCacheBackend::cluster(cluster.urls()).expect("valid node URLs"));
    cluster
}

fn echo(token: &str, value: u64) -> Output {
    block_on(run(Cached::echo, MultiArgs2(token.to_owned(), value)))
}

/// The cache's keys on `node`.
fn keys_on(cluster: &RedisCluster, node: usize) -> HashSet<String> {
    let client = redis::Client::open(cluster.url(node)).expect("a node URL");
    let mut connection = client.get_connection().expect("the node answers");
    connection.keys("temporal-cache:*").expect("KEYS")
}

/// How often `command` ran on the masters, from `INFO commandstats`.
fn calls_of(cluster: &RedisCluster, command: &str) -> u64 {
    let masters = cluster.masters().expect("the topology");
    masters
        .into_iter()
        .map(|node| {
            let client = redis::Client::open(cluster.url(node)).expect("a node URL");
            let mut connection = client.get_connection().expect("the node answers");
            let info: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut connection)
                .expect("INFO");
            info.lines()
                .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
                .and_then(|rest| rest.split(',').next()?.parse().ok())
                .unwrap_or(0)
        })
        .sum()
}

/// Where an entry is.
#[derive(Debug, Clone, Copy)]
struct Located {
    master: usize,
    slot: u16,
}

/// Stores one entry per token and says which master and slot hold it (found in the cluster,
/// not computed, so that the test does not depend on the key layout).
fn store_and_locate(cluster: &RedisCluster, tokens: &[String]) -> HashMap<String, Located> {
    let masters = cluster.masters().expect("the topology");
    let mut located = HashMap::new();
    for token in tokens {
        let before: Vec<HashSet<String>> =
            masters.iter().map(|&node| keys_on(cluster, node)).collect();
        assert_eq!(echo(token, 7).run, 1);
        for (index, &node) in masters.iter().enumerate() {
            let new: Vec<String> = keys_on(cluster, node)
                .difference(&before[index])
                .cloned()
                .collect();
            if let [key] = new.as_slice() {
                let slot = key_slot(key);
                assert_eq!(cluster.master_of_slot(slot).expect("slot"), node);
                located.insert(token.clone(), Located { master: node, slot });
            }
        }
    }
    assert_eq!(
        located.len(),
        tokens.len(),
        "every entry was found on one master"
    );
    located
}

#[test]
fn policies_ttls_and_invalidation_work_on_a_cluster() {
    let _serial = temporal_cache_tests::serial();
    let _cluster = cluster();
    let token = token("cluster-policies");

    assert_eq!(echo(&token, 1).run, 1);
    assert_eq!(echo(&token, 1).run, 1, "a hit");
    assert_eq!(echo(&token, 2).run, 2, "another input misses");

    let sourced = token.clone() + "-sourced";
    for _ in 0..2 {
        block_on(run(Cached::sourced, MultiArgs2(sourced.clone(), 1)));
    }
    assert_eq!(runs(&sourced), 1);

    let short = token.clone() + "-short";
    block_on(run(Cached::short_lived, MultiArgs2(short.clone(), 1)));
    block_on(run(Cached::short_lived, MultiArgs2(short.clone(), 1)));
    assert_eq!(runs(&short), 1, "within its 300 ms TTL, a hit");
    // A TTL is a span of time: let it pass.
    std::thread::sleep(Duration::from_millis(400));
    block_on(run(Cached::short_lived, MultiArgs2(short.clone(), 1)));
    assert_eq!(runs(&short), 2, "expired: the body runs again");

    let removed = block_on(invalidate_cache!(Cached::echo, token.clone(), 1));
    assert!(removed.expect("the cluster answers"));
    assert_eq!(echo(&token, 1).run, 3, "invalidated: the body runs again");

    // Every entry of one activity, spread over the three masters, goes at once; another
    // activity's stay.
    for value in 10..40 {
        echo(&token, value);
    }
    assert_eq!(runs(&token), 33);
    let removed = block_on(invalidate_activity!(Cached::echo)).expect("the cluster answers");
    assert_eq!(removed, 32, "the 30 new entries, and the inputs 1 and 2");
    for value in [1, 2, 10, 25, 39] {
        assert_eq!(echo(&token, value).pid, std::process::id());
    }
    assert_eq!(runs(&token), 38, "every input misses");
    block_on(run(Cached::sourced, MultiArgs2(sourced.clone(), 1)));
    assert_eq!(runs(&sourced), 1, "another activity's entry is kept");
}

#[test]
fn fifty_identical_calls_over_two_processes_run_once_woken_by_sharded_pub_sub() {
    let _serial = temporal_cache_tests::serial();
    let cluster = cluster();
    let token = token("cluster-flight");
    let urls = cluster.urls().join(",");
    let mut probe = Probe::start(
        env!("CARGO_BIN_EXE_probe"),
        &["calls", &urls, "slow", &token, "25", "300"],
    );
    assert_eq!(probe.line(), "ready");
    probe.go();
    let ours = block_on(futures::future::join_all(
        (0..25).map(|_| run(Cached::slow, MultiArgs2(token.clone(), 300))),
    ));
    let report = probe.report();
    let theirs: Vec<Output> =
        serde_json::from_value(report["outputs"].clone()).expect("the probe's outputs");
    let body_runs = u64::from(runs(&token)) + report["runs"].as_u64().expect("runs");
    assert_eq!(
        body_runs, 1,
        "fifty calls over two processes ran the body once"
    );
    assert!(
        ours.iter().chain(&theirs).all(|output| *output == ours[0]),
        "every caller got the one result"
    );
    assert!(
        calls_of(&cluster, "ssubscribe") > 0,
        "waiters subscribed to sharded channels"
    );
    assert!(
        calls_of(&cluster, "spublish") > 0,
        "the store announced itself on its shard"
    );
    assert_eq!(
        calls_of(&cluster, "publish"),
        0,
        "nothing was broadcast over the cluster bus"
    );
}

#[test]
fn a_dead_master_costs_only_its_slots_and_caching_resumes_after_failover() {
    let _serial = temporal_cache_tests::serial();
    let mut cluster = cluster();
    let tokens: Vec<String> = (0..24).map(|i| token(&format!("failover-{i}"))).collect();
    let located = store_and_locate(&cluster, &tokens);
    let dead = located.values().next().expect("some entry").master;
    let (on_dead, elsewhere): (Vec<&String>, Vec<&String>) = tokens
        .iter()
        .partition(|token| located[*token].master == dead);
    assert!(!on_dead.is_empty() && !elsewhere.is_empty());

    cluster.kill_node(dead);
    let killed = Instant::now();
    let mut hits_elsewhere = 0;
    let mut resumed_after = None;
    let mut rounds = 0;
    while resumed_after.is_none() {
        assert!(
            killed.elapsed() < FAILOVER_TIMEOUT,
            "caching for the dead master's slots resumed"
        );
        rounds += 1;
        for token in &elsewhere {
            let output = echo(token, 7);
            assert_eq!(output.value, 7, "never a wrong value");
            if output.run == 1 {
                hits_elsewhere += 1;
            }
        }
        // The dead master's entries: misses (their bodies run, never a failed call) until its
        // replica serves the slots, then hits of what the replica has or of the new runs.
        let outputs: Vec<Output> = on_dead.iter().map(|token| echo(token, 7)).collect();
        assert!(outputs.iter().all(|output| output.value == 7));
        let again: Vec<Output> = on_dead.iter().map(|token| echo(token, 7)).collect();
        if again
            .iter()
            .zip(&outputs)
            .all(|(later, earlier)| later.run == earlier.run)
        {
            resumed_after = Some(killed.elapsed());
        }
    }
    println!(
        "{} calls for the other masters' slots during the outage, {hits_elsewhere} of them hits; \
         caching for the dead master's slots resumed {:?} after the kill",
        rounds * elsewhere.len(),
        resumed_after.expect("resumed")
    );
    assert_eq!(
        hits_elsewhere,
        rounds * elsewhere.len(),
        "calls for the healthy shards kept hitting"
    );
}

#[test]
fn slots_moved_under_load_lose_no_hit() {
    let _serial = temporal_cache_tests::serial();
    let cluster = cluster();
    let tokens: Vec<String> = (0..24).map(|i| token(&format!("reshard-{i}"))).collect();
    let located = store_and_locate(&cluster, &tokens);
    let masters = cluster.masters().expect("the topology");
    let (from, to) = (masters[0], masters[1]);
    let moved: Vec<&String> = tokens
        .iter()
        .filter(|token| located[*token].master == from)
        .collect();
    assert!(!moved.is_empty());
    // The slots of the entries under test, with their keys, one slot at a time.
    let slots: BTreeSet<u16> = moved.iter().map(|token| located[*token].slot).collect();

    std::thread::scope(|scope| {
        let mover = scope.spawn(|| {
            for &slot in &slots {
                cluster
                    .move_slots(slot..=slot, to)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        });
        let mut calls = 0;
        // Rounds of calls until the mover is done, whether it moved every slot or failed (its
        // panic then fails the test when the scope joins it).
        loop {
            for token in &tokens {
                let output = echo(token, 7);
                assert_eq!((output.value, output.run), (7, 1), "a hit, moving or not");
                calls += 1;
            }
            if mover.is_finished() {
                break;
            }
        }
        println!("{calls} calls while {} slots moved", slots.len());
    });
    for &slot in &slots {
        assert_eq!(
            cluster.master_of_slot(slot).expect("slot"),
            to,
            "slot {slot} moved"
        );
    }
    let after: BTreeMap<&String, u32> = moved
        .iter()
        .map(|token| (*token, echo(token, 7).run))
        .collect();
    assert!(
        after.values().all(|&run| run == 1),
        "the moved entries are still hits: {after:?}"
    );
}

#[test]
fn the_near_cache_is_kept_coherent_by_every_master() {
    use temporal_cache_runtime::backend::CacheBackend;

    let cluster = RedisCluster::start(3, 0).unwrap_or_else(|e| panic!("{e}"));
    let backend = RedisCacheBackend::cluster(cluster.urls())
        .expect("valid node URLs")
        .with_near_cache(1 << 20);
    let keys: Vec<String> = (0..12)
        .map(|index| format!("temporal-cache:near-cluster:{{{index}}}"))
        .collect();
    let slots: BTreeSet<u16> = keys.iter().map(String::as_str).map(key_slot).collect();
    assert!(slots.len() > 3, "keys spread over the masters: {slots:?}");
    let near_hits = || backend.near_cache_stats().expect("a near cache").hits;
    block_on(async {
        let started = Instant::now();
        for key in &keys {
            backend.set(key, b"old", None).await.expect("SET");
        }
        // Read until every key is served from process memory.
        for key in &keys {
            loop {
                let hits = near_hits();
                assert_eq!(
                    backend.get(key).await.expect("GET").as_deref(),
                    Some(&b"old"[..])
                );
                if near_hits() > hits {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "never served near"
                );
            }
        }
        let client = redis::cluster::ClusterClient::new(cluster.urls()).expect("node URLs");
        let mut writer = client.get_async_connection().await.expect("the cluster");
        for key in &keys {
            redis::cmd("SET")
                .arg(key)
                .arg("new")
                .query_async::<()>(&mut writer)
                .await
                .expect("SET");
        }
        let written = Instant::now();
        for key in &keys {
            while backend.get(key).await.expect("GET").as_deref() != Some(&b"new"[..]) {
                assert!(
                    written.elapsed() < Duration::from_millis(500),
                    "{key}: the old value is still served"
                );
            }
        }
    });
}
