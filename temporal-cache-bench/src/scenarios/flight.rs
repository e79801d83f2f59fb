//! Identical concurrent calls from two processes: how often the body runs, and how soon the
//! callers that did not run it get the result.
//!
//! The bench re-runs its own binary as a second worker process ([`WORKER_SUBCOMMAND`]), pointed
//! at the same Redis. Both processes get ready (backend connected, context built), then the
//! child waits for a `go` line on its stdin, which the parent writes just before starting its
//! own callers: both sides start within a pipe write of each other, with no sleep involved.
//!
//! Every body run records the wall-clock time it ended; every caller the time it returned.
//! "Returned after the body" is the last return over both processes minus the end of the first
//! body run: with single flight, how long the waiters took to learn of the result.

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporalio_sdk::activities::ActivityContext;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::Command;

use super::connect_global_backend;
use crate::activities::{self, FlightActivities, IDENTICAL_BODY, LONG_BODY, LONG_BODY_LOCK_TTL};
use crate::context::context_for;
use crate::error::{BenchResult, activity_result};

/// The hidden subcommand that runs the second process of a flight.
pub(crate) const WORKER_SUBCOMMAND: &str = "__flight-worker";

/// How long the child may take to get ready, and then to report.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// The child's line saying that it is ready to start.
const READY: &str = "ready";

/// The parent's line that starts the child's callers.
const GO: &str = "go";

/// A flight of identical calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flight {
    /// 50 calls of a 200 ms body with the default settings.
    Identical,
    /// 5 calls of a body 2.5 times as long as its lease.
    LongBody,
}

impl Flight {
    fn name(self) -> &'static str {
        match self {
            Self::Identical => "identical",
            Self::LongBody => "long-body",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Identical, Self::LongBody]
            .into_iter()
            .find(|flight| flight.name() == name)
    }

    /// Callers in the parent and in the child.
    pub(crate) fn callers(self) -> (usize, usize) {
        match self {
            Self::Identical => (25, 25),
            Self::LongBody => (3, 2),
        }
    }

    /// How long the body takes.
    pub(crate) fn body(self) -> Duration {
        match self {
            Self::Identical => IDENTICAL_BODY,
            Self::LongBody => LONG_BODY,
        }
    }

    /// The lease the activity asks for, if not the default.
    pub(crate) fn lock_ttl(self) -> Option<&'static str> {
        match self {
            Self::Identical => None,
            Self::LongBody => Some(LONG_BODY_LOCK_TTL),
        }
    }

    fn activity_type(self) -> &'static str {
        match self {
            Self::Identical => FlightActivities::identical.name(),
            Self::LongBody => FlightActivities::long_body.name(),
        }
    }

    async fn call(self, ctx: ActivityContext, token: String) -> BenchResult<u64> {
        activity_result(match self {
            Self::Identical => FlightActivities::__identical(ctx, token).await,
            Self::LongBody => FlightActivities::__long_body(ctx, token).await,
        })
    }
}

/// What one process saw of a flight.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct ProcessOutcome {
    body_runs: usize,
    /// When its first body run ended, in nanoseconds since the Unix epoch.
    first_body_end: Option<u64>,
    /// When its last caller returned, in nanoseconds since the Unix epoch.
    last_return: u64,
}

/// A flight's figures over both processes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlightReport {
    pub(crate) flight: Flight,
    /// Body runs in the parent and in the child.
    pub(crate) body_runs: (usize, usize),
    /// From the end of the first body run to the return of the last caller.
    pub(crate) last_return_after_body: Option<Duration>,
    /// From the start signal to the return of the last caller, as the parent saw it.
    pub(crate) all_returned_after: Duration,
}

impl FlightReport {
    pub(crate) fn total_body_runs(&self) -> usize {
        self.body_runs.0 + self.body_runs.1
    }
}

