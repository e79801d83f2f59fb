//! The common case: an async activity without `self`, with the default arguments.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<String, ActivityError> {
        Ok(format!("user {id}"))
    }
}

fn main() {}
