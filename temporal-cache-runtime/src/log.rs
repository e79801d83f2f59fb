//! What the cache says about itself: the one `tracing` target, and the caller each event names.
//!
//! How often a failing backend is reported is the backend's own state: see `backend/health.rs`.

use temporalio_sdk::activities::ActivityContext;

/// The `tracing` target of every event this crate emits.
pub(crate) const TARGET: &str = "temporal_cache";

/// Who is calling, for log events: built once per call, owned, so that it outlives the context
/// the body takes.
pub(crate) struct Caller {
    pub(crate) activity_type: String,
    pub(crate) workflow_id: Option<String>,
}

impl Caller {
    pub(crate) fn of(ctx: &ActivityContext) -> Self {
        let info = ctx.info();
        Self {
            activity_type: info.activity_type.clone(),
            workflow_id: info.workflow_id.clone(),
        }
    }
}

/// A `tracing` event about one call and its key: `event!(warn, caller, key, fields..., "message")`.
macro_rules! event {
    ($level:ident, $caller:expr, $key:expr, $($rest:tt)+) => {
        tracing::$level!(
            target: $crate::log::TARGET,
            activity_type = %$caller.activity_type,
            workflow_id = $caller.workflow_id.as_deref(),
            key = %$key,
            $($rest)+
        )
    };
}
pub(crate) use event;
