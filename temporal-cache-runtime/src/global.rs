//! Process-wide settings: the global backend and the runtime off switch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};

use crate::backend::{IntoCacheBackend, SharedBackend};

static GLOBAL_BACKEND: RwLock<Option<SharedBackend>> = RwLock::new(None);

/// The environment variable that turns caching off at run time when set to `1` or `true`.
pub const DISABLE_ENV_VAR: &str = "TEMPORAL_CACHE_DISABLED";

static DISABLED_BY_ENV: LazyLock<bool> = LazyLock::new(|| {
    std::env::var(DISABLE_ENV_VAR).is_ok_and(|value| {
        let value = value.trim();
        value == "1" || value.eq_ignore_ascii_case("true")
    })
});

/// The environment variable that names the Temporal namespace `invalidate_cache!` works in when
/// it is not given one: the variable Temporal's own CLI and client configuration read.
pub const NAMESPACE_ENV_VAR: &str = "TEMPORAL_NAMESPACE";

/// The namespace `invalidate_cache!` removes entries from when it is not given one: the value
/// of [`NAMESPACE_ENV_VAR`] if set, else Temporal's `default` namespace.
pub fn default_namespace() -> &'static str {
    static NAMESPACE: LazyLock<String> = LazyLock::new(|| {
        std::env::var(NAMESPACE_ENV_VAR)
            .ok()
            .map(|namespace| namespace.trim().to_owned())
            .filter(|namespace| !namespace.is_empty())
            .unwrap_or_else(|| "default".to_owned())
    });
    &NAMESPACE
}

/// Sets the backend that every cached activity without a `backend = ...` of its own uses.
///
/// Call it once at worker start-up, before the worker runs; calling it again replaces the
/// backend for calls that start afterwards. Until a backend is set, cached activities run
/// uncached (with one warning).
///
/// ```
/// use temporal_cache_runtime::{set_cache_backend, MemoryCacheBackend};
///
/// set_cache_backend(MemoryCacheBackend::new());
/// ```
pub fn set_cache_backend(backend: impl IntoCacheBackend) {
    let backend = backend.into_cache_backend();
    *GLOBAL_BACKEND
        .write()
        .unwrap_or_else(PoisonError::into_inner) = Some(backend);
}

/// Removes the global backend: cached activities without a backend of their own run uncached.
pub fn clear_cache_backend() {
    *GLOBAL_BACKEND
        .write()
        .unwrap_or_else(PoisonError::into_inner) = None;
}

/// The global backend, if one is set.
pub fn cache_backend() -> Option<SharedBackend> {
    GLOBAL_BACKEND
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Whether caching is on: false when the crate was built with the `disabled` feature or the
/// process started with `TEMPORAL_CACHE_DISABLED=1`.
pub fn caching_enabled() -> bool {
    !cfg!(feature = "disabled") && !*DISABLED_BY_ENV
}

/// Resolves the backend for one call: the activity's own, else the global one. Warns once per
/// process when there is neither.
pub(crate) fn resolve(own: Option<SharedBackend>) -> Option<SharedBackend> {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let backend = own.or_else(cache_backend);
    if backend.is_none() && !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            target: crate::log::TARGET,
            "no cache backend is configured: cached activities run uncached; call \
             temporal_cache_runtime::set_cache_backend at worker start-up"
        );
    }
    backend
}
