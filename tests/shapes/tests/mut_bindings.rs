//! `mut` bindings survive the rewrite: the body may still mutate an input or the context, async
//! or sync, and no `unused_mut` warning appears (warnings are denied here).
#![deny(warnings)]

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn normalize(
        _ctx: ActivityContext,
        mut name: String,
    ) -> Result<String, ActivityError> {
        name.make_ascii_lowercase();
        Ok(name)
    }

    #[activity]
    #[cached_activity]
    pub async fn with_mut_context(
        mut ctx: ActivityContext,
        id: u64,
    ) -> Result<String, ActivityError> {
        let original = ctx.clone();
        ctx = original;
        Ok(format!("{} {id}", ctx.info().activity_type))
    }

    #[activity]
    #[cached_activity]
    pub fn with_mut_context_sync(mut ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> {
        let original = ctx.clone();
        ctx = original;
        let _ = ctx.info();
        Ok(id)
    }

    #[activity]
    #[cached_activity]
    pub fn normalize_sync(
        _ctx: ActivityContext,
        mut name: String,
    ) -> Result<String, ActivityError> {
        name.make_ascii_lowercase();
        Ok(name)
    }
}

fn main() {}
