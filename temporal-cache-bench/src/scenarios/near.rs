//! The near cache (`RedisCacheBackend::with_near_cache`): a hit served from process memory
//! against the network floor (a bare `GET`) and the in-process floor (a bare `moka` get of the
//! same bytes); the same activities' hits through it, one task and 64 tasks; and how long after
//! another client's write a reader stops seeing the old value.
//!
//! It reads the entries the hits section stored (64 inputs per result size), through a second
//! backend on the same Redis with a near cache, made the global backend for the section.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use temporal_cache_runtime::backend::{CacheBackend, DEFAULT_KEY_PREFIX};
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};

use super::{Op, ROUNDS, TASKS, bare_get, op};
use crate::activities::{BenchActivities, DOCUMENT, PROFILE};
use crate::context::context_for;
use crate::error::{BenchResult, settled};
use crate::stats::{self, Latency, median, percentile};

/// The near cache's byte bound: every entry of the section fits.
const NEAR_BYTES: u64 = 64 << 20;

/// Writes whose invalidation delay is measured.
const WRITES: usize = 500;

/// One result size's figures in one round.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NearRound {
    /// Bare `GET` of the entry, one task.
    pub(crate) network_get: Latency,
    /// The backend's read of a hit (`get_shared`), served from the near cache, alternated with
    /// the `GET`.
    pub(crate) near_get: Latency,
    /// A bare `moka` get of the same bytes (an `Arc` clone).
    pub(crate) moka_get: Latency,
    /// The cached activity's hit through the near cache, one task.
    pub(crate) activity_hit: Latency,
    /// Bare `GET`s per second, 64 tasks, one key each.
    pub(crate) network_concurrent: f64,
    /// Activity hits per second through the near cache, 64 tasks, one input each.
    pub(crate) near_concurrent: f64,
}

/// The rounds of one result size.
#[derive(Debug, Clone)]
pub(crate) struct NearSize {
    pub(crate) entry_bytes: usize,
    pub(crate) rounds: Vec<NearRound>,
}

impl NearSize {
    pub(crate) fn latency(&self, of: impl Fn(&NearRound) -> Latency) -> Latency {
        let p50 = median(&self.rounds, |round| of(round).p50);
        let p99 = median(&self.rounds, |round| of(round).p99);
        Latency {
            p50,
            p99,
            ..of(&self.rounds[0])
        }
    }

    pub(crate) fn rate(&self, of: impl Fn(&NearRound) -> f64) -> f64 {
        median(&self.rounds, of)
    }
}

/// How long after another client's write a reader stops seeing the old value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteDelay {
    /// From the `SET` being sent to the reader's first read that no longer returns the old
    /// value: p50, p99, max.
    pub(crate) after_write: (Duration, Duration, Duration),
    /// The same, counted from the writer's acknowledgement.
    pub(crate) after_ack: (Duration, Duration, Duration),
    pub(crate) writes: usize,
    /// Reads of the old value after the writer's acknowledgement, over all writes.
    pub(crate) stale_reads_after_ack: usize,
}

/// The near cache's section.
#[derive(Debug, Clone)]
pub(crate) struct NearReport {
    pub(crate) small: NearSize,
    pub(crate) large: NearSize,
    pub(crate) write_delay: WriteDelay,
}

/// What one result size reads.
struct Subject {
    keys: Vec<String>,
    activity_hit: Op,
    iterations: usize,
    per_task: usize,
}

pub(crate) async fn measure(url: &str, global: Arc<RedisCacheBackend>) -> BenchResult<NearReport> {
    let client = redis::Client::open(url)?;
    let mut admin = ConnectionManager::new(client.clone()).await?;
    let floor_connection = ConnectionManager::new(client.clone()).await?;
    let near = Arc::new(RedisCacheBackend::new(url)?.with_near_cache(NEAR_BYTES));
    set_cache_backend(Arc::clone(&near));
    let measured = async {
        tracking_on(&near).await?;
        let small_ctx = context_for(BenchActivities::fetch_small.name()).await?;
        let small = Subject {
            keys: keys_of(&mut admin, BenchActivities::fetch_small.name()).await?,
            activity_hit: op(move |slot| {
                settled(BenchActivities::__fetch_small(
                    small_ctx.clone(),
                    PROFILE.id + slot as u64,
                ))
            }),
            iterations: 20_000,
            per_task: 2_000,
        };
        let large_ctx = context_for(BenchActivities::fetch_large.name()).await?;
        let large = Subject {
            keys: keys_of(&mut admin, BenchActivities::fetch_large.name()).await?,
            activity_hit: op(move |slot| {
                settled(BenchActivities::__fetch_large(
                    large_ctx.clone(),
                    DOCUMENT.id + slot as u64,
                ))
            }),
            iterations: 2_000,
            per_task: 100,
        };
        let (mut small_rounds, mut large_rounds) = (Vec::new(), Vec::new());
        for round in 1..=ROUNDS {
            eprintln!("near cache: round {round} of {ROUNDS}");
            small_rounds.push(measure_round(&near, &floor_connection, &small).await?);
            large_rounds.push(measure_round(&near, &floor_connection, &large).await?);
        }
        eprintln!("near cache: {WRITES} writes by another client");
        let write_delay = write_delay(&near, &client).await?;
        BenchResult::Ok(NearReport {
            small: NearSize {
                entry_bytes: entry_len(&mut admin, &small.keys[0]).await?,
                rounds: small_rounds,
            },
            large: NearSize {
                entry_bytes: entry_len(&mut admin, &large.keys[0]).await?,
                rounds: large_rounds,
            },
            write_delay,
        })
    }
    .await;
    set_cache_backend(global);
    measured
}

