//! The memory backend's entry store: a `moka` cache with per-entry TTLs and both bounds folded
//! into moka's single weighted capacity.
//!
//! Reads are lock-free; moka applies evictions and expirations in batches on later calls, so a
//! bound may be exceeded briefly, but an expired entry is never served.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

/// The two limits a [`MemoryCacheBackend`](super::MemoryCacheBackend) keeps, and how they become
/// one weighted capacity.
///
/// The capacity is `max_bytes`, and every entry weighs its value's length but at least a
/// `slot`: the least whole weight of which `max_entries + 1` overflow the capacity. So at most
/// `max_entries` entries and at most `max_bytes` bytes of values fit, and `max_entries` small
/// values do fit (unless `max_bytes` is below about `max_entries²`, where rounding costs a few).
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    pub(super) max_entries: usize,
    pub(super) max_bytes: usize,
}

impl Bounds {
    /// The least weight of an entry. moka weighs in `u32`, so an enormous `max_bytes` shared by
    /// few entries gets a capped slot, and [`capacity`](Self::capacity) shrinks to match.
    pub(super) fn slot(self) -> u32 {
        let entries = u64::try_from(self.max_entries.max(1)).unwrap_or(u64::MAX);
        let slot = self.bytes() / entries.saturating_add(1) + 1;
        u32::try_from(slot).unwrap_or(u32::MAX)
    }

    /// The total weight moka may keep: `max_bytes`, or less where the slot is capped, so that
    /// `max_entries + 1` slots still overflow it.
    pub(super) fn capacity(self) -> u64 {
        let entries = u64::try_from(self.max_entries.max(1)).unwrap_or(u64::MAX);
        let overflow = entries
            .saturating_add(1)
            .saturating_mul(u64::from(self.slot()));
        self.bytes().min(overflow - 1)
    }

    fn bytes(self) -> u64 {
        u64::try_from(self.max_bytes).unwrap_or(u64::MAX)
    }

    /// What a value of `len` bytes weighs, or `None` when it could never fit.
    fn weight(self, len: usize) -> Option<u32> {
        let weight = u32::try_from(len).ok()?.max(self.slot());
        (u64::from(weight) <= self.capacity() && len <= self.max_bytes).then_some(weight)
    }
}

/// A stored value with its own deadline.
///
/// The deadline is kept beside the value, and not only in moka, so a read can check it itself:
/// moka sets an entry's expiry just after the entry becomes visible, so a reader racing a
/// rewrite could otherwise see the new value under the previous deadline.
#[derive(Clone)]
pub(super) struct Entry {
    /// Shared, because moka clones the value on every read.
    value: Arc<[u8]>,
    /// `None`: no TTL, or a TTL too large for `Instant` (as good as none).
    expires_at: Option<Instant>,
    /// Computed once at insertion; moka's weigher only reads it.
    weight: u32,
}

impl Entry {
    fn is_live(&self, now: impl FnOnce() -> Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now())
    }
}

/// Tells moka each entry's own deadline.
struct Deadlines;

impl Deadlines {
    fn until(entry: &Entry, from: Instant) -> Option<Duration> {
        entry
            .expires_at
            .map(|at| at.saturating_duration_since(from))
    }
}

impl Expiry<String, Entry> for Deadlines {
    fn expire_after_create(
        &self,
        _: &String,
        entry: &Entry,
        created_at: Instant,
    ) -> Option<Duration> {
        Self::until(entry, created_at)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        updated_at: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Self::until(entry, updated_at)
    }
}

/// The live entries, bounded by [`Bounds`].
pub(super) struct Entries {
    bounds: Bounds,
    cache: Cache<String, Entry>,
}

impl Entries {
    pub(super) fn new(bounds: Bounds) -> Self {
        let cache = Cache::builder()
            .max_capacity(bounds.capacity())
            .weigher(|_, entry: &Entry| entry.weight)
            .expire_after(Deadlines)
            .build();
        Self { bounds, cache }
    }

    pub(super) fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// The same live entries under new bounds (those that no longer fit are dropped).
    pub(super) fn rebound(self, bounds: Bounds) -> Self {
        let rebound = Self::new(bounds);
        for (key, entry) in &self.cache {
            if let Some(weight) = bounds.weight(entry.value.len()) {
                rebound
                    .cache
                    .insert(Arc::unwrap_or_clone(key), Entry { weight, ..entry });
            }
        }
        rebound
    }

    /// The live value of `key`, without taking any lock.
    pub(super) fn get(&self, key: &str) -> Option<Arc<[u8]>> {
        self.cache
            .get(key)
            .filter(|entry| entry.is_live(Instant::now))
            .map(|entry| entry.value)
    }

    /// Stores `value` under `key` for `ttl`, replacing what was there; a value that could never
    /// fit the bounds only removes the old one.
    pub(super) fn insert(&self, key: &str, value: &[u8], ttl: Option<Duration>) {
        let Some(weight) = self.bounds.weight(value.len()) else {
            self.cache.invalidate(key);
            return;
        };
        let entry = Entry {
            value: Arc::from(value),
            expires_at: ttl.and_then(|ttl| Instant::now().checked_add(ttl)),
            weight,
        };
        self.cache.insert(key.to_owned(), entry);
    }

    /// Removes `key`; whether a live entry was there.
    pub(super) fn remove(&self, key: &str) -> bool {
        self.cache
            .remove(key)
            .is_some_and(|entry| entry.is_live(Instant::now))
    }

    /// Removes every entry whose key starts with `prefix`; how many live ones there were.
    pub(super) fn remove_prefix(&self, prefix: &str) -> usize {
        let doomed: Vec<Arc<String>> = self
            .cache
            .iter()
            .map(|(key, _)| key)
            .filter(|key| key.starts_with(prefix))
            .collect();
        // Counted by what each removal found, so a concurrent delete is not counted twice.
        doomed.iter().filter(|key| self.remove(key)).count()
    }

    /// The number of live entries, once moka has applied its pending evictions.
    pub(super) fn len(&self) -> usize {
        self.cache.run_pending_tasks();
        let now = Instant::now();
        self.cache
            .iter()
            .filter(|(_, entry)| entry.is_live(|| now))
            .count()
    }

    /// Entries moka holds (expired ones not yet swept included), as of its last housekeeping.
    pub(super) fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }

    /// The total weight moka holds, as of its last housekeeping (see [`Bounds`]).
    pub(super) fn weighted_size(&self) -> u64 {
        self.cache.weighted_size()
    }

    /// Applies moka's pending evictions and expirations now.
    #[cfg(test)]
    pub(super) fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks();
    }
}
