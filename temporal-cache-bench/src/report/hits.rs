//! The cache hit measurement as markdown: its rows in the summary and its section in the
//! details, a table of rounds per result size and kind of run.

use std::fmt::Write as _;
use std::time::Duration;

use super::chart::{Row, strip_chart};
use super::format::{duration, latency, latency_pair, p50_p99, rate, rate_of, ratio, thousands};
use super::summary::SummaryRow;
use crate::reference;
use crate::scenarios::TASKS;
use crate::scenarios::hits::{CONCURRENT_PARTS, HitReport, Round, SizeReport};
use crate::targets::{self, Verdict};

pub(super) fn summary_rows(hits: &HitReport) -> Vec<SummaryRow> {
    let mut rows = small_rows(&hits.small);
    rows.extend(large_rows(&hits.large));
    rows
}

/// The 233 B result's rows: the floor, the hits, and the two targets.
fn small_rows(small: &SizeReport) -> Vec<SummaryRow> {
    vec![
        SummaryRow::new(
            "bare GET (the floor), 233 B, 1 task",
            format!(
                "{}; {}",
                p50_p99(
                    small.latency(|r| r.floor.p50),
                    small.latency(|r| r.floor.p99)
                ),
                rate(small.rate(|r| r.floor.per_second))
            ),
        )
        .with_python(reference::FLOOR),
        SummaryRow::new(
            format!("bare GET, 233 B, {TASKS} tasks"),
            rate(small.rate(|r| r.floor_concurrent)),
        ),
        SummaryRow::new(
            "cache hit, 233 B, 1 task",
            format!(
                "{}; {}",
                p50_p99(small.latency(|r| r.hit.p50), small.latency(|r| r.hit.p99)),
                rate_of("hits", small.rate(|r| r.hit.per_second))
            ),
        )
        .with_python(reference::HIT_SMALL),
        SummaryRow::new(
            "hit p50 ÷ bare GET p50, 233 B",
            format!(
                "{} (a hit takes {} longer)",
                ratio(small.p50_ratio()),
                duration(hit_overhead_p50(small))
            ),
        )
        .with_target(
            format!("≤ {:.1}×", targets::HIT_P50_MAX_RATIO),
            Verdict::of(small.p50_ratio() <= targets::HIT_P50_MAX_RATIO),
        )
        .with_python(reference::HIT_RATIO),
        SummaryRow::new(
            format!("cache hit, 233 B, {TASKS} tasks"),
            format!(
                "{} (round by round, {} a bare GET of the JSON followed by its decode alone: {}; \
                 {} a bare GET of the entry followed by the hit's own decode alone: {})",
                rate_of("hits", small.rate(|r| r.hit_concurrent)),
                ratio(small.concurrent_get_decode_ratio()),
                rate(small.rate(|r| r.get_decode_concurrent)),
                ratio(small.concurrent_get_entry_decode_ratio()),
                rate(small.rate(|r| r.get_entry_decode_concurrent)),
            ),
        ),
        concurrent_target_row("233 B", small),
    ]
}

/// The concurrent hit rate against the bare GET rate, and its target, for the result of `size`.
fn concurrent_target_row(size: &str, report: &SizeReport) -> SummaryRow {
    SummaryRow::new(
        format!("hits/s ÷ bare GETs/s of the same round, {size}, {TASKS} tasks (median of rounds)"),
        ratio(report.concurrent_ratio()),
    )
    .with_target(
        format!("≥ {:.1}×", targets::CONCURRENT_HITS_MIN_RATIO),
        Verdict::of(report.concurrent_ratio() >= targets::CONCURRENT_HITS_MIN_RATIO),
    )
}

/// The 100 KB result's rows, where decoding weighs as much as the GET.
fn large_rows(large: &SizeReport) -> Vec<SummaryRow> {
    vec![
        SummaryRow::new(
            "cache hit, 100 KB, 1 task",
            format!(
                "{} (bare GET of the entry: p50 {}; JSON decode alone: p50 {})",
                p50_p99(large.latency(|r| r.hit.p50), large.latency(|r| r.hit.p99)),
                duration(large.latency(|r| r.floor.p50)),
                duration(large.latency(|r| r.decode.p50)),
            ),
        )
        .with_python(reference::HIT_LARGE),
        SummaryRow::new(
            format!("cache hit, 100 KB, {TASKS} tasks"),
            format!(
                "{} against {} bare GETs; round by round, {} the bare GET rate, {} a bare GET of \
                 the JSON followed by its decode alone ({}), and {} a bare GET of the entry \
                 followed by the hit's own decode alone ({})",
                rate_of("hits", large.rate(|r| r.hit_concurrent)),
                rate(large.rate(|r| r.floor_concurrent)),
                ratio(large.concurrent_ratio()),
                ratio(large.concurrent_get_decode_ratio()),
                rate(large.rate(|r| r.get_decode_concurrent)),
                ratio(large.concurrent_get_entry_decode_ratio()),
                rate(large.rate(|r| r.get_entry_decode_concurrent)),
            ),
        ),
        concurrent_target_row("100 KB", large),
    ]
}

