//! One call of a cached activity, as a straight pipeline: key, acquire, body, finish.
//!
//! The entry's key is finished from the inputs the generated code hashed into it; [`acquire`]
//! returns a hit to serve or a slot to run the body in (single-flight included, see
//! [`crate::lock`]); the body runs as written; its `Ok` result is encoded with the activity's
//! [`OutcomeCodec`] and the slot stores it.
//! Nothing here may fail the activity: every backend or encoding problem is logged and turns into
//! a miss (or a skipped store), and the body's own outcome is what the caller gets.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use temporalio_sdk::activities::ActivityContext;

use crate::blocking;
use crate::directive::{self, Route};
use crate::entry::{Described, Entry, Keyed};
use crate::lock::{self, Acquired, Slot, acquire};
use crate::log::{Caller, TARGET};
use crate::metrics::FallbackReason;
use crate::outcome::OutcomeCodec;

/// Runs an async cached activity: serves a hit, or runs `body` and stores its successful result.
///
/// The key is finished here, before the returned future exists, so that the key's hasher never
/// takes room in it. The future holds the context once; the lookup runs in a box of its own, and
/// so does a call that runs the body (see [`run_body`]). So the future of every call, which the
/// SDK boxes, stays under 1 KiB, the size up to which allocators serve from their fast paths
/// (glibc's thread cache, for one): a hit then allocates two small boxes rather than one large
/// one, and moves less.
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
    async move {
        let acquired = match keyed {
            Some(keyed) => Box::pin(verdict(keyed, codec, &ctx)).await,
            None => None,
        };
        match acquired {
            Some(Acquired::Hit(outcome)) => outcome,
            acquired => Box::pin(run_body(acquired, ctx, codec, body)).await,
        }
    }
}

/// The rest of a call that was not served a hit: `acquired` is its verdict (`None`: it runs
/// uncached). A miss runs the body and stores its result.
async fn run_body<R, F, Fut>(
    acquired: Option<Acquired<R>>,
    ctx: ActivityContext,
    codec: OutcomeCodec<R>,
    body: F,
) -> R
where
    F: FnOnce(ActivityContext) -> Fut,
    Fut: Future<Output = R>,
{
    let (slot, stale) = match next(acquired, codec) {
        Next::Answer(outcome) => return outcome,
        Next::Uncached => return body(ctx).await,
        Next::Body { slot, stale } => (slot, stale),
    };
    let started = Instant::now();
    let outcome = body(ctx).await;
    let (answer, raw) = slot.conclude(outcome, stale, codec, started.elapsed());
    let bytes = slot.stored_form(raw).await;
    slot.finish(bytes).await;
    answer
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
    // Shared with the lookup's task rather than cloned for it: the task drops its share before it
    // answers, so the context is taken back whole unless the lookup outlived the wait.
    let shared = Arc::new(ctx);
    let acquired = blocking::wait_for(
        {
            let ctx = Arc::clone(&shared);
            async move {
                let acquired = verdict(keyed, codec, &ctx).await;
                drop(ctx);
                acquired
            }
        },
        wait + blocking::BRIDGE_LIMIT,
    );
    let ctx = Arc::try_unwrap(shared).unwrap_or_else(|shared| (*shared).clone());
    let acquired = match acquired {
        Ok(acquired) => acquired,
        Err(error) => {
            Caller::of(&ctx)
                .metrics
                .fallback(FallbackReason::of(error.kind()));
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
    let (slot, stale) = match next(acquired, codec) {
        Next::Answer(outcome) => return outcome,
        Next::Uncached => return body(ctx),
        Next::Body { slot, stale } => (slot, stale),
    };
    let started = Instant::now();
    let outcome = body(ctx);
    let (answer, raw) = slot.conclude(outcome, stale, codec, started.elapsed());
    // Waiting for the store keeps "the next call is a hit" true for sync activities too.
    let _ = blocking::wait_for(
        async move {
            let bytes = slot.stored_form(raw).await;
            slot.finish(bytes).await;
        },
        blocking::BRIDGE_LIMIT,
    );
    answer
}

/// What a call does once its verdict is in, async or sync alike.
enum Next<R> {
    /// Return this: a hit, or the activity's cancellation while it waited.
    Answer(R),
    /// Run the body uncached (no verdict, or a cancellation the outcome cannot express).
    Uncached,
    /// Run the body in `slot`, which stores its result; `stale` answers a failure the activity's
    /// `on_error` covers.
    Body { slot: Box<Slot>, stale: Option<R> },
}

/// The [`Next`] step of a call whose verdict is `acquired` (`None`: it runs uncached).
fn next<R>(acquired: Option<Acquired<R>>, codec: OutcomeCodec<R>) -> Next<R> {
    match acquired {
        None => Next::Uncached,
        Some(Acquired::Hit(outcome)) => Next::Answer(outcome),
        Some(Acquired::Cancelled) => codec.cancelled().map_or(Next::Uncached, Next::Answer),
        Some(Acquired::Run(slot)) => Next::Body { slot, stale: None },
        Some(Acquired::Refresh { slot, stale }) => Next::Body {
            slot,
            stale: Some(stale),
        },
    }
}

/// How the call proceeds: its directive first, if it carries one (see [`directive`]), then the
/// lookup and single-flight. `None` runs the body uncached: a bypass, or a refresh the backend
/// could not make. A lookup-only call (`execute_cached!`'s local activity) is served its hit or
/// its miss, never the body.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` keeps a second copy of its arguments in its future, and this one is \
              in every hit's (so are `lock::acquire` and the lookup)"
)]
fn verdict<R>(
    keyed: Keyed,
    codec: OutcomeCodec<R>,
    ctx: &ActivityContext,
) -> impl Future<Output = Option<Acquired<R>>> {
    async move {
        let caller = Caller::of(ctx);
        if directive::may_apply(ctx) {
            // Boxed: directives are the rare case, and their state would widen every call's
            // future.
            return Box::pin(directed(keyed, codec, &caller, ctx)).await;
        }
        Some(acquire(keyed, codec, &caller, ctx).await)
    }
}

/// [`verdict`] for a call whose directive may change its route.
async fn directed<R>(
    keyed: Keyed,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
    ctx: &ActivityContext,
) -> Option<Acquired<R>> {
    match directive::apply(ctx, &keyed, caller).await {
        Route::Cached => {}
        Route::Uncached => return None,
        Route::LookupOnly => {
            if let Some(missed) = codec.missed() {
                let served = lock::peek(keyed, codec, caller).await;
                return Some(Acquired::Hit(served.unwrap_or(missed)));
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
