//! A function without an `ActivityContext` is reported on its name.
//!
//! Inside `#[activities]`, a method marked `#[activity]` without a context is rejected by the
//! SDK's own macro first; this case is the method the SDK does not check (no `#[activity]`).

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::ActivityError;

pub struct Activities;

#[activities]
impl Activities {
    #[cached_activity]
    pub async fn fetch(id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

fn main() {}
