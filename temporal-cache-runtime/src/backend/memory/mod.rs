//! The in-process backend: the default for demos, tests and workers without Redis.
//!
//! Entries live in a `moka` cache ([`entries`]), whose reads take no lock; leases and watchers
//! ([`leases`]) sit behind one mutex that only misses reach.

mod entries;
mod leases;

use std::fmt;
use std::time::Duration;

use self::entries::{Bounds, Entries};
use self::leases::Leases;
use super::{BackendError, BoxFuture, Bytes, CacheBackend, Claim, Storage, Watch};

/// A cache held in this process's memory.
///
/// It honours TTLs to the millisecond and is bounded both in entries and in bytes of values.
/// Entries are kept in a [`moka`](https://docs.rs/moka) cache, so reads take no lock and
/// eviction follows moka's policy: a new entry is admitted only if it is expected to be used more
/// often than the least recently used entries it would displace (TinyLFU), so the most used
/// entries stay and the least recently used go first. Bounds are enforced as moka catches up
/// with writes, a moment after each one, not inside it.
///
/// Both bounds are folded into moka's one weighted capacity of `max_bytes`: each entry weighs its
/// value's length, but at least its share, just over `max_bytes / (max_entries + 1)`, so no more
/// than `max_entries` entries ever fit. That keeps both bounds, at a price: a value smaller than
/// its share counts as the whole share, so a mix of small and large values holds fewer entries
/// than either bound alone would allow.
///
/// Entries are not shared with other processes, so it caches across workflow executions served
/// by one worker only; use [`RedisCacheBackend`](crate::backend::RedisCacheBackend) to share
/// results between workers. Its leases make identical concurrent calls in this process run once.
///
/// ```
/// use temporal_cache_runtime::{set_cache_backend, MemoryCacheBackend};
///
/// set_cache_backend(MemoryCacheBackend::new().with_max_entries(1_000));
/// ```
pub struct MemoryCacheBackend {
    storage: Storage,
    entries: Entries,
    leases: Leases,
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
            storage: Storage::new(),
            entries: Entries::new(Bounds {
                max_entries: Self::DEFAULT_MAX_ENTRIES,
                max_bytes: Self::DEFAULT_MAX_BYTES,
            }),
            leases: Leases::default(),
        }
    }

    /// Keeps at most `max_entries` entries (at least one).
    pub fn with_max_entries(mut self, max_entries: usize) -> Self {
        let bounds = Bounds {
            max_entries: max_entries.max(1),
            ..self.entries.bounds()
        };
        self.entries = self.entries.rebound(bounds);
        self
    }

    /// Keeps at most `max_bytes` bytes of values. A single value larger than this is not stored.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        let bounds = Bounds {
            max_bytes,
            ..self.entries.bounds()
        };
        self.entries = self.entries.rebound(bounds);
        self
    }

    /// Writes keys and values as `storage` says (keyed hashing and the like) instead of
    /// [`Storage::new`]'s plain form.
    pub fn with_storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// The number of live (unexpired) entries, once pending evictions are applied.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every entry and every lease.
    pub fn clear(&self) {
        let mut leases = self.leases.lock();
        self.entries.remove_prefix("");
        leases.revoke_prefix("");
    }

    fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.get(key).map(|value| value.to_vec())
    }

    fn set_now(&self, key: &str, value: &[u8], ttl: Option<Duration>) {
        self.entries.insert(key, value, ttl);
    }

    fn claim_now(&self, key: &str, owner: &str, lease: Duration) -> Claim {
        if let Some(value) = self.get_now(key) {
            return Claim::Value(value);
        }
        let mut leases = self.leases.lock();
        // A holder may have completed since the read above: completions store under this lock,
        // so reading again now sees its value rather than handing out a lease beside it.
        match self.get_now(key) {
            Some(value) => Claim::Value(value),
            None => leases.claim(key, owner, lease),
        }
    }

    fn complete_now(&self, key: &str, owner: &str, value: &[u8], ttl: Option<Duration>) -> bool {
        let mut leases = self.leases.lock();
        // Storing under the lock keeps a concurrent `delete` either wholly before (then the lease
        // is gone and nothing is stored) or wholly after (then it removes what was stored).
        let held = leases.holds(key, owner);
        if held {
            self.entries.insert(key, value, ttl);
            leases.revoke(key);
        }
        held
    }

    fn delete_now(&self, key: &str) -> bool {
        let mut leases = self.leases.lock();
        let removed = self.entries.remove(key);
        // The holder's result, computed before this removal, must not be stored; its waiters
        // re-check and one of them takes the lease anew.
        leases.revoke(key);
        removed
    }

    fn delete_prefix_now(&self, prefix: &str) -> u64 {
        let mut leases = self.leases.lock();
        let removed = self.entries.remove_prefix(prefix);
        leases.revoke_prefix(prefix);
        removed as u64
    }
}

impl Default for MemoryCacheBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryCacheBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bounds = self.entries.bounds();
        f.debug_struct("MemoryCacheBackend")
            .field("entries", &self.entries.entry_count())
            .field("weighted_size", &self.entries.weighted_size())
            .field("max_entries", &bounds.max_entries)
            .field("max_bytes", &bounds.max_bytes)
            .finish()
    }
}

impl CacheBackend for MemoryCacheBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        let value = self.get_now(key);
        Box::pin(async move { Ok(value) })
    }

    fn get_shared<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>> {
        // The stored buffer itself, without a copy.
        let value = self.entries.get(key).map(Bytes::from_owner);
        Box::pin(std::future::ready(Ok(value)))
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
        let removed = self.delete_now(key);
        Box::pin(async move { Ok(removed) })
    }

    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, BackendError>> {
        let removed = self.delete_prefix_now(prefix);
        Box::pin(async move { Ok(removed) })
    }

    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BackendError>> {
        let claim = self.claim_now(key, owner, lease);
        Box::pin(async move { Ok(claim) })
    }

    fn take_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let taken = self.leases.lock().take(key, owner, lease);
        Box::pin(std::future::ready(Ok(taken)))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let held = self.complete_now(key, owner, value, ttl);
        Box::pin(async move { Ok(held) })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let held = self.leases.lock().release(key, owner);
        Box::pin(async move { Ok(held) })
    }

    fn extend<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let held = self.leases.lock().extend(key, owner, lease);
        Box::pin(async move { Ok(held) })
    }

    fn storage(&self) -> &Storage {
        &self.storage
    }

    fn watch<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Watch, BackendError>> {
        let watch = self.leases.watch(key);
        Box::pin(async move { Ok(watch) })
    }
}

#[cfg(test)]
mod tests;
