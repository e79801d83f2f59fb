//! The cache's warnings as a test sees them: each one's fields, recorded by a `tracing` layer
//! that [`init_tracing`](crate::init_tracing) installs in every test process, for tests that
//! count warnings or read what they name.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The warnings recorded so far, each as ` field=value` pairs (the message among them). Clear it
/// before the calls whose warnings a test counts.
pub fn recorded() -> MutexGuard<'static, Vec<String>> {
    WARNINGS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The recording layer, which sees the cache's warnings whatever `RUST_LOG` lets through.
pub(crate) fn layer<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'lookup> tracing_subscriber::registry::LookupSpan<'lookup>,
{
    RecordWarnings.with_filter(filter_fn(|metadata| {
        *metadata.level() == tracing::Level::WARN && metadata.target() == "temporal_cache"
    }))
}

struct RecordWarnings;

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for RecordWarnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        recorded().push(fields.0);
    }
}
