//! `namespaces` takes "isolated" or "shared", with the error on the literal, and means nothing
//! for an activity that never caches.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(namespaces = "everyone")]
    pub async fn unknown_scope(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(policy = "no_cache", namespaces = "shared")]
    pub async fn never_cached(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }
}

fn main() {}
