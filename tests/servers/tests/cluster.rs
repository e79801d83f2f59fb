//! A real Redis Cluster: it forms, computes slots as this crate does, fails over when a master
//! dies, and moves slots with their keys. Each test prints what it measured.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use temporal_cache_servers::{NodeRole, RedisCluster, SLOT_COUNT, key_slot};

use support::{command, redis_cli};

/// How long a failover may take: a node timeout to suspect the master, gossip to agree, an
/// election; a few seconds here, more on a busy machine.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(20);

fn start(masters: usize, replicas_per_master: usize) -> RedisCluster {
    let started = Instant::now();
    let cluster =
        RedisCluster::start(masters, replicas_per_master).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "a cluster of {masters} masters with {replicas_per_master} replicas each started in {:?}",
        started.elapsed()
    );
    cluster
}

/// `SET key value` through any node, following redirections.
fn set(cluster: &RedisCluster, key: &str, value: &str) {
    let port = cluster.port(0).to_string();
    let reply = redis_cli(&["-c", "-p", &port, "SET", key, value]);
    assert_eq!(reply.reply(), "OK", "{}", reply.transcript());
}

/// `SET key value` on `master`, then waits until a replica has it: until then a failover may
/// lose it. `WAIT` counts the replicas that have every write of its own connection, so both go
/// on one.
fn set_replicated(master: u16, key: &str, value: &str) {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, master)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut replies = BufReader::new(&stream);
    for (command, expected) in [
        (format!("SET {key} {value}"), "+OK"),
        ("WAIT 1 5000".to_owned(), ":1"),
    ] {
        (&stream)
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        let mut reply = String::new();
        replies.read_line(&mut reply).unwrap();
        assert_eq!(reply.trim_end(), expected, "{command}");
    }
}

#[test]
fn three_masters_with_a_replica_each_form_a_usable_cluster() {
    let cluster = start(3, 1);
    assert_eq!(cluster.node_count(), 6);
    assert_eq!(
        cluster.urls(),
        (0..6)
            .map(|node| format!("redis://127.0.0.1:{}/", cluster.port(node)))
            .collect::<Vec<_>>()
    );

    let masters = cluster.masters().unwrap();
    assert_eq!(masters.len(), 3, "{masters:?}");
    for &master in &masters {
        assert_eq!(cluster.role(master).unwrap(), NodeRole::Master);
        let replicas = cluster.replicas_of(master).unwrap();
        assert_eq!(replicas.len(), 1, "master {master}: {replicas:?}");
        assert_eq!(cluster.role(replicas[0]).unwrap(), NodeRole::Replica);
    }
    for slot in [0, 5460, 5461, 10922, 10923, SLOT_COUNT - 1] {
        assert!(masters.contains(&cluster.master_of_slot(slot).unwrap()));
    }
    for node in 0..cluster.node_count() {
        let info = command(cluster.port(node), &["CLUSTER", "INFO"]);
        assert!(info.contains("cluster_state:ok"), "node {node}: {info}");
        assert!(
            info.contains("cluster_slots_ok:16384"),
            "node {node}: {info}"
        );
    }
    set(&cluster, "tc:{formed}:key", "value");
}

#[test]
fn key_slot_matches_the_servers_cluster_keyslot() {
    let cluster = start(3, 0);
    let keys = [
        "",
        "foo",
        "a{}b{c}",
        "{",
        "}",
        "{}",
        "}{x}",
        "a{b}c{d}",
        "{}{x}",
        "foo{{bar}}zap",
        "{user1000}.following",
        "tc:v1:{fetch_weather}:0f3a9c",
        "ключ{тег}значение",
        "{😀}🔑",
        "日本語のキー",
        &"long-key-".repeat(100),
    ];
    for key in keys {
        let server = command(cluster.port(0), &["CLUSTER", "KEYSLOT", key]);
        assert_eq!(key_slot(key).to_string(), server, "the slot of {key:?}");
    }
}

#[test]
fn killing_a_master_fails_over_to_its_replica() {
    let mut cluster = start(3, 1);
    let key = "tc:{failover}:key";
    let slot = key_slot(key);
    let master = cluster.master_of_slot(slot).unwrap();
    let replicas = cluster.replicas_of(master).unwrap();
    set_replicated(cluster.port(master), key, "survives");

    cluster.kill_node(master);
    let took = cluster
        .wait_for_failover(master, FAILOVER_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("node {master} killed; its replica took over after {took:?}");

    let new_master = cluster.master_of_slot(slot).unwrap();
    assert!(
        replicas.contains(&new_master),
        "{new_master} in {replicas:?}"
    );
    assert_eq!(cluster.role(new_master).unwrap(), NodeRole::Master);
    assert!(!cluster.masters().unwrap().contains(&master));
    assert_eq!(
        cluster
            .wait_until_slot_served(slot, Duration::from_secs(5))
            .unwrap(),
        new_master
    );
    assert_eq!(command(cluster.port(new_master), &["GET", key]), "survives");
}

#[test]
fn moved_slots_take_their_keys_along() {
    let cluster = start(3, 0);
    let first = key_slot("tc:{moving}");
    let slots = first..=first.saturating_add(9).min(SLOT_COUNT - 1);
    let from = cluster.master_of_slot(first).unwrap();
    let to = *cluster
        .masters()
        .unwrap()
        .iter()
        .find(|&&master| master != from)
        .unwrap();
    // A few keys in each of the slots (a slot's range may span two masters: both give theirs).
    let keys: Vec<String> = (0..)
        .map(|n| format!("tc:{{tag{n}}}:key"))
        .filter(|key| slots.contains(&key_slot(key)))
        .take(30)
        .collect();
    for key in &keys {
        set(&cluster, key, key);
    }

    let started = Instant::now();
    cluster
        .move_slots(slots.clone(), to)
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{} slots with {} keys moved from node {from} to node {to} in {:?}",
        slots.len(),
        keys.len(),
        started.elapsed()
    );

    for slot in slots.clone() {
        assert_eq!(cluster.master_of_slot(slot).unwrap(), to, "slot {slot}");
    }
    for key in &keys {
        assert_eq!(&command(cluster.port(to), &["GET", key]), key);
        let redirected = command(cluster.port(from), &["GET", key]);
        assert!(redirected.starts_with("MOVED"), "{key}: {redirected}");
    }
    let count = command(
        cluster.port(to),
        &["CLUSTER", "COUNTKEYSINSLOT", &first.to_string()],
    );
    assert_ne!(count, "0");
}
