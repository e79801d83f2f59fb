//! The report rendered from fixed, made-up figures must match `fixed_figures.md` byte for byte.
//!
//! `BENCHMARKS.md` is generated, never edited by hand, so a change to how the report is written
//! shows here first, as a diff of this file, rather than in the next full bench run. The figures
//! are chosen to reach every branch of the markdown: a warning, a target not met, a missing
//! figure ("n/a", "none within the limit"), a body run twice, a call without any command.
//!
//! After a deliberate change to the markdown, rewrite the expected file with
//! `TEMPORAL_CACHE_BENCH_BLESS=1 cargo test -p temporal-cache-bench` and review its diff.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Report;
use crate::activities::Form;
use crate::machine::Machine;
use crate::scenarios::commands::{CallCost, CallCosts};
use crate::scenarios::faults::{FaultReport, KindReport};
use crate::scenarios::flight::{Flight, FlightReport};
use crate::scenarios::hits::{HitReport, Round, SizeReport};
use crate::scenarios::invalidation::{InvalidationReport, Removal};
use crate::scenarios::metrics::{MetricsReport, RecordingHits};
use crate::scenarios::misses::{MissReport, MissRounds};
use crate::scenarios::near::{NearReport, NearRound, NearSize, WriteDelay};
use crate::scenarios::production::{Failover, HitAgainstFloor, ProductionReport};
use crate::scenarios::stale::{StaleReport, Waits};
use crate::scenarios::storage::{CompressedParts, FormHits, StorageReport};
use crate::scenarios::workflows::{Kind, WallTimes, WorkflowReport};
use crate::stats::Latency;

/// The markdown [`fixed_report`] must render.
const EXPECTED: &str = include_str!("fixed_figures.md");

/// Setting this environment variable rewrites the expected file instead of comparing with it.
const BLESS_ENV_VAR: &str = "TEMPORAL_CACHE_BENCH_BLESS";

