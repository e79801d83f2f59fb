//! An instance activity with its own backend and lock durations: the backend expression is
//! passed to `backend(...)`, spanned at the expression.

use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::{MemoryCacheBackend, cached_activity};
use temporalio_sdk::activities::{ActivityContext, ActivityError};

static BACKEND: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

pub struct Activities {
    greeting: String,
}

impl Activities {
    #[cached_activity(backend = &*BACKEND, lock_ttl = "10s", lock_wait = "1m")]
    pub async fn greet(
        self: Arc<Self>,
        mut ctx: ActivityContext,
        name: String,
    ) -> Result<String, ActivityError> {
        ctx.record_heartbeat(Vec::new());
        Ok(format!("{} {name}", self.greeting))
    }
}
