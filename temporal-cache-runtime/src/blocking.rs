//! The bridge from a sync activity, which the SDK runs on a blocking thread, to the async backend.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use crate::backend::{BackendError, BackendErrorKind};

/// How long a sync activity waits for one cache operation it hands to the Tokio runtime, beyond
/// any lock wait. The backend's own deadline normally ends an operation much sooner; this only
/// bounds the case where the runtime cannot make progress (a sync activity called on a runtime
/// thread).
pub(crate) const BRIDGE_LIMIT: Duration = Duration::from_secs(1);

/// Runs `operation` on the current Tokio runtime from a thread that may block, and waits for
/// it, at most `limit`.
///
/// The operation is spawned as a task rather than driven with `Handle::block_on`, which panics
/// when the calling thread is itself a runtime thread; there, this ends in a timeout instead.
pub(crate) fn wait_for<T: Send + 'static>(
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
