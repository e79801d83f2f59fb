//! The near cache: entries read from Redis kept in this process's memory and served from there,
//! for as long as Redis says they are unchanged.
//!
//! Coherence comes from Redis's client-side caching (`CLIENT TRACKING ... BCAST PREFIX`, see
//! `tracking.rs`): Redis pushes the name of every key under the backend's prefix that is written,
//! deleted, expired or evicted, and the entry is dropped here. Three rules make that exact:
//!
//! - **No fill races an invalidation.** A read that misses here notes its key's stripe epoch and
//!   the tracking generation before asking Redis, inserts what Redis answered, then checks both
//!   again; an invalidation bumps the epoch before it drops the key. Whichever comes second
//!   removes the filled value, so a value read before a write can never be kept after its
//!   invalidation arrived.
//! - **Nothing is served while tracking is off.** Entries are served only while the tracking
//!   connection is up; when it breaks, the near cache is emptied (an invalidation may have been
//!   lost with it) and refills only once tracking is on again.
//! - **No entry outlives its Redis entry.** A fill records the deadline Redis's own TTL gives
//!   (`PTTL`, counted from before the read was sent), and an entry is never served past it.
//!
//! Only reads fill it, never this process's own writes: Redis reports a key once per turn of its
//! event loop however many writes changed it in that turn, so no count of reports can tell that
//! the last write was this process's own.

mod tracking;

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;
use moka::sync::Cache;

pub(super) use self::tracking::Tracking;
use crate::metrics::NearMetrics;

/// How many invalidation epochs keys are spread over: enough that an invalidation of another
/// key rarely costs a fill, small enough to stay in a few pages.
const STRIPES: usize = 4096;

/// What each entry costs beyond its key and value bytes (moka's node, the `Arc`, the deadline).
const ENTRY_OVERHEAD: usize = 96;

/// Figures of a near cache, from [`RedisCacheBackend::near_cache_stats`](crate::RedisCacheBackend::near_cache_stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NearCacheStats {
    /// Entries held now.
    pub entries: u64,
    /// Bytes held now (keys, values and a per-entry overhead), never above `max_bytes` once
    /// moka's pending maintenance has run.
    pub bytes: u64,
    /// The byte bound given to `with_near_cache`.
    pub max_bytes: u64,
    /// Reads served from process memory.
    pub hits: u64,
    /// Reads that went to Redis.
    pub misses: u64,
    /// Entries dropped because Redis reported their key changed (or this process changed it).
    pub invalidations: u64,
    /// Times the whole near cache was emptied because tracking stopped or was re-made.
    pub resets: u64,
    /// Whether the tracking connection is up (entries are served only then).
    pub tracking: bool,
}

#[derive(Clone)]
struct NearEntry {
    value: Bytes,
    /// When Redis's own TTL ends; `None` for an entry without one.
    deadline: Option<Instant>,
}

/// Expires an entry at its Redis deadline.
struct UntilRedisExpiry;

impl Expiry<Arc<str>, NearEntry> for UntilRedisExpiry {
    fn expire_after_create(
        &self,
        _key: &Arc<str>,
        entry: &NearEntry,
        created_at: Instant,
    ) -> Option<Duration> {
        entry
            .deadline
            .map(|deadline| deadline.saturating_duration_since(created_at))
    }
}

/// The store and its coherence state, shared with the tracking task.
pub(super) struct NearCache {
    entries: Cache<Arc<str>, NearEntry>,
    /// One counter per stripe of keys, bumped by every invalidation of a key in it.
    epochs: Box<[AtomicU64]>,
    stripe_hasher: std::hash::RandomState,
    /// Bumped every time tracking stops: fills begun before then are dropped.
    generation: AtomicU64,
    tracking_up: AtomicBool,
    /// Whether a tracking task runs (on some Tokio runtime).
    supervised: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
    resets: AtomicU64,
    /// Its figures on the meters, exported by the tracking task; made at the first export.
    metrics: Mutex<Option<NearMetrics>>,
}

/// What a read that missed noted before asking Redis: see [`NearCache::fill`].
#[derive(Debug, Clone, Copy)]
pub(super) struct FillTicket {
    stripe: usize,
    epoch: u64,
    generation: u64,
    tracking_up: bool,
    sent_at: Instant,
}

impl NearCache {
    pub(super) fn new(max_bytes: u64) -> Self {
        let entries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &Arc<str>, entry: &NearEntry| {
                u32::try_from(key.len() + entry.value.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
            })
            .expire_after(UntilRedisExpiry)
            .build();
        Self {
            entries,
            epochs: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            stripe_hasher: std::hash::RandomState::new(),
            generation: AtomicU64::new(0),
            tracking_up: AtomicBool::new(false),
            supervised: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            metrics: Mutex::new(None),
        }
    }

