//! Measures temporal-cache against the floor it cannot beat (a bare Redis GET with the same
//! client library) and the figures of the Python original, and writes `BENCHMARKS.md`.
//!
//! ```text
//! temporal-cache-bench [--output <path>]    # default: BENCHMARKS.md at the workspace root
//! temporal-cache-bench --only hits           # the hits section alone, on stdout; writes nothing
//! temporal-cache-bench --only near           # the hits, then the near cache section on stdout
//! temporal-cache-bench --only stale          # the hits, then the stale section on stdout
//! ```
//!
//! It starts its own `redis-server` on a free loopback port, runs every measurement with fixed
//! counts (10 to 20 seconds on two cores), prints the report as markdown on stdout and writes it to
//! the output file. Progress goes to stderr. Run it in release mode: `scripts/bench` does.
#![forbid(unsafe_code)]

mod activities;
mod context;
mod error;
mod machine;
mod reference;
mod report;
mod scenarios;
mod stats;
mod targets;
mod traffic;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use redis::aio::ConnectionManager;
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_servers::RedisServer;

use crate::error::BenchResult;
use crate::machine::Machine;
use crate::report::Report;
use crate::scenarios::flight::{self, Flight};
use crate::scenarios::{
    commands, faults, hits, invalidation, metrics, misses, near, production, stale, storage,
    workflows,
};

/// Where the report goes unless `--output` says otherwise: the workspace root.
fn default_output() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md"))
}

fn main() -> ExitCode {
    // A worker logs cache fallbacks; so does the bench (both processes), so that none goes
    // unnoticed. Stdout is kept for the report and the flight worker's protocol.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| match args.split_first() {
            Some((command, rest)) if command == flight::WORKER_SUBCOMMAND => {
                runtime.block_on(flight::worker(rest))
            }
            // On a worker thread, as a worker runs activities (not on the thread that blocks).
            _ => parse_run(&args)
                .and_then(|run| runtime.block_on(async { tokio::spawn(bench(run)).await? })),
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("temporal-cache-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn write(path: &std::path::Path, text: &str) -> BenchResult<()> {
    std::fs::write(path, text)
        .map_err(|error| format!("cannot write {}: {error}", path.display()).into())
}

/// What one run of the bench does.
enum Run {
    /// Every section; the report is printed and written to this path.
    All(PathBuf),
    /// The hits section alone, printed and not written: for quick before-and-after figures.
    OnlyHits,
    /// The hits section's entries, then the near cache section alone, printed and not written.
    OnlyNear,
    /// The hits section, then the stale-while-revalidate section alone, printed and not written.
    OnlyStale,
}

fn parse_run(args: &[String]) -> BenchResult<Run> {
    match args {
        [] => Ok(Run::All(default_output())),
        [flag, path] if flag == "--output" => Ok(Run::All(PathBuf::from(path))),
        [flag, section] if flag == "--only" && section == "hits" => Ok(Run::OnlyHits),
        [flag, section] if flag == "--only" && section == "near" => Ok(Run::OnlyNear),
        [flag, section] if flag == "--only" && section == "stale" => Ok(Run::OnlyStale),
        _ => Err(
            "usage: temporal-cache-bench [--output <path> | --only hits | --only near | --only stale]"
                .into(),
        ),
    }
}

/// Runs every measurement (or only one section), then prints and writes the report.
async fn bench(run: Run) -> BenchResult<()> {
    let started = Instant::now();
    let server = RedisServer::start()?;
    eprintln!("redis-server ready at {}", server.url());
    let client = redis::Client::open(server.url())?;
    let mut admin = ConnectionManager::new(client.clone()).await?;
    let machine = Machine::describe(&mut admin).await?;

    let backend = Arc::new(RedisCacheBackend::new(&server.url())?);
    set_cache_backend(Arc::clone(&backend));
    scenarios::connect_global_backend().await?;

    let hits = hits::measure(&client).await?;
    let output = match run {
        Run::All(output) => output,
        Run::OnlyHits => {
            print!("{}", report::hits_markdown(&hits));
            return Ok(());
        }
        Run::OnlyStale => {
            print!("{}", report::stale_markdown(&stale::measure().await?));
            return Ok(());
        }
        Run::OnlyNear => {
            let near = near::measure(&server.url(), Arc::clone(&backend)).await?;
            print!("{}", report::near_markdown(&near));
            return Ok(());
        }
    };
    let near = near::measure(&server.url(), Arc::clone(&backend)).await?;
    let misses = misses::measure().await?;
    let costs = commands::measure(server.socket_addr(), &mut admin, backend).await?;
    let identical = flight::measure(Flight::Identical, &server.url()).await?;
    let long_body = flight::measure(Flight::LongBody, &server.url()).await?;
    let stale = stale::measure().await?;
    let faults = faults::measure().await?;
    let production = production::measure().await?;
    let storage = storage::measure(&server.url()).await?;
    let metrics = metrics::measure().await?;
    let invalidation = invalidation::measure(&server.url()).await?;
    let workflows = workflows::measure().await?;

    let report = Report {
        machine,
        hits,
        near,
        misses,
        costs,
        identical,
        long_body,
        stale,
        faults,
        production,
        storage,
        metrics,
        invalidation,
        workflows,
        run_time: started.elapsed(),
    };
    let markdown = report.to_markdown();
    print!("{markdown}");
    write(&output, &markdown)?;
    let folder = output.parent().unwrap_or(std::path::Path::new("."));
    for (path, svg) in report.charts() {
        let path = folder.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
        }
        write(&path, &svg)?;
    }
    eprintln!("wrote {}", output.display());
    Ok(())
}
