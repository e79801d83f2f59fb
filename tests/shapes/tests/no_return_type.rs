//! An activity declared without a return type, async and sync: a hit skips the body.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::ActivityContext;

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "10m")]
    pub async fn warm_up(_ctx: ActivityContext, region: String) {
        let _ = region;
    }

    #[activity]
    #[cached_activity(ttl = "10m")]
    pub fn warm_up_sync(_ctx: ActivityContext, region: String) {
        if region.is_empty() {
            return;
        }
        let _ = region;
    }
}

fn main() {}
