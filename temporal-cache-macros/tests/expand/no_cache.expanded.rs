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
    /// Describes the cached entry of one `send_email` call, for `invalidate_cache!`.
    #[doc(hidden)]
    #[allow(dead_code, non_snake_case, clippy::too_many_arguments)]
    pub fn __temporal_cache_send_email(
        _: String,
        _: String,
    ) -> impl ::core::ops::FnOnce(
        ::temporal_cache_runtime::__private::Scope<'_>,
    ) -> ::temporal_cache_runtime::__private::Entry {
        |_: ::temporal_cache_runtime::__private::Scope<'_>| ::temporal_cache_runtime::__private::Entry::nothing()
    }
}
