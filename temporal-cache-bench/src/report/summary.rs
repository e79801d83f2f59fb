//! The summary: the headline figures in one table, each beside its target and the Python
//! original's figure, then how to read them. Each measurement's file in `report/` supplies its
//! own rows.

use std::fmt::Write as _;

use crate::reference;
use crate::targets::Verdict;

/// One row of the summary table.
pub(super) struct SummaryRow {
    what: String,
    figure: String,
    /// The target's wording and whether the figure reached it.
    target: Option<(String, Verdict)>,
    /// The Python original's figure, where it was measured.
    python: Option<&'static str>,
}

impl SummaryRow {
    /// A row with neither a target nor a Python figure.
    pub(super) fn new(what: impl Into<String>, figure: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            figure: figure.into(),
            target: None,
            python: None,
        }
    }

    /// This row with `target` and its verdict.
    pub(super) fn with_target(self, target: String, verdict: Verdict) -> Self {
        Self {
            target: Some((target, verdict)),
            ..self
        }
    }

    /// This row with the Python original's figure.
    pub(super) fn with_python(self, figure: &'static str) -> Self {
        Self {
            python: Some(figure),
            ..self
        }
    }
}

pub(super) fn section(out: &mut String, rows: &[SummaryRow]) {
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "| measurement | temporal-cache | target | | Python original |\n|---|---|---|---|---|"
    );
    for row in rows {
        let (target, verdict) = row.target.as_ref().map_or(("", ""), |(target, verdict)| {
            (target.as_str(), verdict.label())
        });
        let _ = writeln!(
            out,
            "| {} | {} | {target} | {verdict} | {} |",
            row.what,
            row.figure,
            row.python.unwrap_or("")
        );
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "Absolute figures depend on the machine and its load; the ratios to the floor, measured \
         in the same run, are what carry over. The Python column is quoted: {}.\n",
        reference::SOURCE
    );
    let _ = writeln!(out, "{}\n", reference::PEER);
}
