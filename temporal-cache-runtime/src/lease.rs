//! A held lease: its owner token, and the background task that renews it while the body runs.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::backend::SharedBackend;

/// A token no other caller, in this process or another, will use: the process id, a random
/// number and a counter.
pub(crate) fn new_owner() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one(NEXT.fetch_add(1, Ordering::Relaxed));
    format!(
        "{}-{random:016x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A lease this caller holds. Renewal stops when it is dropped.
pub(crate) struct HeldLease {
    pub(crate) owner: String,
    renewal: tokio::task::JoinHandle<()>,
}

impl HeldLease {
    /// Starts renewing `owner`'s lease on `key` every third of `lease`, on the current runtime.
    pub(crate) fn renewed(
        backend: SharedBackend,
        key: String,
        owner: String,
        lease: Duration,
    ) -> Self {
        let renewal = tokio::spawn({
            let owner = owner.clone();
            async move {
                let mut ticks = tokio::time::interval(lease / 3);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    match backend.extend(&key, &owner, lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(
                                target: "temporal_cache",
                                key,
                                "lease lost while the body ran (it outlived the lease without \
                                 renewal); another caller may run the body too"
                            );
                            return;
                        }
                        // Try again at the next tick: the lease lasts three of them.
                        Err(error) => tracing::warn!(
                            target: "temporal_cache",
                            key,
                            %error,
                            "lease renewal failed"
                        ),
                    }
                }
            }
        });
        Self { owner, renewal }
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}
