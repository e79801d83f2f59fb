//! Production Redis: the small hit over TLS against a bare TLS `GET`, and on a Redis Cluster
//! against a bare cluster `GET`, each in the same run, with the Redis round trips of a miss on
//! the cluster; then a master killed on the cluster: how fast the other masters' slots keep
//! serving hits, and how long until the dead master's slots hit again.
//!
//! The servers are the test harness's own (`temporal-cache-servers`): a TLS-only `redis-server`
//! with a CA made for the run, and a cluster of three masters with a replica each, all on
//! loopback and sharing the two CPUs with the bench.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use temporal_cache_runtime::backend::{RedisCacheBackend, RedisTls};
use temporal_cache_servers::{ClientCerts, RedisCluster, RedisServer, TlsMaterial, key_slot};

use super::{Op, ROUNDS, bare_get, op};
use crate::activities::{CLUSTER_BACKEND, PROFILE, ProductionActivities, TLS_BACKEND};
use crate::context::context_for;
use crate::error::{BenchResult, settled};
use crate::stats::{self, Latency, median};

const WARM_UP: usize = 1_000;
const ITERATIONS: usize = 5_000;
/// Misses whose Redis commands are counted on the cluster.
const COUNTED_MISSES: usize = 200;
/// Entries spread over the cluster for the failover.
const FAILOVER_ENTRIES: u64 = 60;
/// How long the cluster may take to promote a replica before the bench gives up.
const FAILOVER_LIMIT: Duration = Duration::from_secs(30);

/// A hit against its floor, rounds of alternating calls.
#[derive(Debug, Clone)]
pub(crate) struct HitAgainstFloor {
    pub(crate) rounds: Vec<(Latency, Latency)>,
}

impl HitAgainstFloor {
    pub(crate) fn floor_p50(&self) -> Duration {
        median(&self.rounds, |(floor, _)| floor.p50)
    }

    pub(crate) fn hit_p50(&self) -> Duration {
        median(&self.rounds, |(_, hit)| hit.p50)
    }

    pub(crate) fn ratio(&self) -> f64 {
        self.hit_p50().as_secs_f64() / self.floor_p50().as_secs_f64()
    }
}

/// What the failover of one master cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Failover {
    /// Calls for the other masters' slots during the outage, per second, and how many of them
    /// were hits.
    pub(crate) healthy_calls_per_second: f64,
    pub(crate) healthy_hit_share: f64,
    /// From the kill until a call for the dead master's slots was a hit again.
    pub(crate) resumed_after: Option<Duration>,
}

#[derive(Debug, Clone)]
pub(crate) struct ProductionReport {
    pub(crate) tls: HitAgainstFloor,
    pub(crate) cluster: HitAgainstFloor,
    pub(crate) cluster_round_trips_per_miss: f64,
    pub(crate) failover: Failover,
    pub(crate) iterations: usize,
}

pub(crate) async fn measure() -> BenchResult<ProductionReport> {
    let tls = measure_tls().await?;
    let mut cluster = RedisCluster::start(3, 1)?;
    let backend = Arc::new(RedisCacheBackend::cluster(cluster.urls())?);
    CLUSTER_BACKEND
        .set(Arc::clone(&backend))
        .map_err(|_| "the cluster backend is set once")?;
    let client = redis::cluster::ClusterClient::new(cluster.urls())?;
    let floor_connection = client.get_async_connection().await?;
    let hit = hit_op(ProductionActivities::fetch_small_cluster.name(), false).await?;
    let key = store_and_find_key(&cluster, &hit, 0).await?;
    let floor = bare_get(floor_connection, vec![key]);
    let cluster_hits = rounds(&floor, &hit, "cluster").await?;
    let cluster_round_trips_per_miss = round_trips_per_miss(&cluster).await?;
    let failover = failover(&mut cluster).await?;
    Ok(ProductionReport {
        tls,
        cluster: cluster_hits,
        cluster_round_trips_per_miss,
        failover,
        iterations: ITERATIONS,
    })
}

async fn measure_tls() -> BenchResult<HitAgainstFloor> {
    let material = TlsMaterial::generate()?;
    let server = RedisServer::start_tls(&material, ClientCerts::Optional)?;
    let ca = material.ca().cert_pem().as_bytes().to_vec();
    let backend =
        RedisCacheBackend::new(&server.url())?.with_tls(RedisTls::new().with_ca_pem(ca.clone()))?;
    TLS_BACKEND
        .set(Arc::new(backend))
        .map_err(|_| "the TLS backend is set once")?;
    let client = redis::Client::build_with_tls(
        server.url(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(ca),
        },
    )?;
    let connection = ConnectionManager::new(client).await?;
    let hit = hit_op(ProductionActivities::fetch_small_tls.name(), true).await?;
    hit(0).await?;
    let mut admin = connection.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("temporal-cache:*")
        .query_async(&mut admin)
        .await?;
    let [key] = keys.as_slice() else {
        return Err(format!("the TLS server holds {} entries, expected one", keys.len()).into());
    };
    let floor = bare_get(connection, vec![key.clone()]);
    let measured = rounds(&floor, &hit, "TLS").await;
    drop(server);
    measured
}

/// One call of the small cached activity over TLS (`tls`) or on the cluster, always input 0.
async fn hit_op(activity_type: &str, tls: bool) -> BenchResult<Op> {
    let ctx = context_for(activity_type).await?;
    Ok(op(move |slot| {
        let id = PROFILE.id + slot as u64;
        settled(if tls {
            futures::future::Either::Left(ProductionActivities::__fetch_small_tls(ctx.clone(), id))
        } else {
            futures::future::Either::Right(ProductionActivities::__fetch_small_cluster(
                ctx.clone(),
                id,
            ))
        })
    }))
}

