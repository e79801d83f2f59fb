//! The measurements as markdown: a summary against targets and the Python original, then the
//! details each figure comes from.

mod faults;
mod format;

use std::fmt::Write as _;
use std::time::Duration;

use crate::machine::Machine;
use crate::reference;
use crate::scenarios::commands::CallCosts;
use crate::scenarios::faults::FaultReport;
use crate::scenarios::flight::FlightReport;
use crate::scenarios::hits::{HitReport, Round, SizeReport};
use crate::scenarios::misses::MissReport;
use crate::scenarios::{ROUNDS, TASKS};
use crate::targets::{self, Verdict};
use format::{duration, latency, latency_pair, p50_p99, rate, rate_of, ratio, thousands};

/// Everything one run measured.
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) hits: HitReport,
    pub(crate) misses: MissReport,
    pub(crate) costs: CallCosts,
    pub(crate) identical: FlightReport,
    pub(crate) long_body: FlightReport,
    pub(crate) faults: FaultReport,
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
        self.machine_section(&mut out);
        self.summary_section(&mut out);
        out.push_str("## Details\n\n");
        self.hits_section(&mut out);
        self.misses_section(&mut out);
        self.costs_section(&mut out);
        self.flights_section(&mut out);
        self.faults_section(&mut out);
        self.method_section(&mut out);
        out
    }

    fn machine_section(&self, out: &mut String) {
        let m = &self.machine;
        let _ = writeln!(out, "## Machine\n");
        let _ = writeln!(out, "| | |\n|---|---|");
        let _ = writeln!(out, "| CPUs (`nproc`) | {} |", m.cpus);
        let _ = writeln!(out, "| CPU model | {} |", m.cpu_model);
        let _ = writeln!(
            out,
            "| Redis | `redis-server` {}, on 127.0.0.1, sharing the CPUs with the bench |",
            m.redis_version
        );
        let _ = writeln!(out, "| command | `{}` |", m.command);
        let _ = writeln!(out, "| run time | {:.0} s |", self.run_time.as_secs_f64());
        out.push('\n');
    }

    fn summary_section(&self, out: &mut String) {
        let (small, large) = (&self.hits.small, &self.hits.large);
        let _ = writeln!(out, "## Summary\n");
        let _ = writeln!(
            out,
            "| measurement | temporal-cache | target | | Python original |\n|---|---|---|---|---|"
        );
        let mut row =
            |what: &str, figure: String, target: Option<(&str, Verdict)>, python: &str| {
                let (target, verdict) = target.map_or(("", ""), |(t, v)| (t, v.label()));
                let _ = writeln!(
                    out,
                    "| {what} | {figure} | {target} | {verdict} | {python} |"
                );
            };

        row(
            "bare GET (the floor), 233 B, 1 task",
            format!(
                "{}; {}",
                p50_p99(
                    small.latency(|r| r.floor.p50),
                    small.latency(|r| r.floor.p99)
                ),
                rate(small.rate(|r| r.floor.per_second))
            ),
            None,
            reference::FLOOR,
        );
        row(
            &format!("bare GET, 233 B, {TASKS} tasks"),
            rate(small.rate(|r| r.floor_concurrent)),
            None,
            "",
        );
        row(
            "cache hit, 233 B, 1 task",
            format!(
                "{}; {}",
                p50_p99(small.latency(|r| r.hit.p50), small.latency(|r| r.hit.p99)),
                rate_of("hits", small.rate(|r| r.hit.per_second))
            ),
            None,
            reference::HIT_SMALL,
        );
        let hit_target = format!("≤ {:.1}×", targets::HIT_P50_MAX_RATIO);
        row(
            "hit p50 ÷ bare GET p50, 233 B",
            format!(
                "{} (a hit takes {} longer)",
                ratio(small.p50_ratio()),
                duration(
                    small
                        .latency(|r| r.hit.p50)
                        .saturating_sub(small.latency(|r| r.floor.p50))
                )
            ),
            Some((
                &hit_target,
                Verdict::of(small.p50_ratio() <= targets::HIT_P50_MAX_RATIO),
            )),
            reference::HIT_RATIO,
        );
        row(
            &format!("cache hit, 233 B, {TASKS} tasks"),
            rate_of("hits", small.rate(|r| r.hit_concurrent)),
            None,
            "",
        );
        let concurrent_target = format!("≥ {:.1}×", targets::CONCURRENT_HITS_MIN_RATIO);
        row(
            &format!("hits/s ÷ bare GETs/s, 233 B, {TASKS} tasks"),
            ratio(small.concurrent_ratio()),
            Some((
                &concurrent_target,
                Verdict::of(small.concurrent_ratio() >= targets::CONCURRENT_HITS_MIN_RATIO),
            )),
            "",
        );
        row(
            "cache hit, 100 KB, 1 task",
            format!(
                "{} (bare GET of the entry: p50 {}; JSON decode alone: p50 {})",
                p50_p99(large.latency(|r| r.hit.p50), large.latency(|r| r.hit.p99)),
                duration(large.latency(|r| r.floor.p50)),
                duration(large.latency(|r| r.decode.p50)),
            ),
            None,
            reference::HIT_LARGE,
        );
        row(
            &format!("cache hit, 100 KB, {TASKS} tasks"),
            format!(
                "{}, {} the bare GET rate ({})",
                rate_of("hits", large.rate(|r| r.hit_concurrent)),
                ratio(large.concurrent_ratio()),
                rate(large.rate(|r| r.floor_concurrent))
            ),
            None,
            "",
        );
        row(
            "cache miss, default settings",
            p50_p99(self.misses.default.p50(), self.misses.default.p99()),
            None,
            reference::MISS_LOCKED,
        );
        row(
            "cache miss, `lock = false`",
            p50_p99(self.misses.unlocked.p50(), self.misses.unlocked.p99()),
            None,
            "",
        );
        let miss = &self.costs.miss_default;
        let miss_target = format!("≤ {:.0}", targets::MISS_MAX_ROUND_TRIPS);
        row(
            "Redis round trips per uncontended miss (default settings)",
            format!(
                "{:.2} ({})",
                per_call(miss.round_trips, miss.calls),
                counts(&miss.top_level, miss.calls)
            ),
            Some((
                &miss_target,
                Verdict::of(
                    per_call(miss.round_trips, miss.calls) <= targets::MISS_MAX_ROUND_TRIPS,
                ),
            )),
            reference::MISS_ROUND_TRIPS,
        );
        let hit = &self.costs.hit;
        row(
            "Redis round trips per hit",
            format!(
                "{:.2} ({})",
                per_call(hit.round_trips, hit.calls),
                counts(&hit.top_level, hit.calls)
            ),
            None,
            "",
        );
        let flight = &self.identical;
        let flight_target = format!(
            "{} run, last caller ≤ {} after it",
            targets::FLIGHT_MAX_BODY_RUNS,
            duration(targets::FLIGHT_MAX_RETURN_LAG)
        );
        let flight_met = flight.total_body_runs() <= targets::FLIGHT_MAX_BODY_RUNS
            && flight
                .last_return_after_body
                .is_some_and(|lag| lag <= targets::FLIGHT_MAX_RETURN_LAG);
        row(
            &format!(
                "{} identical concurrent calls, body {}, 2 processes",
                callers(flight),
                duration(flight.flight.body())
            ),
            format!(
                "body ran {}; last caller returned {} after the first run ended",
                runs(flight),
                flight
                    .last_return_after_body
                    .map_or_else(|| "n/a".to_owned(), duration)
            ),
            Some((&flight_target, Verdict::of(flight_met))),
            reference::IDENTICAL_CALLS,
        );
        let long = &self.long_body;
        let long_target = format!("{} run", targets::LONG_BODY_MAX_RUNS);
        row(
            &format!(
                "body 2.5× its lease (`lock_ttl = \"{}\"`, body {}), {} callers, 2 processes",
                long.flight.lock_ttl().unwrap_or("default"),
                duration(long.flight.body()),
                callers(long)
            ),
            format!("body ran {}", runs(long)),
            Some((
                &long_target,
                Verdict::of(long.total_body_runs() <= targets::LONG_BODY_MAX_RUNS),
            )),
            reference::LONG_BODY,
        );
        for faults::SummaryRow {
            what,
            figure,
            target,
        } in faults::summary_rows(&self.faults)
        {
            let target = target.as_ref().map(|(t, v)| (t.as_str(), *v));
            row(&what, figure, target, "");
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "Absolute figures depend on the machine and its load; the ratios to the floor, \
             measured in the same run, are what carry over. The Python column is quoted: {}.\n",
            reference::SOURCE
        );
        let _ = writeln!(out, "{}\n", reference::PEER);
    }

    fn hits_section(&self, out: &mut String) {
        let _ = writeln!(out, "### Cache hits, round by round\n");
        for (label, size) in [("233 B", &self.hits.small), ("100 KB", &self.hits.large)] {
            let _ = writeln!(
                out,
                "{label} result ({} bytes in Redis); {} timed calls per round and kind in one \
                 task, {} calls per run of {TASKS} tasks.\n",
                thousands(size.entry_bytes),
                thousands(size.iterations),
                thousands(size.concurrent_calls),
            );
            rounds_table(out, size, &one_task_columns());
            rounds_table(out, size, &concurrent_columns());
        }
        let _ = writeln!(
            out,
            "- *hit − GET*: what a hit costs beyond its GET: building the key, the in-process \
             flight, the envelope and JSON decode. *JSON decode alone* is `serde_json` decoding \
             the stored JSON into the result type, for scale.\n\
             - *uncached call*: the same activity with `policy = \"no_cache\"`, i.e. the body \
             alone (it clones a prepared result).\n\
             - *{TASKS} tasks*: each task has an input (an entry) of its own, and the bare GETs \
             read the same {TASKS} entries. *One input* is the same run with every task calling \
             with the same input: identical concurrent calls then share one lookup in the \
             process, which a bare GET cannot do, so it is shown apart and not used for the \
             target.\n\
             - Calls in the hit runs that ran the body instead of hitting (a backend error or \
             timeout): {}.\n",
            self.hits.fallbacks
        );
    }

    fn misses_section(&self, out: &mut String) {
        let _ = writeln!(out, "### Cache misses, round by round\n");
        let _ = writeln!(
            out,
            "Each call has an input never used before; the body only returns the 233 B result. {} \
             timed calls per round and variant.\n",
            thousands(self.misses.iterations)
        );
        let _ = writeln!(
            out,
            "| round | default settings p50 / p99 | `lock = false` p50 / p99 |"
        );
        let _ = writeln!(out, "|---|---|---|");
        for (index, (default, unlocked)) in self
            .misses
            .default
            .rounds
            .iter()
            .zip(&self.misses.unlocked.rounds)
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
            p50_p99(self.misses.default.p50(), self.misses.default.p99()),
            p50_p99(self.misses.unlocked.p50(), self.misses.unlocked.p99()),
        );
        if self.misses.not_run > 0 {
            let _ = writeln!(
                out,
                "**Warning**: {} of the miss calls did not run the body.\n",
                self.misses.not_run
            );
        }
    }

    fn costs_section(&self, out: &mut String) {
        let costs = &self.costs;
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
             bench. A round trip starts each time the client sends bytes after Redis last spoke \
             on that connection, so a pipelined batch is one round trip, and messages Redis \
             pushes by itself (pub/sub) are none.\n\
             - **commands sent** and **commands run by scripts**: from `MONITOR`, which shows a \
             command a Lua script runs with the origin `lua` instead of a client address.\n\
             - **`INFO commandstats`**: the growth of Redis's counters over the calls. Redis counts \
             a command a script runs like one a client sends, so this column is the sum of the \
             two before it.\n\
             - The bench's own `INFO` and `ECHO` (the monitor's markers) are left out.\n\n",
        );
    }

    fn flights_section(&self, out: &mut String) {
        let _ = writeln!(out, "### Single flight: identical concurrent calls\n");
        let _ = writeln!(
            out,
            "The bench runs a second copy of itself (a hidden subcommand), pointed at the same \
             Redis. Both processes connect and prepare, then the parent releases the child through \
             a pipe and starts its own callers at once. Each body run records when it ended (wall \
             clock), each caller when it returned.\n"
        );
        let _ = writeln!(
            out,
            "| flight | callers (this + other process) | body runs (this + other) | last caller \
             returned after the first run ended | all callers returned after |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for flight in [&self.identical, &self.long_body] {
            let (here, there) = flight.flight.callers();
            let description = match flight.flight.lock_ttl() {
                Some(ttl) => format!(
                    "body {}, `lock_ttl = \"{ttl}\"`",
                    duration(flight.flight.body())
                ),
                None => format!("body {}, default settings", duration(flight.flight.body())),
            };
            let _ = writeln!(
                out,
                "| {description} | {here} + {there} | {} | {} | {} |",
                runs(flight),
                flight
                    .last_return_after_body
                    .map_or_else(|| "n/a".to_owned(), duration),
                duration(flight.all_returned_after),
            );
        }
        out.push('\n');
    }

    fn method_section(&self, out: &mut String) {
        out.push_str(&format!(
            "### How it was measured\n\n\
             - **Redis**: the bench starts its own `redis-server --port <free port> --bind \
             127.0.0.1 --save \"\" --appendonly no` and stops it at the end.\n\
             - **Calls**: each benchmarked method is a real `#[cached_activity]` inside the SDK's \
             `#[activities]`. The bench runs a helper activity once through the SDK's \
             `ActivityEnvironment`, with the benchmarked activity's registered type, keeps the \
             `ActivityContext` it gets, and then calls the method `#[activities]` generated, e.g. \
             `BenchActivities::__fetch_small(ctx.clone(), id)`: the code a worker runs for each \
             task, without the SDK's payload conversion around it.\n\
             - **Results**: 233 B is a `Profile {{ id, name, email, tags: Vec<String>, score: \
             f64, bio }}` whose `bio` is padded so that the stored entry (JSON behind the 3-byte \
             header) is 233 bytes; 100 KB is a `Document {{ id, title, mime_type, revision, text }}` \
             with 100,000 characters of text broken into lines (so JSON escapes are decoded too).\n\
             - **Floor**: a redis-rs `ConnectionManager` (one connection, like the backend's) \
             sending `GET` for the very key the hit reads, so both move the same bytes.\n\
             - **Rounds**: {ROUNDS} rounds; in each, for each size, bare GETs and hits alternate \
             call by call in one task (so both meet the same moments of a noisy machine), then \
             the uncached call and the decode run, then the {TASKS}-task runs. Misses alternate \
             the same way between the two settings. Figures are medians of the per-round \
             figures; ratios are ratios of those medians. Percentiles are nearest-rank over \
             every timed call after an untimed warm-up.\n\
             - **Tasks**: everything runs in tasks of one multi-thread Tokio runtime ({} worker \
             threads), as a worker runs activities. On this machine the round trip itself is \
             bimodal from one run to the next (the floor reads about 8 µs in some runs and about \
             70 µs in others, most likely depending on whether the caller's task and the \
             connection's task end up on the same worker thread); ratios measured call by call \
             hold in both states, absolute figures do not.\n\
             - **Concurrency**: {TASKS} tasks sharing one connection, for the floor and the \
             backend alike.\n\n",
            self.machine.cpus
        ));
    }
}

/// One column of a rounds table: its header, its cell in a round, and its cell in the median
/// row (a median of rounds, or a ratio or difference of medians).
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
            median: |s| {
                duration(
                    s.latency(|r| r.hit.p50)
                        .saturating_sub(s.latency(|r| r.floor.p50)),
                )
            },
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

fn callers(flight: &FlightReport) -> usize {
    let (here, there) = flight.flight.callers();
    here + there
}

fn runs(flight: &FlightReport) -> String {
    let (here, there) = flight.body_runs;
    match here + there {
        1 => format!("once ({here} + {there})"),
        total => format!("{total} times ({here} + {there})"),
    }
}

fn per_call(total: u64, calls: usize) -> f64 {
    total as f64 / calls as f64
}

/// `get=1.00, set=1.00`: commands per call by name, or `none`.
fn counts(counts: &crate::traffic::commandstats::CommandCounts, calls: usize) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(name, &total)| format!("{name}={:.2}", per_call(total, calls)))
        .collect::<Vec<_>>()
        .join(", ")
}
