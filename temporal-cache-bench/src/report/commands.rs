//! The Redis cost measurement as markdown: round trips in the summary, and in the details every
//! command per call by name and origin, with how each column is counted.

use std::fmt::Write as _;

use super::summary::SummaryRow;
use crate::reference;
use crate::scenarios::commands::{CallCost, CallCosts};
use crate::targets::{self, Verdict};
use crate::traffic::commandstats::CommandCounts;

pub(super) fn summary_rows(costs: &CallCosts) -> Vec<SummaryRow> {
    let miss = &costs.miss_default;
    vec![
        SummaryRow::new(
            "Redis round trips per uncontended miss (default settings)",
            round_trips(miss),
        )
        .with_target(
            format!("≤ {:.0}", targets::MISS_MAX_ROUND_TRIPS),
            Verdict::of(per_call(miss.round_trips, miss.calls) <= targets::MISS_MAX_ROUND_TRIPS),
        )
        .with_python(reference::MISS_ROUND_TRIPS),
        SummaryRow::new("Redis round trips per hit", round_trips(&costs.hit)),
    ]
}

/// `3.00 (evalsha=2.00, get=1.00)`: round trips per call, then the commands sent per call.
fn round_trips(cost: &CallCost) -> String {
    format!(
        "{:.2} ({})",
        per_call(cost.round_trips, cost.calls),
        counts(&cost.top_level, cost.calls)
    )
}

pub(super) fn section(out: &mut String, costs: &CallCosts) {
    let _ = writeln!(out, "### Redis commands and round trips per call\n");
    let _ = writeln!(
        out,
        "Averages over {} calls of each kind, one after another.\n",
        costs.hit.calls
    );
    let _ = writeln!(
        out,
        "| call | round trips | commands sent | commands run by scripts | `INFO commandstats` \
         (both) | connections opened |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for cost in [&costs.hit, &costs.miss_default, &costs.miss_unlocked] {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {} | {} | {} | {} |",
            cost.label,
            per_call(cost.round_trips, cost.calls),
            counts(&cost.top_level, cost.calls),
            counts(&cost.in_scripts, cost.calls),
            counts(&cost.commandstats, cost.calls),
            cost.connections_opened,
        );
    }
    out.push_str(
        "\nHow these are counted:\n\n\
         - **round trips**: the cache's backend talks to Redis through a TCP relay run by the \
         bench. A round trip starts each time the client sends bytes after Redis last spoke on \
         that connection, so a pipelined batch is one round trip, and messages Redis pushes by \
         itself (pub/sub) are none.\n\
         - **commands sent** and **commands run by scripts**: from `MONITOR`, which shows a \
         command a Lua script runs with the origin `lua` instead of a client address.\n\
         - **`INFO commandstats`**: the growth of Redis's counters over the calls. Redis counts a \
         command a script runs like one a client sends, so this column is the sum of the two \
         before it.\n\
         - The bench's own `INFO` and `ECHO` (the monitor's markers) are left out.\n\n",
    );
}

fn per_call(total: u64, calls: usize) -> f64 {
    total as f64 / calls as f64
}

/// `get=1.00, set=1.00`: commands per call by name, or `none`.
fn counts(counts: &CommandCounts, calls: usize) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(name, &total)| format!("{name}={:.2}", per_call(total, calls)))
        .collect::<Vec<_>>()
        .join(", ")
}
