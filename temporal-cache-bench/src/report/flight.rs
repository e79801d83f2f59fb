//! The single-flight measurement as markdown: a summary row per flight, against its target, and
//! in the details both flights in one table.

use std::fmt::Write as _;

use super::format::duration;
use super::summary::SummaryRow;
use crate::reference;
use crate::scenarios::flight::FlightReport;
use crate::targets::{self, Verdict};

pub(super) fn summary_rows(identical: &FlightReport, long_body: &FlightReport) -> Vec<SummaryRow> {
    vec![identical_row(identical), long_body_row(long_body)]
}

/// Identical concurrent calls: one body run, and the waiters back soon after it.
fn identical_row(flight: &FlightReport) -> SummaryRow {
    let met = flight.total_body_runs() <= targets::FLIGHT_MAX_BODY_RUNS
        && flight
            .last_return_after_body
            .is_some_and(|lag| lag <= targets::FLIGHT_MAX_RETURN_LAG);
    SummaryRow::new(
        format!(
            "{} identical concurrent calls, body {}, 2 processes",
            callers(flight),
            duration(flight.flight.body())
        ),
        format!(
            "body ran {}; last caller returned {} after the first run ended",
            runs(flight),
            last_return_after_body(flight)
        ),
    )
    .with_target(
        format!(
            "{} run, last caller ≤ {} after it",
            targets::FLIGHT_MAX_BODY_RUNS,
            duration(targets::FLIGHT_MAX_RETURN_LAG)
        ),
        Verdict::of(met),
    )
    .with_python(reference::IDENTICAL_CALLS)
}

/// A body that outlives its lease: still one run.
fn long_body_row(long: &FlightReport) -> SummaryRow {
    SummaryRow::new(
        format!(
            "body 2.5× its lease (`lock_ttl = \"{}\"`, body {}), {} callers, 2 processes",
            long.flight.lock_ttl().unwrap_or("default"),
            duration(long.flight.body()),
            callers(long)
        ),
        format!("body ran {}", runs(long)),
    )
    .with_target(
        format!("{} run", targets::LONG_BODY_MAX_RUNS),
        Verdict::of(long.total_body_runs() <= targets::LONG_BODY_MAX_RUNS),
    )
    .with_python(reference::LONG_BODY)
}

pub(super) fn section(out: &mut String, flights: [&FlightReport; 2]) {
    let _ = writeln!(out, "### Single flight: identical concurrent calls\n");
    let _ = writeln!(
        out,
        "The bench runs a second copy of itself (a hidden subcommand), pointed at the same Redis. \
         Both processes connect and prepare, then the parent releases the child through a pipe \
         and starts its own callers at once. Each body run records when it ended (wall clock), \
         each caller when it returned.\n"
    );
    let _ = writeln!(
        out,
        "| flight | callers (this + other process) | body runs (this + other) | last caller \
         returned after the first run ended | all callers returned after |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for flight in flights {
        let (here, there) = flight.flight.callers();
        let body = duration(flight.flight.body());
        let description = match flight.flight.lock_ttl() {
            Some(ttl) => format!("body {body}, `lock_ttl = \"{ttl}\"`"),
            None => format!("body {body}, default settings"),
        };
        let _ = writeln!(
            out,
            "| {description} | {here} + {there} | {} | {} | {} |",
            runs(flight),
            last_return_after_body(flight),
            duration(flight.all_returned_after),
        );
    }
    out.push('\n');
}

fn callers(flight: &FlightReport) -> usize {
    let (here, there) = flight.flight.callers();
    here + there
}

/// `once (1 + 0)`, `2 times (1 + 1)`: body runs in all, then per process.
fn runs(flight: &FlightReport) -> String {
    let (here, there) = flight.body_runs;
    match here + there {
        1 => format!("once ({here} + {there})"),
        total => format!("{total} times ({here} + {there})"),
    }
}

fn last_return_after_body(flight: &FlightReport) -> String {
    flight
        .last_return_after_body
        .map_or_else(|| "n/a".to_owned(), duration)
}
