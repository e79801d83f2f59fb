//! Cache [Temporal](https://temporal.io) activity results across workflow executions and workers.
//!
//! Temporal replays an activity's result only inside the workflow execution that ran it: two
//! workflows calling the same expensive activity with the same input both run it. Put
//! `#[cached_activity]` on the activity and every later call with the same input, from any
//! workflow on any worker sharing the backend, gets the stored result until its TTL ends.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use temporal_cache_runtime::{cached_activity, set_cache_backend, MemoryCacheBackend};
//! use temporalio_macros::activities;
//! use temporalio_sdk::activities::{ActivityContext, ActivityError};
//!
//! #[derive(Serialize, Deserialize)]
//! pub struct User {
//!     pub id: u64,
//!     pub name: String,
//! }
//!
//! pub struct UserActivities;
//!
//! #[activities]
//! impl UserActivities {
//!     /// Looks a user up; cached by input for an hour.
//!     #[cached_activity(policy = "inputs", ttl = "1h")]
//!     #[activity]
//!     pub async fn fetch_user(_ctx: ActivityContext, id: u64) -> Result<User, ActivityError> {
//!         Ok(User { id, name: format!("user {id}") }) // imagine a slow query here
//!     }
//! }
//!
//! // Once, at worker start-up (a `RedisCacheBackend` shares results between workers):
//! set_cache_backend(MemoryCacheBackend::new());
//! ```
//!
//! # What the attribute does
//!
//! `#[cached_activity]` goes on an activity method inside `#[activities]`, above or below
//! `#[activity]`, on async or sync activities, static or `self: Arc<Self>`. It keeps the method's
//! parameters and output and rewrites its body (an `async fn` becomes a `fn` returning
//! `impl Future` of the same output, which callers cannot tell apart): the body runs when the key
//! is not cached, and its `Ok` result is stored; errors are never stored. Its arguments, all
//! optional, are checked at compile time:
//!
//! | argument | meaning |
//! |---|---|
//! | `policy = "inputs"` | the default: the key is the activity type plus the inputs |
//! | `policy = "task_source"` | the key also holds a hash of the function's tokens, so any code change starts afresh |
//! | `policy = "no_cache"` | the body always runs (the attribute then takes no other argument) |
//! | `ttl = "1h30m"` | how long an entry lives: digits and units `ms`, `s`, `m`, `h`, `d`, largest unit first, or `"never"`; default `"1d"` |
//! | `exclude = [trace_id]` | inputs left out of the key |
//! | `version = "2"` | a salt: change it to retire every entry of the activity at once |
//! | `backend = &*MY_BACKEND` | this activity's own backend instead of the global one (see [`IntoCacheBackend`]) |
//! | `lock = false` | turns single-flight off: concurrent identical calls each run the body (one stores) |
//! | `lock_ttl = "30s"` | the lease length; the holder renews it every third of this while its body runs |
//! | `lock_wait = "5m"` | how long a call waits for another's result before running the body itself |
//! | `stale = "10m"` | after `ttl`, the entry is served stale for this long while one call refreshes it |
//! | `on_error = "stale"` | a refresh that fails with a retryable error returns the stale value (`"stale_always"`: any error) |
//!
//! # Single-flight
//!
//! Identical calls that miss together run the body once: calls in one worker share one flight,
//! and calls on other workers wait on the first one's lease, woken when its result is stored. See
//! [`RedisCacheBackend`] for the protocol and its round trips.
//!
//! # Keys and values
//!
//! A key is `<prefix>:v2:<namespace>:<activity type>:{<blake3 digest>}`: the Temporal namespace,
//! the registered activity type (never the Rust function name), then a digest of the namespace,
//! the `version`, the source hash (for `task_source`) and a canonical encoding of the inputs, in
//! which equal inputs always hash alike (map and set order does not matter) and different inputs
//! never do (`1`, `1.0`, `"1"`, `[1]` and `(1,)` all differ). The braces are a Redis Cluster hash
//! tag. Values are stored behind a versioned header, in MessagePack where it reads back as the
//! same JSON (the format Temporal itself uses for activity results), else as that JSON (see
//! [`ValueFormat`]); an entry that cannot be read back is a miss and is overwritten.
//!
//! # Failure
//!
//! The cache never fails an activity. A backend error, an unreachable Redis, an unreadable entry or
//! a result that cannot be encoded is logged with `tracing` (target `temporal_cache`) and the body
//! runs as if nothing were cached. An outage is one warning per backend: its first failure after a
//! success, then debug events until it answers again.
//!
//! # Backends
//!
//! [`MemoryCacheBackend`] keeps results in this process, [`RedisCacheBackend`] shares them between
//! workers; the [`backend`] module has what an implementor of [`CacheBackend`] needs for any other
//! store.
//!
//! # Operations
//!
//! [`metrics`] counts hits, misses, stores and fallbacks per activity type, namespace and task
//! queue, onto the worker's own metrics endpoint when given its `CoreMeter`;
//! [`invalidate_activity!`] retires every entry of an activity; a workflow can ask one call to
//! refresh or bypass the cache through [`directive`]. The README's "Operations" section has the
//! details and the ops command `temporal-cache`.
//!
//! # Turning caching off
//!
//! Build with the cargo feature `disabled`, or start the worker with `TEMPORAL_CACHE_DISABLED=1`:
//! the attribute still checks its arguments, every call runs the body, and no backend is touched,
//! so [`invalidate_cache!`] returns `Ok(false)` there.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
mod blocking;
mod call;
pub mod directive;
mod entry;
mod global;
mod invalidate;
mod key;
mod lock;
mod log;
pub mod lookup;
pub mod metrics;
mod outcome;
mod secret;
mod spec;
mod value;

