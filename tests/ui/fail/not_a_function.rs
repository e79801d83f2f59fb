//! `#[cached_activity]` on something that is not a function says where it goes.

use temporal_cache_runtime::cached_activity;

#[cached_activity]
pub struct Activities;

fn main() {}
