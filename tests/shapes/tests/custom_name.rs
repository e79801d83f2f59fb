//! `#[activity(name = "...")]`: the attribute keeps working when the activity type is not the
//! method's name, and `invalidate_cache!` still names the activity by its method.

use temporal_cache_runtime::{cached_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity(name = "custom")]
    #[cached_activity(ttl = "1h")]
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

async fn forget() {
    let _ = invalidate_cache!(Activities::fetch, 7).await;
}

fn main() {
    assert_eq!(Activities::fetch.name(), "custom");
    drop(forget());
}