/// What a hit costs beyond its GET: median hit p50 minus median floor p50.
fn hit_overhead_p50(size: &SizeReport) -> Duration {
    size.latency(|r| r.hit.p50)
        .saturating_sub(size.latency(|r| r.floor.p50))
}

/// Where the chart of hit latency against the floor is written, relative to the report.
pub(super) const CHART_PATH: &str = "docs/bench/hit-latency.svg";

/// The distribution of the 233 B hit's latency against the bare `GET` floor of the same run:
/// every 5th percentile of every round.
pub(super) fn chart(hits: &HitReport) -> String {
    let points = |of: fn(&Round) -> &crate::stats::Latency| -> Vec<Duration> {
        hits.small
            .rounds
            .iter()
            .flat_map(|round| of(round).quantiles)
            .collect()
    };
    let (floor, hit) = (points(|round| &round.floor), points(|round| &round.hit));
    strip_chart(
        "Latency of a 233 B cache hit against a bare Redis GET",
        "every 5th percentile of each round",
        &[
            Row {
                label: "bare GET (the floor)",
                samples: &floor,
            },
            Row {
                label: "cache hit",
                samples: &hit,
            },
        ],
    )
}

pub(super) fn section(out: &mut String, hits: &HitReport) {
    let _ = writeln!(out, "### Cache hits, round by round\n");
    let _ = writeln!(out, "![Hit latency against a bare GET]({CHART_PATH})\n");
    for (label, size) in [("233 B", &hits.small), ("100 KB", &hits.large)] {
        let _ = writeln!(
            out,
            "{label} result ({} bytes in Redis); {} timed calls per round and kind in one task, \
             {} calls per run of {TASKS} tasks.\n",
            thousands(size.entry_bytes),
            thousands(size.iterations),
            thousands(size.concurrent_calls),
        );
        rounds_table(out, size, &one_task_columns());
        rounds_table(out, size, &concurrent_columns());
    }
    let _ = writeln!(
        out,
        "- *hit − GET*: what a hit costs beyond its GET: building the key, the in-process flight, \
         the envelope and decoding the value (stored in MessagePack, which reads back as the \
         result's JSON). *JSON decode alone* is `serde_json` decoding the result's JSON into its \
         type, for scale: what each hit of a cache that stores JSON pays.\n\
         - *uncached call*: the same activity with `policy = \"no_cache\"`, i.e. the body alone \
         (it clones a prepared result).\n\
         - *{TASKS} tasks*: each task has an input (an entry) of its own, and an activity context \
         of its own, as concurrent activity executions do (clones of one context would all take \
         the lock of one cancellation token); the bare GETs read the same {TASKS} entries. \
         *GET + decode* is a bare GET of the result's JSON (a copy of each entry's value under a \
         key of its own) followed by `serde_json` decoding it into the result type: a typed read \
         of JSON with nothing around it (a hit of the `cached` crate is this). *GET + the hit's \
         decode* is a bare GET of the entry itself followed by the decode a hit does (the \
         envelope, then MessagePack), and nothing else: the least any typed read of these \
         entries costs, so *hits ÷ (GET + the hit's decode)* is how close the cache's own work \
         comes to nothing (above 1 where hits share MGETs). The \
         bare GETs of the {TASKS} tasks are pipelined on their connection; the hits share round \
         trips besides: while one hit's GET is on its way, those that arrive meanwhile wait and \
         go together as one MGET (entries under 16 KiB; the 100 KB ones are read one by one, \
         pipelined like the bare GETs). The four runs are each cut into {CONCURRENT_PARTS} parts that take turns, so that they see \
         the same moments of the machine. *One \
         input* is the same run with every task calling with the same input: identical \
         concurrent calls then share one lookup in the process, which a bare GET cannot do, so \
         it is shown apart and not used for the target.\n\
         - Calls in the hit runs that ran the body instead of hitting (a backend error or \
         timeout): {}.\n",
        hits.fallbacks
    );
}

