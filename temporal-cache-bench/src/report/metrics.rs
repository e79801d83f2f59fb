//! The metrics-recording measurement as markdown: its rows in the summary and its section.

use std::fmt::Write as _;

use super::format::{duration, ratio, thousands};
use super::summary::SummaryRow;
use crate::scenarios::metrics::{MetricsReport, RecordingHits};
use crate::stats::median;
use crate::targets::{self, Verdict};

/// The median over rounds of on p50 minus off p50, in nanoseconds (negative when "on" was
/// faster).
fn cost_nanos(hits: &RecordingHits) -> i128 {
    median(&hits.rounds, |(on, off)| {
        on.p50.as_nanos() as i128 - off.p50.as_nanos() as i128
    })
}

fn figure(hits: &RecordingHits) -> String {
    format!(
        "{} (on {}, off {})",
        ratio(hits.ratio()),
        duration(hits.on_p50()),
        duration(hits.off_p50())
    )
}

pub(super) fn summary_rows(metrics: &MetricsReport) -> Vec<SummaryRow> {
    let target = targets::METRICS_HIT_P50_MAX_RATIO;
    vec![
        SummaryRow::new(
            "hit p50 with metrics on a Prometheus meter ÷ without, 233 B",
            figure(&metrics.redis),
        )
        .with_target(
            format!("≤ {target}×"),
            Verdict::of(metrics.redis.ratio() <= target),
        ),
        SummaryRow::new(
            "the same in process (memory backend): what recording costs a hit",
            format!(
                "{}; {} ns a hit at p50",
                figure(&metrics.memory),
                cost_nanos(&metrics.memory)
            ),
        ),
    ]
}

pub(super) fn section(out: &mut String, metrics: &MetricsReport) {
    let _ = writeln!(out, "### Metrics recording\n");
    let _ = writeln!(
        out,
        "The 233 B hit with the cache's metrics recorded to the Temporal SDK's Prometheus meter \
         (`start_prometheus_metric_exporter` on a loopback port, given to \
         `temporal_cache_runtime::metrics::set_meter`) against the same hit with no meter set, \
         alternating call by call; the meter is set or cleared while each call is prepared, \
         untimed. The in-process counters of `cache_stats()` count in both. On Redis ({} calls \
         of each kind per round) and on the in-process memory backend ({} per round), where a \
         hit takes microseconds and recording's own cost shows. The ratio is the median of the \
         rounds' ratios.\n",
        thousands(metrics.redis.iterations),
        thousands(metrics.memory.iterations),
    );
    let _ = writeln!(
        out,
        "| backend | p50 on | p50 off | ratio | rounds (on / off p50) | hits the exporter counted |\n|---|---|---|---|---|---|"
    );
    for (backend, hits) in [("Redis", &metrics.redis), ("memory", &metrics.memory)] {
        let rounds: Vec<String> = hits
            .rounds
            .iter()
            .map(|(on, off)| format!("{} / {}", duration(on.p50), duration(off.p50)))
            .collect();
        let exported = match hits.exported_hits {
            Some(exported) if exported == hits.calls_on as u64 => {
                format!(
                    "{} of {} made with the meter on",
                    thousands(exported as usize),
                    thousands(hits.calls_on)
                )
            }
            Some(exported) => format!(
                "{} of {} made with the meter on: **the measurement is off**",
                thousands(exported as usize),
                thousands(hits.calls_on)
            ),
            None => "none: the exporter could not be read".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {backend} | {} | {} | {} | {} | {exported} |",
            duration(hits.on_p50()),
            duration(hits.off_p50()),
            ratio(hits.ratio()),
            rounds.join(", ")
        );
    }
    let _ = writeln!(out);
}