fn micros(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

fn latency(p50_micros: u64, p99_micros: u64, per_second: f64) -> Latency {
    Latency {
        p50: micros(p50_micros),
        p99: micros(p99_micros),
        per_second,
        // From 80 % of the median at p0 up through the median to the p99 at p100.
        quantiles: std::array::from_fn(|i| {
            let i = i as u64;
            if i <= 10 {
                micros(p50_micros * (40 + 2 * i) / 60)
            } else {
                micros(p50_micros + (p99_micros - p50_micros) * (i - 10) / 10)
            }
        }),
    }
}

/// One round of hits, its figures scaled by `factor` so that rounds differ.
fn round(base_micros: u64, factor: u64) -> Round {
    let scaled = |value: u64| value * factor;
    Round {
        floor: latency(
            scaled(base_micros),
            scaled(2 * base_micros),
            13_400.0 / factor as f64,
        ),
        hit: latency(
            scaled(base_micros + 3),
            scaled(2 * base_micros + 7),
            12_700.0 / factor as f64,
        ),
        uncached: Latency {
            p50: Duration::from_nanos(200 * factor),
            p99: Duration::from_nanos(300 * factor),
            per_second: 5_000_000.0 / factor as f64,
            quantiles: [Duration::from_nanos(200 * factor); 21],
        },
        decode: latency(scaled(base_micros / 4), scaled(base_micros / 2), 40_000.0),
        floor_concurrent: 276_700.0 / factor as f64,
        get_decode_concurrent: 241_300.0 / factor as f64,
        get_entry_decode_concurrent: 171_000.0 / factor as f64,
        hit_concurrent: 156_000.0 / factor as f64,
        hit_concurrent_same_input: 328_800.0 / factor as f64,
    }
}

fn size(entry_bytes: usize, iterations: usize, base_micros: u64) -> SizeReport {
    SizeReport {
        entry_bytes,
        iterations,
        concurrent_calls: 64 * iterations / 20,
        rounds: vec![
            round(base_micros, 1),
            round(base_micros, 3),
            round(base_micros, 2),
        ],
    }
}

fn counts(entries: &[(&str, u64)]) -> BTreeMap<String, u64> {
    entries
        .iter()
        .map(|&(name, calls)| (name.to_owned(), calls))
        .collect()
}

fn cost(label: &'static str, round_trips: u64, top_level: &[(&str, u64)]) -> CallCost {
    CallCost {
        label,
        calls: 500,
        round_trips,
        connections_opened: 1,
        top_level: counts(top_level),
        in_scripts: counts(&[]),
        commandstats: counts(&[("get", 500), ("set", 250)]),
    }
}

fn kind(first_calls_micros: &[u64], first_hit_after: Option<Duration>) -> KindReport {
    KindReport {
        first_calls: first_calls_micros.iter().copied().map(micros).collect(),
        open_cached: latency(12, 1_500, 80_000.0),
        open_uncached: latency(1, 3, 900_000.0),
        open_not_run: 0,
        first_hit_after,
        recovery_attempts: 216,
    }
}

fn form(form: Form, large: bool, entry_bytes: usize, floor: u64, hit: u64) -> FormHits {
    FormHits {
        form,
        large,
        entry_bytes,
        rounds: (0..3)
            .map(|round| {
                (
                    latency(floor + round, floor * 2, 10_000.0),
                    latency(hit + round, hit * 2, 9_000.0),
                )
            })
            .collect(),
    }
}

/// A metrics measurement whose rounds' p50s, on and off, are `rounds_micros`.
fn recording(
    rounds_micros: &[(u64, u64)],
    iterations: usize,
    calls_on: usize,
    exported_hits: Option<u64>,
) -> RecordingHits {
    RecordingHits {
        rounds: rounds_micros
            .iter()
            .map(|&(on, off)| {
                (
                    latency(on, on * 2, 10_000.0),
                    latency(off, off * 2, 10_000.0),
                )
            })
            .collect(),
        iterations,
        calls_on,
        exported_hits,
    }
}

/// The near cache's rounds for one size, its copies `copy_factor` times dearer than 233 B.
fn near_size(entry_bytes: usize, copy_factor: u64) -> NearSize {
    let round = |offset: u64| NearRound {
        network_get: latency(45 + offset, 90, 20_000.0),
        near_get: latency(copy_factor / 10 + 1, 3 * copy_factor / 10 + 2, 900_000.0),
        moka_get: latency(1, 1, 5_000_000.0),
        activity_hit: latency(3 + copy_factor, 8 + copy_factor, 250_000.0),
        network_concurrent: 60_000.0 + offset as f64,
        near_concurrent: 500_000.0 / copy_factor as f64,
    };
    NearSize {
        entry_bytes,
        rounds: vec![round(0), round(2), round(1)],
    }
}

/// A report whose every figure is a constant.
fn fixed_report() -> Report {
    Report {
        machine: Machine {
            cpus: 2,
            cpu_model: "Fixed CPU model".to_owned(),
            redis_version: "7.0.15".to_owned(),
            command: "cargo test -p temporal-cache-bench".to_owned(),
        },
        hits: HitReport {
            small: size(233, 20_000, 76),
            large: size(101_388, 2_000, 105),
            fallbacks: 1,
        },
        near: NearReport {
            small: near_size(233, 1),
            large: near_size(101_388, 40),
            write_delay: WriteDelay {
                after_write: (micros(60), micros(140), micros(900)),
                after_ack: (micros(25), micros(90), micros(700)),
                writes: 500,
                stale_reads_after_ack: 12,
            },
        },
        misses: MissReport {
            default: MissRounds {
                rounds: vec![latency(246, 380, 4_000.0), latency(209, 377, 4_500.0)],
            },
            unlocked: MissRounds {
                rounds: vec![latency(153, 230, 6_000.0), latency(134, 215, 7_000.0)],
            },
            iterations: 1_000,
            not_run: 2,
        },
        costs: CallCosts {
            hit: cost("cache hit, 233 B", 500, &[("get", 500)]),
            miss_default: cost(
                "cache miss, default settings",
                1_500,
                &[("evalsha", 1_000), ("get", 500)],
            ),
            miss_unlocked: cost("cache miss, `lock = false`", 1_000, &[]),
        },
        identical: FlightReport {
            flight: Flight::Identical,
            body_runs: (1, 0),
            last_return_after_body: Some(micros(1_280)),
            all_returned_after: micros(204_000),
        },
        long_body: FlightReport {
            flight: Flight::LongBody,
            body_runs: (1, 1),
            last_return_after_body: None,
            all_returned_after: micros(1_900_000),
        },
        stale: StaleReport {
            with_stale: Waits {
                p50: micros(450),
                p99: micros(1_900),
                max: micros(203_000),
                all_but_slowest: micros(2_400),
            },
            without_stale: Waits {
                p50: micros(201_000),
                p99: micros(203_000),
                max: micros(204_000),
                all_but_slowest: micros(203_000),
            },
            body: micros(200_000),
        },
        faults: FaultReport {
            async_kind: kind(&[15_500, 16_400, 11], Some(micros(1_400_000))),
            sync_kind: kind(&[15_900, 600_000, 140], None),
            operation_timeout: micros(250_000),
            iterations: 5_000,
            restart_took: micros(10_000),
        },
        production: ProductionReport {
            tls: HitAgainstFloor {
                rounds: vec![
                    (latency(90, 160, 11_000.0), latency(94, 170, 10_600.0)),
                    (latency(91, 161, 10_900.0), latency(95, 171, 10_500.0)),
                    (latency(89, 159, 11_100.0), latency(93, 169, 10_700.0)),
                ],
            },
            cluster: HitAgainstFloor {
                rounds: vec![
                    (latency(80, 150, 12_000.0), latency(95, 180, 10_200.0)),
                    (latency(81, 151, 11_900.0), latency(96, 181, 10_100.0)),
                    (latency(79, 149, 12_100.0), latency(94, 179, 10_300.0)),
                ],
            },
            cluster_round_trips_per_miss: 3.0,
            failover: Failover {
                healthy_calls_per_second: 4_200.0,
                healthy_hit_share: 1.0,
                resumed_after: None,
            },
            iterations: 5_000,
        },
        storage: StorageReport {
            forms: vec![
                form(Form::Plain, false, 233, 90, 92),
                form(Form::Encrypted, false, 281, 90, 101),
                form(Form::Converted, false, 262, 90, 99),
                form(Form::Plain, true, 101_388, 110, 150),
                form(Form::Compressed, true, 24_210, 110, 240),
                form(Form::Encrypted, true, 24_258, 110, 245),
                form(Form::Converted, true, 24_240, 110, 250),
            ],
            compressed_parts: vec![
                CompressedParts {
                    get: latency(80, 150, 12_000.0),
                    decompress: latency(60, 90, 16_000.0),
                };
                3
            ],
            small_iterations: 5_000,
            large_iterations: 1_000,
        },
        metrics: MetricsReport {
            redis: recording(
                &[(92, 91), (95, 93), (90, 90)],
                10_000,
                33_000,
                Some(33_000),
            ),
            memory: recording(&[(5, 4), (6, 5), (5, 5)], 20_000, 66_000, Some(65_999)),
        },
        invalidation: InvalidationReport {
            removals: vec![
                removal(100_000, 900, (80, 95), (85, 900), 4_000),
                removal(1_000_000, 9_500, (80, 95), (86, 1_100), 40_000),
            ],
        },
        workflows: WorkflowReport {
            kinds: Kind::ALL
                .iter()
                .zip([48, 98, 50, 101, 99])
                .map(|(&kind, millis)| WallTimes {
                    kind,
                    samples: (0..30)
                        .map(|i| Duration::from_millis(millis + i % 7))
                        .collect(),
                })
                .collect(),
        },
        run_time: Duration::from_secs(20),
    }
}

fn removal(
    entries: usize,
    millis: u64,
    before: (u64, u64),
    during: (u64, u64),
    reads_during: usize,
) -> Removal {
    Removal {
        entries,
        removed: entries as u64,
        took: Duration::from_millis(millis),
        before: (
            Duration::from_micros(before.0),
            Duration::from_micros(before.1),
        ),
        during: (
            Duration::from_micros(during.0),
            Duration::from_micros(during.1),
        ),
        reads_during,
        neighbours_kept: true,
    }
}

#[test]
fn a_report_of_fixed_figures_renders_as_the_expected_markdown() {
    let markdown = fixed_report().to_markdown();
    if std::env::var_os(BLESS_ENV_VAR).is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/report/fixed_figures.md");
        std::fs::write(path, &markdown).expect("the expected file is writable");
        return;
    }
    if markdown != EXPECTED {
        let first_difference = markdown
            .lines()
            .zip(EXPECTED.lines())
            .position(|(actual, expected)| actual != expected)
            .map_or_else(
                || "one is a prefix of the other".to_owned(),
                |index| format!("first at line {}", index + 1),
            );
        panic!(
            "the report differs from src/report/fixed_figures.md ({first_difference}); if the \
             change is deliberate, rerun with {BLESS_ENV_VAR}=1 and review the diff.\n\
             --- rendered ---\n{markdown}"
        );
    }
}

#[test]
fn the_concurrent_ratio_is_the_median_of_each_rounds_own_ratio() {
    let mut report = size(233, 20_000, 80);
    // The rounds' own ratios are 0.9, 1.0 and 0.75. The median rates (280 bare GETs, 210 hits a
    // second) come from different rounds and would make 0.75.
    for (round, (floor, hits)) in
        report
            .rounds
            .iter_mut()
            .zip([(300.0, 270.0), (200.0, 200.0), (280.0, 210.0)])
    {
        round.floor_concurrent = floor;
        round.hit_concurrent = hits;
    }
    assert_eq!(report.concurrent_ratio(), 0.9);
}
