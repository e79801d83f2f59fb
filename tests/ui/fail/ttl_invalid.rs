//! Every malformed `ttl` is reported on its string, with what is wrong, and all of them are
//! reported in one build.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(ttl = "0s")]
    pub async fn zero(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "-5m")]
    pub async fn negative(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "soon")]
    pub async fn garbage(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "2w")]
    pub async fn unknown_unit(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "1.5h")]
    pub async fn fraction(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "90")]
    pub async fn no_unit(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "30m1h")]
    pub async fn units_out_of_order(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "40000d")]
    pub async fn too_long(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }

    #[activity]
    #[cached_activity(ttl = "")]
    pub async fn empty(_ctx: ActivityContext) -> Result<u64, ActivityError> {
        Ok(0)
    }
}

fn main() {}
