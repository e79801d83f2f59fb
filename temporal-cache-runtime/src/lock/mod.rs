//! Single-flight: identical concurrent calls run the body once.
//!
//! [`acquire`] looks the entry up and returns its verdict: a hit to serve, a [`Slot`] to run the
//! body in, or the activity's cancellation. Calls in one worker share one flight (see
//! [`flight`]): its leader does the lookup and everyone else is handed what it found. The leader
//! of a miss then takes the entry's lease in the backend (see [`CacheBackend::claim`]), so that
//! identical calls on other workers wait for its result instead of running the body too; the
//! lease is renewed while the body runs (see [`lease`]), and [`Slot::finish`] stores the result,
//! releases the lease and lands the flight. With `lock = false` a miss neither follows nor waits:
//! it takes the lease if it is free and runs the body either way, and only the lease's holder
//! stores.
//!
//! The lease is also the invalidation fence: an invalidation removes it with the entry, and a
//! result is stored only by a call that still holds its lease, so a body that started before an
//! invalidation never stores after it.
//!
//! [`CacheBackend::claim`]: crate::backend::CacheBackend::claim

mod claim;
mod flight;
mod lease;
mod slot;
mod wait;

use std::sync::Arc;

use temporalio_sdk::activities::ActivityContext;
use tokio::time::Instant;

use self::flight::{Landing, Leader, Role};
pub(crate) use self::flight::{retire, retire_prefix};
use self::lease::HeldLease;
pub(crate) use self::slot::Slot;
use self::wait::Waited;
use crate::backend::health;
use crate::backend::{BackendError, BackendErrorKind, SharedBackend};
use crate::entry::Keyed;
use crate::log::{Caller, event};
use crate::outcome::OutcomeCodec;
use crate::spec::CacheSpec;
use crate::value;

/// How a call proceeds after its lookup.
pub(crate) enum Acquired<R> {
    /// Serve this outcome: read from the cache (or, for a lookup-only call, its miss).
    Hit(R),
    /// Run the body, then [`Slot::finish`] with its result.
    Run(Slot),
    /// The activity was cancelled while waiting for another caller's result.
    Cancelled,
}

/// Looks the entry up and decides how the call proceeds.
pub(crate) async fn acquire<R>(
    keyed: Keyed,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
    ctx: &ActivityContext,
) -> Acquired<R> {
    let Keyed { spec, backend, key } = keyed;
    let Some(lock) = spec.lock else {
        return match Pending::alone(spec, backend, key)
            .look_up(codec, caller)
            .await
        {
            Ok(acquired) => acquired,
            // Boxed, as a miss's slow path.
            Err(pending) => Box::pin(claim::fence(pending, codec, caller)).await,
        };
    };

    let deadline = Instant::now() + lock.wait;
    let leader = loop {
        let follower = match flight::join(&key) {
            Role::Leader(leader) => break leader,
            Role::Follower(follower) => follower,
        };
        // Boxed: waiting for another call is the slow path, and its state would otherwise widen
        // every call's future.
        let waiting = std::time::Instant::now();
        let waited = Box::pin(wait::until(follower.landed(), ctx, deadline)).await;
        caller.metrics.lease_waited(waiting.elapsed());
        match waited {
            Waited::Done(Landing::Value(bytes)) => {
                return Pending::alone(spec, backend, key)
                    .serve(&bytes, codec, caller, " (shared with a concurrent call)")
                    .await;
            }
            // The leader gave up (its body failed, or it was cancelled): lead anew, or follow
            // whoever did.
            Waited::Done(Landing::Abandoned) => {}
            Waited::Cancelled => return Acquired::Cancelled,
            Waited::Expired => {
                event!(warn, caller, key, wait = ?lock.wait,
                    "cache lock wait expired: running the activity body without waiting longer \
                     (the call being waited for stores the result)");
                return Pending::alone(spec, backend, key).run_unstored(caller);
            }
        }
    };

    let pending = Pending {
        spec,
        backend,
        key,
        leader: Some(leader),
    };
    match pending.look_up(codec, caller).await {
        Ok(acquired) => acquired,
        // Boxed, as a miss's slow path.
        Err(pending) => Box::pin(claim::lease(pending, lock, deadline, codec, caller, ctx)).await,
    }
}

