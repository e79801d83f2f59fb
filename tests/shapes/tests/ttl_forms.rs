//! `ttl = "never"` and a sub-second `ttl = "500ms"` are accepted.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "never")]
    pub async fn forever(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(ttl = "500ms")]
    pub async fn briefly(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(ttl = "1d2h3m4s5ms")]
    pub async fn every_unit(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

fn main() {}
