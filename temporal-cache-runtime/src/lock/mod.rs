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

use std::future::Future;
use std::sync::Arc;

use temporalio_sdk::activities::ActivityContext;
use tokio::time::Instant;

use self::flight::{Follower, Landing, Leader, Role};
pub(crate) use self::flight::{retire, retire_prefix};
use self::lease::HeldLease;
pub(crate) use self::slot::Slot;
use self::wait::Waited;
use crate::backend::health;
use crate::backend::{BackendError, BackendErrorKind, SharedBackend};
use crate::entry::Keyed;
use crate::log::{Caller, event};
use crate::outcome::OutcomeCodec;
use crate::spec::{CacheSpec, LockSpec};
use crate::value::{self, Decoded, Decoding};

/// How a call proceeds after its lookup.
pub(crate) enum Acquired<R> {
    /// Serve this outcome: read from the cache (or, for a lookup-only call, its miss).
    Hit(R),
    /// Run the body, then [`Slot::finish`] with its result. (Boxed, like `Refresh`'s slot: a
    /// hit's future has room for every verdict, and only a miss needs a slot.)
    Run(Box<Slot>),
    /// Run the body to refresh a stale entry (this call holds its lease), then
    /// [`Slot::finish`]; `stale` answers the call instead if the body fails and the activity's
    /// `on_error` says so.
    Refresh { slot: Box<Slot>, stale: R },
    /// The activity was cancelled while waiting for another caller's result.
    Cancelled,
}

/// Looks the entry up and decides how the call proceeds.
///
/// A hit awaits nothing but its read: following another call, taking the entry's lease and a
/// DataConverter's decoding are boxed, so that their state never widens the hit's future.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` keeps a second copy of its arguments in its future, and this one is \
              in every hit's"
)]
pub(crate) fn acquire<R>(
    keyed: Keyed,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
    ctx: &ActivityContext,
) -> impl Future<Output = Acquired<R>> {
    async move {
        let Keyed { spec, backend, key } = keyed;
        let leader = match spec.lock {
            None => None,
            Some(lock) => match flight::join(&key) {
                Role::Leader(leader) => Some(leader),
                Role::Follower(follower) => {
                    let pending = Pending::alone(spec, backend, key);
                    return Box::pin(follow(follower, pending, lock, codec, caller, ctx)).await;
                }
            },
        };
        let pending = Pending {
            spec,
            backend,
            key,
            leader,
            revalidates: true,
        };
        // Not a `match` around the claim: its scrutinee would stay in the hit's future.
        let pending = match pending.look_up(codec, caller).await {
            Ok(acquired) => return acquired,
            Err(pending) => pending,
        };
        Box::pin(pending.claim(codec, caller, ctx)).await
    }
}