#[cfg(feature = "redis")]
pub use backend::RedisCacheBackend;
pub use backend::{
    BackendError, CacheBackend, IntoCacheBackend, MemoryCacheBackend, SharedBackend,
};
pub use global::{
    DISABLE_ENV_VAR, NAMESPACE_ENV_VAR, cache_backend, caching_enabled, clear_cache_backend,
    default_namespace, set_cache_backend,
};
pub use invalidate::InvalidateError;
pub use key::KeySecret;
pub use metrics::cache_stats;
pub use secret::SecretError;
pub use spec::Freshness;
pub use value::inspect::{InspectedEntry, inspect_entry};
pub use value::{Compression, EncryptionKey, Keyring, Storage, ValueFormat};

/// The `tracing` target of every event this crate emits. (At the root, so that every module can
/// log without importing `log`, which names the caller's metrics series: the metrics' own warnings
/// would otherwise close an import loop.)
pub(crate) const TARGET: &str = "temporal_cache";

/// Caches an activity's result; see the [crate documentation](crate) for its arguments.
///
/// ```
/// # use temporal_cache_runtime::cached_activity;
/// # use temporalio_macros::activities;
/// # use temporalio_sdk::activities::{ActivityContext, ActivityError};
/// pub struct Reports;
///
/// #[activities]
/// impl Reports {
///     #[activity]
///     #[cached_activity(ttl = "15m", exclude = [request_id], version = "2")]
///     pub async fn render(
///         _ctx: ActivityContext,
///         report: String,
///         request_id: String,
///     ) -> Result<String, ActivityError> {
///         Ok(format!("<h1>{report}</h1>"))
///     }
/// }
/// ```
pub use temporal_cache_macros::cached_activity;

