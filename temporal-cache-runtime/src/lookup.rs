//! A cache hit that costs the workflow nothing: `execute_cached!` looks the entry up in a local
//! activity, and schedules the real activity only when that finds nothing to serve.
//!
//! A normal activity costs its workflow a round of Temporal's dispatch (an activity task, and one
//! more workflow task for its result) even when the cache skips its body. A local activity's
//! result is recorded in the workflow task that ran it. So the workflow runs the cached activity
//! itself as a local activity first, with the `lookup` directive: on that call the runtime only
//! reads the entry, and serves it, or fails with a miss without running the body (see
//! `call.rs`). The key is the activity's own, computed by its own generated code, so the lookup
//! can never disagree with the activity about policy, `exclude`, `version`, source hash,
//! namespace or backend. Its outcome is recorded in history (the local activity's marker), so a
//! replay never touches the cache. On a miss, any failure of the lookup, or when it outlasts
//! [`LOOKUP_TIMEOUT`], the real activity is scheduled as usual.

use std::time::Duration;

use temporalio_common::ActivityDefinition;
use temporalio_common::data_converters::TemporalDeserializable;
use temporalio_workflow::common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_workflow::{
    ActivityExecutionError, ActivityOptions, LocalActivityOptions, RetryPolicy, WorkflowContext,
};

pub use crate::outcome::MISS_FAILURE_TYPE;

use crate::directive::{self, Directive};
use crate::log::TARGET;

/// How long the lookup may take before the workflow gives up on it and schedules the activity: a
/// lookup is one Redis `GET`, well under a millisecond; more means the cache is in trouble.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `activity` with `input` and `options` as `ctx.execute_activity` would, serving a cached
/// result from a local-activity lookup when there is one. Use it through [`execute_cached!`].
///
/// `lookup` and `activity` are the same marker, twice: markers cannot be copied, and the macro
/// names the path twice. `cached` is whether the activity caches at all (its companion knows):
/// a `no_cache` activity's body would run in the lookup, so it is scheduled at once.
#[doc(hidden)]
pub async fn execute_cached<W, AD>(
    ctx: &WorkflowContext<W>,
    cached: bool,
    lookup: AD,
    activity: AD,
    input: AD::Input,
    options: ActivityOptions,
) -> Result<AD::Output, ActivityExecutionError>
where
    AD: ActivityDefinition,
    AD::Input: Clone,
    AD::Output: TemporalDeserializable,
{
    if !cached {
        // Nothing to look up, and the body would run in the lookup.
    } else if directive::interceptor_installed() {
        let local = LocalActivityOptions::builder()
            .schedule_to_close_timeout(LOOKUP_TIMEOUT)
            .retry_policy(RetryPolicy::builder().maximum_attempts(1).build())
            .build();
        let found = directive::with_directive(Directive::Lookup, || {
            ctx.execute_local_activity(lookup, input.clone(), local)
        })
        .await;
        match found {
            Ok(output) => return Ok(output),
            Err(error) if is_miss(&error) => {}
            Err(error) => tracing::warn!(
                target: TARGET,
                activity_type = activity.name(),
                %error,
                "cache lookup failed; scheduling the activity (is it registered on this worker?)"
            ),
        }
    } else {
        tracing::warn!(
            target: TARGET,
            activity_type = activity.name(),
            "execute_cached! needs temporal_cache_runtime::directive::interceptor() on the \
             worker's workflow interceptors; scheduling the activity without a lookup"
        );
    }
    ctx.execute_activity(activity, input, options).await
}

/// Whether the lookup failed because it found nothing to serve (its expected way to say "miss").
fn is_miss(error: &ActivityExecutionError) -> bool {
    let Some(failure) = error.failure() else {
        return false;
    };
    let mut current = Some(failure);
    // The miss is the local activity's own application failure, possibly wrapped as its cause.
    while let Some(failure) = current {
        if let Some(FailureInfo::ApplicationFailureInfo(info)) = &failure.failure_info
            && info.r#type == crate::outcome::MISS_FAILURE_TYPE
        {
            return true;
        }
        current = failure.cause.as_deref();
    }
    false
}
