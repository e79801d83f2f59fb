//! One warning per outage: the first backend failure after a success is a warning, the ones that
//! follow it are debug events, and the first success afterwards says the backend is back.
//!
//! During an outage every cached call fails over to its body; a warning per call would bury the
//! one line that matters.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::backend::{BackendError, BackendErrorKind};

static FAILING: AtomicBool = AtomicBool::new(false);

/// Whether this failure should be logged as a warning: the first of a streak, and not one that
/// only reports an open circuit (the breaker logs its own state changes).
pub(crate) fn failure_is_news(error: &BackendError) -> bool {
    error.kind() != BackendErrorKind::CircuitOpen && !FAILING.swap(true, Ordering::Relaxed)
}

/// Notes a successful backend call; logs the end of an outage once.
pub(crate) fn succeeded() {
    // A load first keeps the common case (no outage) to one uncontended read.
    if FAILING.load(Ordering::Relaxed) && FAILING.swap(false, Ordering::Relaxed) {
        tracing::info!(target: "temporal_cache", "cache backend answers again");
    }
}
