//! Distinct mistakes in one attribute are all reported in one build, each on its own token.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(
        policy = "sometimes",
        ttl = "1y",
        exclude = [missing],
        version = "",
        colour = "blue",
        ttl = "1h",
    )]
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

fn main() {}
