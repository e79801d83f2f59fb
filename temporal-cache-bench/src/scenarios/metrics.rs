//! Hits with the cache's metrics recorded to a real Temporal meter against hits without one: the
//! SDK's Prometheus exporter on a loopback port, its meter given to
//! `temporal_cache_runtime::metrics::set_meter` before each "on" call and taken away
//! (`clear_meter`) before each "off" call, alternating call by call (see [`stats::alternating`]).
//! Setting and clearing happen while the call is prepared, untimed; the in-process counters of
//! `cache_stats()` are kept in both.
//!
//! Measured on the Redis backend, the hit the target is about, and on the in-process backend,
//! where a hit takes microseconds and recording's own cost shows. At the end the exporter is
//! scraped, to check that it counted exactly the hits made with the meter on.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use temporal_cache_runtime::metrics::{clear_meter, names, set_meter};
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{PrometheusExporterOptions, start_prometheus_metric_exporter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Op, ROUNDS, op};
use crate::activities::{BenchActivities, MetricsActivities, PROFILE};
use crate::context::context_for;
use crate::error::{BenchResult, settled};
use crate::stats::{self, Latency, median};

/// Warm-up and timed calls of each kind per round, on Redis.
const REDIS_COUNTS: (usize, usize) = (1_000, 10_000);

/// Warm-up and timed calls of each kind per round, in process.
const MEMORY_COUNTS: (usize, usize) = (2_000, 20_000);

/// One backend's hits, with the meter and without, per round.
#[derive(Debug, Clone)]
pub(crate) struct RecordingHits {
    /// (on, off) per round.
    pub(crate) rounds: Vec<(Latency, Latency)>,
    pub(crate) iterations: usize,
    /// Hits made with the meter on, warm-ups included.
    pub(crate) calls_on: usize,
    /// What the exporter's `temporal_cache_hits` said for the activity at the end.
    pub(crate) exported_hits: Option<u64>,
}

impl RecordingHits {
    pub(crate) fn on_p50(&self) -> std::time::Duration {
        median(&self.rounds, |(on, _)| on.p50)
    }

    pub(crate) fn off_p50(&self) -> std::time::Duration {
        median(&self.rounds, |(_, off)| off.p50)
    }

    /// The median over rounds of each round's on p50 ÷ off p50: the machine drifts between
    /// rounds, never between the two calls of a pair.
    pub(crate) fn ratio(&self) -> f64 {
        median(&self.rounds, |(on, off)| {
            on.p50.as_secs_f64() / off.p50.as_secs_f64()
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MetricsReport {
    pub(crate) redis: RecordingHits,
    pub(crate) memory: RecordingHits,
}

/// What one backend's measurement calls.
struct Subject {
    activity_type: &'static str,
    hit: Op,
    counts: (usize, usize),
}

pub(crate) async fn measure() -> BenchResult<MetricsReport> {
    let exporter = start_prometheus_metric_exporter(
        PrometheusExporterOptions::builder()
            .socket_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .build(),
    )
    .map_err(|error| format!("the Prometheus exporter does not start: {error}"))?;
    let meter: Arc<dyn CoreMeter> = exporter.meter;

    let redis_ctx = context_for(BenchActivities::fetch_small.name()).await?;
    let redis = Subject {
        activity_type: BenchActivities::fetch_small.name(),
        hit: op(move |_| {
            settled(BenchActivities::__fetch_small(
                redis_ctx.clone(),
                PROFILE.id,
            ))
        }),
        counts: REDIS_COUNTS,
    };
    let memory_ctx = context_for(MetricsActivities::fetch_small_in_memory.name()).await?;
    let memory = Subject {
        activity_type: MetricsActivities::fetch_small_in_memory.name(),
        hit: op(move |_| {
            settled(MetricsActivities::__fetch_small_in_memory(
                memory_ctx.clone(),
                PROFILE.id,
            ))
        }),
        counts: MEMORY_COUNTS,
    };
    // Stored before anything is timed or counted.
    for subject in [&redis, &memory] {
        (subject.hit)(0).await?;
    }

    let (mut redis_rounds, mut memory_rounds) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        eprintln!("metrics recording: round {round} of {ROUNDS}");
        redis_rounds.push(measure_round(&redis, &meter).await?);
        memory_rounds.push(measure_round(&memory, &meter).await?);
    }
    clear_meter();

    let exposition = scrape(exporter.bound_addr).await;
    exporter.abort_handle.abort();
    let report = |subject: &Subject, rounds| RecordingHits {
        rounds,
        iterations: subject.counts.1,
        calls_on: ROUNDS * (subject.counts.0 + subject.counts.1),
        exported_hits: exposition
            .as_deref()
            .and_then(|text| exported_hits(text, subject.activity_type)),
    };
    Ok(MetricsReport {
        redis: report(&redis, redis_rounds),
        memory: report(&memory, memory_rounds),
    })
}

async fn measure_round(
    subject: &Subject,
    meter: &Arc<dyn CoreMeter>,
) -> BenchResult<(Latency, Latency)> {
    let (warm_up, iterations) = subject.counts;
    stats::alternating(
        warm_up,
        iterations,
        || {
            set_meter(Arc::clone(meter));
            (subject.hit)(0)
        },
        || {
            clear_meter();
            (subject.hit)(0)
        },
    )
    .await
}

/// The exporter's text exposition, or `None` if it cannot be read (the report then says so).
async fn scrape(address: SocketAddr) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some(body.to_owned())
}

/// The value of `temporal_cache_hits` for `activity_type` in an exposition.
fn exported_hits(exposition: &str, activity_type: &str) -> Option<u64> {
    let label = format!("activity_type=\"{activity_type}\"");
    exposition
        .lines()
        .filter(|line| line.starts_with(&format!("{}{{", names::HITS)) && line.contains(&label))
        .find_map(|line| line.rsplit_once(' ')?.1.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hits_of_one_activity_are_read_from_an_exposition() {
        let exposition = "# TYPE temporal_cache_hits counter\n\
            temporal_cache_hits{activity_type=\"A::a\",namespace=\"default\",task_queue=\"q\"} 12\n\
            temporal_cache_hits{activity_type=\"B::b\",namespace=\"default\",task_queue=\"q\"} 3\n\
            temporal_cache_hits_other{activity_type=\"B::b\"} 9\n";
        assert_eq!(exported_hits(exposition, "A::a"), Some(12));
        assert_eq!(exported_hits(exposition, "B::b"), Some(3));
        assert_eq!(exported_hits(exposition, "C::c"), None);
    }
}
