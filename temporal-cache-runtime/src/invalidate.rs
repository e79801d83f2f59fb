//! Removing a cached result by hand: the runtime side of `invalidate_cache!`.

use std::fmt;
use std::future::Future;

use temporalio_common::ActivityDefinition;

use crate::backend::BackendError;
use crate::entry::{Described, Entry};
use crate::log::TARGET;

/// Why [`invalidate_cache!`](crate::invalidate_cache) could not remove an entry.
#[derive(Debug)]
#[non_exhaustive]
pub enum InvalidateError {
    /// The activity has no backend of its own and no global backend is set.
    NoBackend,
    /// An input could not be hashed into a key (its `Serialize` implementation failed).
    Input(String),
    /// The backend failed.
    Backend(BackendError),
}

impl fmt::Display for InvalidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoBackend => f.write_str(
                "no cache backend: the activity has none of its own and none is set globally",
            ),
            Self::Input(error) => write!(f, "an input could not be hashed into a key: {error}"),
            Self::Backend(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for InvalidateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Backend(error) => Some(error),
            _ => None,
        }
    }
}

/// Removes the entry a call would read. `Ok(true)` if there was one; `Ok(false)` without touching
/// any backend when caching is off (by the cargo feature or the environment variable) or the
/// activity is `no_cache`. The key is finished before the returned future exists, so that its
/// hasher never takes room in it.
#[doc(hidden)]
pub fn invalidate(entry: Entry) -> impl Future<Output = Result<bool, InvalidateError>> {
    let described = entry.describe();
    async move {
        let keyed = match described {
            Ok(Described::Keyed(keyed)) => keyed,
            Ok(Described::Off) => return Ok(false),
            Ok(Described::NoBackend) => return Err(InvalidateError::NoBackend),
            Err(error) => return Err(InvalidateError::Input(error.to_string())),
        };
        let removed = keyed
            .backend
            .delete(&keyed.key)
            .await
            .map_err(InvalidateError::Backend)?;
        tracing::debug!(target: TARGET, key = &*keyed.key, removed, "cache invalidate");
        Ok(removed)
    }
}

/// The registered activity type name of an activity marker (`MyActivities::fetch_user`).
pub(crate) fn activity_name<M: ActivityDefinition>(marker: &M) -> &str {
    marker.name()
}
