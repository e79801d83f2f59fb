//! One call of a cached activity: look the key up, serve a hit, or run the body and store.
//!
//! With single-flight on (the default), identical concurrent calls in this process share one
//! flight (see [`crate::flight`]) and identical calls in other processes wait on the flight
//! leader's lease (see [`CacheBackend::claim`]). Nothing here may fail the activity: every backend
//! or encoding problem is logged and turns into a miss (or a skipped store), and the body's own
//! outcome is what the caller gets.

use std::future::Future;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use serde::de::DeserializeOwned;
use temporalio_sdk::activities::ActivityContext;
use tokio::time::Instant;

use crate::backend::{BackendError, BackendErrorKind, Claim, SharedBackend, Watch};
use crate::envelope;
use crate::flight::{self, Landing, Leader, Role};
use crate::global;
use crate::health;
use crate::key::KeyBuilder;
use crate::key::KeySink;
use crate::lease::{HeldLease, new_owner};
use crate::outcome::{CacheableValue, Outcome};
use crate::spec::CacheSpec;

const TARGET: &str = "temporal_cache";

/// How long a sync activity waits for one cache operation it hands to the Tokio runtime, beyond
/// any lock wait. The backend's own deadline normally ends an operation much sooner; this only
/// bounds the case where the runtime cannot make progress (a sync activity called on a runtime
/// thread).
const BLOCKING_BRIDGE_LIMIT: Duration = Duration::from_secs(1);

/// A cached call being prepared: the backend it uses and its key, hashed input by input.
#[doc(hidden)]
pub struct CachedCall {
    state: Option<Prepared>,
}

struct Prepared {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: KeyBuilder,
}

/// A call whose key is known.
struct Keyed {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: String,
}

impl KeySink for CachedCall {
    fn key_builder(&mut self) -> Option<&mut KeyBuilder> {
        self.state.as_mut().map(|prepared| &mut prepared.key)
    }
}

impl CachedCall {
    /// Starts a call of the activity running in `ctx`, with the activity's own backend if it has
    /// one. Caching turned off, or no backend at all, makes an inert call that runs the body.
    pub fn new(
        spec: &'static CacheSpec,
        ctx: &ActivityContext,
        own_backend: Option<SharedBackend>,
    ) -> Self {
        if !global::caching_enabled() {
            return Self { state: None };
        }
        let state = global::resolve(own_backend).map(|backend| Prepared {
            spec,
            backend,
            key: KeyBuilder::new(spec, &ctx.info().activity_type),
        });
        Self { state }
    }

    fn into_keyed(self, ctx: &ActivityContext) -> Option<Keyed> {
        let prepared = self.state?;
        let info = ctx.info();
        match prepared
            .key
            .finish(prepared.backend.key_prefix(), &info.activity_type)
        {
            Ok(key) => Some(Keyed {
                spec: prepared.spec,
                backend: prepared.backend,
                key,
            }),
            Err(error) => {
                tracing::warn!(
                    target: TARGET,
                    activity_type = %info.activity_type,
                    workflow_id = info.workflow_id.as_deref(),
                    %error,
                    "cache fallback: an input could not be hashed into a key; running uncached"
                );
                None
            }
        }
    }
}

/// Who is calling, for log events.
struct Caller<'a> {
    activity_type: &'a str,
    workflow_id: Option<&'a str>,
}

impl<'a> Caller<'a> {
    fn of(ctx: &'a ActivityContext) -> Self {
        let info = ctx.info();
        Self {
            activity_type: &info.activity_type,
            workflow_id: info.workflow_id.as_deref(),
        }
    }
}

/// [`Caller`], owned: what outlives the context the body takes.
struct OwnedCaller {
    activity_type: String,
    workflow_id: Option<String>,
}

impl OwnedCaller {
    fn of(ctx: &ActivityContext) -> Self {
        let info = ctx.info();
        Self {
            activity_type: info.activity_type.clone(),
            workflow_id: info.workflow_id.clone(),
        }
    }

    fn borrow(&self) -> Caller<'_> {
        Caller {
            activity_type: &self.activity_type,
            workflow_id: self.workflow_id.as_deref(),
        }
    }
}

/// How a call proceeds after its lookup.
enum Start<T> {
    /// Serve this value.
    Hit(T),
    /// Run the body, then [`finish`].
    Run(Run),
    /// The activity was cancelled while waiting for another caller's result.
    Cancelled,
}

/// A call that runs its body: where its result goes, and what it holds meanwhile.
struct Run {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: RunKey,
    lease: Option<HeldLease>,
}

