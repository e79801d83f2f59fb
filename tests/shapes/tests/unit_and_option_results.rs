//! Results of `()` and `Option<T>` can be cached like any other value.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn touch(_ctx: ActivityContext, id: u64) -> Result<(), ActivityError> {
        let _ = id;
        Ok(())
    }

    #[activity]
    #[cached_activity]
    pub async fn find(_ctx: ActivityContext, id: u64) -> Result<Option<String>, ActivityError> {
        Ok((id > 0).then(|| format!("user {id}")))
    }

    #[activity]
    #[cached_activity]
    pub fn find_sync(_ctx: ActivityContext, id: u64) -> Result<Option<String>, ActivityError> {
        Ok((id > 0).then(|| format!("user {id}")))
    }
}

fn main() {}
