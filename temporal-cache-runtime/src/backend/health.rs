//! One warning per outage of each backend: the first failure of a backend after a success is a
//! warning, the ones that follow it are debug events, and the first success afterwards says that
//! backend is back.
//!
//! During an outage every cached call fails over to its body; a warning per call would bury the
//! one line that matters. The state is kept per backend: with one activity's backend down and
//! another's up, calls alternating between them log one outage, not one per alternation.
//!
//! A refusal (the backend answers, but rejects one command: a missing ACL permission, a read-only
//! replica, a full Redis) is no outage, since the next command may well succeed: each distinct
//! refusal is a warning once per backend, then a debug event.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::{BackendError, BackendErrorKind, CacheBackend, SharedBackend};
use crate::log::{Caller, TARGET, event};
use crate::metrics::FallbackReason;

/// Logs a backend failure that makes the call run uncached.
pub(crate) fn fallback(
    backend: &SharedBackend,
    caller: &Caller<'_>,
    key: &str,
    error: &BackendError,
    what: &str,
) {
    report(
        backend,
        caller,
        key,
        error,
        what,
        "running the activity uncached",
    );
}

/// Logs a store that failed: the result is returned but not cached.
pub(crate) fn store_failed(
    backend: &SharedBackend,
    caller: &Caller<'_>,
    key: &str,
    error: &BackendError,
) {
    report(
        backend,
        caller,
        key,
        error,
        "storing the result",
        "it is returned but not cached",
    );
}

/// Logs that `what` failed, with its consequence: a warning if the failure starts an outage of
/// the part of `backend` that holds `key` (or is a refusal not seen before), a debug event
/// otherwise. Every one counts as a fallback.
fn report(
    backend: &SharedBackend,
    caller: &Caller<'_>,
    key: &str,
    error: &BackendError,
    what: &str,
    consequence: &str,
) {
    caller.metrics.fallback(FallbackReason::of(error.kind()));
    if failure_is_news(backend, key, error) {
        event!(warn, caller, key, %error, cache.status = "fallback",
            "cache fallback: {what} failed; {consequence} (further failures are logged at debug \
             level until the backend answers again)");
    } else {
        event!(debug, caller, key, %error, cache.status = "fallback",
            "cache fallback: {what} failed; {consequence}");
    }
}

/// Passes a backend result for `key` through, noting a success of the part of `backend` that
/// holds it.
pub(crate) fn healthy<T>(
    backend: &SharedBackend,
    key: &str,
    result: Result<T, BackendError>,
) -> Result<T, BackendError> {
    if result.is_ok() {
        succeeded(backend, key);
    }
    result
}

/// A backend this state is about. It holds the backend weakly: the entry neither keeps the
/// backend alive nor lets its address be taken by a new backend while the entry exists (a `Weak`
/// keeps the allocation), so a backend made after another was dropped never inherits its state.
/// With the backend, the fault domain of the key (see [`CacheBackend::fault_domain`]).
struct Tracked {
    backend: Weak<dyn CacheBackend>,
    domain: u64,
}

impl Tracked {
    fn of(backend: &SharedBackend, key: &str) -> Self {
        Self {
            backend: Arc::downgrade(backend),
            domain: backend.fault_domain(key),
        }
    }

    /// The same part of the same backend: every clone of its `Arc` (so a per-activity backend
    /// given as `&*STATIC` keeps its state across calls).
    fn is(&self, other: &Self) -> bool {
        self.domain == other.domain && Weak::ptr_eq(&self.backend, &other.backend)
    }

    fn is_dropped(&self) -> bool {
        self.backend.strong_count() == 0
    }
}

/// The backends in an outage. The count beside the list keeps the common case (no outage
/// anywhere) to one uncontended atomic read per call.
static FAILING: Mutex<Vec<Tracked>> = Mutex::new(Vec::new());
static FAILING_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Whether this failure should be logged as a warning: the first of `backend`'s streak, and not
/// one that only reports an open circuit (the breaker logs its own state changes).
fn failure_is_news(backend: &SharedBackend, key: &str, error: &BackendError) -> bool {
    match error.kind() {
        BackendErrorKind::CircuitOpen => return false,
        BackendErrorKind::Rejected => return refusal_is_news(backend, error),
        _ => {}
    }
    let part = Tracked::of(backend, key);
    let mut failing = FAILING.lock().unwrap_or_else(PoisonError::into_inner);
    failing.retain(|tracked| !tracked.is_dropped());
    let news = !failing.iter().any(|tracked| tracked.is(&part));
    if news {
        failing.push(part);
    }
    FAILING_COUNT.store(failing.len(), Ordering::Relaxed);
    news
}

/// Notes a successful call of `backend` for `key`; logs the end of that part's outage once.
fn succeeded(backend: &SharedBackend, key: &str) {
    if FAILING_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let part = Tracked::of(backend, key);
    let mut failing = FAILING.lock().unwrap_or_else(PoisonError::into_inner);
    let ended = failing.iter().any(|tracked| tracked.is(&part));
    failing.retain(|tracked| !tracked.is(&part) && !tracked.is_dropped());
    FAILING_COUNT.store(failing.len(), Ordering::Relaxed);
    drop(failing);
    if ended {
        tracing::info!(target: TARGET, prefix = backend.key_prefix(), "cache backend answers again");
    }
}

/// The refusals already warned about, by backend and message; bounded, so that messages that
/// vary without end cannot grow it.
static REFUSALS: Mutex<Vec<(Weak<dyn CacheBackend>, String)>> = Mutex::new(Vec::new());
const MAX_REFUSALS: usize = 256;

fn refusal_is_news(backend: &SharedBackend, error: &BackendError) -> bool {
    let message = error.to_string();
    let mut refusals = REFUSALS.lock().unwrap_or_else(PoisonError::into_inner);
    refusals.retain(|(tracked, _)| tracked.strong_count() > 0);
    let this = Arc::downgrade(backend);
    let known = refusals
        .iter()
        .any(|(tracked, seen)| Weak::ptr_eq(tracked, &this) && *seen == message);
    if known || refusals.len() >= MAX_REFUSALS {
        return false;
    }
    refusals.push((this, message));
    true
}
