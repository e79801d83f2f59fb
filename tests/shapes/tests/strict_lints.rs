//! The expansion is lint-clean: every warning is an error here, and so are the allow-by-default
//! lints strict crates turn on (`dead_code` too); `unsafe` is forbidden.
//!
//! rustc's own lints are checked by every build; `clippy::all` by `cargo clippy --all-targets`,
//! which scripts/test runs.
#![deny(
    warnings,
    clippy::all,
    dead_code,
    rust_2018_idioms,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    let_underscore_drop,
    single_use_lifetimes,
    trivial_casts,
    missing_debug_implementations
)]
#![forbid(unsafe_code)]

use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::{MemoryCacheBackend, cached_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

static BACKEND: LazyLock<Arc<MemoryCacheBackend>> =
    LazyLock::new(|| Arc::new(MemoryCacheBackend::new()));

#[derive(Debug)]
pub(crate) struct Activities {
    greeting: String,
}

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "1h", exclude = [trace_id], version = "1")]
    pub(crate) async fn async_static(
        _ctx: ActivityContext,
        id: u64,
        trace_id: String,
    ) -> Result<u64, ActivityError> {
        drop(trace_id);
        Ok(id)
    }

    #[activity]
    #[cached_activity(policy = "task_source", backend = &*BACKEND)]
    pub(crate) fn sync_static(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }

    #[activity]
    #[cached_activity(ttl = "never")]
    pub(crate) async fn instance(
        self: Arc<Self>,
        _ctx: ActivityContext,
        name: String,
    ) -> Result<String, ActivityError> {
        Ok(format!("{} {name}", self.greeting))
    }

    #[activity]
    #[cached_activity]
    pub(crate) async fn no_inputs(_ctx: ActivityContext) -> Result<(), ActivityError> {
        Ok(())
    }

    #[activity]
    #[cached_activity]
    pub(crate) fn no_return_type(_ctx: ActivityContext, id: u64) {
        let _ = id;
    }

    #[activity]
    #[cached_activity(policy = "no_cache")]
    pub(crate) async fn uncached(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

async fn forget_all() {
    drop(invalidate_cache!(Activities::async_static, 1, String::new()).await);
    drop(invalidate_cache!(Activities::sync_static, 1).await);
    drop(invalidate_cache!(Activities::instance, String::new()).await);
    drop(invalidate_cache!(Activities::no_inputs).await);
    drop(invalidate_cache!(Activities::no_return_type, 1).await);
    drop(invalidate_cache!(Activities::uncached, 1).await);
}

fn main() {
    drop(Arc::new(Activities {
        greeting: String::new(),
    }));
    drop(forget_all());
}
