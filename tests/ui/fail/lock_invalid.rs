//! The single-flight arguments are checked like the others, each error on its own token: `lock`
//! takes a bool, `lock_ttl` and `lock_wait` take finite durations (a lease of at least 3ms), and
//! neither duration means anything with `lock = false`.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(lock = "yes")]
    pub async fn not_a_bool(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(lock_ttl = "2ms")]
    pub async fn lease_too_short(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(lock_ttl = "never")]
    pub async fn lease_forever(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(lock_wait = "5x")]
    pub async fn wait_unknown_unit(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(lock = false, lock_ttl = "10s", lock_wait = "1m")]
    pub async fn durations_without_lock(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }
}

fn main() {}
