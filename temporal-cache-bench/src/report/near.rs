//! The near cache measurement as markdown: its rows in the summary and its section.

use std::fmt::Write as _;

use super::format::{duration, latency, rate, ratio};
use super::summary::SummaryRow;
use crate::scenarios::TASKS;
use crate::scenarios::near::{NearReport, NearSize};
use crate::targets::{self, Verdict};

/// A ratio far below one, with the digits it needs.
fn small_ratio(ratio: f64) -> String {
    format!("{ratio:.3}×")
}

fn near_over_network(size: &NearSize) -> f64 {
    size.latency(|r| r.near_get).p50.as_secs_f64()
        / size.latency(|r| r.network_get).p50.as_secs_f64()
}

fn near_over_moka(size: &NearSize) -> f64 {
    size.latency(|r| r.near_get).p50.as_secs_f64() / size.latency(|r| r.moka_get).p50.as_secs_f64()
}

fn concurrent_ratio(size: &NearSize) -> f64 {
    size.rate(|r| r.near_concurrent) / size.rate(|r| r.network_concurrent)
}

fn label(size: &NearSize) -> String {
    if size.entry_bytes >= 10_000 {
        format!("{} KB", size.entry_bytes / 1000)
    } else {
        format!("{} B", size.entry_bytes)
    }
}

pub(super) fn summary_rows(report: &NearReport) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for size in [&report.small, &report.large] {
        let bytes = label(size);
        rows.push(
            SummaryRow::new(
                format!("near cache hit p50 ÷ bare GET p50, {bytes} (÷ bare moka get)"),
                format!(
                    "{} ({} vs {}; {})",
                    small_ratio(near_over_network(size)),
                    duration(size.latency(|r| r.near_get).p50),
                    duration(size.latency(|r| r.network_get).p50),
                    ratio(near_over_moka(size)),
                ),
            )
            .with_target(
                format!("≤ {:.2}×", targets::NEAR_HIT_P50_MAX_RATIO),
                Verdict::of(near_over_network(size) <= targets::NEAR_HIT_P50_MAX_RATIO),
            ),
        );
        rows.push(SummaryRow::new(
            format!("activity hits through the near cache, {bytes}, {TASKS} tasks (÷ bare GET)"),
            format!(
                "{} ({})",
                rate(size.rate(|r| r.near_concurrent)),
                ratio(concurrent_ratio(size))
            ),
        ));
    }
    let delay = &report.write_delay;
    rows.push(SummaryRow::new(
        "another client's write → a near-cached reader stops serving the old value, p50 / p99",
        format!(
            "{} / {} after the write was sent; {} / {} after its acknowledgement",
            duration(delay.after_write.0),
            duration(delay.after_write.1),
            duration(delay.after_ack.0),
            duration(delay.after_ack.1),
        ),
    ));
    rows
}

pub(super) fn section(out: &mut String, report: &NearReport) {
    out.push_str("### Near cache\n\n");
    out.push_str(
        "`RedisCacheBackend::with_near_cache(64 MiB)` on the same Redis, reading the entries the \
         hits section stored. *near get* is the backend's read of a hit (`get_shared`) served \
         from process memory (the cached buffer itself, no copy), alternated call by call with a bare `GET` of the same \
         key on its own connection; *moka get* is a bare `moka` get of the same bytes (an `Arc` \
         clone), the in-process floor. *activity hit* is the cached activity's whole call \
         through the near cache (key, lookup, decoding the result). The concurrent rates run \
         64 tasks, one input each, against 64 tasks of bare `GET`s.\n\n",
    );
    out.push_str(
        "| size | round | bare GET p50 / p99 | near get p50 / p99 | moka get p50 / p99 | activity hit p50 / p99 | bare GET, 64 tasks | activity hits, 64 tasks |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for size in [&report.small, &report.large] {
        for (index, round) in size.rounds.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                label(size),
                index + 1,
                latency(&round.network_get),
                latency(&round.near_get),
                latency(&round.moka_get),
                latency(&round.activity_hit),
                rate(round.network_concurrent),
                rate(round.near_concurrent),
            );
        }
    }
    let delay = &report.write_delay;
    let _ = writeln!(
        out,
        "\nCoherence: another client `SET`s a near-cached key {} times; after each write the \
         reader reads in a loop until it no longer gets the old value (the invalidation pushed \
         by Redis dropped the near entry, and the read went to Redis). From the write being \
         sent: p50 {}, p99 {}, max {}. From the writer's acknowledgement: p50 {}, p99 {}, max \
         {}; {} reads of the old value happened after an acknowledgement, over all writes.\n",
        delay.writes,
        duration(delay.after_write.0),
        duration(delay.after_write.1),
        duration(delay.after_write.2),
        duration(delay.after_ack.0),
        duration(delay.after_ack.1),
        duration(delay.after_ack.2),
        delay.stale_reads_after_ack,
    );
}