/// Looks the entry up once, without single-flight or a lease: the stored outcome, or `None` when
/// there is none to serve (missing, unreadable, or the backend failed; each is counted and logged
/// as a lookup is). For the lookup-only local activity of `execute_cached!`.
pub(crate) async fn peek<R>(
    keyed: Keyed,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
) -> Option<R> {
    let Keyed { spec, backend, key } = keyed;
    match Pending::alone(spec, backend, key)
        .look_up(codec, caller)
        .await
    {
        Ok(Acquired::Hit(outcome)) => Some(outcome),
        Ok(Acquired::Run(_) | Acquired::Cancelled) | Err(_) => None,
    }
}

/// A call on its way to a verdict: its entry, and its flight if it leads one.
struct Pending {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: Arc<str>,
    leader: Option<Leader>,
}

impl Pending {
    /// A call that leads no flight: nobody in this process waits on it.
    fn alone(spec: &'static CacheSpec, backend: SharedBackend, key: Arc<str>) -> Self {
        Self {
            spec,
            backend,
            key,
            leader: None,
        }
    }

    /// One lookup: the verdict if it settles the call (a hit, an unreadable entry or a failed
    /// backend), or the call back if the entry is missing.
    async fn look_up<R>(
        self,
        codec: OutcomeCodec<R>,
        caller: &Caller<'_>,
    ) -> Result<Acquired<R>, Self> {
        let started = std::time::Instant::now();
        let found = self.backend.get_shared(&self.key).await;
        caller.metrics.looked_up(started.elapsed());
        match health::healthy(&self.backend, &self.key, found) {
            Ok(Some(bytes)) => {
                caller.metrics.read(bytes.len());
                Ok(self.serve(&bytes, codec, caller, "").await)
            }
            Ok(None) => {
                event!(debug, caller, self.key, cache.status = "miss", "cache miss");
                Err(self)
            }
            Err(error) => {
                health::fallback(&self.backend, caller, &self.key, &error, "lookup");
                Ok(self.run_after(&error, caller))
            }
        }
    }

    /// Serves stored bytes (and hands them to this call's followers), or runs the body without a
    /// lease if they are unreadable, so that its result overwrites them.
    async fn serve<R>(
        self,
        bytes: &[u8],
        codec: OutcomeCodec<R>,
        caller: &Caller<'_>,
        how: &str,
    ) -> Acquired<R> {
        let (storage, limit) = (self.backend.storage(), self.backend.max_value_bytes());
        match value::decode(bytes, codec, storage, limit, caller, &self.key).await {
            Some(outcome) => {
                caller.metrics.hit();
                event!(
                    debug,
                    caller,
                    self.key,
                    cache.status = "hit",
                    "cache hit{how}"
                );
                if let Some(leader) = self.leader {
                    slot::land(leader, bytes);
                }
                Acquired::Hit(outcome)
            }
            // Counted as a fallback (an unreadable entry) where it was found, not as a miss.
            None => self.into_slot(None, true, caller),
        }
    }

    /// The verdict that runs the body, holding `lease` if it took one.
    fn run<R>(self, lease: Option<HeldLease>, caller: &Caller<'_>) -> Acquired<R> {
        caller.metrics.miss();
        self.into_slot(lease, true, caller)
    }

    /// The verdict that runs the body without storing its result: another call holds the
    /// entry's lease and stores its own.
    fn run_unstored<R>(self, caller: &Caller<'_>) -> Acquired<R> {
        caller.metrics.miss();
        self.into_slot(None, false, caller)
    }

    /// The verdict that runs the body after the backend failed with `error`. Its result is not
    /// stored if the backend seems out of reach: the call already paid one deadline for the cache
    /// and must not pay a second. (A backend that answers but refused one command, say a
    /// read-only replica or a missing ACL permission, may still take the store.)
    fn run_after<R>(self, error: &BackendError, caller: &Caller<'_>) -> Acquired<R> {
        let store = error.kind() == BackendErrorKind::Rejected;
        self.into_slot(None, store, caller)
    }

    fn into_slot<R>(
        self,
        lease: Option<HeldLease>,
        store: bool,
        caller: &Caller<'_>,
    ) -> Acquired<R> {
        let Self {
            spec,
            backend,
            key,
            leader,
        } = self;
        let caller = caller.owned();
        Acquired::Run(Slot::new(spec, backend, key, leader, lease, store, caller))
    }
}
