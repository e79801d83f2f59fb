//! An input bound by a destructuring pattern is reported on the pattern: inputs need names.

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::cached_activity;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

#[derive(Serialize, Deserialize)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity]
    pub async fn norm(_ctx: ActivityContext, Point { x, y }: Point) -> Result<i64, ActivityError> {
        Ok(x.abs() + y.abs())
    }
}

fn main() {}
