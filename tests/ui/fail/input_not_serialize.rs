//! An input that cannot be hashed into the key is reported on that parameter's type.
//!
//! The impl block has no `#[activities]`: the SDK needs `Serialize` inputs too and would add its
//! own errors on `#[activities]`, which are not this crate's to test.

use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Opaque;

pub struct Activities;

impl Activities {
    #[cached_activity]
    pub async fn fetch(
        _ctx: ActivityContext,
        id: u64,
        opaque: Opaque,
    ) -> Result<u64, ActivityError> {
        let _ = opaque;
        Ok(id)
    }
}

fn main() {}