/// Removes the cached result of one activity call, so that the next call runs the body.
///
/// Name the activity as a workflow does (`Type::method`) and give its inputs as you would pass
/// them to the method after the context. The inputs are type-checked against the activity, and
/// the entry is looked up with the activity's own settings: its backend, `exclude`, `version` and
/// policy. The result is a future of `Result<bool, InvalidateError>`: `true` if an entry was
/// removed.
///
/// Entries belong to a Temporal namespace: give it first, `invalidate_cache!(namespace = "billing",
/// UserActivities::fetch_user, 123)` (any `&str`-like expression); without it, the namespace is
/// [`default_namespace()`]: `$TEMPORAL_NAMESPACE`, else `default`.
///
/// ```
/// # use temporal_cache_runtime::{cached_activity, invalidate_cache, set_cache_backend, MemoryCacheBackend};
/// # use temporalio_macros::activities;
/// # use temporalio_sdk::activities::{ActivityContext, ActivityError};
/// # pub struct UserActivities;
/// # #[activities]
/// # impl UserActivities {
/// #     #[cached_activity(ttl = "1h")]
/// #     #[activity]
/// #     pub async fn fetch_user(_ctx: ActivityContext, id: u64) -> Result<String, ActivityError> {
/// #         Ok(id.to_string())
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), temporal_cache_runtime::InvalidateError> {
/// set_cache_backend(MemoryCacheBackend::new());
/// let removed = invalidate_cache!(UserActivities::fetch_user, 123).await?;
/// assert!(!removed, "nothing was cached yet");
/// let tenant = String::from("tenant-a");
/// assert!(!invalidate_cache!(namespace = tenant, UserActivities::fetch_user, 123).await?);
/// # Ok(())
/// # }
/// ```
pub use temporal_cache_macros::invalidate_cache;

/// Removes every cached result of one activity, whatever its inputs and `version`, so that every
/// next call runs the body.
///
/// Name the activity as a workflow does (`Type::method`), optionally after a namespace as for
/// [`invalidate_cache!`]. The result is a future of `Result<u64, InvalidateError>`: how many
/// entries were removed. Hits pay nothing for this (no generation number is read on a hit): the
/// backend finds the entries by their key prefix, which Redis does with `SCAN` and `UNLINK` in
/// batches, so other clients keep being served meanwhile (on a cluster, every master is scanned);
/// the README's "Operations" section has the figures for a million entries.
///
/// Like [`invalidate_cache!`], it wins over calls already running: no result computed by a body
/// that started before it is stored after it returns, in this process or another.
///
/// ```
/// # use temporal_cache_runtime::{cached_activity, invalidate_activity, set_cache_backend, MemoryCacheBackend};
/// # use temporalio_macros::activities;
/// # use temporalio_sdk::activities::{ActivityContext, ActivityError};
/// # pub struct UserActivities;
/// # #[activities]
/// # impl UserActivities {
/// #     #[cached_activity(ttl = "1h")]
/// #     #[activity]
/// #     pub async fn fetch_user(_ctx: ActivityContext, id: u64) -> Result<String, ActivityError> {
/// #         Ok(id.to_string())
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), temporal_cache_runtime::InvalidateError> {
/// set_cache_backend(MemoryCacheBackend::new());
/// let removed = invalidate_activity!(UserActivities::fetch_user).await?;
/// assert_eq!(removed, 0, "nothing was cached yet");
/// assert_eq!(invalidate_activity!(namespace = "billing", UserActivities::fetch_user).await?, 0);
/// # Ok(())
/// # }
/// ```
pub use temporal_cache_macros::invalidate_activity;

/// Runs a cached activity from a workflow, serving a hit without scheduling the activity:
/// `execute_cached!(ctx, Type::method, input, options)` in place of
/// `ctx.execute_activity(Type::method, input, options)`, with the same result type.
///
/// It runs the activity first as a local activity that only looks its entry up (with exactly
/// the key the activity itself uses) and serves it: no activity task, no extra workflow task; the
/// workflow's history shows the hit as that local activity's marker. On a miss, a failure of
/// the lookup, or after [`LOOKUP_TIMEOUT`](crate::lookup::LOOKUP_TIMEOUT), it schedules the
/// activity as `execute_activity` would, single-flight included. The worker needs
/// [`directive::interceptor()`](crate::directive::interceptor) among its workflow interceptors
/// (without it, the activity is scheduled directly, with a warning); the input must be `Clone`.
/// A `no_cache` activity is scheduled directly. To refresh or bypass the cache for one call, use
/// [`directive::refresh`] or [`directive::bypass`] around `execute_activity` instead.
pub use temporal_cache_macros::execute_cached;

/// What the code generated by the macros uses, and the fuzz targets' entry points. Not part of
/// the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::backend::IntoCacheBackend;
    pub use crate::call::{run, run_blocking};
    pub use crate::entry::{Entry, key_input};
    pub use crate::invalidate::{
        ActivityCache, Companion, ScopedEntry, invalidate, invalidate_activity,
    };
    pub use crate::key::KeyInput;
    pub use crate::key::Scope;
    pub use crate::lookup::execute_cached;
    pub use crate::outcome::{CacheableValue, Outcome, OutcomeCodec, outcome_codec};
    pub use crate::spec::{CacheSpec, LockSpec, Namespaces, OnError};
    pub use core::option::Option::{None, Some};
    pub use core::time::Duration;
    pub use temporalio_sdk::activities::ActivityContext;

    /// Converts a `backend = ...` expression into the shared handle the runtime uses.
    pub fn backend(backend: impl IntoCacheBackend) -> Option<crate::SharedBackend> {
        Some(backend.into_cache_backend())
    }

    /// The activity type and namespace of the activity running in `ctx`.
    pub fn scope(ctx: &ActivityContext) -> Scope<'_> {
        let info = ctx.info();
        Scope {
            activity_type: &info.activity_type,
            namespace: &info.namespace,
        }
    }

    /// The scope `invalidate_cache!` describes an entry in: the activity type of `marker`, in
    /// `namespace` or else [`default_namespace`](crate::default_namespace).
    pub fn invalidation_scope<'a, M: temporalio_common::ActivityDefinition>(
        marker: &'a M,
        namespace: Option<&'a str>,
    ) -> Scope<'a> {
        Scope {
            activity_type: crate::invalidate::activity_name(marker),
            namespace: namespace.unwrap_or_else(|| crate::global::default_namespace()),
        }
    }

    /// For the fuzz targets: decodes `bytes` as a stored entry of a value of any shape
    /// (MessagePack or JSON), by a plain, a compressing and an encrypting backend; how many of
    /// them decoded it.
    pub fn decode_envelope(bytes: &[u8]) -> usize {
        crate::value::decodes(bytes)
    }

    /// For the bench: how many bytes a backend with default settings stores for `value`, the
    /// envelope's header included.
    pub fn stored_len<T: CacheableValue>(value: &T) -> usize {
        crate::value::stored_len(value)
    }

    /// For the bench: the value a backend with default settings stored in `bytes`, decoded as a
    /// hit decodes it, with nothing else a hit does.
    pub fn decode_stored<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
        crate::value::decode_stored(bytes)
    }

    /// For the fuzz targets: the key of an activity whose one input is `value`.
    pub fn key_of<T: serde::Serialize + ?Sized>(value: &T) -> Option<String> {
        const SPEC: CacheSpec = CacheSpec {
            ttl: None,
            version: "",
            source_hash: None,
            lock: None,
            namespaces: Namespaces::Isolated,
            stale: None,
            on_error: OnError::Fail,
        };
        let scope = Scope {
            activity_type: "Fuzz::target",
            namespace: "default",
        };
        let mut key = crate::key::KeyBuilder::new("fuzz", None, &SPEC, scope);
        key.input(0, value);
        key.finish().ok().map(|key| key.to_string())
    }
}

/// Compiles (and runs) every Rust block of the README, so that it stays true to the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
