//! `exclude` naming something that is not an input is reported on that name, and the message
//! lists the inputs (the context is not one of them).

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(exclude = [request_id, ctx])]
    pub async fn fetch(
        ctx: ActivityContext,
        id: u64,
        trace_id: String,
    ) -> Result<u64, ActivityError> {
        let _ = (ctx, trace_id);
        Ok(id)
    }
}

fn main() {}
