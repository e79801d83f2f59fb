//! The common shape: an async activity keyed by its inputs, one of them left out of the key.
//! (`#[activities]`, which would first rename the method `__fetch_user`, is left out.)

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

impl Activities {
    /// Looks a user up.
    #[cached_activity(ttl = "1h", exclude = [trace_id], version = "2")]
    pub async fn fetch_user(
        ctx: ActivityContext,
        id: u64,
        trace_id: String,
    ) -> Result<String, ActivityError> {
        let _ = (ctx, trace_id);
        let name = lookup(id).await?;
        Ok(name)
    }
}