enum RunKey {
    /// Nobody waits on this call in this process.
    Alone(String),
    /// This call leads its key's flight: its landing serves the followers.
    Leading(Leader),
}

impl RunKey {
    fn as_str(&self) -> &str {
        match self {
            Self::Alone(key) => key,
            Self::Leading(leader) => leader.key(),
        }
    }
}

macro_rules! event {
    ($level:ident, $ctx:expr, $key:expr, $($rest:tt)+) => {
        tracing::$level!(
            target: TARGET,
            activity_type = %$ctx.activity_type,
            workflow_id = $ctx.workflow_id,
            key = %$key,
            $($rest)+
        )
    };
}

/// Decodes an entry read from the backend; an unreadable one is logged and counts as a miss.
fn decode<T: DeserializeOwned>(bytes: &[u8], caller: &Caller<'_>, key: &str) -> Option<T> {
    match envelope::decode(bytes) {
        Ok(value) => Some(value),
        Err(error) => {
            event!(warn, caller, key, %error, "cache miss: the stored entry is unreadable and will be overwritten");
            None
        }
    }
}

fn fallback(caller: &Caller<'_>, key: &str, error: &BackendError, what: &str) {
    if health::failure_is_news(error) {
        event!(warn, caller, key, %error,
            "cache fallback: {what} failed; running the activity uncached (further failures \
             are logged at debug level until the backend answers again)");
    } else {
        event!(debug, caller, key, %error, "cache fallback: {what} failed; running the activity uncached");
    }
}

/// What waiting for something else ended with.
enum Waited<T> {
    Done(T),
    Cancelled,
    Expired,
}

