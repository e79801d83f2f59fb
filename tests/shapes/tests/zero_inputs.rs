//! An activity without inputs: the key is the activity type alone.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "5m")]
    pub async fn exchange_rates(_ctx: ActivityContext) -> Result<Vec<f64>, ActivityError> {
        Ok(vec![1.0, 1.1])
    }

    #[activity]
    #[cached_activity(ttl = "5m")]
    pub fn exchange_rates_sync(_ctx: ActivityContext) -> Result<Vec<f64>, ActivityError> {
        Ok(vec![1.0, 1.1])
    }
}

fn main() {}
