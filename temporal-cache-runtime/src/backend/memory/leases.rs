//! The memory backend's leases and watchers: in-process single flight.
//!
//! They are only touched when a read misses, so one mutex guards them all. The backend holds that
//! mutex across the entry-store write that must agree with a lease (a completion's store, an
//! invalidation's removal), which is what serializes those against each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::backend::{Claim, Watch};

/// The shared lease table; [`lock`](Self::lock) it to read or change it.
#[derive(Default)]
pub(super) struct Leases {
    table: Arc<Mutex<LeaseTable>>,
}

impl Leases {
    pub(super) fn lock(&self) -> MutexGuard<'_, LeaseTable> {
        lock(&self.table)
    }

    /// A subscription to `key`'s lease events; the key's counter is forgotten when its last
    /// watcher leaves.
    pub(super) fn watch(&self, key: &str) -> Watch {
        let events = self
            .lock()
            .watchers
            .entry(key.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        let subscription = Unwatch {
            table: Arc::clone(&self.table),
            key: key.to_owned(),
        };
        Watch::new(events, Some(Box::new(subscription)))
    }
}

fn lock(table: &Mutex<LeaseTable>) -> MutexGuard<'_, LeaseTable> {
    // A panic while holding the lock cannot leave the table inconsistent in a way that matters to
    // a cache (at worst a lease or a watcher is missing), so a poisoned lock is simply taken over.
    table.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Who holds which key, and who waits on which key.
#[derive(Default)]
pub(super) struct LeaseTable {
    held: HashMap<String, Lease>,
    /// Event counters of the keys someone is watching.
    watchers: HashMap<String, watch::Sender<u64>>,
}

struct Lease {
    owner: String,
    expires: Instant,
}

impl LeaseTable {
    /// Gives `owner` the lease on `key` unless someone else holds it: the caller has already
    /// found no value.
    pub(super) fn claim(&mut self, key: &str, owner: &str, lease: Duration) -> Claim {
        let now = Instant::now();
        if self
            .held
            .get(key)
            .is_some_and(|held| held.owner != owner && held.expires > now)
        {
            return Claim::Held;
        }
        let lease = Lease {
            owner: owner.to_owned(),
            expires: now.checked_add(lease).unwrap_or(now),
        };
        self.held.insert(key.to_owned(), lease);
        Claim::Acquired
    }

    /// Gives `owner` the lease on `key` unless someone else holds it, whatever is stored.
    pub(super) fn take(&mut self, key: &str, owner: &str, lease: Duration) -> bool {
        matches!(self.claim(key, owner, lease), Claim::Acquired)
    }

    /// Whether `owner` holds a live lease on `key`.
    pub(super) fn holds(&self, key: &str, owner: &str) -> bool {
        let now = Instant::now();
        self.held
            .get(key)
            .is_some_and(|held| held.owner == owner && held.expires > now)
    }

    /// Ends `owner`'s lease on `key` and wakes its waiters; whether `owner` held it.
    pub(super) fn release(&mut self, key: &str, owner: &str) -> bool {
        let held = self.holds(key, owner);
        if held {
            self.revoke(key);
        }
        held
    }

    /// Pushes `owner`'s lease on `key` back to `lease` from now; whether `owner` held it.
    pub(super) fn extend(&mut self, key: &str, owner: &str, lease: Duration) -> bool {
        let now = Instant::now();
        match self.held.get_mut(key) {
            Some(held) if held.owner == owner && held.expires > now => {
                held.expires = now.checked_add(lease).unwrap_or(now);
                true
            }
            _ => false,
        }
    }

    /// Drops whatever lease there is on `key`, waking its waiters so one of them can claim anew.
    pub(super) fn revoke(&mut self, key: &str) {
        if self.held.remove(key).is_some() {
            self.notify(key);
        }
    }

    /// [`revoke`](Self::revoke) for every key that starts with `prefix`.
    pub(super) fn revoke_prefix(&mut self, prefix: &str) {
        let doomed: Vec<String> = self
            .held
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect();
        for key in doomed {
            self.revoke(&key);
        }
    }

    fn notify(&self, key: &str) {
        if let Some(events) = self.watchers.get(key) {
            events.send_modify(|count| *count += 1);
        }
    }

    /// How many keys have watchers.
    #[cfg(test)]
    pub(super) fn watched_keys(&self) -> usize {
        self.watchers.len()
    }
}

/// Forgets a key's event counter when its last watcher leaves.
struct Unwatch {
    table: Arc<Mutex<LeaseTable>>,
    key: String,
}

impl Drop for Unwatch {
    fn drop(&mut self) {
        let mut table = lock(&self.table);
        // The watch drops its receiver before this guard, so no receiver means no watcher.
        if table
            .watchers
            .get(&self.key)
            .is_some_and(|events| events.receiver_count() == 0)
        {
            table.watchers.remove(&self.key);
        }
    }
}
