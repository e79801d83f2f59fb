//! Stale-while-revalidate: how long 50 concurrent callers of an entry that has just turned stale
//! wait, with `stale` (one refreshes, the others are served the stale value) and without it
//! (everyone waits for the one body that single-flight runs).
//!
//! Each round stores a new input's entry, waits until its 300 ms `ttl` has passed, then starts
//! the 50 calls at once on the global Redis backend; the body takes 200 ms.

use std::time::{Duration, Instant};

use crate::activities::{REFRESH_BODY, StaleActivities};
use crate::context::context_for;
use crate::error::{BenchResult, activity_result};
use crate::stats::percentile;

/// Concurrent callers per round.
pub(crate) const CALLERS: usize = 50;

/// Rounds per variant.
const ROUNDS: u64 = 5;

/// How long past the stored entry's `ttl` the callers start.
const PAST_TTL: Duration = Duration::from_millis(350);

/// The waits of one variant, over every caller of every round.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waits {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
    /// The longest wait but one per round, the highest over rounds: with `stale`, every caller
    /// but the refresher.
    pub(crate) all_but_slowest: Duration,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct StaleReport {
    pub(crate) with_stale: Waits,
    pub(crate) without_stale: Waits,
    pub(crate) body: Duration,
}

pub(crate) async fn measure() -> BenchResult<StaleReport> {
    let with_stale = waits(true).await?;
    let without_stale = waits(false).await?;
    Ok(StaleReport {
        with_stale,
        without_stale,
        body: REFRESH_BODY,
    })
}

async fn waits(stale: bool) -> BenchResult<Waits> {
    let name = if stale {
        StaleActivities::revalidated.name()
    } else {
        StaleActivities::expiring.name()
    };
    let ctx = context_for(name).await?;
    let call = |id: u64| {
        let ctx = ctx.clone();
        async move {
            let started = Instant::now();
            let result = if stale {
                StaleActivities::__revalidated(ctx, id).await
            } else {
                StaleActivities::__expiring(ctx, id).await
            };
            activity_result(result)?;
            BenchResult::Ok(started.elapsed())
        }
    };
    let (mut all, mut all_but_slowest) = (Vec::new(), Duration::ZERO);
    let base = if stale { 1_000 } else { 2_000 } + u64::from(std::process::id()) * 10_000;
    for round in 0..ROUNDS {
        eprintln!(
            "stale: {} round {}",
            if stale { "with" } else { "without" },
            round + 1
        );
        let id = base + round;
        call(id).await?;
        tokio::time::sleep(PAST_TTL).await;
        let handles: Vec<_> = (0..CALLERS).map(|_| tokio::spawn(call(id))).collect();
        let mut round_waits = Vec::with_capacity(CALLERS);
        for handle in handles {
            round_waits.push(handle.await??);
        }
        round_waits.sort_unstable();
        all_but_slowest = all_but_slowest.max(round_waits[CALLERS - 2]);
        all.extend(round_waits);
    }
    all.sort_unstable();
    Ok(Waits {
        p50: percentile(&all, 50.0),
        p99: percentile(&all, 99.0),
        max: percentile(&all, 100.0),
        all_but_slowest,
    })
}
