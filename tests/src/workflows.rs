//! Workflows for the end-to-end tests and the `probe` worker: each runs one cached activity.

// The SDK's workflow macros generate undocumented items.
#![allow(missing_docs)]

use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{directive, execute_cached};
use temporalio_client::{Client, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityCancellationType, ActivityExecutionError, ActivityOptions, WorkflowContext,
    WorkflowResult,
};

use crate::activities::{Cached, Output};
use crate::stored::{Profile, Stored};

/// Which activity a [`CallWorkflow`] runs, and with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// `true` for [`Cached::uncached`], `false` for [`Cached::echo`].
    pub uncached: bool,
    pub token: String,
    pub value: u64,
}

/// Starts a [`CallWorkflow`] for `call` on `task_queue` and waits for its output.
///
/// # Panics
///
/// If the workflow does not start or does not complete.
pub async fn execute_call(client: &Client, task_queue: &str, call: Call) -> Output {
    let workflow_id = crate::temporal_server::unique_task_queue("workflow");
    client
        .start_workflow(
            CallWorkflow::run,
            call,
            WorkflowStartOptions::new(task_queue, workflow_id.as_str()).build(),
        )
        .await
        .expect("the workflow starts")
        .get_result(WorkflowGetResultOptions::default())
        .await
        .expect("the workflow completes")
}

/// Runs [`Cached::echo`] (or [`Cached::uncached`]) once and returns its output.
#[workflow]
#[derive(Default)]
pub struct CallWorkflow;

#[workflow_methods]
impl CallWorkflow {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, call: Call) -> WorkflowResult<Output> {
        let options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        let output = if call.uncached {
            ctx.execute_activity(
                Cached::uncached,
                MultiArgs2(call.token, call.value),
                options,
            )
            .await?
        } else {
            ctx.execute_activity(Cached::echo, MultiArgs2(call.token, call.value), options)
                .await?
        };
        Ok(output)
    }
}

/// Runs [`Cached::slow`] with a heartbeat timeout, waiting for its cancellation to complete, and
/// returns `"cancelled"` if it was cancelled (or its output's run number otherwise).
#[workflow]
#[derive(Default)]
pub struct WaitWorkflow;

#[workflow_methods]
impl WaitWorkflow {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, call: Call) -> WorkflowResult<String> {
        let options = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
            .heartbeat_timeout(Duration::from_secs(1))
            .cancellation_type(ActivityCancellationType::WaitCancellationCompleted)
            .build();
        match ctx
            .execute_activity(Cached::slow, MultiArgs2(call.token, call.value), options)
            .await
        {
            Ok(output) => Ok(format!("run {}", output.run)),
            Err(ActivityExecutionError::Cancelled(_)) => Ok("cancelled".to_owned()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Runs [`Cached::echo`] once for each value in turn and returns the outputs.
#[workflow]
#[derive(Default)]
pub struct SeriesWorkflow;

#[workflow_methods]
impl SeriesWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        series: (String, Vec<u64>),
    ) -> WorkflowResult<Vec<Output>> {
        let (token, values) = series;
        let mut outputs = Vec::new();
        for value in values {
            let options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
            outputs.push(
                ctx.execute_activity(Cached::slow, MultiArgs2(token.clone(), value), options)
                    .await?,
            );
        }
        Ok(outputs)
    }
}

/// Runs [`Stored::profile`] and [`Stored::shared_profile`] for one token and returns both.
#[workflow]
#[derive(Default)]
pub struct ProfileWorkflow;

#[workflow_methods]
impl ProfileWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        token: String,
    ) -> WorkflowResult<Vec<Profile>> {
        let options = || ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        let own = ctx
            .execute_activity(Stored::profile, token.clone(), options())
            .await?;
        let shared = ctx
            .execute_activity(Stored::shared_profile, token, options())
            .await?;
        Ok(vec![own, shared])
    }
}

/// A call of [`Cached::echo`] with a per-call cache directive: `"refresh"`, `"bypass"` or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectedCall {
    pub directive: Option<String>,
    pub token: String,
    pub value: u64,
}

/// Runs [`Cached::echo`] once, with the directive the input names, and returns its output.
#[workflow]
#[derive(Default)]
pub struct DirectedWorkflow;

#[workflow_methods]
impl DirectedWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        call: DirectedCall,
    ) -> WorkflowResult<Output> {
        let options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        let input = MultiArgs2(call.token, call.value);
        let output = match call.directive.as_deref() {
            Some("refresh") => {
                directive::refresh(|| ctx.execute_activity(Cached::echo, input, options)).await?
            }
            Some("bypass") => {
                directive::bypass(|| ctx.execute_activity(Cached::echo, input, options)).await?
            }
            _ => ctx.execute_activity(Cached::echo, input, options).await?,
        };
        Ok(output)
    }
}

/// Which cached activity a [`LookupWorkflow`] runs through `execute_cached!`, and with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupCall {
    /// `"echo"`, `"corruptible"`, `"stale_slow"` (its `value` is the body's milliseconds) or
    /// `"uncached"` (a `no_cache` activity).
    pub activity: String,
    pub token: String,
    pub value: u64,
    /// The task queue of the activity, if not the workflow's.
    pub task_queue: Option<String>,
}

/// Runs one cached activity through `execute_cached!`: a hit is served by the local-activity
/// lookup, without scheduling the activity.
#[workflow]
#[derive(Default)]
pub struct LookupWorkflow;

#[workflow_methods]
impl LookupWorkflow {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, call: LookupCall) -> WorkflowResult<Output> {
        let mut options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        options.task_queue = call.task_queue;
        let input = MultiArgs2(call.token, call.value);
        let output = match call.activity.as_str() {
            "corruptible" => execute_cached!(ctx, Cached::corruptible, input, options).await?,
            "uncached" => execute_cached!(ctx, Cached::uncached, input, options).await?,
            "stale_slow" => execute_cached!(ctx, Cached::stale_slow, input, options).await?,
            _ => execute_cached!(ctx, Cached::echo, input, options).await?,
        };
        Ok(output)
    }
}

/// Runs [`Cached::dependent`] once, with Temporal's default retry policy, and returns its output.
#[workflow]
#[derive(Default)]
pub struct DependentWorkflow;

#[workflow_methods]
impl DependentWorkflow {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, token: String) -> WorkflowResult<Output> {
        let options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        Ok(ctx
            .execute_activity(Cached::dependent, token, options)
            .await?)
    }
}
