//! Workflows for the end-to-end tests and the `probe` worker: each runs one cached activity.

// The SDK's workflow macros generate undocumented items.
#![allow(missing_docs)]

use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowResult};

use crate::activities::{Cached, Output};

/// Which activity a [`CallWorkflow`] runs, and with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// `true` for [`Cached::uncached`], `false` for [`Cached::echo`].
    pub uncached: bool,
    pub token: String,
    pub value: u64,
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
