//! A mistake in the attribute: the function is kept as written, a stub of the companion keeps
//! `invalidate_cache!` call sites compiling, and the error is the only diagnostic.
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
pub struct Activities;
impl Activities {
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
    /// Describes the cached entry of one `fetch` call, for `invalidate_cache!`.
    #[doc(hidden)]
    #[allow(dead_code, non_snake_case, clippy::too_many_arguments)]
    pub fn __temporal_cache_fetch(
        _: u64,
    ) -> impl ::core::ops::FnOnce(
        ::temporal_cache_runtime::__private::Scope<'_>,
    ) -> ::temporal_cache_runtime::__private::Entry {
        |_: ::temporal_cache_runtime::__private::Scope<'_>| ::temporal_cache_runtime::__private::Entry::nothing()
    }
    ::core::compile_error! {
        "invalid ttl: unknown unit `y`; use ms, s, m, h or d"
    }
}
