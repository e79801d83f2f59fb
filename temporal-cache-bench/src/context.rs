//! The activity context a worker would hand an activity, without the SDK's per-call machinery.
//!
//! The SDK's test environment builds a fresh context (and converts payloads) on every run: costs
//! that are the SDK's, not the cache's. So the bench runs a helper activity once through that
//! environment, keeps the context it received, and calls the benchmarked activity methods
//! directly with clones of it. The context names the benchmarked activity's registered type,
//! which is what the cache key is built from.

use temporalio_sdk::activities::ActivityContext;
use temporalio_sdk::testing::{ActivityEnvironment, TestActivityInfoOptions};

use crate::activities::{self, ContextProbe};
use crate::error::BenchResult;

/// `count` contexts for calls of the activity registered as `activity_type`, each with a
/// cancellation token of its own: concurrent calls each take one, as the activity executions a
/// worker runs at once each have their own (clones of one context would share their token's
/// lock).
pub(crate) async fn contexts_for(
    activity_type: &str,
    count: usize,
) -> BenchResult<Vec<ActivityContext>> {
    let mut contexts = Vec::with_capacity(count);
    for _ in 0..count {
        contexts.push(context_for(activity_type).await?);
    }
    Ok(contexts)
}

/// A context for calls of the activity registered as `activity_type`.
pub(crate) async fn context_for(activity_type: &str) -> BenchResult<ActivityContext> {
    let environment = ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity_type)
                .workflow_id(Some(format!("bench-{}", std::process::id())))
                .build(),
        )
        .build();
    environment
        .run(ContextProbe::capture, ())
        .await
        .map_err(|error| format!("the context probe failed: {error}"))?;
    activities::take_captured().ok_or_else(|| "the context probe stored no context".into())
}