/// Follows another call's flight: serves what it found, or leads anew if it gave up. The lock
/// wait starts here and goes on through the lease, if this call ends up claiming it.
async fn follow<R>(
    mut follower: Follower,
    pending: Pending,
    lock: LockSpec,
    codec: OutcomeCodec<R>,
    caller: &Caller<'_>,
    ctx: &ActivityContext,
) -> Acquired<R> {
    let deadline = Instant::now() + lock.wait;
    loop {
        let waiting = std::time::Instant::now();
        let waited = wait::until(follower.landed(), ctx, deadline).await;
        caller.metrics.lease_waited(waiting.elapsed());
        match waited {
            Waited::Done(Landing::Value(bytes)) => {
                return pending
                    .serve(&bytes, codec, caller, " (shared with a concurrent call)")
                    .await;
            }
            // The leader gave up (its body failed, or it was cancelled): lead anew, or follow
            // whoever did.
            Waited::Done(Landing::Abandoned) => {}
            Waited::Cancelled => return Acquired::Cancelled,
            Waited::Expired => {
                event!(warn, caller, pending.key, wait = ?lock.wait,
                    "cache lock wait expired: running the activity body without waiting longer \
                     (the call being waited for stores the result)");
                return pending.run_unstored(caller);
            }
        }
        follower = match flight::join(&pending.key) {
            Role::Follower(follower) => follower,
            Role::Leader(leader) => {
                let pending = Pending {
                    leader: Some(leader),
                    ..pending
                };
                return match pending.look_up(codec, caller).await {
                    Ok(acquired) => acquired,
                    Err(pending) => claim::lease(pending, lock, deadline, codec, caller, ctx).await,
                };
            }
        };
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
    let pending = Pending {
        revalidates: false,
        ..Pending::alone(spec, backend, key)
    };
    match pending.look_up(codec, caller).await {
        Ok(Acquired::Hit(outcome)) => Some(outcome),
        Ok(Acquired::Run(_) | Acquired::Refresh { .. } | Acquired::Cancelled) | Err(_) => None,
    }
}

/// A call on its way to a verdict: its entry, and its flight if it leads one.
struct Pending {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: Arc<str>,
    leader: Option<Leader>,
    /// Whether a stale entry is refreshed by this call (not by a lookup-only one).
    revalidates: bool,
}

impl Pending {
    /// A call that leads no flight: nobody in this process waits on it.
    fn alone(spec: &'static CacheSpec, backend: SharedBackend, key: Arc<str>) -> Self {
        Self {
            spec,
            backend,
            key,
            leader: None,
            revalidates: true,
        }
    }

    /// One lookup: the verdict if it settles the call (a hit, an unreadable entry or a failed
    /// backend), or the call back if the entry is missing.
    #[allow(
        clippy::manual_async_fn,
        reason = "an `async fn` keeps a second copy of its arguments in its future, and this one \
                  is in every hit's"
    )]
    fn look_up<R>(
        self,
        codec: OutcomeCodec<R>,
        caller: &Caller<'_>,
    ) -> impl Future<Output = Result<Acquired<R>, Self>> {
        async move {
            let started = std::time::Instant::now();
            let found = self.backend.get_shared(&self.key).await;
            caller.metrics.looked_up(started.elapsed());
            match health::healthy(&self.backend, &self.key, found) {
                Ok(Some(bytes)) => {
                    caller.metrics.read(bytes.len());
                    // Not `serve`: a hit's future keeps no state of its own for decoding.
                    let decoded = match self.decode(&bytes, codec, caller) {
                        Decoding::Done(decoded) => decoded,
                        Decoding::Converting(converting) => converting.await,
                    };
                    let (pending, stale) = match self.settle(decoded, &bytes, caller, "") {
                        Ok(acquired) => return Ok(acquired),
                        Err(stale) => stale,
                    };
                    if !pending.revalidates {
                        event!(
                            debug,
                            caller,
                            pending.key,
                            cache.status = "miss",
                            "cache entry stale: a lookup-only call leaves its refresh to the \
                             activity"
                        );
                        return Err(pending);
                    }
                    // Boxed: the slow path of a stale entry.
                    Ok(Box::pin(pending.revalidate(stale, &bytes, caller)).await)
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
    }

    /// Takes the lease of the missing entry (or, with `lock = false`, only fences the store):
    /// the slow path of a miss. The lock wait starts here.
    async fn claim<R>(
        self,
        codec: OutcomeCodec<R>,
        caller: &Caller<'_>,
        ctx: &ActivityContext,
    ) -> Acquired<R> {
        match self.spec.lock {
            Some(lock) => {
                let deadline = Instant::now() + lock.wait;
                claim::lease(self, lock, deadline, codec, caller, ctx).await
            }
            None => claim::fence(self, codec, caller).await,
        }
    }

    fn decode<'a, R: 'a>(
        &'a self,
        bytes: &'a [u8],
        codec: OutcomeCodec<R>,
        caller: &Caller<'a>,
    ) -> Decoding<R, impl Future<Output = Option<Decoded<R>>> + 'a> {
        let (storage, limit) = (self.backend.storage(), self.backend.max_value_bytes());
        value::decode(bytes, codec, storage, limit, *caller, &self.key)
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
        let decoded = match self.decode(bytes, codec, caller) {
            Decoding::Done(decoded) => decoded,
            Decoding::Converting(converting) => converting.await,
        };
        match self.settle(decoded, bytes, caller, how) {
            Ok(acquired) => acquired,
            Err((pending, stale)) => pending.revalidate(stale, bytes, caller).await,
        }
    }

    /// The verdict for stored `bytes` that decoded to `decoded` (`None`: unreadable), or, for an
    /// entry past its `ttl` but within its stale window, the call and the stale outcome to
    /// [revalidate](Self::stale) first.
    fn settle<R>(
        self,
        decoded: Option<Decoded<R>>,
        bytes: &[u8],
        caller: &Caller<'_>,
        how: &str,
    ) -> Result<Acquired<R>, (Self, R)> {
        match decoded {
            Some(decoded) if self.spec.is_stale(decoded.fresh_until) => {
                Err((self, decoded.outcome))
            }
            decoded => Ok(self.served(decoded.map(|d| d.outcome), bytes, caller, how)),
        }
    }

    /// The verdict for an entry past its `ttl` but within its stale window: the call that takes
    /// its lease refreshes it (running the body, with `stale` kept to answer a failure), every
    /// other call is served `stale` at once. (A lookup-only call never gets here: it treats the
    /// entry as missing, in [`look_up`](Self::look_up), so that the activity it falls back to
    /// refreshes it.)
    async fn revalidate<R>(self, stale: R, bytes: &[u8], caller: &Caller<'_>) -> Acquired<R> {
        let owner = lease::new_owner();
        let length = self.spec.lock.map_or(claim::FENCE_LEASE, |lock| lock.lease);
        let taken = self.backend.take_lease(&self.key, &owner, length).await;
        match health::healthy(&self.backend, &self.key, taken) {
            Ok(true) => {
                event!(
                    debug,
                    caller,
                    self.key,
                    cache.status = "stale",
                    "cache entry stale: this call refreshes it; concurrent calls are served the \
                     stale value meanwhile"
                );
                let lease = HeldLease::renewed(
                    Arc::clone(&self.backend),
                    Arc::clone(&self.key),
                    owner,
                    length,
                );
                let mut pending = self;
                // This process's concurrent calls are served the stale value now.
                if let Some(leader) = pending.leader.take() {
                    leader.land(bytes);
                }
                caller.metrics.miss();
                let slot = Box::new(pending.slot(Some(lease), true, caller));
                Acquired::Refresh { slot, stale }
            }
            Ok(false) => self.served(
                Some(stale),
                bytes,
                caller,
                " (stale: another call is refreshing it)",
            ),
            Err(error) => {
                health::fallback(&self.backend, caller, &self.key, &error, "taking the lease");
                self.served(Some(stale), bytes, caller, " (stale)")
            }
        }
    }

    /// The verdict for stored `bytes` that decoded to `outcome` (`None`: unreadable).
    fn served<R>(
        self,
        outcome: Option<R>,
        bytes: &[u8],
        caller: &Caller<'_>,
        how: &str,
    ) -> Acquired<R> {
        let Some(outcome) = outcome else {
            // Counted as a fallback (an unreadable entry) where it was found, not as a miss.
            return self.into_slot(None, true, caller);
        };
        caller.metrics.hit();
        event!(
            debug,
            caller,
            self.key,
            cache.status = "hit",
            "cache hit{how}"
        );
        if let Some(leader) = self.leader {
            leader.land(bytes);
        }
        Acquired::Hit(outcome)
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
        Acquired::Run(Box::new(self.slot(lease, store, caller)))
    }

    fn slot(self, lease: Option<HeldLease>, store: bool, caller: &Caller<'_>) -> Slot {
        let Self {
            spec,
            backend,
            key,
            leader,
            revalidates: _,
        } = self;
        let caller = caller.owned();
        Slot::new(spec, backend, key, leader, lease, store, caller)
    }
}
