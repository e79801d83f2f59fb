//! Serving stale values is checked like the other arguments, each error on its own token:
//! `stale` takes a finite duration and needs a finite `ttl`; `on_error` names one of its values
//! and, to serve anything but the error, needs `stale`.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(stale = "never")]
    pub async fn stale_forever(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "never", stale = "10m")]
    pub async fn never_turns_stale(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "1h", on_error = "stale")]
    pub async fn nothing_stale_to_serve(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(stale = "10m", on_error = "ignore")]
    pub async fn unknown_on_error(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(policy = "no_cache", stale = "10m")]
    pub async fn stale_without_cache(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }
}

fn main() {}