    /// The value under `key`, if it is held, tracking is up and its Redis TTL has not ended.
    pub(super) fn get(&self, key: &str) -> Option<Bytes> {
        if self.tracking_up.load(Ordering::Acquire)
            && let Some(entry) = self.entries.get(key)
            && entry
                .deadline
                .is_none_or(|deadline| Instant::now() < deadline)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some(entry.value);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Notes what a read of `key` from Redis must find unchanged to fill: call it before the
    /// read is sent.
    pub(super) fn ticket(&self, key: &str) -> FillTicket {
        let stripe = self.stripe(key);
        FillTicket {
            stripe,
            // SeqCst throughout the fill protocol: the epoch read here, the insert, and the
            // re-check must not be reordered with an invalidation's bump and removal.
            epoch: self.epochs[stripe].load(Ordering::SeqCst),
            generation: self.generation.load(Ordering::SeqCst),
            tracking_up: self.tracking_up.load(Ordering::SeqCst),
            sent_at: Instant::now(),
        }
    }

    /// Keeps `value`, read from Redis under `ticket`, with `ttl_millis` as `PTTL` answered
    /// (`-1`: no TTL), unless an invalidation of its key or a tracking reset came in between.
    pub(super) fn fill(&self, ticket: FillTicket, key: &str, value: &Bytes, ttl_millis: i64) {
        if !ticket.tracking_up || ttl_millis == -2 || ttl_millis == 0 {
            return;
        }
        let deadline = u64::try_from(ttl_millis)
            .ok()
            .map(|millis| ticket.sent_at + Duration::from_millis(millis));
        let key: Arc<str> = Arc::from(key);
        self.entries.insert(
            Arc::clone(&key),
            NearEntry {
                value: value.clone(),
                deadline,
            },
        );
        let unchanged = self.epochs[ticket.stripe].load(Ordering::SeqCst) == ticket.epoch
            && self.generation.load(Ordering::SeqCst) == ticket.generation
            && self.tracking_up.load(Ordering::SeqCst);
        if !unchanged {
            self.entries.invalidate(&key);
        }
    }

    /// Drops `key`: Redis reported it changed, or this process just changed it.
    pub(super) fn invalidate(&self, key: &str) {
        self.epochs[self.stripe(key)].fetch_add(1, Ordering::SeqCst);
        if self.entries.remove(key).is_some() {
            self.invalidations.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops every key that starts with `prefix` (an activity's entries being removed).
    pub(super) fn invalidate_prefix(&self, prefix: &str) {
        // Every fill in flight, whatever its key, is dropped: cheaper than finding the stripes.
        self.generation.fetch_add(1, Ordering::SeqCst);
        let doomed: Vec<Arc<str>> = self
            .entries
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, _)| Arc::clone(&*key))
            .collect();
        for key in doomed {
            self.invalidate(&key);
        }
    }

    /// Stops serving and empties the cache: tracking stopped, so an invalidation may be lost.
    pub(super) fn reset(&self) {
        // While tracking is down nothing can be filled (a fill needs a ticket taken while it was
        // up, and the generation moved since), so there is nothing more to empty.
        if self.tracking_up.swap(false, Ordering::SeqCst) {
            self.generation.fetch_add(1, Ordering::SeqCst);
            self.entries.invalidate_all();
            self.resets.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every key may have changed (Redis said so: `FLUSHDB`, `FLUSHALL`): empties the cache but
    /// keeps serving what is read from now on.
    fn forget_everything(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    /// Tracking is on: entries read from now on may be kept and served.
    fn tracking_started(&self) {
        self.tracking_up.store(true, Ordering::SeqCst);
    }

    pub(super) fn max_bytes(&self) -> u64 {
        self.entries.policy().max_capacity().unwrap_or(u64::MAX)
    }

    pub(super) fn is_tracking(&self) -> bool {
        self.tracking_up.load(Ordering::Acquire)
    }

    pub(super) fn stats(&self) -> NearCacheStats {
        self.entries.run_pending_tasks();
        NearCacheStats {
            entries: self.entries.entry_count(),
            bytes: self.entries.weighted_size(),
            max_bytes: self.max_bytes(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            resets: self.resets.load(Ordering::Relaxed),
            tracking: self.is_tracking(),
        }
    }

    /// Exports its figures to the meters, labelled with `key_prefix` (the first export's).
    fn export_metrics(&self, key_prefix: &str) {
        let stats = self.stats();
        self.metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| NearMetrics::new(key_prefix))
            .export(&stats);
    }

    fn stripe(&self, key: &str) -> usize {
        // The modulo keeps the index in range; truncation of the hash is intended.
        (self.stripe_hasher.hash_one(key) % STRIPES as u64) as usize
    }

    /// Marks a tracking task as running; false when one already is.
    fn start_supervising(&self) -> bool {
        !self.supervised.swap(true, Ordering::AcqRel)
    }

    fn stop_supervising(&self) {
        self.supervised.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests;
