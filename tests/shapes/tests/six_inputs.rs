//! The most inputs the SDK allows (six), of mixed types, one of them excluded.

use std::collections::BTreeMap;

use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(exclude = [trace_id])]
    pub async fn six(
        _ctx: ActivityContext,
        a: u8,
        b: String,
        c: Vec<i64>,
        d: Option<bool>,
        e: BTreeMap<String, f64>,
        trace_id: String,
    ) -> Result<usize, ActivityError> {
        let _ = trace_id;
        Ok(usize::from(a) + b.len() + c.len() + usize::from(d.is_some()) + e.len())
    }
}

fn main() {}
