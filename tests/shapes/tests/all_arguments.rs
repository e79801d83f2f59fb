//! Every argument at once, async and sync, with a per-activity backend kept in a
//! `static LazyLock<Arc<_>>`.

use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::{MemoryCacheBackend, cached_activity};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

static REPORTS_CACHE: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(
        policy = "task_source",
        ttl = "1h30m",
        exclude = [request_id],
        version = "2",
        backend = &*REPORTS_CACHE,
        lock = true,
        lock_ttl = "20s",
        lock_wait = "2m",
        stale = "10m",
        on_error = "stale",
    )]
    pub async fn render(
        _ctx: ActivityContext,
        report: String,
        request_id: String,
    ) -> Result<String, ActivityError> {
        let _ = request_id;
        Ok(format!("<h1>{report}</h1>"))
    }

    #[activity]
    #[cached_activity(
        policy = "task_source",
        ttl = "1h30m",
        exclude = [request_id],
        version = "2",
        backend = &*REPORTS_CACHE,
        lock = true,
        lock_ttl = "20s",
        lock_wait = "2m",
        stale = "10m",
        on_error = "stale",
    )]
    pub fn render_sync(
        _ctx: ActivityContext,
        report: String,
        request_id: String,
    ) -> Result<String, ActivityError> {
        let _ = request_id;
        Ok(format!("<h1>{report}</h1>"))
    }
}

fn main() {}
