//! An instance activity (`self: Arc<Self>`): the body still reads `self` after the rewrite.

use std::sync::Arc;

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities {
    prefix: String,
}

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "1h")]
    pub async fn greet(
        self: Arc<Self>,
        _ctx: ActivityContext,
        name: String,
    ) -> Result<String, ActivityError> {
        Ok(format!("{} {name}", self.prefix))
    }

    #[activity]
    #[cached_activity(ttl = "1h")]
    pub fn greet_sync(
        self: Arc<Self>,
        _ctx: ActivityContext,
        name: String,
    ) -> Result<String, ActivityError> {
        Ok(format!("{} {name}", self.prefix))
    }
}

fn main() {}
