//! The single-flight arguments: `lock = false`, an explicit `lock = true` with both durations,
//! and the shortest lease allowed.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(lock = false)]
    pub async fn unlocked(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(lock = true, lock_ttl = "10s", lock_wait = "1m")]
    pub async fn locked(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(lock_ttl = "3ms")]
    pub fn shortest_lease(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

fn main() {}
