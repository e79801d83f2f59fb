//! A sync activity: the body runs in `run_blocking`, without single-flight here.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

impl Activities {
    #[cached_activity(ttl = "15m", lock = false)]
    pub fn exchange_rate(
        _ctx: ActivityContext,
        from: String,
        to: String,
    ) -> Result<f64, ActivityError> {
        Ok(rate(&from, &to)?)
    }
}
