//! Activities for the test of the `disabled` cargo feature of `temporal-cache-runtime`.
//!
//! This package is built on its own (not with the rest of the workspace) because cargo unifies
//! features: building it together with the other tests would turn caching off in all of them.

// The SDK's `#[activities]` generates undocumented marker constants.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// How many times each activity body ran.
pub static ASYNC_RUNS: AtomicU32 = AtomicU32::new(0);
/// How many times the sync activity body ran.
pub static SYNC_RUNS: AtomicU32 = AtomicU32::new(0);

/// Cached activities, compiled with caching turned off.
pub struct Activities;

#[activities]
impl Activities {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn double(_ctx: ActivityContext, value: u64) -> Result<u64, ActivityError> {
        ASYNC_RUNS.fetch_add(1, Ordering::SeqCst);
        Ok(value * 2)
    }

    #[activity]
    #[cached_activity(policy = "task_source", ttl = "never")]
    pub fn triple(_ctx: ActivityContext, value: u64) -> Result<u64, ActivityError> {
        SYNC_RUNS.fetch_add(1, Ordering::SeqCst);
        Ok(value * 3)
    }
}
