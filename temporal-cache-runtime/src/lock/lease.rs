//! A held lease: its owner token, and the background task that renews it while the body runs.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::backend::SharedBackend;
use crate::log::TARGET;

/// A token no other caller, in this process or another, will use: the process id, a random
/// number and a counter.
pub(crate) fn new_owner() -> Arc<str> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one(NEXT.fetch_add(1, Ordering::Relaxed));
    Arc::from(format!(
        "{}-{random:016x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A lease this caller holds. Renewal stops when it is dropped or given up.
pub(crate) struct HeldLease {
    owner: Arc<str>,
    _renewal: Renewal,
}

/// The renewal task, stopped when dropped.
struct Renewal(JoinHandle<()>);

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl HeldLease {
    /// Starts renewing `owner`'s lease on `key` every third of `lease`, on the current runtime.
    pub(crate) fn renewed(
        backend: SharedBackend,
        key: Arc<str>,
        owner: Arc<str>,
        lease: Duration,
    ) -> Self {
        let renewal = tokio::spawn({
            let owner = Arc::clone(&owner);
            async move {
                let mut ticks = tokio::time::interval(lease / 3);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    match backend.extend(&key, &owner, lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(
                                target: TARGET,
                                key = &*key,
                                "lease lost while the body ran (it outlived the lease without \
                                 renewal); another caller may run the body too"
                            );
                            return;
                        }
                        // Try again at the next tick: the lease lasts three of them.
                        Err(error) => tracing::warn!(
                            target: TARGET,
                            key = &*key,
                            %error,
                            "lease renewal failed"
                        ),
                    }
                }
            }
        });
        Self {
            owner,
            _renewal: Renewal(renewal),
        }
    }

    /// Stops renewing and hands over the owner token, to store or release with.
    pub(crate) fn into_owner(self) -> Arc<str> {
        self.owner
    }
}
