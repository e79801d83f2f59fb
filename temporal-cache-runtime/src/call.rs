//! One call of a cached activity, as a straight pipeline: key, acquire, body, finish.
//!
//! The entry's key is finished from the inputs the generated code hashed into it; [`acquire`]
//! returns a hit to serve or a slot to run the body in (single-flight included, see
//! [`crate::lock`]); the body runs as written; its `Ok` result is encoded with the activity's
//! [`OutcomeCodec`] and the slot stores it.
//! Nothing here may fail the activity: every backend or encoding problem is logged and turns into
//! a miss (or a skipped store), and the body's own outcome is what the caller gets.

use std::future::Future;
use std::time::{Duration, Instant};

use temporalio_sdk::activities::ActivityContext;

use crate::blocking;
use crate::directive::{self, Route};
use crate::entry::{Described, Entry, Keyed};
use crate::lock::{self, Acquired, acquire};
use crate::log::{Caller, TARGET};
use crate::metrics::FallbackReason;
use crate::outcome::OutcomeCodec;
use crate::value;

/// Runs an async cached activity: serves a hit, or runs `body` and stores its successful result.
///
/// The key is finished here, before the returned future exists, so that the key's hasher never
/// takes room in it.
#[doc(hidden)]
pub fn run<R, F, Fut>(
    entry: Entry,
    ctx: ActivityContext,
    codec: OutcomeCodec<R>,
    body: F,
) -> impl Future<Output = R>
where
    F: FnOnce(ActivityContext) -> Fut,
    Fut: Future<Output = R>,
{
    let keyed = keyed(entry, &ctx);
    run_keyed(keyed, ctx, codec, body)
}

async fn run_keyed<R, F, Fut>(
    keyed: Option<Keyed>,
    ctx: ActivityContext,
    codec: OutcomeCodec<R>,
    body: F,
) -> R
where
    F: FnOnce(ActivityContext) -> Fut,
    Fut: Future<Output = R>,
{
    let Some(keyed) = keyed else {
        return body(ctx).await;
    };
    let caller = Caller::of(&ctx);
    let Some(acquired) = verdict(keyed, codec, &caller, &ctx).await else {
        return body(ctx).await;
    };
    let metrics = caller.metrics;
    let slot = match acquired {
        Acquired::Hit(outcome) => return outcome,
        Acquired::Cancelled => match codec.cancelled() {
            Some(cancelled) => return cancelled,
            None => return body(ctx).await,
        },
        Acquired::Run(slot) => slot,
    };
    let started = Instant::now();
    let outcome = body(ctx).await;
    let raw = value::raw(&outcome, codec, slot.storage());
    if raw.is_some() {
        metrics.body_ran(started.elapsed());
    }
    let bytes = slot.stored_form(raw).await;
    slot.finish(bytes).await;
    outcome
}

/// Runs a sync cached activity (on the blocking thread the SDK runs it on), driving the async
/// backend through the current Tokio runtime.
#[doc(hidden)]
pub fn run_blocking<R, F>(entry: Entry, ctx: ActivityContext, codec: OutcomeCodec<R>, body: F) -> R
where
    R: Send + 'static,
    F: FnOnce(ActivityContext) -> R,
{
    let Some(keyed) = keyed(entry, &ctx) else {
        return body(ctx);
    };
    let wait = keyed.spec.lock.map_or(Duration::ZERO, |lock| lock.wait);
    let metrics = Caller::of(&ctx).metrics;
    let acquired = {
        let ctx = ctx.clone();
        blocking::wait_for(
            async move { verdict(keyed, codec, &Caller::of(&ctx), &ctx).await },
            wait + blocking::BRIDGE_LIMIT,
        )
    };
    let slot = match acquired {
        Ok(None) => return body(ctx),
        Ok(Some(Acquired::Hit(outcome))) => return outcome,
        Ok(Some(Acquired::Cancelled)) => match codec.cancelled() {
            Some(cancelled) => return cancelled,
            None => return body(ctx),
        },
        Ok(Some(Acquired::Run(slot))) => slot,
        Err(error) => {
            metrics.fallback(FallbackReason::of(error.kind()));
            let info = ctx.info();
            tracing::warn!(
                target: TARGET,
                activity_type = %info.activity_type,
                workflow_id = info.workflow_id.as_deref(),
                %error,
                cache.status = "fallback",
                "cache fallback: lookup failed; running the activity uncached"
            );
            return body(ctx);
        }
    };
    let started = Instant::now();
    let outcome = body(ctx);
    let raw = value::raw(&outcome, codec, slot.storage());
    if raw.is_some() {
        metrics.body_ran(started.elapsed());
    }
    // Waiting for the store keeps "the next call is a hit" true for sync activities too.
    let _ = blocking::wait_for(
        async move {
            let bytes = slot.stored_form(raw).await;
            slot.finish(bytes).await;
        },
        blocking::BRIDGE_LIMIT,
    );
    outcome
}

/// How the call proceeds: its directive first, if it carries one (see [`directive`]), then the
/// lookup and single-flight. `None` runs the body uncached: a bypass, or a refresh the backend
/// could not make. A lookup-only call (`execute_cached!`'s local activity) is served its hit or
/// its miss, never the body.
async fn verdict<R>(
    keyed: Keyed,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
    ctx: &ActivityContext,
) -> Option<Acquired<R>> {
    if directive::may_apply(ctx) {
        // Boxed: directives are the rare case, and their state would widen every call's future.
        match Box::pin(directive::apply(ctx, &keyed, caller)).await {
            Route::Cached => {}
            Route::Uncached => return None,
            Route::LookupOnly => {
                if let Some(missed) = codec.missed() {
                    let served = Box::pin(lock::peek(keyed, codec, caller)).await;
                    return Some(Acquired::Hit(served.unwrap_or(missed)));
                }
            }
        }
    }
    Some(acquire(keyed, codec, caller, ctx).await)
}

/// The entry with its finished key, or `None` when the call runs uncached (caching off, no
/// backend, or an input that could not be hashed, which is logged).
fn keyed(entry: Entry, ctx: &ActivityContext) -> Option<Keyed> {
    match entry.describe() {
        Ok(Described::Keyed(keyed)) => Some(keyed),
        Ok(Described::Off | Described::NoBackend) => None,
        Err(error) => {
            let caller = Caller::of(ctx);
            caller.metrics.fallback(FallbackReason::UnhashableInput);
            tracing::warn!(
                target: TARGET,
                activity_type = %caller.activity_type,
                workflow_id = caller.workflow_id,
                %error,
                cache.status = "fallback",
                "cache fallback: an input could not be hashed into a key; running uncached"
            );
            None
        }
    }
}
