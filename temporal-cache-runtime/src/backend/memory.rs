//! The in-process backend: the default for demos, tests and workers without Redis.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{BackendError, BoxFuture, CacheBackend};

/// How many entries a [`MemoryCacheBackend`] keeps unless told otherwise.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
/// How many bytes of values a [`MemoryCacheBackend`] keeps unless told otherwise (64 MiB).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// A cache held in this process's memory.
///
/// It honours TTLs to the millisecond and is bounded both in entries and in bytes: when either
/// bound is reached, the oldest entries are evicted first. Entries are not shared with other
/// processes, so it caches across workflow executions served by one worker only; use
/// [`RedisCacheBackend`](crate::RedisCacheBackend) to share results between workers.
///
/// ```
/// use temporal_cache_runtime::{set_cache_backend, MemoryCacheBackend};
///
/// set_cache_backend(MemoryCacheBackend::new().with_max_entries(1_000));
/// ```
pub struct MemoryCacheBackend {
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Insertion order for eviction. An item is stale when its key has since been rewritten
    /// (its sequence number no longer matches) or removed; stale items are skipped.
    order: VecDeque<(u64, String)>,
    next_seq: u64,
    bytes: usize,
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
    /// An empty cache bounded by [`DEFAULT_MAX_ENTRIES`] and [`DEFAULT_MAX_BYTES`].
    pub fn new() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            state: Mutex::new(State::default()),
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
        // A panic while holding the lock cannot leave the map inconsistent in a way that matters
        // to a cache (at worst an entry is missing), so a poisoned lock is simply taken over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        let mut state = self.lock();
        let now = Instant::now();
        match state.entries.get(key) {
            Some(entry) if entry.is_expired(now) => {
                state.remove(key);
                None
            }
            Some(entry) => Some(entry.value.clone()),
            None => None,
        }
    }

    fn set_now(&self, key: &str, value: &[u8], ttl: Option<Duration>) {
        let mut state = self.lock();
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

impl State {
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
        let removed = self.lock().remove(key);
        Box::pin(async move { Ok(removed) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
            .block_on(future)
    }

    #[test]
    fn stores_reads_and_deletes() {
        let backend = MemoryCacheBackend::new();
        block_on(async {
            assert_eq!(backend.get("k").await.unwrap(), None);
            backend.set("k", b"v1", None).await.unwrap();
            assert_eq!(backend.get("k").await.unwrap().as_deref(), Some(&b"v1"[..]));
            backend.set("k", b"v2", None).await.unwrap();
            assert_eq!(backend.get("k").await.unwrap().as_deref(), Some(&b"v2"[..]));
            assert!(backend.delete("k").await.unwrap());
            assert!(!backend.delete("k").await.unwrap());
            assert_eq!(backend.get("k").await.unwrap(), None);
        });
    }

    #[test]
    fn honours_millisecond_ttls() {
        let backend = MemoryCacheBackend::new();
        backend.set_now("short", b"x", Some(Duration::from_millis(30)));
        backend.set_now("long", b"y", Some(Duration::from_secs(3600)));
        assert_eq!(backend.get_now("short").as_deref(), Some(&b"x"[..]));
        let deadline = Instant::now() + Duration::from_millis(30);
        // Expiry is a matter of the clock: wait until the entry's deadline has passed.
        while Instant::now() <= deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(backend.get_now("short"), None);
        assert_eq!(backend.get_now("long").as_deref(), Some(&b"y"[..]));
        assert_eq!(backend.len(), 1);
    }

    #[test]
    fn evicts_oldest_beyond_max_entries() {
        let backend = MemoryCacheBackend::new().with_max_entries(3);
        for key in ["a", "b", "c", "d"] {
            backend.set_now(key, key.as_bytes(), None);
        }
        assert_eq!(backend.get_now("a"), None);
        for key in ["b", "c", "d"] {
            assert_eq!(backend.get_now(key).as_deref(), Some(key.as_bytes()));
        }
        // Rewriting "b" makes it the newest, so "c" goes next.
        backend.set_now("b", b"b2", None);
        backend.set_now("e", b"e", None);
        assert_eq!(backend.get_now("c"), None);
        assert_eq!(backend.get_now("b").as_deref(), Some(&b"b2"[..]));
    }

    #[test]
    fn evicts_beyond_max_bytes_and_skips_oversized_values() {
        let backend = MemoryCacheBackend::new().with_max_bytes(10);
        backend.set_now("a", &[0; 4], None);
        backend.set_now("b", &[0; 4], None);
        backend.set_now("c", &[0; 4], None);
        assert_eq!(backend.get_now("a"), None);
        assert!(backend.get_now("b").is_some());
        assert!(backend.get_now("c").is_some());
        backend.set_now("huge", &[0; 11], None);
        assert_eq!(backend.get_now("huge"), None);
        assert_eq!(backend.len(), 2);
    }

    #[test]
    fn rewrites_do_not_grow_the_order_queue_without_bound() {
        let backend = MemoryCacheBackend::new();
        for i in 0..10_000u32 {
            backend.set_now("same", &i.to_le_bytes(), None);
        }
        let state = backend.lock();
        assert_eq!(state.entries.len(), 1);
        assert!(state.order.len() <= 2 * state.entries.len() + 65);
        assert_eq!(state.bytes, 4);
    }
}
