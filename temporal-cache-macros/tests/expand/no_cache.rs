//! `policy = "no_cache"`: the function is left as it is, and its companion describes no entry.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

impl Activities {
    #[cached_activity(policy = "no_cache")]
    pub async fn send_email(
        _ctx: ActivityContext,
        to: String,
        body: String,
    ) -> Result<(), ActivityError> {
        deliver(&to, &body).await
    }
}
