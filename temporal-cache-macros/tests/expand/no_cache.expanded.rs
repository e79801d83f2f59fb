//! `policy = "no_cache"`: the function is left as it is, and its companion describes no entry.
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
pub struct Activities;
impl Activities {
    pub async fn send_email(
        _ctx: ActivityContext,
        to: String,
        body: String,
    ) -> Result<(), ActivityError> {
        deliver(&to, &body).await
    }
    /// Describes the cache of `send_email`, for `invalidate_cache!` and `invalidate_activity!`.
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        clippy::too_many_arguments,
        clippy::type_complexity
    )]
    pub fn __temporal_cache_send_email() -> ::temporal_cache_runtime::__private::Companion<
        impl ::core::ops::FnOnce(
            String,
            String,
        ) -> ::temporal_cache_runtime::__private::ScopedEntry,
    > {
        ::temporal_cache_runtime::__private::Companion {
            activity: ::temporal_cache_runtime::__private::ActivityCache::nothing(),
            describe: |_: String, _: String| ::temporal_cache_runtime::__private::ScopedEntry::nothing(),
        }
    }
}
