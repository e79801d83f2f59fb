//! A call's stored value on its way in and out of the backend: the outcome's codec, the backend's
//! size limit, and the log line for each value that cannot be read or written.

use crate::log::{Caller, event};
use crate::outcome::OutcomeCodec;

/// Decodes an entry read from the backend; an unreadable one is logged and counts as a miss.
pub(crate) fn decode<R>(
    bytes: &[u8],
    codec: OutcomeCodec<R>,
    caller: &Caller,
    key: &str,
) -> Option<R> {
    match codec.decode(bytes) {
        Ok(outcome) => Some(outcome),
        Err(error) => {
            event!(warn, caller, key, %error,
                "cache miss: the stored entry is unreadable and will be overwritten");
            None
        }
    }
}

/// The bytes to store for `outcome`: `None` for an error, or (logged) for a value that cannot be
/// encoded or is larger than `limit` bytes.
pub(crate) fn encode<R>(
    outcome: &R,
    codec: OutcomeCodec<R>,
    limit: usize,
    caller: &Caller,
    key: &str,
) -> Option<Vec<u8>> {
    match codec.encode(outcome)? {
        Ok(bytes) if bytes.len() > limit => {
            event!(
                warn,
                caller,
                key,
                bytes = bytes.len(),
                limit,
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
