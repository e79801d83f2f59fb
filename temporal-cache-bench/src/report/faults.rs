//! The fault measurement as markdown: its rows in the summary and its section in the details.

use std::fmt::Write as _;
use std::time::Duration;

use super::format::{duration, latency, thousands};
use super::summary::SummaryRow;
use temporal_cache_runtime::RedisCacheBackend;

use crate::scenarios::faults::{FaultReport, KindReport};
use crate::targets::{self, Verdict};

/// The bound on one call before the breaker opens: the lookup's timeout.
fn first_call_bound(faults: &FaultReport) -> Duration {
    faults.operation_timeout * targets::FAULT_FIRST_CALL_MAX_TIMEOUTS
}

/// The bound on the first hit after Redis is back: one cool-down and the probe.
fn recovery_bound(faults: &FaultReport) -> Duration {
    RedisCacheBackend::DEFAULT_BREAKER_COOL_DOWN
        + faults.operation_timeout * targets::FAULT_RECOVERY_MAX_TIMEOUTS
}

fn recovered_in_time(faults: &FaultReport, kind: &KindReport) -> bool {
    kind.first_hit_after
        .is_some_and(|after| after <= recovery_bound(faults))
}

fn open_met(kind: &KindReport) -> bool {
    kind.p99_overhead() <= targets::FAULT_OPEN_MAX_P99_OVERHEAD
}

fn first_calls_met(faults: &FaultReport, kind: &KindReport) -> bool {
    kind.slowest_first_call() <= first_call_bound(faults)
}

fn kinds(faults: &FaultReport) -> [(&'static str, &KindReport); 2] {
    [("async", &faults.async_kind), ("sync", &faults.sync_kind)]
}

fn first_hit(kind: &KindReport) -> String {
    kind.first_hit_after
        .map_or_else(|| "none within the limit".to_owned(), duration)
}

/// The Python original was not measured with Redis down, so these rows quote nothing.
pub(super) fn summary_rows(faults: &FaultReport) -> Vec<SummaryRow> {
    let (a, s) = (&faults.async_kind, &faults.sync_kind);
    vec![
        SummaryRow::new(
            "Redis down, circuit open: cached call − uncached call, p99 (async; sync)",
            format!(
                "async +{} (p50 +{}); sync +{} (p50 +{})",
                duration(a.p99_overhead()),
                duration(a.p50_overhead()),
                duration(s.p99_overhead()),
                duration(s.p50_overhead()),
            ),
        )
        .with_target(
            format!("≤ {}", duration(targets::FAULT_OPEN_MAX_P99_OVERHEAD)),
            Verdict::of(open_met(a) && open_met(s)),
        ),
        SummaryRow::new(
            format!(
                "Redis down, first {} calls (until the circuit opens), slowest (async; sync)",
                a.first_calls.len()
            ),
            format!(
                "async {}; sync {} (operation timeout {})",
                duration(a.slowest_first_call()),
                duration(s.slowest_first_call()),
                duration(faults.operation_timeout),
            ),
        )
        .with_target(
            format!(
                "≤ {} × operation timeout = {}",
                targets::FAULT_FIRST_CALL_MAX_TIMEOUTS,
                duration(first_call_bound(faults))
            ),
            Verdict::of(first_calls_met(faults, a) && first_calls_met(faults, s)),
        ),
        SummaryRow::new(
            "Redis restarted on the same port: time to the first cache hit (async; sync)",
            format!("async {}; sync {}", first_hit(a), first_hit(s)),
        )
        .with_target(
            format!(
                "≤ cool-down + operation timeout = {}",
                duration(recovery_bound(faults))
            ),
            Verdict::of(recovered_in_time(faults, a) && recovered_in_time(faults, s)),
        ),
    ]
}

pub(super) fn section(out: &mut String, faults: &FaultReport) {
    let _ = writeln!(out, "### Faults: Redis down, then back\n");
    let _ = writeln!(
        out,
        "A `redis-server` of its own, killed with `SIGKILL` (as a crash would) and later \
             restarted on the same port, empty. The cached activities return the 233 B result; \
             each (async, sync) has a `RedisCacheBackend` of its own with the **default \
             settings**: operation timeout {}, circuit breaker opening after {} consecutive \
             failures for a {} cool-down, after which one probe goes through. Before Redis is \
             killed, both backends are connected and have stored and hit entries. Sync \
             activities run on a blocking thread of the runtime (`spawn_blocking` calling the \
             method `#[activities]` generated), as the SDK runs them, for the cached and the \
             uncached twin alike. Every call has an input never used before.\n",
        duration(faults.operation_timeout),
        RedisCacheBackend::DEFAULT_BREAKER_FAILURES,
        duration(RedisCacheBackend::DEFAULT_BREAKER_COOL_DOWN),
    );

    let calls = faults.async_kind.first_calls.len();
    let _ = writeln!(
        out,
        "**Before the circuit opens**: the first {calls} calls after Redis died, one after \
             another; each may take up to {} × the operation timeout (its lookup: a call whose \
             lookup could not reach Redis does not try to store).\n",
        targets::FAULT_FIRST_CALL_MAX_TIMEOUTS
    );
    let headers: Vec<String> = (1..=calls).map(|n| format!("call {n}")).collect();
    let _ = writeln!(
        out,
        "| activity | {} | bound | |\n|---|{}---|---|",
        headers.join(" | "),
        "---|".repeat(calls)
    );
    for (name, kind) in kinds(faults) {
        let cells: Vec<String> = kind.first_calls.iter().map(|&d| duration(d)).collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            cells.join(" | "),
            duration(first_call_bound(faults)),
            Verdict::of(first_calls_met(faults, kind)).label()
        );
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "**Circuit open** (Redis still down, after 20 untimed calls of each kind): cached \
             calls and calls of the same body with `policy = \"no_cache\"` alternate call by \
             call, {} timed calls each. A call skips Redis, runs the body and returns its \
             result; about once a second a probe goes to Redis (and fails).\n",
        thousands(faults.iterations)
    );
    let _ = writeln!(
        out,
        "| activity | cached p50 / p99 | uncached p50 / p99 | cached − uncached p50 | \
             cached − uncached p99 | target (p99) | | calls that did not run the body |\n\
             |---|---|---|---|---|---|---|---|"
    );
    for (name, kind) in kinds(faults) {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | ≤ {} | {} | {} |",
            latency(&kind.open_cached),
            latency(&kind.open_uncached),
            duration(kind.p50_overhead()),
            duration(kind.p99_overhead()),
            duration(targets::FAULT_OPEN_MAX_P99_OVERHEAD),
            Verdict::of(open_met(kind)).label(),
            kind.open_not_run,
        );
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "**Back**: Redis restarted on the same port (it took {} from spawning to accepting \
             connections). From then on, pairs of calls with a fresh input each (the first \
             stores, the second should hit), 5 ms apart, for up to 10 s; the time is from the \
             restart (Redis accepting connections) to the first hit.\n",
        duration(faults.restart_took)
    );
    let _ = writeln!(
        out,
        "| activity | first hit after the restart | call pairs tried |\n|---|---|---|"
    );
    for (name, kind) in kinds(faults) {
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            first_hit(kind),
            kind.recovery_attempts
        );
    }
    out.push('\n');
}
