//! Removing a cached result by hand: the runtime side of `invalidate_cache!`.

use std::fmt;

use temporalio_common::ActivityDefinition;

use crate::backend::{BackendError, SharedBackend};
use crate::global;
use crate::key::{KeyBuilder, KeySink};
use crate::spec::CacheSpec;

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

/// The entry of one activity call to remove, built by the code `#[cached_activity]` generates.
#[doc(hidden)]
pub struct Invalidation {
    entry: Option<Described>,
}

struct Described {
    activity_type: String,
    own_backend: Option<SharedBackend>,
    key: KeyBuilder,
}

impl KeySink for Invalidation {
    fn key_builder(&mut self) -> Option<&mut KeyBuilder> {
        self.entry.as_mut().map(|entry| &mut entry.key)
    }
}

impl Invalidation {
    /// Starts describing the entry of `activity_type` under the activity's settings.
    pub fn new(
        spec: &'static CacheSpec,
        activity_type: &str,
        own_backend: Option<SharedBackend>,
    ) -> Self {
        Self {
            entry: Some(Described {
                activity_type: activity_type.to_owned(),
                own_backend,
                key: KeyBuilder::new(spec, activity_type),
            }),
        }
    }

    /// The invalidation of a `no_cache` activity, which never has an entry.
    pub fn nothing() -> Self {
        Self { entry: None }
    }

    /// Removes the entry. `Ok(true)` if there was one.
    pub async fn run(self) -> Result<bool, InvalidateError> {
        match self.entry {
            Some(entry) if !cfg!(feature = "disabled") => entry.remove().await,
            _ => Ok(false),
        }
    }
}

impl Described {
    async fn remove(self) -> Result<bool, InvalidateError> {
        let backend = self
            .own_backend
            .or_else(global::cache_backend)
            .ok_or(InvalidateError::NoBackend)?;
        let key = self
            .key
            .finish(backend.key_prefix(), &self.activity_type)
            .map_err(|error| InvalidateError::Input(error.to_string()))?;
        let removed = backend
            .delete(&key)
            .await
            .map_err(InvalidateError::Backend)?;
        tracing::debug!(
            target: "temporal_cache",
            activity_type = %self.activity_type,
            key,
            removed,
            "cache invalidate"
        );
        Ok(removed)
    }
}

/// The registered activity type name of an activity marker (`MyActivities::fetch_user`).
#[doc(hidden)]
pub fn activity_name<M: ActivityDefinition>(marker: &M) -> &str {
    marker.name()
}