async fn measure_round(
    near: &Arc<RedisCacheBackend>,
    floor_connection: &ConnectionManager,
    subject: &Subject,
) -> BenchResult<NearRound> {
    let key = subject.keys[0].clone();
    let value = near_cached(near, &key).await?;
    let network = bare_get(floor_connection.clone(), vec![key.clone()]);
    let (network_get, near_get) = stats::alternating(
        subject.iterations / 10,
        subject.iterations,
        || network(0),
        || {
            let (near, key) = (Arc::clone(near), key.clone());
            async move {
                near.get_shared(&key)
                    .await?
                    .map(drop)
                    .ok_or_else(|| "the entry vanished".into())
            }
        },
    )
    .await?;
    let moka: moka::sync::Cache<String, Arc<[u8]>> = moka::sync::Cache::new(1_000);
    moka.insert(key.clone(), Arc::from(value));
    let moka_get = stats::sequential(subject.iterations / 10, subject.iterations, || {
        let found = moka.get(&key);
        async move { found.map(drop).ok_or_else(|| "moka lost the entry".into()) }
    })
    .await?;
    // Every input's entry near before the activity runs.
    for key in &subject.keys {
        near_cached(near, key).await?;
    }
    let activity_hit = stats::sequential(subject.iterations / 10, subject.iterations, || {
        (subject.activity_hit)(0)
    })
    .await?;
    let network = bare_get(floor_connection.clone(), subject.keys.clone());
    let network_concurrent =
        stats::concurrent(TASKS, subject.per_task, move |task| network(task)).await?;
    let hit = Arc::clone(&subject.activity_hit);
    let near_concurrent = stats::concurrent(TASKS, subject.per_task, move |task| hit(task)).await?;
    Ok(NearRound {
        network_get,
        near_get,
        moka_get,
        activity_hit,
        network_concurrent,
        near_concurrent,
    })
}

/// Reads `key` until a read is served from process memory; returns the value.
async fn near_cached(near: &RedisCacheBackend, key: &str) -> BenchResult<Vec<u8>> {
    let started = Instant::now();
    loop {
        let hits = near_hits(near);
        let value = near
            .get(key)
            .await?
            .ok_or("an entry of the hits section is gone")?;
        if near_hits(near) > hits {
            return Ok(value);
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("{key} is never served from the near cache").into());
        }
    }
}

fn near_hits(near: &RedisCacheBackend) -> u64 {
    near.near_cache_stats().map_or(0, |stats| stats.hits)
}

async fn tracking_on(near: &RedisCacheBackend) -> BenchResult<()> {
    let started = Instant::now();
    near.get("temporal-cache-bench:connect").await?;
    while !near.near_cache_stats().is_some_and(|stats| stats.tracking) {
        if started.elapsed() > Duration::from_secs(10) {
            return Err("the near cache's tracking connection never came up".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// Another client writes a near-cached key, [`WRITES`] times; each time the reader reads until
/// it no longer gets the old value.
async fn write_delay(near: &RedisCacheBackend, client: &redis::Client) -> BenchResult<WriteDelay> {
    let mut writer = ConnectionManager::new(client.clone()).await?;
    let key = format!("{DEFAULT_KEY_PREFIX}:bench-near:written");
    let (mut after_write, mut after_ack) = (Vec::new(), Vec::new());
    let mut stale_reads_after_ack = 0;
    let mut value = 0_u64;
    set(&mut writer, &key, value).await?;
    for _ in 0..WRITES {
        let old = near_cached(near, &key).await?;
        value += 1;
        let sent = Instant::now();
        set(&mut writer, &key, value).await?;
        let acknowledged = Instant::now();
        loop {
            let read = near.get(&key).await?;
            if read.as_deref() != Some(&old[..]) {
                break;
            }
            stale_reads_after_ack += 1;
            tokio::task::yield_now().await;
        }
        after_write.push(sent.elapsed());
        after_ack.push(acknowledged.elapsed());
    }
    Ok(WriteDelay {
        after_write: spread(after_write),
        after_ack: spread(after_ack),
        writes: WRITES,
        stale_reads_after_ack,
    })
}

async fn set(writer: &mut ConnectionManager, key: &str, value: u64) -> BenchResult<()> {
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async::<()>(writer)
        .await?;
    Ok(())
}

fn spread(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    (
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        percentile(&samples, 100.0),
    )
}

async fn keys_of(admin: &mut ConnectionManager, activity_type: &str) -> BenchResult<Vec<String>> {
    let pattern = format!("{DEFAULT_KEY_PREFIX}:*:{activity_type}:*");
    let keys: HashSet<String> = redis::cmd("KEYS").arg(pattern).query_async(admin).await?;
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    if keys.len() < TASKS {
        return Err(format!("{activity_type} has {} entries, not {TASKS}", keys.len()).into());
    }
    Ok(keys)
}

async fn entry_len(admin: &mut ConnectionManager, key: &str) -> BenchResult<usize> {
    Ok(redis::cmd("STRLEN").arg(key).query_async(admin).await?)
}
