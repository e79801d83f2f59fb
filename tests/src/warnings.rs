//! The cache's warnings as a test sees them: each one's fields, recorded by a `tracing` layer
//! installed once per test process, for tests that count warnings or read what they name.

use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs the recorder as this process's global subscriber (once; later calls do nothing).
pub fn record() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        tracing_subscriber::registry().with(RecordWarnings).init();
    });
}

/// The warnings recorded so far, each as ` field=value` pairs (the message among them).
pub fn recorded() -> MutexGuard<'static, Vec<String>> {
    WARNINGS.lock().unwrap_or_else(PoisonError::into_inner)
}

struct RecordWarnings;

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RecordWarnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() == tracing::Level::WARN && metadata.target() == "temporal_cache" {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            recorded().push(fields.0);
        }
    }
}
