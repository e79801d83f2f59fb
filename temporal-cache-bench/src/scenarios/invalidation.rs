//! Whole-activity invalidation (`invalidate_activity!`) on a big database: how long removing
//! every entry of one activity takes for 100,000 and 1,000,000 entries, and what another client
//! of the same Redis sees meanwhile (its GET p99 during the removal against its p99 just before).
//!
//! The entries are written straight to Redis under the activity's key prefix (a million real
//! activity calls would take the bench minutes for nothing), beside 1,000 entries of another
//! activity that must survive.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use temporal_cache_runtime::{CacheBackend, RedisCacheBackend};

use crate::error::BenchResult;
use crate::stats::percentile;

/// The sizes measured.
const SIZES: [usize; 2] = [100_000, 1_000_000];

/// Entries of the neighbouring activity, kept through every removal.
const NEIGHBOURS: usize = 1_000;

/// Reads of the other client before a removal, for its baseline p99.
const BASELINE_READS: usize = 2_000;

/// One removal.
#[derive(Debug, Clone)]
pub(crate) struct Removal {
    pub(crate) entries: usize,
    pub(crate) removed: u64,
    pub(crate) took: Duration,
    /// The other client's GET p50 and p99 just before, then during the removal.
    pub(crate) before: (Duration, Duration),
    pub(crate) during: (Duration, Duration),
    pub(crate) reads_during: usize,
    /// Whether the neighbouring activity's entries all survived.
    pub(crate) neighbours_kept: bool,
}

/// Every size's removal.
#[derive(Debug, Clone)]
pub(crate) struct InvalidationReport {
    pub(crate) removals: Vec<Removal>,
}

pub(crate) async fn measure(url: &str) -> BenchResult<InvalidationReport> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let backend = RedisCacheBackend::new(url)?.with_prefix("bench-invalidation");
    let prefix = backend.activity_prefix(Some("default"), "Bench::invalidated");
    let neighbours = backend.activity_prefix(Some("default"), "Bench::neighbour");
    let watched = format!("{neighbours}{:064x}}}", 0);
    fill(&mut connection, &neighbours, NEIGHBOURS).await?;
    let mut removals = Vec::new();
    for entries in SIZES {
        eprintln!("invalidation: writing {entries} entries");
        fill(&mut connection, &prefix, entries).await?;
        let before = reads(&mut connection, &watched, Some(BASELINE_READS), None).await?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let reader = tokio::spawn({
            let mut connection = connection.clone();
            let watched = watched.clone();
            async move { reads(&mut connection, &watched, None, Some(stopped)).await }
        });
        eprintln!("invalidation: removing {entries} entries");
        let started = Instant::now();
        let removed = backend.delete_prefix(&prefix).await?;
        let took = started.elapsed();
        stop.send_replace(true);
        let during = reader.await??;
        let kept: Vec<String> = connection.keys(format!("{neighbours}*")).await?;
        removals.push(Removal {
            entries,
            removed,
            took,
            before: p50_p99(before.clone()),
            reads_during: during.len(),
            during: p50_p99(during),
            neighbours_kept: kept.len() == NEIGHBOURS,
        });
    }
    Ok(InvalidationReport { removals })
}

/// Writes `count` small entries under `prefix`, pipelined.
async fn fill(
    connection: &mut MultiplexedConnection,
    prefix: &str,
    count: usize,
) -> BenchResult<()> {
    for start in (0..count).step_by(10_000) {
        let mut pipe = redis::pipe();
        for i in start..(start + 10_000).min(count) {
            pipe.set(
                format!("{prefix}{i:064x}}}"),
                "a cached result of about fifty bytes, say",
            )
            .ignore();
        }
        let () = pipe.query_async(connection).await?;
    }
    Ok(())
}

/// Times GETs of `key`: `count` of them, or until `stop` says so.
async fn reads(
    connection: &mut MultiplexedConnection,
    key: &str,
    count: Option<usize>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> BenchResult<Vec<Duration>> {
    let mut latencies = Vec::new();
    loop {
        if count.is_some_and(|count| latencies.len() >= count)
            || stop.as_ref().is_some_and(|stop| *stop.borrow())
        {
            return Ok(latencies);
        }
        let started = Instant::now();
        let _: Option<Vec<u8>> = connection.get(key).await?;
        latencies.push(started.elapsed());
    }
}

fn p50_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    (percentile(&samples, 50.0), percentile(&samples, 99.0))
}
