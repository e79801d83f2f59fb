//! Waiting on another worker: take the entry's lease, or wait for its holder's result.
//!
//! A waiter subscribes to the entry's events (stored, released) and re-checks at least every
//! tenth of the lease, so a lost notification, or a backend without them, only makes it slower.

use std::sync::Arc;
use std::time::Duration;

use temporalio_sdk::activities::ActivityContext;
use tokio::time::Instant;

use super::lease::{HeldLease, new_owner};
use super::wait::{self, Waited};
use super::{Acquired, Pending};
use crate::backend::health;
use crate::backend::{Claim, Watch};
use crate::log::{Caller, event};
use crate::metrics::LeaseWait;
use crate::outcome::OutcomeCodec;
use crate::spec::LockSpec;

/// How long the lease of a `lock = false` call lasts between renewals: it only fences the call's
/// store against invalidations (nobody waits on it), so the length matters little.
pub(super) const FENCE_LEASE: Duration = Duration::from_secs(30);

/// Claims the lease of a missing entry once, for a `lock = false` call: serves a value stored
/// meanwhile, or runs the body, storing its result only if the lease was free.
pub(super) async fn fence<R>(
    pending: Pending,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
) -> Acquired<R> {
    let owner = new_owner();
    let Pending { backend, key, .. } = &pending;
    match health::healthy(backend, key, backend.claim(key, &owner, FENCE_LEASE).await) {
        Ok(Claim::Value(bytes)) => {
            caller.metrics.read(bytes.len());
            pending
                .serve(&bytes, codec, caller, " (stored by a concurrent call)")
                .await
        }
        Ok(Claim::Acquired) => {
            let lease =
                HeldLease::renewed(Arc::clone(backend), Arc::clone(key), owner, FENCE_LEASE);
            pending.run(Some(lease), caller)
        }
        Ok(Claim::Held) => pending.run_unstored(caller),
        Err(error) => {
            health::fallback(backend, caller, key, &error, "taking the lease");
            pending.run_after(&error, caller)
        }
    }
}

/// Claims the lease of a missing entry: serves the value if one appears meanwhile, runs the body
/// holding the lease once it is free, or without it when the wait ends.
pub(super) async fn lease<R>(
    pending: Pending,
    lock: LockSpec,
    deadline: Instant,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
    ctx: &ActivityContext,
) -> Acquired<R> {
    let owner = new_owner();
    let mut watch: Option<Watch> = None;
    let recheck = (lock.lease / 10).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let Pending { backend, key, .. } = &pending;
    // Timed from the first claim that finds the lease held to whatever ends the wait.
    let mut wait = LeaseWait::of(caller.metrics);
    loop {
        match health::healthy(backend, key, backend.claim(key, &owner, lock.lease).await) {
            Ok(Claim::Value(bytes)) => {
                caller.metrics.read(bytes.len());
                return pending
                    .serve(&bytes, codec, caller, " (stored by a concurrent call)")
                    .await;
            }
            Ok(Claim::Acquired) => {
                // Its holder released the lease (its body failed) or died (the lease expired).
                if wait.began() {
                    caller.metrics.took_over();
                }
                let lease =
                    HeldLease::renewed(Arc::clone(backend), Arc::clone(key), owner, lock.lease);
                return pending.run(Some(lease), caller);
            }
            Ok(Claim::Held) => wait.begin(),
            Err(error) => {
                health::fallback(backend, caller, key, &error, "taking the lease");
                return pending.run_after(&error, caller);
            }
        }
        let watch = match &mut watch {
            Some(watch) => watch,
            None => {
                // Subscribe, then claim again at once: an event between the first claim and
                // the subscription would otherwise be missed.
                let subscribed = backend.watch(key).await.unwrap_or_else(|error| {
                    event!(debug, caller, key, %error,
                        "cache waiter cannot subscribe; re-checking periodically instead");
                    Watch::never()
                });
                watch = Some(subscribed);
                continue;
            }
        };
        let event = async {
            tokio::select! {
                () = watch.changed() => {},
                () = tokio::time::sleep(recheck) => {},
            }
        };
        match wait::until(event, ctx, deadline).await {
            Waited::Done(()) => {}
            Waited::Cancelled => return Acquired::Cancelled,
            Waited::Expired => {
                event!(warn, caller, key, wait = ?lock.wait,
                    "cache lock wait expired: running the activity body without the lease \
                     (its holder stores the result)");
                return pending.run_unstored(caller);
            }
        }
    }
}
