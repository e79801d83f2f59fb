//! What the cache says about itself: the one `tracing` target, and the caller each event names
//! (and whose metrics series each event counts in).
//!
//! How often a failing backend is reported is the backend's own state: see `backend/health.rs`.

use temporalio_sdk::activities::ActivityContext;

use crate::metrics::Series;

pub(crate) use crate::TARGET;

/// Who is calling, for log events and metrics: borrowed from the call's context, so that a hit
/// copies nothing to say who it was.
#[derive(Clone, Copy)]
pub(crate) struct Caller<'a> {
    pub(crate) activity_type: &'a str,
    pub(crate) workflow_id: Option<&'a str>,
    /// The metrics of the caller's activity type, namespace and task queue.
    pub(crate) metrics: &'static Series,
}

impl<'a> Caller<'a> {
    pub(crate) fn of(ctx: &'a ActivityContext) -> Self {
        let info = ctx.info();
        Self {
            activity_type: &info.activity_type,
            workflow_id: info.workflow_id.as_deref(),
            metrics: Series::of(&info.activity_type, &info.namespace, &info.task_queue),
        }
    }

    /// The caller, owned: for a call that runs its body, which takes the context.
    pub(crate) fn owned(self) -> OwnedCaller {
        OwnedCaller {
            activity_type: self.activity_type.to_owned(),
            workflow_id: self.workflow_id.map(str::to_owned),
            metrics: self.metrics,
        }
    }
}

/// A [`Caller`] that outlives the context the body takes.
pub(crate) struct OwnedCaller {
    activity_type: String,
    workflow_id: Option<String>,
    metrics: &'static Series,
}

impl OwnedCaller {
    pub(crate) fn as_caller(&self) -> Caller<'_> {
        Caller {
            activity_type: &self.activity_type,
            workflow_id: self.workflow_id.as_deref(),
            metrics: self.metrics,
        }
    }
}

/// A `tracing` event about one call and its key: `event!(warn, caller, key, fields..., "message")`.
///
/// The events that report how the cache answered a call carry `cache.status = "hit"`, `"miss"`
/// or `"fallback"`: emitted inside the SDK's activity span, they show in a trace whether the
/// activity was served from the cache.
macro_rules! event {
    ($level:ident, $caller:expr, $key:expr, $($rest:tt)+) => {
        tracing::$level!(
            target: $crate::log::TARGET,
            activity_type = %$caller.activity_type,
            workflow_id = $caller.workflow_id,
            key = %$key,
            $($rest)+
        )
    };
}
pub(crate) use event;
