//! Waiting for something another caller does, as an activity must: bounded by the lock wait, cut
//! short by the activity's cancellation, and heartbeating meanwhile.

use std::future::Future;

use temporalio_sdk::activities::ActivityContext;
use tokio::time::{Instant, Interval};

/// What waiting for something else ended with.
pub(super) enum Waited<T> {
    Done(T),
    Cancelled,
    Expired,
}

/// Waits for `future`, but no longer than `deadline` and not past the activity's cancellation,
/// recording heartbeats meanwhile if the activity has a heartbeat timeout.
pub(super) async fn until<F: Future>(
    future: F,
    ctx: &ActivityContext,
    deadline: Instant,
) -> Waited<F::Output> {
    let mut future = std::pin::pin!(future);
    let heartbeat_period = ctx
        .info()
        .heartbeat_timeout
        .filter(|timeout| !timeout.is_zero())
        .map(|timeout| timeout / 2);
    let mut heartbeats =
        heartbeat_period.map(|period| tokio::time::interval_at(Instant::now() + period, period));
    loop {
        tokio::select! {
            output = &mut future => return Waited::Done(output),
            () = ctx.cancelled() => return Waited::Cancelled,
            () = tokio::time::sleep_until(deadline) => return Waited::Expired,
            () = next_tick(&mut heartbeats) => {
                // A failed heartbeat only means the server may time the activity out sooner.
                let _ = ctx.record_heartbeat(()).await;
            }
        }
    }
}

async fn next_tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}
