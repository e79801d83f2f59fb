//! What a Redis failure means to the cache: the [`BackendErrorKind`] that decides whether it
//! counts towards opening the circuit, and a message that says what to fix.

use std::time::{Duration, Instant};

use ::redis::{ErrorKind, RedisError, Value};

use crate::backend::{BackendError, BackendErrorKind};

pub(super) fn unexpected(reply: &Value) -> BackendError {
    BackendError::new(
        BackendErrorKind::Rejected,
        format!("unexpected reply from a temporal-cache script: {reply:?}"),
    )
}

/// `operation`, failed with a timeout if it takes longer than `timeout`.
pub(super) async fn bounded<T>(
    timeout: Duration,
    operation: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, BackendError> {
    bounded_until(Instant::now() + timeout, operation).await
}

/// `operation`, failed with a timeout if it has not ended by `deadline`.
pub(super) async fn bounded_until<T>(
    deadline: Instant,
    operation: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, BackendError> {
    tokio::time::timeout_at(deadline.into(), operation)
        .await
        .map_err(|_| BackendError::timeout())?
        .map_err(to_backend_error)
}

pub(super) fn to_backend_error(error: RedisError) -> BackendError {
    if error.code() == Some("NOPERM") {
        // The server answers, but this user may not run one of the cache's commands: a
        // deployment mistake the warning must name, and no reason to stop using Redis.
        return BackendError::new(
            BackendErrorKind::Rejected,
            format!(
                "the Redis user lacks a permission the cache needs (the README's \"Production \
                 Redis\" section has the exact ACL rule): {error}"
            ),
        );
    }
    let kind = if error.is_timeout() {
        BackendErrorKind::Timeout
    } else if matches!(
        error.code(),
        Some("CLUSTERDOWN" | "MOVED" | "ASK" | "TRYAGAIN" | "MASTERDOWN")
    ) {
        // A cluster whose topology is changing under the call (a failover, a resharding) that
        // redis-rs's retries did not outlast: the slot is out of reach for now.
        BackendErrorKind::Unavailable
    } else if error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.kind() == ErrorKind::Io
    {
        BackendErrorKind::Unavailable
    } else if matches!(
        error.kind(),
        ErrorKind::InvalidClientConfig | ErrorKind::AuthenticationFailed
    ) || error.code() == Some("NOAUTH")
        || error.code() == Some("WRONGPASS")
    {
        BackendErrorKind::Configuration
    } else {
        BackendErrorKind::Rejected
    };
    BackendError::new(kind, error)
}
