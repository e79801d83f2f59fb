//! The stale-while-revalidate measurement as markdown: its rows in the summary and its section.

use std::fmt::Write as _;

use super::format::duration;
use super::summary::SummaryRow;
use crate::scenarios::stale::{CALLERS, StaleReport, Waits};
use crate::targets::{self, Verdict};

pub(super) fn summary_rows(report: &StaleReport) -> Vec<SummaryRow> {
    let waits = |waits: &Waits| {
        format!(
            "p50 {}, p99 {}, max {}",
            duration(waits.p50),
            duration(waits.p99),
            duration(waits.max)
        )
    };
    vec![
        SummaryRow::new(
            format!("{CALLERS} callers of an entry just turned stale, `stale` on: their wait"),
            waits(&report.with_stale),
        ),
        SummaryRow::new(
            "… every caller but the refresher, longest wait (`stale` on)",
            duration(report.with_stale.all_but_slowest),
        )
        .with_target(
            format!("≤ {}", duration(targets::STALE_MAX_WAIT)),
            Verdict::of(report.with_stale.all_but_slowest <= targets::STALE_MAX_WAIT),
        ),
        SummaryRow::new(
            format!("{CALLERS} callers of an entry just expired, no `stale`: their wait"),
            waits(&report.without_stale),
        ),
    ]
}

pub(super) fn section(out: &mut String, report: &StaleReport) {
    out.push_str("### Stale-while-revalidate\n\n");
    let _ = writeln!(
        out,
        "{CALLERS} concurrent calls of an activity whose entry has just passed its 300 ms `ttl`; \
         its body takes {}. With `stale = \"1h\"` one call takes the entry's lease and refreshes \
         it, and every other call is served the stale value; without it, the entry is gone and \
         every call waits for the one body single-flight runs. Five rounds each, a new input \
         per round.\n",
        duration(report.body)
    );
    out.push_str(
        "| | wait p50 | p99 | max | longest wait but the slowest of a round |\n|---|---|---|---|---|\n",
    );
    for (what, waits) in [
        ("`stale = \"1h\"`", &report.with_stale),
        ("no `stale`", &report.without_stale),
    ] {
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} | {} |",
            duration(waits.p50),
            duration(waits.p99),
            duration(waits.max),
            duration(waits.all_but_slowest),
        );
    }
    out.push('\n');
}
