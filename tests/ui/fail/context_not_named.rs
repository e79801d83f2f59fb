//! The `ActivityContext` parameter bound to `_` is reported on the `_`: the cache needs it.
//!
//! The snapshot also holds a follow-on error on `fetch`, claiming there is no context at all;
//! it is a cascade the macro should not emit.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn fetch(_: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        Ok(id)
    }
}

fn main() {}
