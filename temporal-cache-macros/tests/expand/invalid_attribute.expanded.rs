//! A mistake in the attribute: the function is kept as written, a stub of the companion keeps
//! `invalidate_cache!` call sites compiling, and the error is the only diagnostic.
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
pub struct Activities;
impl Activities {
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
    /// Describes the cache of `fetch`, for `invalidate_cache!` and `invalidate_activity!`.
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        clippy::too_many_arguments,
        clippy::type_complexity
    )]
    pub fn __temporal_cache_fetch() -> ::temporal_cache_runtime::__private::Companion<
        impl ::core::ops::FnOnce(u64) -> ::temporal_cache_runtime::__private::ScopedEntry,
    > {
        ::temporal_cache_runtime::__private::Companion {
            activity: ::temporal_cache_runtime::__private::ActivityCache::nothing(),
            describe: |_: u64| ::temporal_cache_runtime::__private::ScopedEntry::nothing(),
        }
    }
    ::core::compile_error! {
        "invalid ttl: unknown unit `y`; use ms, s, m, h or d"
    }
}
