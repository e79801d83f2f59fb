//! One warning per outage of each backend: the first failure of a backend after a success is a
//! warning, the ones that follow it are debug events, and the first success afterwards says that
//! backend is back.
//!
//! During an outage every cached call fails over to its body; a warning per call would bury the
//! one line that matters. The state is kept per backend: with one activity's backend down and
//! another's up, calls alternating between them log one outage, not one per alternation.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::{BackendError, BackendErrorKind, SharedBackend};
use crate::log::{Caller, TARGET, event};

/// Logs a backend failure that makes the call run uncached: a warning if it starts an outage of
/// `backend`, a debug event otherwise.
pub(crate) fn fallback(
    backend: &SharedBackend,
    caller: &Caller,
    key: &str,
    error: &BackendError,
    what: &str,
) {
    if failure_is_news(backend, error) {
        event!(warn, caller, key, %error,
            "cache fallback: {what} failed; running the activity uncached (further failures \
             are logged at debug level until the backend answers again)");
    } else {
        event!(debug, caller, key, %error, "cache fallback: {what} failed; running the activity uncached");
    }
}

/// Logs a store that failed: the result is returned but not cached.
pub(crate) fn store_failed(
    backend: &SharedBackend,
    caller: &Caller,
    key: &str,
    error: &BackendError,
) {
    if failure_is_news(backend, error) {
        event!(warn, caller, key, %error,
            "cache fallback: storing the result failed; it is returned but not cached");
    } else {
        event!(debug, caller, key, %error,
            "cache fallback: storing the result failed; it is returned but not cached");
    }
}

/// Passes a backend result through, noting a success of `backend`.
pub(crate) fn healthy<T>(
    backend: &SharedBackend,
    result: Result<T, BackendError>,
) -> Result<T, BackendError> {
    if result.is_ok() {
        succeeded(backend);
    }
    result
}

/// The backends in an outage, by address. The count beside the set keeps the common case (no
/// outage anywhere) to one uncontended atomic read per call.
static FAILING: Mutex<Option<HashSet<usize>>> = Mutex::new(None);
static FAILING_COUNT: AtomicUsize = AtomicUsize::new(0);

/// A backend's identity: the address of the shared value, the same for every clone of its `Arc`
/// (so a per-activity backend given as `&*STATIC` keeps its state across calls).
fn identity(backend: &SharedBackend) -> usize {
    Arc::as_ptr(backend).cast::<()>() as usize
}

/// Whether this failure should be logged as a warning: the first of `backend`'s streak, and not
/// one that only reports an open circuit (the breaker logs its own state changes).
fn failure_is_news(backend: &SharedBackend, error: &BackendError) -> bool {
    if error.kind() == BackendErrorKind::CircuitOpen {
        return false;
    }
    let mut failing = FAILING.lock().unwrap_or_else(PoisonError::into_inner);
    let news = failing
        .get_or_insert_with(HashSet::new)
        .insert(identity(backend));
    if news {
        FAILING_COUNT.fetch_add(1, Ordering::Relaxed);
    }
    news
}

/// Notes a successful call of `backend`; logs the end of its outage once.
fn succeeded(backend: &SharedBackend) {
    if FAILING_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let mut failing = FAILING.lock().unwrap_or_else(PoisonError::into_inner);
    if failing
        .as_mut()
        .is_some_and(|failing| failing.remove(&identity(backend)))
    {
        FAILING_COUNT.fetch_sub(1, Ordering::Relaxed);
        drop(failing);
        tracing::info!(target: TARGET, prefix = backend.key_prefix(), "cache backend answers again");
    }
}
