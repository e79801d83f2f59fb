//! The storage behind the cache: the backends this crate ships, and what an implementor of
//! [`CacheBackend`] needs (the lease protocol's [`Claim`] and [`Watch`], [`BoxFuture`],
//! [`BackendError`] and the defaults a backend reports).
//!
//! The backends and the handle types are also exported at the crate root; everything else lives
//! only here.

pub(crate) mod health;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use bytes::Bytes;

pub use crate::value::Storage;

pub use self::memory::MemoryCacheBackend;
#[cfg(feature = "redis")]
pub use self::redis::{KeyScan, NearCacheStats, RedisCacheBackend, RedisTls};

/// A boxed, `Send` future, the return type of every [`CacheBackend`] method.
///
/// Backends are used as trait objects, so their async methods return boxed futures. An
/// implementation usually wraps an `async move` block in [`Box::pin`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The key prefix a backend uses unless it is configured otherwise.
pub const DEFAULT_KEY_PREFIX: &str = "temporal-cache";

/// The largest value a backend stores unless it says otherwise: 2 MiB, Temporal's own limit on a
/// payload (a larger activity result could not reach the workflow anyway).
pub const DEFAULT_MAX_VALUE_BYTES: usize = 2 * 1024 * 1024;

/// A store for cached activity results.
///
/// Implement it to keep results somewhere other than Redis or process memory. Keys are built by
/// the runtime (see the crate documentation for their layout) and values are opaque bytes. A
/// backend never needs to interpret either.
///
/// Every method may fail: the runtime treats any error as a cache miss, logs it, and runs the
/// activity body. A backend should therefore bound the time each call may take rather than retry
/// for long: a slow cache is worse than no cache.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use temporal_cache_runtime::backend::{BackendError, BoxFuture, CacheBackend};
///
/// /// A store that never expires anything: enough for a test double.
/// #[derive(Default)]
/// struct MapBackend(Mutex<HashMap<String, Vec<u8>>>);
///
/// impl CacheBackend for MapBackend {
///     fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
///         Box::pin(async move { Ok(self.0.lock().unwrap().get(key).cloned()) })
///     }
///
///     fn set<'a>(
///         &'a self,
///         key: &'a str,
///         value: &'a [u8],
///         _ttl: Option<Duration>,
///     ) -> BoxFuture<'a, Result<(), BackendError>> {
///         Box::pin(async move {
///             self.0.lock().unwrap().insert(key.to_owned(), value.to_vec());
///             Ok(())
///         })
///     }
///
///     fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
///         Box::pin(async move { Ok(self.0.lock().unwrap().remove(key).is_some()) })
///     }
/// }
///
/// temporal_cache_runtime::set_cache_backend(MapBackend::default());
/// ```
pub trait CacheBackend: Send + Sync + 'static {
    /// Returns the value stored under `key`, or `None` when there is none (or it has expired).
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>>;

    /// The same as [`get`](Self::get), as a shared buffer: what the runtime reads a hit with.
    ///
    /// The default calls `get` (turning its `Vec` into [`Bytes`] costs no copy). A backend that
    /// already holds values in shared buffers (a near cache in process memory) overrides it to
    /// hand out a buffer without copying the value.
    fn get_shared<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>> {
        Box::pin(async move { Ok(self.get(key).await?.map(Bytes::from)) })
    }

    /// Stores `value` under `key`, replacing any previous value. With `ttl` of `Some(d)` the entry
    /// must expire after `d` (with millisecond precision); with `None` it never expires.
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Removes the entry under `key`, and the lease on it if a call holds one (so that the
    /// holder's result, computed from data older than this removal, is not stored: see
    /// [`complete`](Self::complete)). Returns whether there was an entry.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>>;

    /// Removes every entry and lease whose key starts with `prefix`: all the entries of one
    /// activity type, for `invalidate_activity!`. Returns how many entries it removed.
    ///
    /// It must not stall the store for other clients (Redis removes keys in batches found with
    /// `SCAN`), and like [`delete`](Self::delete) it must leave no result stored by a call that
    /// held a lease before it began. The default refuses with
    /// [`BackendErrorKind::Unsupported`].
    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, BackendError>> {
        let _ = prefix;
        Box::pin(async {
            Err(BackendError::new(
                BackendErrorKind::Unsupported,
                "this backend cannot remove entries by prefix",
            ))
        })
    }

    /// The namespace in front of every key this backend stores, so several applications can share
    /// one Redis database. The default is [`DEFAULT_KEY_PREFIX`].
    fn key_prefix(&self) -> &str {
        DEFAULT_KEY_PREFIX
    }

    /// The largest stored value, in bytes, this backend accepts: a larger result is returned to
    /// the caller but not stored. The default is [`DEFAULT_MAX_VALUE_BYTES`].
    fn max_value_bytes(&self) -> usize {
        DEFAULT_MAX_VALUE_BYTES
    }

    /// How keys and values are written to this backend (keyed hashing and the like). The default
    /// is [`Storage::new`].
    fn storage(&self) -> &Storage {
        Storage::default_ref()
    }

    /// Single-flight, step one: atomically returns the value under `key` if there is one, else
    /// takes a lease on `key` for `owner` lasting `lease`, else reports that another owner holds
    /// it.
    ///
    /// The default has no leases: it reads the value and otherwise lets every caller run the
    /// body. Implement this and the other lease methods to make identical concurrent calls on
    /// different workers run once.
    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BackendError>> {
        let _ = (owner, lease);
        Box::pin(async move {
            Ok(match self.get(key).await? {
                Some(value) => Claim::Value(value),
                None => Claim::Acquired,
            })
        })
    }

    /// Takes the lease on `key` for `owner`, lasting `lease`, if nobody else holds it, whether or
    /// not a value is stored: the call that takes it refreshes a stale entry while others are
    /// served the stale value. Returns whether `owner` holds it now.
    ///
    /// The default, for backends without leases, always grants it: every caller that finds a
    /// stale entry then refreshes it.
    fn take_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let _ = (key, owner, lease);
        Box::pin(async { Ok(true) })
    }

    /// If `owner` still holds its lease on `key`: stores `value` under `key` (as
    /// [`set`](Self::set) does), releases the lease and wakes every caller waiting on `key`.
    /// Returns whether it stored the value.
    ///
    /// A lease that is gone was removed by an invalidation (or expired unrenewed) while the body
    /// ran, so the value may be computed from data older than that invalidation: it must not be
    /// stored. This is what makes an invalidation win over a call already running.
    ///
    /// The default, for backends without leases, stores unconditionally.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let _ = owner;
        Box::pin(async move {
            self.set(key, value, ttl).await?;
            Ok(true)
        })
    }

    /// Releases `owner`'s lease on `key` without a value (the body failed), if `owner` still
    /// holds it, and wakes the callers waiting on `key` so that one of them takes over. Returns
    /// whether `owner` held the lease.
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let _ = (key, owner);
        Box::pin(async { Ok(false) })
    }

    /// Extends `owner`'s lease on `key` to `lease` from now, if `owner` still holds it. Returns
    /// whether it did.
    fn extend<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let _ = (key, owner, lease);
        Box::pin(async { Ok(false) })
    }

    /// Which independently failing part of the store holds `key`, for the once-per-outage
    /// warnings: an outage of one part is one warning, whatever the other parts do. A store that
    /// fails as a whole (the default) has one part, `0`; a Redis Cluster backend returns a range
    /// of hash slots, so that a dead master is reported while the others keep answering.
    fn fault_domain(&self, key: &str) -> u64 {
        let _ = key;
        0
    }

    /// Starts watching `key`: the returned [`Watch`] fires when a value is stored under `key` or
    /// its lease is released. Waiters also re-check now and then, so a watch that never fires
    /// (like the default, for backends without notifications) only makes waiting slower.
    fn watch<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Watch, BackendError>> {
        let _ = key;
        Box::pin(async { Ok(Watch::never()) })
    }
}

