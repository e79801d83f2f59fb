//! `?` and an early `return` in the body keep working after the rewrite, in async and sync
//! activities: `?` still converts the error into `ActivityError` with `From`, and `return` still
//! leaves the activity with its value.

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn parse(_ctx: ActivityContext, text: String) -> Result<u64, ActivityError> {
        if text.is_empty() {
            return Ok(0);
        }
        let number: u64 = text.parse()?;
        Ok(number * 2)
    }

    #[activity]
    #[cached_activity]
    pub fn parse_sync(_ctx: ActivityContext, text: String) -> Result<u64, ActivityError> {
        if text.is_empty() {
            return Ok(0);
        }
        let number: u64 = text.parse()?;
        Ok(number * 2)
    }
}

fn main() {}