async fn rounds(floor: &Op, hit: &Op, what: &str) -> BenchResult<HitAgainstFloor> {
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 1..=ROUNDS {
        eprintln!("production ({what}): round {round} of {ROUNDS}");
        rounds.push(stats::alternating(WARM_UP, ITERATIONS, || floor(0), || hit(0)).await?);
    }
    Ok(HitAgainstFloor { rounds })
}

/// The cache's keys on every master of `cluster`.
fn cluster_keys(cluster: &RedisCluster) -> BenchResult<HashSet<String>> {
    let mut keys = HashSet::new();
    for node in cluster.masters()? {
        let mut connection = redis::Client::open(cluster.url(node))?.get_connection()?;
        let found: Vec<String> = redis::cmd("KEYS")
            .arg("temporal-cache:*")
            .query(&mut connection)?;
        keys.extend(found);
    }
    Ok(keys)
}

/// Stores the entry of input `slot` with `call` and returns its key, found in the cluster.
async fn store_and_find_key(cluster: &RedisCluster, call: &Op, slot: usize) -> BenchResult<String> {
    let before = cluster_keys(cluster)?;
    call(slot).await?;
    let new: Vec<String> = cluster_keys(cluster)?
        .difference(&before)
        .cloned()
        .collect();
    match new.as_slice() {
        [key] => Ok(key.clone()),
        _ => Err(format!("a call stored {} entries, expected one", new.len()).into()),
    }
}

/// How often each command ran on the masters, from `INFO commandstats` (the commands the lease
/// scripts run included).
fn commands_run(cluster: &RedisCluster) -> BenchResult<HashMap<String, u64>> {
    let mut totals = HashMap::new();
    for node in cluster.masters()? {
        let mut connection = redis::Client::open(cluster.url(node))?.get_connection()?;
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut connection)?;
        for line in info.lines() {
            let Some((name, stats)) = line
                .strip_prefix("cmdstat_")
                .and_then(|line| line.split_once(':'))
            else {
                continue;
            };
            let calls = stats
                .strip_prefix("calls=")
                .and_then(|rest| rest.split(',').next()?.parse::<u64>().ok())
                .unwrap_or(0);
            *totals.entry(name.to_owned()).or_default() += calls;
        }
    }
    Ok(totals)
}

/// Round trips per uncontended miss on the cluster: the commands the client sent. `INFO
/// commandstats` also counts what scripts run; every lease script runs exactly one `GET`, so the
/// `GET`s the client sent are the `GET`s less the `EVALSHA`s, and the round trips are those plus
/// the `EVALSHA`s (plus any `SET` or `DEL` a miss sends itself: none with the default settings).
async fn round_trips_per_miss(cluster: &RedisCluster) -> BenchResult<f64> {
    let miss = hit_op(ProductionActivities::fetch_small_cluster.name(), false).await?;
    // Fresh inputs, far from the hit's.
    let first = 1_000_000;
    miss(first).await?;
    let before = commands_run(cluster)?;
    for slot in 1..=COUNTED_MISSES {
        miss(first + slot).await?;
    }
    let after = commands_run(cluster)?;
    let delta = |name: &str| {
        let count = |totals: &HashMap<String, u64>| totals.get(name).copied().unwrap_or(0);
        count(&after).saturating_sub(count(&before))
    };
    let scripts = delta("evalsha");
    let gets_sent = delta("get").saturating_sub(scripts);
    Ok((gets_sent + scripts) as f64 / COUNTED_MISSES as f64)
}

/// Kills the master holding the most of `FAILOVER_ENTRIES` fresh entries, then calls every
/// entry until one of the dead master's is a hit again.
async fn failover(cluster: &mut RedisCluster) -> BenchResult<Failover> {
    let call = hit_op(ProductionActivities::fetch_small_cluster.name(), false).await?;
    let first = 2_000_000_usize;
    let mut by_master: Vec<(usize, usize)> = Vec::new();
    for entry in 0..FAILOVER_ENTRIES as usize {
        let key = store_and_find_key(cluster, &call, first + entry).await?;
        by_master.push((first + entry, cluster.master_of_slot(key_slot(&key))?));
    }
    let dead = by_master[0].1;
    let (on_dead, elsewhere): (Vec<_>, Vec<_>) =
        by_master.iter().partition(|(_, master)| *master == dead);
    cluster.kill_node(dead);
    let killed = Instant::now();
    let (mut healthy_calls, mut healthy_misses) = (0_u64, 0_u64);
    let mut resumed_after = None;
    while resumed_after.is_none() && killed.elapsed() < FAILOVER_LIMIT {
        for (slot, _) in &elsewhere {
            let runs = crate::activities::cached_body_runs();
            call(*slot).await?;
            healthy_calls += 1;
            healthy_misses += crate::activities::cached_body_runs() - runs;
        }
        let (slot, _) = on_dead[0];
        call(slot).await?;
        let runs = crate::activities::cached_body_runs();
        call(slot).await?;
        if crate::activities::cached_body_runs() == runs {
            resumed_after = Some(killed.elapsed());
        }
    }
    let outage = resumed_after.unwrap_or_else(|| killed.elapsed());
    Ok(Failover {
        healthy_calls_per_second: healthy_calls as f64 / outage.as_secs_f64(),
        healthy_hit_share: 1.0 - healthy_misses as f64 / healthy_calls.max(1) as f64,
        resumed_after,
    })
}
