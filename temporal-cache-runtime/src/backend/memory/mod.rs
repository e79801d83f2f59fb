//! The in-process backend: the default for demos, tests and workers without Redis.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{BackendError, BoxFuture, CacheBackend, Claim, Storage, Watch};

/// A cache held in this process's memory.
///
/// It honours TTLs to the millisecond and is bounded both in entries and in bytes: when either
/// bound is reached, the oldest entries are evicted first. Entries are not shared with other
/// processes, so it caches across workflow executions served by one worker only; use
/// [`RedisCacheBackend`](crate::backend::RedisCacheBackend) to share results between workers. Its leases
/// make identical concurrent calls in this process run once.
///
/// ```
/// use temporal_cache_runtime::{set_cache_backend, MemoryCacheBackend};
///
/// set_cache_backend(MemoryCacheBackend::new().with_max_entries(1_000));
/// ```
pub struct MemoryCacheBackend {
    max_entries: usize,
    max_bytes: usize,
    storage: Storage,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Insertion order for eviction. An item is stale when its key has since been rewritten
    /// (its sequence number no longer matches) or removed; stale items are skipped.
    order: VecDeque<(u64, String)>,
    next_seq: u64,
    bytes: usize,
    /// Leases on keys: owner and expiry.
    leases: HashMap<String, (String, Instant)>,
    /// Event counters of the keys someone is watching.
    watchers: HashMap<String, watch::Sender<u64>>,
}

struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
    seq: u64,
}

impl Entry {
    fn is_expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

impl MemoryCacheBackend {
    /// How many entries it keeps unless told otherwise.
    pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
    /// How many bytes of values it keeps unless told otherwise (64 MiB).
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

    /// An empty cache bounded by [`DEFAULT_MAX_ENTRIES`](Self::DEFAULT_MAX_ENTRIES) and
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES).
    pub fn new() -> Self {
        Self {
            max_entries: Self::DEFAULT_MAX_ENTRIES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            storage: Storage::new(),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Keeps at most `max_entries` entries (at least one).
    pub fn with_max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries.max(1);
        self
    }

    /// Keeps at most `max_bytes` bytes of values. A single value larger than this is not stored.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Writes keys and values as `storage` says (keyed hashing and the like) instead of
    /// [`Storage::new`]'s plain form.
    pub fn with_storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// The number of live (unexpired) entries.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.lock()
            .entries
            .values()
            .filter(|entry| !entry.is_expired(now))
            .count()
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every entry.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().live_value(key, Instant::now())
    }

    fn set_now(&self, key: &str, value: &[u8], ttl: Option<Duration>) {
        self.store(&mut self.lock(), key, value, ttl);
    }

    fn store(&self, state: &mut State, key: &str, value: &[u8], ttl: Option<Duration>) {
        state.remove(key);
        if value.len() > self.max_bytes {
            return;
        }
        let now = Instant::now();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.bytes += value.len();
        state.entries.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                // A TTL too large for `Instant` is as good as no expiry.
                expires_at: ttl.and_then(|ttl| now.checked_add(ttl)),
                seq,
            },
        );
        state.order.push_back((seq, key.to_owned()));
        state.evict(self.max_entries, self.max_bytes, now);
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave the map inconsistent in a way that matters to a
    // cache (at worst an entry or a lease is missing), so a poisoned lock is simply taken over.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    fn live_value(&mut self, key: &str, now: Instant) -> Option<Vec<u8>> {
        match self.entries.get(key) {
            Some(entry) if entry.is_expired(now) => {
                self.remove(key);
                None
            }
            Some(entry) => Some(entry.value.clone()),
            None => None,
        }
    }

    /// Whether `owner` holds a live lease on `key`.
    fn holds(&self, key: &str, owner: &str, now: Instant) -> bool {
        self.leases
            .get(key)
            .is_some_and(|(holder, expires)| holder == owner && *expires > now)
    }

    fn notify(&mut self, key: &str) {
        if let Some(events) = self.watchers.get(key) {
            events.send_modify(|count| *count += 1);
        }
    }

    fn remove(&mut self, key: &str) -> bool {
        match self.entries.remove(key) {
            Some(entry) => {
                self.bytes -= entry.value.len();
                true
            }
            None => false,
        }
    }

    fn evict(&mut self, max_entries: usize, max_bytes: usize, now: Instant) {
        if self.entries.len() > max_entries || self.bytes > max_bytes {
            let expired: Vec<String> = self
                .entries
                .iter()
                .filter(|(_, entry)| entry.is_expired(now))
                .map(|(key, _)| key.clone())
                .collect();
            for key in expired {
                self.remove(&key);
            }
        }
        while self.entries.len() > max_entries || self.bytes > max_bytes {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|entry| entry.seq == seq) {
                self.remove(&key);
            }
        }
        // Rewrites leave stale items behind in `order`; drop them before they outnumber the
        // entries so the queue stays proportional to the map.
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order
                .retain(|(seq, key)| entries.get(key).is_some_and(|entry| entry.seq == *seq));
        }
    }
}

