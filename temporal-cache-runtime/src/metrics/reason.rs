//! Why the cache was gone around: the `reason` label of `temporal_cache_fallbacks`.

use crate::backend::BackendErrorKind;

/// Why a cache operation failed and the call went on without the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FallbackReason {
    /// The backend did not answer within its deadline (or a sync activity's bridge to it).
    Timeout,
    /// The backend could not be reached, or the connection broke.
    Connection,
    /// The backend's circuit breaker is open after repeated failures: it was not even asked.
    CircuitOpen,
    /// The backend answered with an error (a missing ACL permission, a read-only replica, ...), or
    /// does not offer the operation.
    Rejected,
    /// The backend is configured wrongly (an unparsable URL, a wrong password).
    Configuration,
    /// A stored entry could not be read back (corrupt, of another format, failing decryption):
    /// the body ran and its result overwrote the entry.
    UnreadableEntry,
    /// The body's result could not be encoded (a failing `Serialize` or DataConverter): it was
    /// returned but not stored.
    Encode,
    /// An input could not be hashed into a key: the call ran uncached.
    UnhashableInput,
    /// The body failed while refreshing a stale entry, and the activity's `on_error` answered
    /// the call with the stale value instead of the failure.
    StaleOnError,
}

impl FallbackReason {
    /// Every reason, in the order of their label values.
    pub const ALL: [Self; 9] = [
        Self::Timeout,
        Self::Connection,
        Self::CircuitOpen,
        Self::Rejected,
        Self::Configuration,
        Self::UnreadableEntry,
        Self::Encode,
        Self::UnhashableInput,
        Self::StaleOnError,
    ];

    /// The value of the `reason` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connection => "connection",
            Self::CircuitOpen => "circuit_open",
            Self::Rejected => "rejected",
            Self::Configuration => "configuration",
            Self::UnreadableEntry => "unreadable_entry",
            Self::Encode => "encode",
            Self::UnhashableInput => "unhashable_input",
            Self::StaleOnError => "stale_on_error",
        }
    }

    /// The reason a backend error of `kind` gives.
    pub(crate) const fn of(kind: BackendErrorKind) -> Self {
        match kind {
            BackendErrorKind::Timeout => Self::Timeout,
            BackendErrorKind::Unavailable => Self::Connection,
            // A backend that does not offer an operation refuses it, as one that rejects it.
            BackendErrorKind::Rejected | BackendErrorKind::Unsupported => Self::Rejected,
            BackendErrorKind::Configuration => Self::Configuration,
            BackendErrorKind::CircuitOpen => Self::CircuitOpen,
        }
    }

    /// Its position in [`Self::ALL`], for arrays indexed by reason.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_sits_at_its_index() {
        for (position, reason) in FallbackReason::ALL.into_iter().enumerate() {
            assert_eq!(reason.index(), position, "{reason}");
        }
    }

    #[test]
    fn label_values_are_distinct_snake_case() {
        let mut values: Vec<&str> = FallbackReason::ALL.map(FallbackReason::as_str).to_vec();
        assert!(
            values
                .iter()
                .all(|value| value.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), FallbackReason::ALL.len());
    }
}
