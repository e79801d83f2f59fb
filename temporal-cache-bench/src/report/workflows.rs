//! The end-to-end workflow measurement as markdown: its rows in the summary (against the
//! targets for `execute_cached!`) and its section.

use std::fmt::Write as _;

use super::chart::{Row, strip_chart};
use super::format::duration;
use super::summary::SummaryRow;
use crate::scenarios::workflows::{Kind, WORKFLOWS, WorkflowReport};
use crate::targets::{self, Verdict};

pub(super) fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::NoActivity => "(a) no activity",
        Kind::PlainHit => "(b) hit, plain activity call",
        Kind::HelperHit => "(c) hit, `execute_cached!`",
        Kind::HelperMiss => "(d) miss, `execute_cached!`",
        Kind::PlainMiss => "(e) miss, plain activity call",
    }
}

fn ratio(report: &WorkflowReport, of: Kind, to: Kind) -> f64 {
    report.of(of).p50().as_secs_f64() / report.of(to).p50().as_secs_f64().max(1e-9)
}

pub(super) fn summary_rows(report: &WorkflowReport) -> Vec<SummaryRow> {
    let helper_hit = ratio(report, Kind::HelperHit, Kind::NoActivity);
    let helper_miss = ratio(report, Kind::HelperMiss, Kind::PlainMiss);
    let plain_hit = ratio(report, Kind::PlainHit, Kind::NoActivity);
    vec![
        SummaryRow::new(
            "workflow wall time p50, hit through `execute_cached!` ÷ no activity",
            format!(
                "{helper_hit:.2}× ({} against {}; a hit through the plain call: {plain_hit:.2}×, {})",
                duration(report.of(Kind::HelperHit).p50()),
                duration(report.of(Kind::NoActivity).p50()),
                duration(report.of(Kind::PlainHit).p50()),
            ),
        )
        .with_target(
            format!("≤ {}×", targets::HELPER_HIT_WALL_MAX_RATIO),
            Verdict::of(helper_hit <= targets::HELPER_HIT_WALL_MAX_RATIO),
        ),
        SummaryRow::new(
            "workflow wall time p50, miss through `execute_cached!` ÷ miss through the plain call",
            format!(
                "{helper_miss:.2}× ({} against {})",
                duration(report.of(Kind::HelperMiss).p50()),
                duration(report.of(Kind::PlainMiss).p50()),
            ),
        )
        .with_target(
            format!("≤ {}×", targets::HELPER_MISS_WALL_MAX_RATIO),
            Verdict::of(helper_miss <= targets::HELPER_MISS_WALL_MAX_RATIO),
        ),
    ]
}

pub(super) fn section(out: &mut String, report: &WorkflowReport) {
    out.push_str("### Whole workflows on a Temporal dev server\n\n");
    let _ = write!(
        out,
        "Wall time of one workflow, from the start request to its result, on a Temporal dev server \
         the bench starts (`temporal server start-dev`, in memory) with a worker in the bench's \
         process; the activity's body returns at once. The five kinds alternate workflow by \
         workflow, {WORKFLOWS} timed workflows each after 5 untimed ones. A hit through the plain \
         call still costs an activity task and one more workflow task; `execute_cached!` serves \
         it from a local activity recorded in the first workflow task.\n\n"
    );
    let _ = writeln!(out, "![Workflow wall times]({CHART_PATH})\n");
    out.push_str("| workflow | p50 | p90 |\n|---|---|---|\n");
    for times in &report.kinds {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            name(times.kind),
            duration(times.p50()),
            duration(times.p90())
        );
    }
    out.push('\n');
}

/// Where the chart of this section is written, relative to the report.
pub(super) const CHART_PATH: &str = "docs/bench/workflows.svg";

/// The section's chart: every workflow's wall time, a row per kind.
pub(super) fn chart(report: &WorkflowReport) -> String {
    let rows: Vec<Row<'_>> = report
        .kinds
        .iter()
        .map(|times| Row {
            label: name(times.kind),
            samples: &times.samples,
        })
        .collect();
    strip_chart(
        "Workflow wall time on a Temporal dev server",
        "every workflow",
        &rows,
    )
}
