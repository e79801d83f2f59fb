//! A `mut` input survives the rewrite: the body may still mutate it, async or sync.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn normalize(
        _ctx: ActivityContext,
        mut name: String,
    ) -> Result<String, ActivityError> {
        name.make_ascii_lowercase();
        Ok(name)
    }

    #[activity]
    #[cached_activity]
    pub fn normalize_sync(
        _ctx: ActivityContext,
        mut name: String,
    ) -> Result<String, ActivityError> {
        name.make_ascii_lowercase();
        Ok(name)
    }
}

fn main() {}
