//! Uncontended cache misses: every call has an input never seen before, and a body that does
//! nothing but return the small result, so the figures are the cache's own work (lookup, store,
//! and with locking the lease) on a miss.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use temporalio_sdk::activities::ActivityContext;

use super::{Op, ROUNDS, op};
use crate::activities::{self, BenchActivities};
use crate::context::context_for;
use crate::error::{BenchResult, activity_result};
use crate::stats::{self, Latency, median};

/// Untimed misses before each timed run.
const WARM_UP: usize = 100;

/// Timed misses per variant and round.
const ITERATIONS: usize = 1_000;

/// The misses of one variant, round by round.
#[derive(Debug, Clone)]
pub(crate) struct MissRounds {
    pub(crate) rounds: Vec<Latency>,
}

impl MissRounds {
    pub(crate) fn p50(&self) -> Duration {
        median(&self.rounds, |r| r.p50)
    }
    pub(crate) fn p99(&self) -> Duration {
        median(&self.rounds, |r| r.p99)
    }
}

/// Misses with the default settings and with `lock = false`.
#[derive(Debug, Clone)]
pub(crate) struct MissReport {
    pub(crate) default: MissRounds,
    pub(crate) unlocked: MissRounds,
    pub(crate) iterations: usize,
    /// Calls that did not run the body (they would have been hits: a broken measurement).
    pub(crate) not_run: u64,
}

/// An input no call has used before, so that the call misses.
pub(crate) fn fresh_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1_000_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A miss of `BenchActivities::miss_default`.
pub(crate) async fn miss_default_op() -> BenchResult<Op> {
    let ctx = context_for(BenchActivities::miss_default.name()).await?;
    Ok(op(move |_| call_default(ctx.clone())))
}

/// A miss of `BenchActivities::miss_unlocked`.
pub(crate) async fn miss_unlocked_op() -> BenchResult<Op> {
    let ctx = context_for(BenchActivities::miss_unlocked.name()).await?;
    Ok(op(move |_| call_unlocked(ctx.clone())))
}

async fn call_default(ctx: ActivityContext) -> BenchResult<()> {
    activity_result(BenchActivities::__miss_default(ctx, fresh_id()).await).map(drop)
}

async fn call_unlocked(ctx: ActivityContext) -> BenchResult<()> {
    activity_result(BenchActivities::__miss_unlocked(ctx, fresh_id()).await).map(drop)
}

/// Measures both variants, alternating call by call, in [`ROUNDS`] rounds.
pub(crate) async fn measure() -> BenchResult<MissReport> {
    let (default_op, unlocked_op) = (miss_default_op().await?, miss_unlocked_op().await?);
    let body_runs_before = activities::cached_body_runs();
    let (mut default, mut unlocked) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        eprintln!("misses: round {round} of {ROUNDS}");
        let (with_lock, without_lock) =
            stats::alternating(WARM_UP, ITERATIONS, || default_op(0), || unlocked_op(0)).await?;
        default.push(with_lock);
        unlocked.push(without_lock);
    }
    let calls = (2 * ROUNDS * (WARM_UP + ITERATIONS)) as u64;
    let body_runs = activities::cached_body_runs() - body_runs_before;
    Ok(MissReport {
        default: MissRounds { rounds: default },
        unlocked: MissRounds { rounds: unlocked },
        iterations: ITERATIONS,
        not_run: calls.saturating_sub(body_runs),
    })
}
