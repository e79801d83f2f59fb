//! Test harness for `temporal-cache` integration tests.
//!
//! It starts real servers as child processes, each on a free loopback port:
//!
//! - [`redis_server::RedisServer`]: a throwaway `redis-server` (no persistence) per test, which
//!   can be killed and restarted on the same port to simulate outages;
//! - [`temporal_server::TemporalServer`]: a Temporal dev server (`temporal server start-dev`,
//!   in-memory), usually one per test process via [`temporal_server::TemporalServer::shared`].
//!
//! The launchers live in `temporal-cache-servers`, which the bench uses too; this crate adds what
//! only tests want: panics instead of errors, and redis-rs and Temporal clients. Every server runs
//! under the supervisor of `temporal_cache_servers::supervisor`, which `SIGKILL`s it once the test
//! process lets go of it: when the harness stops the server, or when the test process exits or
//! dies, even without running destructors (as happens to statics). So no server outlives its
//! test process.
//!
//! [`init_tracing`] installs a log subscriber; the servers' own output is forwarded to it at
//! `debug` level under the target `temporal_cache_servers::process`.

pub mod redis_server;
pub mod temporal_server;

/// Installs a `tracing` subscriber that writes through the test harness's capture and records
/// the cache's warnings (see [`warnings`]).
///
/// The filter of what is written comes from `RUST_LOG` and defaults to `warn`. Calling it more
/// than once (from many tests in one process) is harmless: only the first call installs a
/// subscriber.
pub fn init_tracing() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // An error only means a global subscriber is already installed, which is what we want.
    let _ = tracing_subscriber::registry()
        .with(warnings::layer())
        .with(
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(filter),
        )
        .try_init();
}

/// Runs the tests of one test file one at a time, for files whose tests point the global
/// backend at a server of their own or count warnings; installs [`init_tracing`] first.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    init_tracing();
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// The Temporal dev server's launcher uses the process plumbing of `temporal-cache-servers` too.
pub(crate) use temporal_cache_servers::executable::{find_in_path, is_executable};
pub(crate) use temporal_cache_servers::supervisor;

/// [`temporal_cache_servers::free_loopback_port`], for the Temporal dev server's launcher.
///
/// # Panics
///
/// If no loopback socket can be bound: a test cannot go on without a port.
pub(crate) fn free_loopback_port() -> u16 {
    temporal_cache_servers::free_loopback_port().unwrap_or_else(|e| panic!("{e}"))
}

pub mod activities;
pub mod environment;
pub mod probe;
pub mod prometheus;
pub mod runtime;
pub mod stored;
pub mod warnings;
pub mod workflows;