/// What [`CacheBackend::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// A value is stored: serve it.
    Value(Vec<u8>),
    /// The caller now holds the lease: run the body, then `complete` or `release`.
    Acquired,
    /// Another owner holds the lease: wait for its result.
    Held,
}

/// A subscription to the events of one key, from [`CacheBackend::watch`].
///
/// Backends build one from a [`tokio::sync::watch::Receiver`] whose value changes on every
/// event (a counter, say): only changes made after the receiver was created count.
#[derive(Debug)]
pub struct Watch {
    events: Option<tokio::sync::watch::Receiver<u64>>,
    // Keeps the backend's subscription alive while someone waits; dropped with the watch.
    _subscription: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl Watch {
    /// A watch that fires whenever `events` changes. `subscription` is kept alive (and dropped)
    /// with the watch, so a backend can end its subscription when the last waiter leaves.
    pub fn new(
        events: tokio::sync::watch::Receiver<u64>,
        subscription: Option<Box<dyn std::any::Any + Send + Sync>>,
    ) -> Self {
        Self {
            events: Some(events),
            _subscription: subscription,
        }
    }

    /// A watch that never fires: waiters fall back to re-checking.
    pub fn never() -> Self {
        Self {
            events: None,
            _subscription: None,
        }
    }

    /// Resolves at the next event; never, if the backend cannot notify (or lost its
    /// subscription: waiters then re-check on their own schedule).
    pub async fn changed(&mut self) {
        match &mut self.events {
            Some(events) => {
                if events.changed().await.is_err() {
                    // The sender is gone: no event will come any more.
                    self.events = None;
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

/// Why a backend operation failed.
///
/// The runtime never lets one of these fail an activity; it appears in `tracing` warnings and in
/// the result of [`invalidate_cache!`](crate::invalidate_cache).
#[derive(Debug)]
pub struct BackendError {
    kind: BackendErrorKind,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// The broad class of a [`BackendError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendErrorKind {
    /// The operation did not finish within the backend's deadline.
    Timeout,
    /// The store could not be reached or the connection broke.
    Unavailable,
    /// The store answered with an error (out of memory, authentication, read-only replica, ...).
    Rejected,
    /// The backend was configured wrongly (for example, an unparsable Redis URL or a wrong
    /// password).
    Configuration,
    /// The backend failed repeatedly, so calls skip it for a while (its circuit breaker is open).
    CircuitOpen,
    /// The backend does not offer the operation (see [`CacheBackend::delete_prefix`]).
    Unsupported,
}

impl BackendError {
    /// An error of the given kind caused by `source`.
    pub fn new(kind: BackendErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// An operation that ran past its deadline.
    pub fn timeout() -> Self {
        Self {
            kind: BackendErrorKind::Timeout,
            source: None,
        }
    }

    /// The broad class of this error.
    pub fn kind(&self) -> BackendErrorKind {
        self.kind
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            BackendErrorKind::Timeout => "cache operation timed out",
            BackendErrorKind::Unavailable => "cache backend unavailable",
            BackendErrorKind::Rejected => "cache backend rejected the operation",
            BackendErrorKind::Configuration => "cache backend misconfigured",
            BackendErrorKind::CircuitOpen => "cache backend skipped",
            BackendErrorKind::Unsupported => "cache backend does not support this",
        };
        match &self.source {
            Some(source) => write!(f, "{what}: {source}"),
            None => f.write_str(what),
        }
    }
}

impl StdError for BackendError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// A shared, type-erased backend, as the runtime holds it.
pub type SharedBackend = Arc<dyn CacheBackend>;

/// Values that can name a backend: what `set_cache_backend` and the `backend = ...` argument of
/// `#[cached_activity]` accept.
///
/// Implemented for any [`CacheBackend`] by value (it is moved into an [`Arc`]), for `Arc`s of one
/// and for references to such `Arc`s (they are cloned, which is cheap). A backend that several
/// activities share is therefore best kept in an `Arc`, for example in a
/// [`LazyLock`](std::sync::LazyLock):
///
/// ```
/// use std::sync::{Arc, LazyLock};
/// use temporal_cache_runtime::MemoryCacheBackend;
///
/// static REPORTS_CACHE: LazyLock<Arc<MemoryCacheBackend>> =
///     LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));
///
/// // Then, on an activity: #[cached_activity(backend = &*REPORTS_CACHE)]
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a cache backend",
    label = "expected a `CacheBackend`, an `Arc` of one, or a reference to such an `Arc`",
    note = "keep a shared backend in a `static LazyLock<Arc<RedisCacheBackend>>` and pass `&*THAT_STATIC`"
)]
pub trait IntoCacheBackend {
    /// Converts `self` into the shared handle the runtime uses.
    fn into_cache_backend(self) -> SharedBackend;
}

#[diagnostic::do_not_recommend]
impl<B: CacheBackend> IntoCacheBackend for B {
    fn into_cache_backend(self) -> SharedBackend {
        Arc::new(self)
    }
}

impl<B: CacheBackend> IntoCacheBackend for Arc<B> {
    fn into_cache_backend(self) -> SharedBackend {
        self
    }
}

impl<B: CacheBackend> IntoCacheBackend for &Arc<B> {
    fn into_cache_backend(self) -> SharedBackend {
        Arc::clone(self) as SharedBackend
    }
}

impl IntoCacheBackend for SharedBackend {
    fn into_cache_backend(self) -> SharedBackend {
        self
    }
}

impl IntoCacheBackend for &SharedBackend {
    fn into_cache_backend(self) -> SharedBackend {
        Arc::clone(self)
    }
}
