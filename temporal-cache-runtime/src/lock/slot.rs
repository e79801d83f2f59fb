//! Where a call that runs its body puts the result: the entry, the lease it may hold, and the
//! flight its followers wait on.

use std::sync::Arc;
use std::time::Duration;

use super::flight::Leader;
use super::lease::HeldLease;
use crate::backend::health;
use crate::backend::{BackendError, BackendErrorKind, SharedBackend, Storage};
use crate::log::{Caller, OwnedCaller, event};
use crate::metrics::FallbackReason;
use crate::outcome::OutcomeCodec;
use crate::spec::CacheSpec;
use crate::value;

/// What a call that runs its body holds until it has a result.
pub(crate) struct Slot {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: Arc<str>,
    /// The flight this call leads, if other calls in this process may follow it.
    leader: Option<Leader>,
    /// The entry's lease, if this call took it.
    lease: Option<HeldLease>,
    /// Whether the result is stored: not after the backend failed to answer this call.
    store: bool,
    /// Who the call is for, for the log events of storing.
    caller: OwnedCaller,
}

impl Slot {
    pub(super) fn new(
        spec: &'static CacheSpec,
        backend: SharedBackend,
        key: Arc<str>,
        leader: Option<Leader>,
        lease: Option<HeldLease>,
        store: bool,
        caller: OwnedCaller,
    ) -> Self {
        Self {
            spec,
            backend,
            key,
            leader,
            lease,
            store,
            caller,
        }
    }

    /// The largest value the backend stores, in bytes.
    fn max_value_bytes(&self) -> usize {
        self.backend.max_value_bytes()
    }

    /// How the backend stores values.
    fn storage(&self) -> &Storage {
        self.backend.storage()
    }

    /// The body returned `outcome` after running for `took`: what the call answers (see
    /// [`answer`](Self::answer)), and the first step of the result's stored form (`None` if it is
    /// not stored: an error, or a value that could not be encoded). Only a result that may be
    /// stored counts as a body run in the metrics.
    pub(crate) fn conclude<R>(
        &self,
        outcome: R,
        stale: Option<R>,
        codec: OutcomeCodec<R>,
        took: Duration,
    ) -> (R, Option<value::Raw>) {
        let raw = value::raw(&outcome, codec, self.storage());
        if raw.is_some() {
            self.caller.as_caller().metrics.body_ran(took);
        }
        (self.answer(outcome, stale, codec), raw)
    }

    /// The bytes to store for the body's result, whose first step is `raw`.
    pub(crate) async fn stored_form(&self, raw: Option<value::Raw>) -> Option<Vec<u8>> {
        let raw = raw?;
        let caller = self.caller.as_caller();
        value::stored_form(
            raw,
            self.storage(),
            self.max_value_bytes(),
            &caller,
            &self.key,
            self.spec.fresh_until_from_now(),
        )
        .await
    }

    /// What the call answers when its body returned `outcome`: for a call that refreshed a
    /// stale entry, `stale` instead of a failure the activity's `on_error` covers (with a
    /// warning and a fallback counted); else `outcome`.
    fn answer<R>(&self, outcome: R, stale: Option<R>, codec: OutcomeCodec<R>) -> R {
        let (Some(stale), Some(failure)) = (stale, codec.failure(&outcome)) else {
            return outcome;
        };
        if !self.spec.on_error.serves_stale(failure) {
            return outcome;
        }
        let caller = self.caller.as_caller();
        caller.metrics.fallback(FallbackReason::StaleOnError);
        event!(
            warn,
            caller,
            self.key,
            ?failure,
            cache.status = "stale",
            "cache served the stale value: the activity body failed while refreshing it, and \
             the activity's on_error serves the stale value instead of the error"
        );
        stale
    }

    /// Stores the body's result (`None` if it may not be stored: an error, or a value that could
    /// not be encoded), releases the lease and ends the flight. The followers in this process get
    /// the result even when it is not stored.
    pub(crate) async fn finish(self, bytes: Option<Vec<u8>>) {
        let Self {
            spec,
            backend,
            key,
            leader,
            lease,
            store,
            caller,
        } = self;
        let caller = &caller.as_caller();
        let owner = lease.map(HeldLease::into_owner);
        match (bytes.as_ref().filter(|_| store), owner) {
            (Some(bytes), Some(owner)) => {
                let stored = backend
                    .complete(&key, &owner, bytes, spec.stored_ttl())
                    .await;
                match stored {
                    Ok(false) => {
                        event!(
                            debug,
                            caller,
                            key,
                            "cache store skipped: the entry was invalidated while the body ran \
                             (or its lease lapsed), so this result may be stale"
                        );
                    }
                    stored => {
                        // Waiters would otherwise wait out the lease for a value that never
                        // comes; but a store that timed out has cost its deadline already, and a
                        // release would too.
                        if let Err(kind) =
                            stored_event(&backend, stored.map(|_| ()), caller, &key, bytes.len())
                            && kind != BackendErrorKind::Timeout
                        {
                            release(&backend, &key, &owner, caller).await;
                        }
                    }
                }
            }
            // Only when the backend refused the lease commands (an ACL without `EVALSHA`, say)
            // or the entry was unreadable: a plain store, which no invalidation can fence.
            (Some(bytes), None) => {
                let stored = backend.set(&key, bytes, spec.stored_ttl()).await;
                let _ = stored_event(&backend, stored, caller, &key, bytes.len());
            }
            // The body failed: hand the lease over at once instead of letting it expire.
            (None, Some(owner)) => release(&backend, &key, &owner, caller).await,
            (None, None) => {}
        }
        // Without a value, dropping the leader abandons the flight: a follower leads anew.
        if let (Some(leader), Some(bytes)) = (leader, bytes) {
            leader.land(&bytes);
        }
    }
}

/// Logs and counts how a store of `written` bytes went; the kind of its error if it failed.
fn stored_event(
    backend: &SharedBackend,
    result: Result<(), BackendError>,
    caller: &Caller<'_>,
    key: &str,
    written: usize,
) -> Result<(), BackendErrorKind> {
    match health::healthy(backend, key, result) {
        Ok(()) => {
            caller.metrics.stored(written);
            event!(debug, caller, key, "cache store");
            Ok(())
        }
        Err(error) => {
            health::store_failed(backend, caller, key, &error);
            Err(error.kind())
        }
    }
}

/// Releases `owner`'s lease so that a waiter takes over; if that fails too, the lease expires by
/// itself.
async fn release(backend: &SharedBackend, key: &str, owner: &str, caller: &Caller<'_>) {
    if let Err(error) = backend.release(key, owner).await {
        event!(warn, caller, key, %error, "cache lease release failed; it expires by itself");
    }
}
