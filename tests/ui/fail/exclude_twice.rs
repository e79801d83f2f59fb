//! `exclude` naming the same input twice is reported on the second mention.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(exclude = [trace_id, trace_id])]
    pub async fn fetch(
        _ctx: ActivityContext,
        id: u64,
        trace_id: String,
    ) -> Result<u64, ActivityError> {
        let _ = trace_id;
        Ok(id)
    }
}

fn main() {}
