//! A sync activity (run by the SDK on a blocking thread).

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "15m")]
    pub fn checksum(_ctx: ActivityContext, data: Vec<u8>) -> Result<u32, ActivityError> {
        Ok(data.iter().map(|&byte| u32::from(byte)).sum())
    }
}

fn main() {}
