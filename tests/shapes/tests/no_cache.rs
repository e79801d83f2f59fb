//! `policy = "no_cache"` leaves the activity as written, and `invalidate_cache!` still accepts it.

use temporal_cache_runtime::{cached_activity, invalidate_cache};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

#[activities]
impl Activities {
    #[activity]
    #[cached_activity(policy = "no_cache")]
    pub async fn send_email(_ctx: ActivityContext, to: String) -> Result<(), ActivityError> {
        let _ = to;
        Ok(())
    }

    #[activity]
    #[cached_activity(policy = "no_cache")]
    pub fn send_email_sync(_ctx: ActivityContext, to: String) -> Result<(), ActivityError> {
        let _ = to;
        Ok(())
    }
}

async fn forget() {
    let _ = invalidate_cache!(Activities::send_email, "a@example.com".to_owned()).await;
}

fn main() {
    drop(forget());
}
