//! Running one activity without a Temporal server, with the context a worker would give it.

use temporalio_common::ActivityDefinition;
use temporalio_sdk::activities::ExecutableActivity;
use temporalio_sdk::testing::{
    ActivityEnvironment, ActivityEnvironmentError, TestActivityInfoOptions,
};

/// An environment whose activity context names `activity_type`, as a worker's would.
pub fn environment_for(activity_type: &str) -> ActivityEnvironment {
    ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity_type)
                .workflow_id(Some(format!("test-{}", std::process::id())))
                .build(),
        )
        .build()
}

/// Runs a static activity once; the result of its body (or of the cache).
pub async fn try_run<A>(activity: A, input: A::Input) -> Result<A::Output, ActivityEnvironmentError>
where
    A: ExecutableActivity + ActivityDefinition,
{
    environment_for(activity.name()).run(activity, input).await
}

/// Runs a static activity once and expects it to succeed.
pub async fn run<A>(activity: A, input: A::Input) -> A::Output
where
    A: ExecutableActivity + ActivityDefinition,
{
    let name = activity.name().to_owned();
    try_run(activity, input)
        .await
        .unwrap_or_else(|error| panic!("activity {name} failed: {error:?}"))
}