/// Runs `flight` across this process and a child, both on the Redis at `redis_url`.
pub(crate) async fn measure(flight: Flight, redis_url: &str) -> BenchResult<FlightReport> {
    let (here, there) = flight.callers();
    eprintln!("single flight: {flight:?}, {here} + {there} callers in 2 processes");
    let token = format!("{}-{}", flight.name(), std::process::id());
    let ctx = context_for(flight.activity_type()).await?;

    let mut child = Command::new(std::env::current_exe()?)
        .args([WORKER_SUBCOMMAND, flight.name(), redis_url, &token])
        .arg(there.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut to_child = child.stdin.take().ok_or("the worker has no stdin")?;
    let mut from_child =
        BufReader::new(child.stdout.take().ok_or("the worker has no stdout")?).lines();
    let ready = next_line(&mut from_child).await?;
    if ready != READY {
        return Err(format!("the worker said {ready:?} instead of {READY:?}").into());
    }

    to_child.write_all(format!("{GO}\n").as_bytes()).await?;
    to_child.flush().await?;
    let started = Instant::now();
    let parent = run_callers(flight, &ctx, &token, here).await?;
    let child_outcome: ProcessOutcome = serde_json::from_str(&next_line(&mut from_child).await?)?;
    let all_returned_after = started.elapsed();
    let status = tokio::time::timeout(CHILD_TIMEOUT, child.wait()).await??;
    if !status.success() {
        return Err(format!("the worker process failed: {status}").into());
    }

    let first_body_end = [parent.first_body_end, child_outcome.first_body_end]
        .into_iter()
        .flatten()
        .min();
    let last_return = parent.last_return.max(child_outcome.last_return);
    Ok(FlightReport {
        flight,
        body_runs: (parent.body_runs, child_outcome.body_runs),
        last_return_after_body: first_body_end
            .map(|end| Duration::from_nanos(last_return.saturating_sub(end))),
        all_returned_after,
    })
}

/// The child's side: `__flight-worker <flight> <redis url> <token> <callers>`.
pub(crate) async fn worker(args: &[String]) -> BenchResult<()> {
    let [flight, redis_url, token, callers] = args else {
        return Err(
            format!("usage: {WORKER_SUBCOMMAND} <flight> <redis url> <token> <callers>").into(),
        );
    };
    let flight = Flight::from_name(flight).ok_or_else(|| format!("unknown flight {flight:?}"))?;
    let callers: usize = callers.parse()?;
    set_cache_backend(RedisCacheBackend::new(redis_url)?);
    connect_global_backend().await?;
    let ctx = context_for(flight.activity_type()).await?;

    println!("{READY}");
    let mut from_parent = BufReader::new(tokio::io::stdin()).lines();
    let go = next_line(&mut from_parent).await?;
    if go != GO {
        return Err(format!("expected {GO:?} from the parent, got {go:?}").into());
    }
    let outcome = run_callers(flight, &ctx, token, callers).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

/// Starts `callers` identical calls at once and waits for all of them.
async fn run_callers(
    flight: Flight,
    ctx: &ActivityContext,
    token: &str,
    callers: usize,
) -> BenchResult<ProcessOutcome> {
    let calls: Vec<_> = (0..callers)
        .map(|_| {
            let (ctx, token) = (ctx.clone(), token.to_owned());
            tokio::spawn(async move {
                flight.call(ctx, token).await?;
                BenchResult::Ok(SystemTime::now())
            })
        })
        .collect();
    let mut last_return = UNIX_EPOCH;
    for call in calls {
        last_return = last_return.max(call.await??);
    }
    let body_ends = activities::body_ends(token);
    Ok(ProcessOutcome {
        body_runs: body_ends.len(),
        first_body_end: body_ends
            .iter()
            .min()
            .copied()
            .map(unix_nanos)
            .transpose()?,
        last_return: unix_nanos(last_return)?,
    })
}

fn unix_nanos(time: SystemTime) -> BenchResult<u64> {
    Ok(u64::try_from(time.duration_since(UNIX_EPOCH)?.as_nanos())?)
}

async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Lines<R>,
) -> BenchResult<String> {
    match tokio::time::timeout(CHILD_TIMEOUT, lines.next_line()).await?? {
        Some(line) => Ok(line),
        None => Err("the other process closed the pipe".into()),
    }
}
