//! The measurements as markdown: a summary against targets and the Python original, then the
//! details each figure comes from.
//!
//! Each section has a file of its own, and each measurement's file supplies both its rows of the
//! summary and its section of the details; this module only puts them in order.

mod chart;
mod commands;
mod faults;
#[cfg(test)]
mod fixed_figures;
mod flight;
mod format;
mod hits;
mod invalidation;
mod machine;
mod method;
mod metrics;
mod misses;
mod near;
mod production;
mod stale;
mod storage;
mod summary;
mod workflows;

use std::time::Duration;

use crate::machine::Machine;
use crate::scenarios::commands::CallCosts;
use crate::scenarios::faults::FaultReport;
use crate::scenarios::flight::FlightReport;
use crate::scenarios::hits::HitReport;
use crate::scenarios::invalidation::InvalidationReport;
use crate::scenarios::metrics::MetricsReport;
use crate::scenarios::misses::MissReport;
use crate::scenarios::near::NearReport;
use crate::scenarios::production::ProductionReport;
use crate::scenarios::stale::StaleReport;
use crate::scenarios::storage::StorageReport;
use crate::scenarios::workflows::WorkflowReport;
use summary::SummaryRow;

/// The hits' summary rows and section alone, for `--only hits`.
pub(crate) fn hits_markdown(hits: &HitReport) -> String {
    let mut out = String::new();
    summary::section(&mut out, &hits::summary_rows(hits));
    hits::section(&mut out, hits);
    out
}

/// The near cache's summary rows and section alone, for `--only near`.
pub(crate) fn near_markdown(report: &NearReport) -> String {
    let mut out = String::new();
    summary::section(&mut out, &near::summary_rows(report));
    near::section(&mut out, report);
    out
}

/// The stale-while-revalidate summary rows and section alone, for `--only stale`.
pub(crate) fn stale_markdown(report: &StaleReport) -> String {
    let mut out = String::new();
    summary::section(&mut out, &stale::summary_rows(report));
    stale::section(&mut out, report);
    out
}

/// Everything one run measured.
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) hits: HitReport,
    pub(crate) near: NearReport,
    pub(crate) misses: MissReport,
    pub(crate) costs: CallCosts,
    pub(crate) identical: FlightReport,
    pub(crate) long_body: FlightReport,
    pub(crate) stale: StaleReport,
    pub(crate) faults: FaultReport,
    pub(crate) production: ProductionReport,
    pub(crate) storage: StorageReport,
    pub(crate) metrics: MetricsReport,
    pub(crate) invalidation: InvalidationReport,
    pub(crate) workflows: WorkflowReport,
    pub(crate) run_time: Duration,
}

impl Report {
    pub(crate) fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# Benchmarks\n\n");
        out.push_str(
            "Written by `temporal-cache-bench` (run `scripts/bench`); do not edit by hand. Each \
             figure is the median of the rounds shown under [Details](#details).\n\n",
        );
        machine::section(&mut out, &self.machine, self.run_time);
        summary::section(&mut out, &self.summary_rows());
        out.push_str("## Details\n\n");
        hits::section(&mut out, &self.hits);
        near::section(&mut out, &self.near);
        misses::section(&mut out, &self.misses);
        commands::section(&mut out, &self.costs);
        flight::section(&mut out, [&self.identical, &self.long_body]);
        stale::section(&mut out, &self.stale);
        faults::section(&mut out, &self.faults);
        production::section(&mut out, &self.production);
        storage::section(&mut out, &self.storage);
        metrics::section(&mut out, &self.metrics);
        invalidation::section(&mut out, &self.invalidation);
        workflows::section(&mut out, &self.workflows);
        method::section(&mut out, &self.machine);
        out
    }

    /// The charts the report shows, each with its path relative to the report.
    pub(crate) fn charts(&self) -> Vec<(&'static str, String)> {
        vec![
            (hits::CHART_PATH, hits::chart(&self.hits)),
            (workflows::CHART_PATH, workflows::chart(&self.workflows)),
        ]
    }

    /// The summary's rows, in the order of the details' sections.
    fn summary_rows(&self) -> Vec<SummaryRow> {
        [
            hits::summary_rows(&self.hits),
            near::summary_rows(&self.near),
            misses::summary_rows(&self.misses),
            commands::summary_rows(&self.costs),
            flight::summary_rows(&self.identical, &self.long_body),
            stale::summary_rows(&self.stale),
            faults::summary_rows(&self.faults),
            production::summary_rows(&self.production),
            storage::summary_rows(&self.storage),
            metrics::summary_rows(&self.metrics),
            invalidation::summary_rows(&self.invalidation),
            workflows::summary_rows(&self.workflows),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
