//! The whole-activity invalidation measurement as markdown: its rows in the summary and its
//! section.

use std::fmt::Write as _;

use super::format::{duration, thousands};
use super::summary::SummaryRow;
use crate::scenarios::invalidation::InvalidationReport;

pub(super) fn summary_rows(report: &InvalidationReport) -> Vec<SummaryRow> {
    report
        .removals
        .iter()
        .map(|removal| {
            SummaryRow::new(
                format!(
                    "invalidate_activity! of {} entries: time; another client's GET p99 during it (before)",
                    thousands(removal.entries)
                ),
                format!(
                    "{}; {} ({})",
                    duration(removal.took),
                    duration(removal.during.1),
                    duration(removal.before.1)
                ),
            )
        })
        .collect()
}

pub(super) fn section(out: &mut String, report: &InvalidationReport) {
    out.push_str("### Whole-activity invalidation\n\n");
    out.push_str(
        "`invalidate_activity!` on one activity's entries, written beside 1,000 entries of another \
         activity: the backend's `delete_prefix`, two passes of `SCAN MATCH <prefix>* COUNT 1000` \
         with `UNLINK` of each batch. Meanwhile another client of the same Redis reads one key \
         in a loop; its GET latency during the removal is set against 2,000 reads just before. \
         A hit reads no generation number or marker, so this costs a hit nothing.\n\n",
    );
    out.push_str(
        "| entries | removed | time | entries/s | other client's GET p50 / p99 before | during | reads during | other activity kept |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for removal in &report.removals {
        let per_second = removal.entries as f64 / removal.took.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
            thousands(removal.entries),
            thousands(usize::try_from(removal.removed).unwrap_or(usize::MAX)),
            duration(removal.took),
            thousands(per_second as usize),
            duration(removal.before.0),
            duration(removal.before.1),
            duration(removal.during.0),
            duration(removal.during.1),
            thousands(removal.reads_during),
            if removal.neighbours_kept {
                "yes"
            } else {
                "**no**"
            },
        );
    }
    out.push('\n');
}
