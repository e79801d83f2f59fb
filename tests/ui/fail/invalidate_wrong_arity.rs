//! `invalidate_cache!` with too few or too many inputs is an error that counts the inputs.

use temporal_cache_runtime::{cached_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn fetch(_ctx: ActivityContext, id: u64, name: String) -> Result<u64, ActivityError> {
        let _ = name;
        Ok(id)
    }
}

async fn forget() {
    let _ = invalidate_cache!(Activities::fetch, 123).await;
    let _ = invalidate_cache!(Activities::fetch, 123, String::new(), true).await;
}

fn main() {
    drop(forget());
}
