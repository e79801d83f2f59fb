//! One call of a cached activity: look the key up, serve a hit, or run the body and store.
//!
//! Nothing here may fail the activity: every backend or encoding problem is logged and turns into
//! a miss (or a skipped store), and the body's own outcome is what the caller gets.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use temporalio_sdk::activities::ActivityContext;

use crate::backend::{BackendError, BackendErrorKind, SharedBackend};
use crate::envelope;
use crate::global;
use crate::key::KeyBuilder;
use crate::outcome::{KeyInput, Outcome};
use crate::spec::CacheSpec;

const TARGET: &str = "temporal_cache";

/// How long a sync activity waits for one cache operation it hands to the Tokio runtime. The
/// backend's own deadline normally ends an operation much sooner; this only bounds the case where
/// the runtime cannot make progress (a sync activity called on a runtime thread).
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

/// A call whose key is known: what the lookup and the store work on.
struct Entry {
    spec: &'static CacheSpec,
    backend: SharedBackend,
    key: String,
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

    /// Adds the input at `position` to the key.
    pub fn input<T: KeyInput + ?Sized>(&mut self, position: u8, value: &T) {
        if let Some(prepared) = &mut self.state {
            prepared.key.input(position, value);
        }
    }

    fn into_entry(self, ctx: &ActivityContext) -> Option<Entry> {
        let prepared = self.state?;
        let info = ctx.info();
        match prepared
            .key
            .finish(prepared.backend.key_prefix(), &info.activity_type)
        {
            Ok(key) => Some(Entry {
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

/// Where a call's log events come from.
struct Origin<'a> {
    activity_type: &'a str,
    workflow_id: Option<&'a str>,
}

impl<'a> Origin<'a> {
    fn of(ctx: &'a ActivityContext) -> Self {
        let info = ctx.info();
        Self {
            activity_type: &info.activity_type,
            workflow_id: info.workflow_id.as_deref(),
        }
    }
}

impl Entry {
    /// Interprets what the backend returned for the key: a value to serve, or a miss.
    fn read<T: serde::de::DeserializeOwned>(
        &self,
        fetched: Result<Option<Vec<u8>>, BackendError>,
        origin: &Origin<'_>,
    ) -> Option<T> {
        let (activity_type, workflow_id, key) =
            (origin.activity_type, origin.workflow_id, &self.key);
        match fetched {
            Ok(Some(bytes)) => match envelope::decode(&bytes) {
                Ok(value) => {
                    tracing::debug!(target: TARGET, activity_type, workflow_id, key, "cache hit");
                    Some(value)
                }
                Err(error) => {
                    tracing::warn!(
                        target: TARGET,
                        activity_type,
                        workflow_id,
                        key,
                        %error,
                        "cache miss: the stored entry is unreadable and will be overwritten"
                    );
                    None
                }
            },
            Ok(None) => {
                tracing::debug!(target: TARGET, activity_type, workflow_id, key, "cache miss");
                None
            }
            Err(error) => {
                tracing::warn!(
                    target: TARGET,
                    activity_type,
                    workflow_id,
                    key,
                    %error,
                    "cache fallback: lookup failed; running the activity uncached"
                );
                None
            }
        }
    }

    fn encode<T: serde::Serialize>(&self, value: &T, origin: &Origin<'_>) -> Option<Vec<u8>> {
        match envelope::encode(value) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                tracing::warn!(
                    target: TARGET,
                    activity_type = origin.activity_type,
                    workflow_id = origin.workflow_id,
                    key = %self.key,
                    %error,
                    "cache fallback: the result could not be encoded; it is returned but not stored"
                );
                None
            }
        }
    }

    fn stored(&self, result: Result<(), BackendError>, origin: &Origin<'_>) {
        let (activity_type, workflow_id, key) =
            (origin.activity_type, origin.workflow_id, &self.key);
        match result {
            Ok(()) => {
                tracing::debug!(target: TARGET, activity_type, workflow_id, key, "cache store");
            }
            Err(error) => {
                tracing::warn!(
                    target: TARGET,
                    activity_type,
                    workflow_id,
                    key,
                    %error,
                    "cache fallback: storing the result failed; it is returned but not cached"
                );
            }
        }
    }
}

/// Runs an async cached activity: serves a hit, or runs `body` and stores its successful result.
#[doc(hidden)]
pub async fn run<R, F, Fut>(call: CachedCall, ctx: ActivityContext, body: F) -> R
where
    R: Outcome,
    F: FnOnce(ActivityContext) -> Fut,
    Fut: Future<Output = R>,
{
    let Some(entry) = call.into_entry(&ctx) else {
        return body(ctx).await;
    };
    let fetched = entry.backend.get(&entry.key).await;
    if let Some(value) = entry.read(fetched, &Origin::of(&ctx)) {
        return R::from_cached(value);
    }
    let activity_type = ctx.info().activity_type.clone();
    let workflow_id = ctx.info().workflow_id.clone();
    let outcome = body(ctx).await;
    let origin = Origin {
        activity_type: &activity_type,
        workflow_id: workflow_id.as_deref(),
    };
    if let Some(bytes) = outcome
        .cacheable()
        .and_then(|value| entry.encode(value, &origin))
    {
        let stored = entry.backend.set(&entry.key, &bytes, entry.spec.ttl).await;
        entry.stored(stored, &origin);
    }
    outcome
}

/// Runs a sync cached activity (on the blocking thread the SDK runs it on), driving the async
/// backend through the current Tokio runtime.
#[doc(hidden)]
pub fn run_blocking<R, F>(call: CachedCall, ctx: ActivityContext, body: F) -> R
where
    R: Outcome,
    F: FnOnce(ActivityContext) -> R,
{
    let Some(entry) = call.into_entry(&ctx) else {
        return body(ctx);
    };
    let fetched = {
        let (backend, key) = (entry.backend.clone(), entry.key.clone());
        block_on_backend(async move { backend.get(&key).await })
    };
    if let Some(value) = entry.read(fetched, &Origin::of(&ctx)) {
        return R::from_cached(value);
    }
    let activity_type = ctx.info().activity_type.clone();
    let workflow_id = ctx.info().workflow_id.clone();
    let outcome = body(ctx);
    let origin = Origin {
        activity_type: &activity_type,
        workflow_id: workflow_id.as_deref(),
    };
    if let Some(bytes) = outcome
        .cacheable()
        .and_then(|value| entry.encode(value, &origin))
    {
        let (backend, key, ttl) = (entry.backend.clone(), entry.key.clone(), entry.spec.ttl);
        let stored = block_on_backend(async move { backend.set(&key, &bytes, ttl).await });
        entry.stored(stored, &origin);
    }
    outcome
}

/// Runs a backend operation on the current Tokio runtime from a thread that may block, and waits
/// for it, at most [`BLOCKING_BRIDGE_LIMIT`].
///
/// The operation is spawned as a task rather than driven with `Handle::block_on`, which panics
/// when the calling thread is itself a runtime thread; here that case ends in a timeout (a miss).
fn block_on_backend<T: Send + 'static>(
    operation: impl Future<Output = Result<T, BackendError>> + Send + 'static,
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
        .recv_timeout(BLOCKING_BRIDGE_LIMIT)
        .unwrap_or_else(|_| Err(BackendError::timeout()))
}
