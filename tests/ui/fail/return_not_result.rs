//! A cached activity must return `Result<T, ActivityError>` (or nothing); anything else is
//! reported on the return type.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::ActivityContext;

pub struct Activities;

impl Activities {
    #[cached_activity]
    pub async fn count(_ctx: ActivityContext, id: u64) -> u64 {
        id
    }
}

fn main() {}
