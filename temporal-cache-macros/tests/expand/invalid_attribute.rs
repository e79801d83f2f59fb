//! A mistake in the attribute: the function is kept as written, a stub of the companion keeps
//! `invalidate_cache!` call sites compiling, and the error is the only diagnostic.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

impl Activities {
    #[cached_activity(ttl = "1y")]
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}
