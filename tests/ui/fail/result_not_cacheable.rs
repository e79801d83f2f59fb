//! A result type that cannot be stored is reported once, with the crate's own message, on the `T`
//! of `Result<T, ActivityError>`.
//!
//! The impl block has no `#[activities]`: the SDK needs serde results too and would add its own
//! errors on the same `T`, which are not this crate's to test.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Opaque;

pub struct Activities;

impl Activities {
    #[cached_activity]
    pub async fn fetch(_ctx: ActivityContext, id: u64) -> Result<Opaque, ActivityError> {
        let _ = id;
        Ok(Opaque)
    }
}

fn main() {}
