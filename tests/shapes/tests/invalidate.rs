//! `invalidate_cache!` for activities with zero, one and several inputs (one of them excluded,
//! and one with its own backend), run against an empty in-memory cache: nothing to remove.

use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::{
    MemoryCacheBackend, cached_activity, invalidate_cache, set_cache_backend,
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

static OWN_BACKEND: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn none(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(backend = &*OWN_BACKEND)]
    pub async fn one(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(exclude = [trace_id])]
    pub fn several(
        _ctx: ActivityContext,
        id: u64,
        name: String,
        tags: Vec<String>,
        trace_id: String,
    ) -> Result<u64, ActivityError> {
        let _ = (name, tags, trace_id);
        Ok(id)
    }
}

fn main() {
    set_cache_backend(MemoryCacheBackend::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(!invalidate_cache!(Activities::none).await.unwrap());
        assert!(!invalidate_cache!(Activities::one, 1).await.unwrap());
        let (name, tags) = ("x".to_owned(), vec!["a".to_owned()]);
        // The excluded `trace_id` is passed too: the macro takes every input, like the activity.
        let removed = invalidate_cache!(Activities::several, 1, name, tags, String::new());
        assert!(!removed.await.unwrap());
    });
}
