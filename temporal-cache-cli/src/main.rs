//! `temporal-cache`, the cache's ops tool: what a Redis holds for the cache (`stats`, `ls`,
//! `show`) and clearing it (`purge`), without reading code or typing `redis-cli` commands that
//! could stall a production server.
//!
//! It reaches Redis as a worker does (the same URL forms, TLS files and ACL users, a cluster when
//! several URLs are given) and finds keys only with `SCAN`, never `KEYS`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod commands;
mod connect;
mod key_layout;
mod measure;
mod progress;
mod table;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// What a command returns: nothing, or an error to print before exiting with status 1.
type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string()),
    }
}

async fn run(cli: Cli) -> CliResult {
    let target = connect::Target::from_args(&cli.connection)?;
    match cli.command {
        Command::Stats(stats) => commands::stats::run(&target, stats).await,
        Command::Ls(ls) => commands::ls::run(&target, ls).await,
        Command::Show(show) => commands::show::run(&target, show).await,
        Command::Purge(purge) => commands::purge::run(&target, purge).await,
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("temporal-cache: error: {message}");
    ExitCode::FAILURE
}