/// One column of a rounds table: its header, its cell in a round, and its cell in the median
/// row (a median of rounds, a median of the rounds' own ratios, or a ratio or difference of
/// medians).
struct Column {
    header: String,
    round: fn(&Round) -> String,
    median: fn(&SizeReport) -> String,
}

fn one_task_columns() -> Vec<Column> {
    vec![
        Column {
            header: "bare GET p50 / p99".to_owned(),
            round: |r| latency(&r.floor),
            median: |s| latency_pair(s.latency(|r| r.floor.p50), s.latency(|r| r.floor.p99)),
        },
        Column {
            header: "hit p50 / p99".to_owned(),
            round: |r| latency(&r.hit),
            median: |s| latency_pair(s.latency(|r| r.hit.p50), s.latency(|r| r.hit.p99)),
        },
        Column {
            header: "hit ÷ GET (p50)".to_owned(),
            round: |r| ratio(r.hit.p50.as_secs_f64() / r.floor.p50.as_secs_f64()),
            median: |s| ratio(s.p50_ratio()),
        },
        Column {
            header: "hit − GET (p50)".to_owned(),
            round: |r| duration(r.hit.p50.saturating_sub(r.floor.p50)),
            median: |s| duration(hit_overhead_p50(s)),
        },
        Column {
            header: "JSON decode alone (p50)".to_owned(),
            round: |r| duration(r.decode.p50),
            median: |s| duration(s.latency(|r| r.decode.p50)),
        },
        Column {
            header: "uncached call (p50)".to_owned(),
            round: |r| duration(r.uncached.p50),
            median: |s| duration(s.latency(|r| r.uncached.p50)),
        },
        Column {
            header: "bare GETs/s".to_owned(),
            round: |r| rate(r.floor.per_second),
            median: |s| rate(s.rate(|r| r.floor.per_second)),
        },
        Column {
            header: "hits/s".to_owned(),
            round: |r| rate(r.hit.per_second),
            median: |s| rate(s.rate(|r| r.hit.per_second)),
        },
    ]
}

fn concurrent_columns() -> Vec<Column> {
    vec![
        Column {
            header: format!("bare GETs/s, {TASKS} tasks"),
            round: |r| rate(r.floor_concurrent),
            median: |s| rate(s.rate(|r| r.floor_concurrent)),
        },
        Column {
            header: format!("hits/s, {TASKS} tasks"),
            round: |r| rate(r.hit_concurrent),
            median: |s| rate(s.rate(|r| r.hit_concurrent)),
        },
        Column {
            header: "hits ÷ GETs".to_owned(),
            round: |r| ratio(r.hit_concurrent / r.floor_concurrent),
            median: |s| ratio(s.concurrent_ratio()),
        },
        Column {
            header: format!("GET + decode/s, {TASKS} tasks"),
            round: |r| rate(r.get_decode_concurrent),
            median: |s| rate(s.rate(|r| r.get_decode_concurrent)),
        },
        Column {
            header: "hits ÷ (GET + decode)".to_owned(),
            round: |r| ratio(r.hit_concurrent / r.get_decode_concurrent),
            median: |s| ratio(s.concurrent_get_decode_ratio()),
        },
        Column {
            header: format!("GET + the hit's decode/s, {TASKS} tasks"),
            round: |r| rate(r.get_entry_decode_concurrent),
            median: |s| rate(s.rate(|r| r.get_entry_decode_concurrent)),
        },
        Column {
            header: "hits ÷ (GET + the hit's decode)".to_owned(),
            round: |r| ratio(r.hit_concurrent / r.get_entry_decode_concurrent),
            median: |s| ratio(s.concurrent_get_entry_decode_ratio()),
        },
        Column {
            header: format!("hits/s, {TASKS} tasks, one input"),
            round: |r| rate(r.hit_concurrent_same_input),
            median: |s| rate(s.rate(|r| r.hit_concurrent_same_input)),
        },
    ]
}

/// A table with a row per round and a median row.
fn rounds_table(out: &mut String, size: &SizeReport, columns: &[Column]) {
    let cells = |cells: Vec<String>| cells.join(" | ");
    let _ = writeln!(
        out,
        "| round | {} |",
        cells(columns.iter().map(|c| c.header.clone()).collect())
    );
    let _ = writeln!(out, "|---|{}", "---|".repeat(columns.len()));
    for (index, round) in size.rounds.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} |",
            index + 1,
            cells(columns.iter().map(|c| (c.round)(round)).collect())
        );
    }
    let _ = writeln!(
        out,
        "| **median** | {} |\n",
        cells(columns.iter().map(|c| (c.median)(size)).collect())
    );
}