impl Default for MemoryCacheBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryCacheBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryCacheBackend")
            .field("entries", &state.entries.len())
            .field("bytes", &state.bytes)
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl CacheBackend for MemoryCacheBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        let value = self.get_now(key);
        Box::pin(async move { Ok(value) })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        self.set_now(key, value, ttl);
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        let mut state = self.lock();
        let removed = state.remove(key);
        // The holder's result, computed before this removal, must not be stored; its waiters
        // re-check and one of them takes the lease anew.
        if state.leases.remove(key).is_some() {
            state.notify(key);
        }
        drop(state);
        Box::pin(async move { Ok(removed) })
    }

    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, BackendError>> {
        let mut state = self.lock();
        let doomed: Vec<String> = state
            .entries
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect();
        let removed = doomed.iter().filter(|key| state.remove(key)).count();
        let leased: Vec<String> = state
            .leases
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect();
        for key in leased {
            state.leases.remove(&key);
            state.notify(&key);
        }
        drop(state);
        Box::pin(async move { Ok(removed as u64) })
    }

    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BackendError>> {
        let mut state = self.lock();
        let now = Instant::now();
        let claim = if let Some(value) = state.live_value(key, now) {
            Claim::Value(value)
        } else if state
            .leases
            .get(key)
            .is_some_and(|(holder, expires)| holder != owner && *expires > now)
        {
            Claim::Held
        } else {
            let expires = now.checked_add(lease).unwrap_or(now);
            state
                .leases
                .insert(key.to_owned(), (owner.to_owned(), expires));
            Claim::Acquired
        };
        drop(state);
        Box::pin(async move { Ok(claim) })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let mut state = self.lock();
        let held = state.holds(key, owner, Instant::now());
        if held {
            self.store(&mut state, key, value, ttl);
            state.leases.remove(key);
            state.notify(key);
        }
        drop(state);
        Box::pin(async move { Ok(held) })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let mut state = self.lock();
        let held = state.holds(key, owner, Instant::now());
        if held {
            state.leases.remove(key);
            state.notify(key);
        }
        drop(state);
        Box::pin(async move { Ok(held) })
    }

    fn extend<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let mut state = self.lock();
        let now = Instant::now();
        let held = state.holds(key, owner, now);
        if held && let Some((_, expires)) = state.leases.get_mut(key) {
            *expires = now.checked_add(lease).unwrap_or(now);
        }
        drop(state);
        Box::pin(async move { Ok(held) })
    }

    fn storage(&self) -> &Storage {
        &self.storage
    }

    fn watch<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Watch, BackendError>> {
        let events = lock(&self.state)
            .watchers
            .entry(key.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        let subscription = Unwatch {
            state: Arc::clone(&self.state),
            key: key.to_owned(),
        };
        Box::pin(async move { Ok(Watch::new(events, Some(Box::new(subscription)))) })
    }
}

/// Forgets a key's event counter when its last watcher leaves.
struct Unwatch {
    state: Arc<Mutex<State>>,
    key: String,
}

impl Drop for Unwatch {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        // The watch drops its receiver before this guard, so no receiver means no watcher.
        if state
            .watchers
            .get(&self.key)
            .is_some_and(|events| events.receiver_count() == 0)
        {
            state.watchers.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests;
