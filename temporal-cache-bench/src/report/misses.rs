//! The cache miss measurement as markdown: its rows in the summary and its section in the
//! details, the two settings side by side, round by round.

use std::fmt::Write as _;

use super::format::{latency, p50_p99, thousands};
use super::summary::SummaryRow;
use crate::reference;
use crate::scenarios::misses::{MissReport, MissRounds};

/// `p50 …, p99 …` of the medians over rounds.
fn medians(misses: &MissRounds) -> String {
    p50_p99(misses.p50(), misses.p99())
}

pub(super) fn summary_rows(misses: &MissReport) -> Vec<SummaryRow> {
    vec![
        SummaryRow::new("cache miss, default settings", medians(&misses.default))
            .with_python(reference::MISS_LOCKED),
        SummaryRow::new("cache miss, `lock = false`", medians(&misses.unlocked)),
    ]
}

pub(super) fn section(out: &mut String, misses: &MissReport) {
    let _ = writeln!(out, "### Cache misses, round by round\n");
    let _ = writeln!(
        out,
        "Each call has an input never used before; the body only returns the 233 B result. {} \
         timed calls per round and variant.\n",
        thousands(misses.iterations)
    );
    let _ = writeln!(
        out,
        "| round | default settings p50 / p99 | `lock = false` p50 / p99 |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for (index, (default, unlocked)) in misses
        .default
        .rounds
        .iter()
        .zip(&misses.unlocked.rounds)
        .enumerate()
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            index + 1,
            latency(default),
            latency(unlocked)
        );
    }
    let _ = writeln!(
        out,
        "| **median** | {} | {} |\n",
        medians(&misses.default),
        medians(&misses.unlocked),
    );
    if misses.not_run > 0 {
        let _ = writeln!(
            out,
            "**Warning**: {} of the miss calls did not run the body.\n",
            misses.not_run
        );
    }
}
