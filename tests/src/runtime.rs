//! One Tokio runtime for all tests of a process.
//!
//! A backend's connection lives on the runtime it was first used on. `#[tokio::test]` gives each
//! test a runtime of its own that ends with the test, which would leave a process-wide backend
//! (the global one) holding a connection to a runtime that is gone. Tests that share a backend
//! therefore run on this one runtime.

use std::future::Future;
use std::sync::LazyLock;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the tests")
});

/// Runs `future` to completion on the shared runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.block_on(future)
}