/// Waits for `future`, but no longer than `deadline` and not past the activity's cancellation,
/// recording heartbeats meanwhile if the activity has a heartbeat timeout.
async fn wait_for<F: Future>(
    future: F,
    ctx: &ActivityContext,
    deadline: Instant,
) -> Waited<F::Output> {
    let future = std::pin::pin!(future);
    let mut future = future;
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

async fn next_tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Looks the key up and decides how the call proceeds.
async fn start<T: DeserializeOwned>(keyed: Keyed, ctx: &ActivityContext) -> Start<T> {
    let caller = Caller::of(ctx);
    let Keyed { spec, backend, key } = keyed;
    let run = |key: RunKey, lease: Option<HeldLease>| {
        Start::Run(Run {
            spec,
            backend: Arc::clone(&backend),
            key,
            lease,
        })
    };

    let Some(lock) = spec.lock else {
        return match healthy(backend.get(&key).await) {
            Ok(Some(bytes)) => match decode(&bytes, &caller, &key) {
                Some(value) => {
                    event!(debug, caller, key, "cache hit");
                    Start::Hit(value)
                }
                None => run(RunKey::Alone(key), None),
            },
            Ok(None) => {
                event!(debug, caller, key, "cache miss");
                run(RunKey::Alone(key), None)
            }
            Err(error) => {
                fallback(&caller, &key, &error, "lookup");
                run(RunKey::Alone(key), None)
            }
        };
    };

    let deadline = Instant::now() + lock.wait;
    let mut key = key;
    let leader = loop {
        match flight::join(key) {
            Role::Leader(leader) => break leader,
            Role::Follower(mut follower) => {
                match wait_for(follower.landed(), ctx, deadline).await {
                    Waited::Done(Landing::Value(bytes)) => {
                        let key = follower.into_key();
                        if let Some(value) = decode(&bytes, &caller, &key) {
                            event!(
                                debug,
                                caller,
                                key,
                                "cache hit (shared with a concurrent call)"
                            );
                            return Start::Hit(value);
                        }
                        return run(RunKey::Alone(key), None);
                    }
                    Waited::Done(Landing::Abandoned) => key = follower.into_key(),
                    Waited::Cancelled => return Start::Cancelled,
                    Waited::Expired => {
                        let key = follower.into_key();
                        event!(warn, caller, key, wait = ?lock.wait,
                            "cache lock wait expired: running the activity body without waiting longer");
                        return run(RunKey::Alone(key), None);
                    }
                }
            }
        }
    };

    match healthy(backend.get(leader.key()).await) {
        Ok(Some(bytes)) => return serve(leader, bytes, &caller, "", run),
        Ok(None) => event!(debug, caller, leader.key(), "cache miss"),
        Err(error) => {
            fallback(&caller, leader.key(), &error, "lookup");
            return run(RunKey::Leading(leader), None);
        }
    }

    let owner = new_owner();
    let mut watch: Option<Watch> = None;
    let recheck = (lock.lease / 10).clamp(Duration::from_millis(10), Duration::from_secs(1));
    loop {
        match healthy(backend.claim(leader.key(), &owner, lock.lease).await) {
            Ok(Claim::Value(bytes)) => {
                return serve(
                    leader,
                    bytes,
                    &caller,
                    " (stored by a concurrent call)",
                    run,
                );
            }
            Ok(Claim::Acquired) => {
                let lease = HeldLease::renewed(
                    Arc::clone(&backend),
                    leader.key().to_owned(),
                    owner,
                    lock.lease,
                );
                return run(RunKey::Leading(leader), Some(lease));
            }
            Ok(Claim::Held) => {}
            Err(error) => {
                fallback(&caller, leader.key(), &error, "taking the lease");
                return run(RunKey::Leading(leader), None);
            }
        }
        let watch = match &mut watch {
            Some(watch) => watch,
            None => {
                // Subscribe, then claim again at once: an event between the first claim and
                // the subscription would otherwise be missed.
                let subscribed = backend.watch(leader.key()).await.unwrap_or_else(|error| {
                    event!(debug, caller, leader.key(), %error,
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
        match wait_for(event, ctx, deadline).await {
            Waited::Done(()) => {}
            Waited::Cancelled => return Start::Cancelled,
            Waited::Expired => {
                event!(warn, caller, leader.key(), wait = ?lock.wait,
                    "cache lock wait expired: running the activity body without the lease");
                return run(RunKey::Leading(leader), None);
            }
        }
    }
}

/// Serves the stored bytes the flight's leader found (and hands them to its followers), or runs
/// the body without a lease if they are unreadable, so that its result overwrites them.
fn serve<T: DeserializeOwned>(
    leader: Leader,
    bytes: Vec<u8>,
    caller: &Caller<'_>,
    how: &str,
    run: impl FnOnce(RunKey, Option<HeldLease>) -> Start<T>,
) -> Start<T> {
    match decode(&bytes, caller, leader.key()) {
        Some(value) => {
            event!(debug, caller, leader.key(), "cache hit{how}");
            land_value(leader, bytes);
            Start::Hit(value)
        }
        None => run(RunKey::Leading(leader), None),
    }
}

/// Passes a backend result through, noting a success.
fn healthy<T>(result: Result<T, BackendError>) -> Result<T, BackendError> {
    if result.is_ok() {
        health::succeeded();
    }
    result
}

/// Ends a flight with a value, copying the bytes only if someone follows it.
fn land_value(leader: Leader, bytes: Vec<u8>) {
    let landing = if leader.has_followers() {
        Landing::Value(Arc::from(bytes))
    } else {
        Landing::Abandoned
    };
    leader.land(landing);
}

/// Stores the body's result (if it may be stored), releases the lease and ends the flight.
async fn finish(run: Run, bytes: Option<Vec<u8>>, caller: &Caller<'_>) {
    let Run {
        spec,
        backend,
        key,
        lease,
    } = run;
    let owner = lease.as_ref().map(|lease| lease.owner.clone());
    drop(lease);
    let key_str = key.as_str();
    match (&bytes, owner) {
        (Some(bytes), Some(owner)) => {
            let stored = backend.complete(key_str, &owner, bytes, spec.ttl).await;
            stored_event(stored, caller, key_str);
        }
        (Some(bytes), None) => {
            let stored = backend.set(key_str, bytes, spec.ttl).await;
            stored_event(stored, caller, key_str);
        }
        (None, Some(owner)) => {
            // The body failed: hand the lease over at once instead of letting it expire.
            if let Err(error) = backend.release(key_str, &owner).await {
                event!(warn, caller, key_str, %error, "cache lease release failed; it expires by itself");
            }
        }
        (None, None) => {}
    }
    if let (RunKey::Leading(leader), Some(bytes)) = (key, bytes) {
        land_value(leader, bytes);
    }
}

fn stored_event(result: Result<(), BackendError>, caller: &Caller<'_>, key: &str) {
    match healthy(result) {
        Ok(()) => event!(debug, caller, key, "cache store"),
        Err(error) if health::failure_is_news(&error) => event!(warn, caller, key, %error,
            "cache fallback: storing the result failed; it is returned but not cached"),
        Err(error) => event!(debug, caller, key, %error,
            "cache fallback: storing the result failed; it is returned but not cached"),
    }
}

fn encode<R>(outcome: &R, run: &Run, caller: &Caller<'_>) -> Option<Vec<u8>>
where
    R: Outcome,
    R::Value: CacheableValue,
{
    let value = outcome.cacheable()?;
    let key = run.key.as_str();
    match envelope::encode(value) {
        Ok(bytes) if bytes.len() > run.backend.max_value_bytes() => {
            event!(
                warn,
                caller,
                key,
                bytes = bytes.len(),
                limit = run.backend.max_value_bytes(),
                "cache skip: the result is larger than the backend stores; it is returned but not cached"
            );
            None
        }
        Ok(bytes) => Some(bytes),
        Err(error) => {
            event!(warn, caller, key, %error,
                "cache fallback: the result could not be encoded; it is returned but not stored");
            None
        }
    }
}

/// Runs an async cached activity: serves a hit, or runs `body` and stores its successful result.
#[doc(hidden)]
pub async fn run<R, F, Fut>(call: CachedCall, ctx: ActivityContext, body: F) -> R
where
    R: Outcome,
    R::Value: CacheableValue,
    F: FnOnce(ActivityContext) -> Fut,
    Fut: Future<Output = R>,
{
    let Some(keyed) = call.into_keyed(&ctx) else {
        return body(ctx).await;
    };
    let run = match start::<R::Value>(keyed, &ctx).await {
        Start::Hit(value) => return R::from_cached(value),
        Start::Cancelled => match R::cancelled() {
            Some(cancelled) => return cancelled,
            None => return body(ctx).await,
        },
        Start::Run(run) => run,
    };
    let caller = OwnedCaller::of(&ctx);
    let outcome = body(ctx).await;
    let bytes = encode(&outcome, &run, &caller.borrow());
    finish(run, bytes, &caller.borrow()).await;
    outcome
}

/// Runs a sync cached activity (on the blocking thread the SDK runs it on), driving the async
/// backend through the current Tokio runtime.
#[doc(hidden)]
pub fn run_blocking<R, F>(call: CachedCall, ctx: ActivityContext, body: F) -> R
where
    R: Outcome,
    R::Value: CacheableValue + Send + 'static,
    F: FnOnce(ActivityContext) -> R,
{
    let Some(keyed) = call.into_keyed(&ctx) else {
        return body(ctx);
    };
    let wait = keyed.spec.lock.map_or(Duration::ZERO, |lock| lock.wait);
    let started = {
        let ctx = ctx.clone();
        bridge(
            async move { start::<R::Value>(keyed, &ctx).await },
            wait + BLOCKING_BRIDGE_LIMIT,
        )
    };
    let run = match started {
        Ok(Start::Hit(value)) => return R::from_cached(value),
        Ok(Start::Cancelled) => match R::cancelled() {
            Some(cancelled) => return cancelled,
            None => return body(ctx),
        },
        Ok(Start::Run(run)) => run,
        Err(error) => {
            let info = ctx.info();
            tracing::warn!(
                target: TARGET,
                activity_type = %info.activity_type,
                workflow_id = info.workflow_id.as_deref(),
                %error,
                "cache fallback: lookup failed; running the activity uncached"
            );
            return body(ctx);
        }
    };
    let caller = OwnedCaller::of(&ctx);
    let outcome = body(ctx);
    let bytes = encode(&outcome, &run, &caller.borrow());
    // Waiting for the store keeps "the next call is a hit" true for sync activities too.
    let _ = bridge(
        async move { finish(run, bytes, &caller.borrow()).await },
        BLOCKING_BRIDGE_LIMIT,
    );
    outcome
}

/// Runs `operation` on the current Tokio runtime from a thread that may block, and waits for
/// it, at most `limit`.
///
/// The operation is spawned as a task rather than driven with `Handle::block_on`, which panics
/// when the calling thread is itself a runtime thread; there, this ends in a timeout instead.
fn bridge<T: Send + 'static>(
    operation: impl Future<Output = T> + Send + 'static,
    limit: Duration,
) -> Result<T, BackendError> {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Err(BackendError::new(
            BackendErrorKind::Unavailable,
            "a sync cached activity ran outside a Tokio runtime, so its backend cannot be reached",
        ));
    };
    let (sender, receiver) = mpsc::sync_channel(1);
    runtime.spawn(async move {
        // The receiver is gone only if the caller gave up waiting; nothing is left to do then.
        let _ = sender.send(operation.await);
    });
    receiver
        .recv_timeout(limit)
        .map_err(|_| BackendError::timeout())
}
