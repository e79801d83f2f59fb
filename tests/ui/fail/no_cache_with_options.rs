//! With `policy = "no_cache"` nothing is stored, so each other argument is an error on its key.

use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::{MemoryCacheBackend, cached_activity};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

static BACKEND: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(
        policy = "no_cache",
        ttl = "1h",
        exclude = [trace_id],
        version = "2",
        backend = &*BACKEND,
        lock_ttl = "10s",
    )]
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
