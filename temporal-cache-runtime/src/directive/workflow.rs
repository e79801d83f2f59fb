//! The workflow side of directives: one line around an activity call, and the workflow
//! interceptor that turns it into the activity's header.
//!
//! The SDK lets a workflow set an activity's headers only through a workflow interceptor, and
//! its outbound chain runs synchronously inside `execute_activity`. So [`with_directive`] leaves
//! the directive in a thread-local for the length of that one synchronous call, and
//! [`DirectiveInterceptor`] takes it from there while the activity is scheduled: a directive can
//! never reach another call. Replays run the same code and schedule the same header.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use temporalio_workflow::WorkflowContextView;
use temporalio_workflow::common::protos::temporal::api::common::v1::Payload;
use temporalio_workflow::workflow_interceptors::{
    CancellableWorkflowOutboundFuture, ScheduleActivityInput, ScheduleActivityResult,
    ScheduleLocalActivityInput, WorkflowInterceptor, WorkflowInterceptorConstructor,
    WorkflowInterceptorContext, WorkflowNext,
};

use super::{DIRECTIVE_HEADER, Directive};
use crate::log::TARGET;

/// Whether a [`DirectiveInterceptor`] was ever made in this process: `execute_cached!` runs its
/// lookup only where one writes the lookup directive (without it, the local activity would run
/// the whole activity).
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether workflows in this process have the [`DirectiveInterceptor`].
pub(crate) fn interceptor_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

thread_local! {
    /// The directive for the activity being scheduled right now on this thread, if any.
    static PENDING: Cell<Option<Directive>> = const { Cell::new(None) };
}

/// Runs `schedule` (a workflow's `ctx.execute_activity(...)`) with `directive` attached to the
/// activity it schedules, and returns what it returns (the activity's future).
///
/// The worker must run [`interceptor`]; without it the directive is ignored with a warning and
/// the activity runs as usual.
pub fn with_directive<T>(directive: Directive, schedule: impl FnOnce() -> T) -> T {
    let previous = PENDING.replace(Some(directive));
    let scheduled = schedule();
    if PENDING.replace(previous).is_some() {
        tracing::warn!(
            target: TARGET,
            directive = directive.as_str(),
            "cache directive ignored: nothing took it while the activity was scheduled; register \
             temporal_cache_runtime::directive::interceptor() on the worker's workflow interceptors"
        );
    }
    scheduled
}

/// `ctx.execute_activity(...)` that runs the activity's body even if a result is cached, and
/// stores the new result over it:
///
/// ```text
/// let user = directive::refresh(|| ctx.execute_activity(Users::fetch, 42, options)).await?;
/// ```
pub fn refresh<T>(schedule: impl FnOnce() -> T) -> T {
    with_directive(Directive::Refresh, schedule)
}

/// `ctx.execute_activity(...)` that runs the activity's body as if it were not cached: nothing
/// is read from the cache and nothing is stored.
pub fn bypass<T>(schedule: impl FnOnce() -> T) -> T {
    with_directive(Directive::Bypass, schedule)
}

/// The workflow interceptor that writes a pending directive into the scheduled activity's (or
/// local activity's) headers. Register it on the worker with [`interceptor`].
#[derive(Debug, Default, Clone, Copy)]
pub struct DirectiveInterceptor;

impl WorkflowInterceptor for DirectiveInterceptor {
    fn schedule_activity(
        &self,
        _ctx: WorkflowInterceptorContext,
        mut input: ScheduleActivityInput,
        next: WorkflowNext<
            'static,
            ScheduleActivityInput,
            CancellableWorkflowOutboundFuture<ScheduleActivityResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<ScheduleActivityResult> {
        write_pending(input.headers_mut());
        next.run(input)
    }

    fn schedule_local_activity(
        &self,
        _ctx: WorkflowInterceptorContext,
        mut input: ScheduleLocalActivityInput,
        next: WorkflowNext<
            'static,
            ScheduleLocalActivityInput,
            CancellableWorkflowOutboundFuture<ScheduleActivityResult>,
        >,
    ) -> CancellableWorkflowOutboundFuture<ScheduleActivityResult> {
        write_pending(input.headers_mut());
        next.run(input)
    }
}

/// The constructor of [`DirectiveInterceptor`], for the worker's options:
///
/// ```text
/// WorkerOptions::new(task_queue)
///     .register_workflow_interceptors(vec![temporal_cache_runtime::directive::interceptor()])
/// ```
///
/// (`register_workflow_interceptors` replaces the list: a worker with interceptors of its own adds
/// this one to them, with `workflow_interceptor_constructors_mut().push(...)`.)
pub fn interceptor() -> WorkflowInterceptorConstructor {
    WorkflowInterceptorConstructor::new(|_: &WorkflowContextView| {
        INSTALLED.store(true, Ordering::Relaxed);
        DirectiveInterceptor
    })
}

/// Moves the pending directive, if any, into the headers of the (local) activity being
/// scheduled.
fn write_pending(headers: &mut HashMap<String, Payload>) {
    if let Some(directive) = PENDING.take() {
        headers.insert(DIRECTIVE_HEADER.to_owned(), header(directive));
    }
}

/// The header's payload: the directive as a JSON string, as Temporal's default converter would
/// write it.
fn header(directive: Directive) -> Payload {
    Payload {
        metadata: [("encoding".to_owned(), b"json/plain".to_vec())].into(),
        data: format!("\"{}\"", directive.as_str()).into_bytes(),
        ..Payload::default()
    }
}
