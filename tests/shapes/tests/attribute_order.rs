//! `#[cached_activity]` works above and below `#[activity]`, and `invalidate_cache!` finds both.

use temporal_cache_runtime::{cached_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn above(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(ttl = "1h")]
    pub async fn below(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

async fn forget() {
    let _ = invalidate_cache!(Activities::above, 1).await;
    let _ = invalidate_cache!(Activities::below, 1).await;
}

fn main() {
    drop(forget());
}
