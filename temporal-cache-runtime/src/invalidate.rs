//! Removing cached results by hand: the runtime side of `invalidate_cache!` (one entry) and
//! `invalidate_activity!` (every entry of an activity), and the companion both macros read the
//! activity's settings from.
//!
//! An invalidation wins over calls already running: the backend removes the entries' leases with
//! them, so a body that started before the invalidation cannot store its result (see
//! [`CacheBackend::complete`](crate::CacheBackend::complete)); and the in-process flights of the
//! entries are closed to newcomers, so a call made after the invalidation returned is never handed
//! such a body's result either.

use std::fmt;
use std::future::Future;

use temporalio_common::ActivityDefinition;

use crate::backend::{BackendError, SharedBackend};
use crate::entry::{Described, Entry};
use crate::global;
use crate::key::{self, Scope};
use crate::lock;
use crate::log::TARGET;
use crate::spec::{CacheSpec, Namespaces};

/// What `#[cached_activity]` emits for the invalidation macros (through the activity's hidden
/// companion function): the activity's cache, and how one call's entry is described.
#[doc(hidden)]
pub struct Companion<F> {
    /// The settings all the activity's entries share.
    pub activity: ActivityCache,
    /// Describes the entry of one call, from its scope and inputs.
    pub describe: F,
}

/// One call's entry, once its inputs are given: a function of the scope (activity type and
/// namespace) the invalidation names.
#[doc(hidden)]
pub struct ScopedEntry(Box<dyn for<'a> FnOnce(Scope<'a>) -> Entry>);

impl ScopedEntry {
    /// The entry `describe` builds in a scope.
    pub fn new(describe: impl for<'a> FnOnce(Scope<'a>) -> Entry + 'static) -> Self {
        Self(Box::new(describe))
    }

    /// No entry: a `no_cache` activity's.
    pub fn nothing() -> Self {
        Self::new(|_| Entry::nothing())
    }

    /// The entry in `scope`.
    pub fn within(self, scope: Scope<'_>) -> Entry {
        (self.0)(scope)
    }
}

/// Where all the entries of one activity live: its spec and its own backend, if any. `None`
/// spec: the activity never caches.
#[doc(hidden)]
pub struct ActivityCache {
    spec: Option<&'static CacheSpec>,
    backend: fn() -> Option<SharedBackend>,
}

impl ActivityCache {
    /// A cached activity's: its spec, and its own backend (`backend = ...`) if it has one.
    pub fn new(spec: &'static CacheSpec, backend: fn() -> Option<SharedBackend>) -> Self {
        Self {
            spec: Some(spec),
            backend,
        }
    }

    /// Whether the activity caches its results (it is not `no_cache`).
    pub fn is_cached(&self) -> bool {
        self.spec.is_some()
    }

    /// A `no_cache` activity's (or one whose attribute has errors): it has no entries.
    pub fn nothing() -> Self {
        Self {
            spec: None,
            backend: || None,
        }
    }
}

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
        lock::retire(&keyed.key);
        tracing::debug!(target: TARGET, key = &*keyed.key, removed, "cache invalidate");
        Ok(removed)
    }
}

/// Removes every entry of the activity in `scope`, whatever its inputs and `version`; how many
/// there were. `Ok(0)` without touching any backend when caching is off or the activity is
/// `no_cache`, like [`invalidate`].
#[doc(hidden)]
pub async fn invalidate_activity(
    cache: ActivityCache,
    scope: Scope<'_>,
) -> Result<u64, InvalidateError> {
    let Some(spec) = cache.spec.filter(|_| global::caching_enabled()) else {
        return Ok(0);
    };
    let backend = global::resolve((cache.backend)()).ok_or(InvalidateError::NoBackend)?;
    let namespace = match spec.namespaces {
        Namespaces::Isolated => Some(scope.namespace),
        Namespaces::Shared => None,
    };
    let prefix = key::activity_head(backend.key_prefix(), namespace, scope.activity_type);
    let removed = backend
        .delete_prefix(&prefix)
        .await
        .map_err(InvalidateError::Backend)?;
    lock::retire_prefix(&prefix);
    tracing::debug!(target: TARGET, prefix, removed, "cache invalidate activity");
    Ok(removed)
}

/// The registered activity type name of an activity marker (`MyActivities::fetch_user`).
pub(crate) fn activity_name<M: ActivityDefinition>(marker: &M) -> &str {
    marker.name()
}
