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
use crate::outcome::OutcomeCodec;
use crate::spec::LockSpec;

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
    loop {
        match health::healthy(backend, key, backend.claim(key, &owner, lock.lease).await) {
            Ok(Claim::Value(bytes)) => {
                return pending
                    .serve(&bytes, codec, caller, " (stored by a concurrent call)")
                    .await;
            }
            Ok(Claim::Acquired) => {
                let lease =
                    HeldLease::renewed(Arc::clone(backend), Arc::clone(key), owner, lock.lease);
                return pending.run(Some(lease), caller);
            }
            Ok(Claim::Held) => {}
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
                    "cache lock wait expired: running the activity body without the lease");
                return pending.run(None, caller);
            }
        }
    }
}
