//! `policy = "task_source"`: the spec carries a hash of the function's code, computed here.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

impl Activities {
    #[cached_activity(policy = "task_source", ttl = "never")]
    pub async fn render(
        _ctx: ActivityContext,
        template: String,
        size: u32,
    ) -> Result<Vec<u8>, ActivityError> {
        match size {
            0 => Ok(Vec::new()),
            size => Ok(template.repeat(size as usize).into_bytes()),
        }
    }
}
