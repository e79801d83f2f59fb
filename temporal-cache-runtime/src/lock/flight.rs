//! In-process coalescing: identical concurrent calls in one worker share one lookup, one wait and
//! one body run.
//!
//! The first caller of a key becomes the flight's leader and does the work; callers that arrive
//! while the flight is open follow it and are handed its landing: the stored bytes, or word that
//! the leader gave up (its body failed, it was cancelled), after which one follower leads anew.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// How a flight ended.
#[derive(Debug, Clone)]
pub(crate) enum Landing {
    /// The entry's stored bytes.
    Value(Arc<[u8]>),
    /// The leader stopped without a value; a follower should try again.
    Abandoned,
}

/// One allocation per flight: the key, the landing once there is one, and the waiters' bell.
struct Flight {
    key: Arc<str>,
    landing: Mutex<Option<Landing>>,
    landed: Notify,
    followed: AtomicBool,
}

impl Flight {
    fn landing(&self) -> Option<Landing> {
        self.landing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A flight in the table, found by its key.
struct Listed(Arc<Flight>);

impl Borrow<str> for Listed {
    fn borrow(&self) -> &str {
        &self.0.key
    }
}

impl Hash for Listed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.key.hash(state);
    }
}

impl PartialEq for Listed {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for Listed {}

const SHARDS: usize = 16;

/// Hashes a key by its last 16 bytes: the end of its blake3 digest in hex, already uniformly
/// random, so that a lookup does not run SipHash over the whole key. (Keys whose tails collide
/// still compare in full.)
#[derive(Default)]
struct DigestTail(u64);

impl Hasher for DigestTail {
    fn write(&mut self, bytes: &[u8]) {
        let tail = &bytes[bytes.len().saturating_sub(16)..];
        for chunk in tail.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
}

type Table = HashSet<Listed, BuildHasherDefault<DigestTail>>;

static FLIGHTS: LazyLock<[Mutex<Table>; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(Table::default())));

fn shard(key: &str) -> MutexGuard<'static, Table> {
    // Keys end in a hex digest and `}`: its last digit spreads keys evenly over the shards.
    let digit = key.as_bytes().iter().rev().nth(1).copied().unwrap_or(0);
    FLIGHTS[usize::from(digit) % SHARDS]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// The caller's part in the flight of its key.
pub(crate) enum Role {
    Leader(Leader),
    Follower(Follower),
}

/// Joins the flight of `key`, or opens one.
pub(crate) fn join(key: &Arc<str>) -> Role {
    let mut flights = shard(key);
    if let Some(Listed(flight)) = flights.get(&**key) {
        flight.followed.store(true, Ordering::Relaxed);
        return Role::Follower(Follower {
            flight: Arc::clone(flight),
        });
    }
    let flight = Arc::new(Flight {
        key: Arc::clone(key),
        landing: Mutex::new(None),
        landed: Notify::new(),
        followed: AtomicBool::new(false),
    });
    flights.insert(Listed(Arc::clone(&flight)));
    Role::Leader(Leader {
        flight,
        landed: false,
    })
}

/// Closes the flight of `key` to newcomers, for an invalidation: its leader's body may have
/// read data older than the invalidation, so calls made after it must not be handed its result.
/// The calls already following it still are (they started before the invalidation).
pub(crate) fn retire(key: &str) {
    shard(key).remove(key);
}

/// [`retire`] for every flight whose key starts with `prefix`: all those of one activity.
pub(crate) fn retire_prefix(prefix: &str) {
    for shard in FLIGHTS.iter() {
        shard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|Listed(flight)| !flight.key.starts_with(prefix));
    }
}

/// The caller that does the work. Dropping it without landing abandons the flight.
pub(crate) struct Leader {
    flight: Arc<Flight>,
    landed: bool,
}

impl Leader {
    /// Whether any caller has followed this flight.
    pub(crate) fn has_followers(&self) -> bool {
        self.flight.followed.load(Ordering::Relaxed)
    }

    /// Ends the flight: later callers start their own, followers get `landing`.
    pub(crate) fn land(mut self, landing: Landing) {
        self.close(landing);
    }

    fn close(&mut self, landing: Landing) {
        if self.landed {
            return;
        }
        self.landed = true;
        {
            let mut flights = shard(&self.flight.key);
            // An invalidation may have retired this flight and a later call opened another for
            // the same key: that one is not ours to end.
            if flights
                .get(&*self.flight.key)
                .is_some_and(|Listed(listed)| Arc::ptr_eq(listed, &self.flight))
            {
                flights.remove(&*self.flight.key);
            }
            // Followers join under this lock, so once the flight is out of the table, an unset
            // flag means nobody waits: skip the landing and the wake-up.
            if !self.flight.followed.load(Ordering::Relaxed) {
                return;
            }
        }
        *self
            .flight
            .landing
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(landing);
        self.flight.landed.notify_waiters();
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.close(Landing::Abandoned);
    }
}

/// A caller waiting for another caller's flight.
pub(crate) struct Follower {
    flight: Arc<Flight>,
}

impl Follower {
    /// The flight's landing (a leader that vanishes lands `Abandoned` as it drops).
    pub(crate) async fn landed(&self) -> Landing {
        loop {
            let notified = self.flight.landed.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a landing between the two still wakes us.
            notified.as_mut().enable();
            if let Some(landing) = self.flight.landing() {
                return landing;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(role: Role) -> Leader {
        match role {
            Role::Leader(leader) => leader,
            Role::Follower(_) => panic!("expected to lead"),
        }
    }

    fn follower(role: Role) -> Follower {
        match role {
            Role::Follower(follower) => follower,
            Role::Leader(_) => panic!("expected to follow"),
        }
    }

    fn key(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    #[tokio::test]
    async fn followers_get_the_leaders_landing_and_the_next_caller_leads_again() {
        let first = leader(join(&key("flight-test:a")));
        let second = follower(join(&key("flight-test:a")));
        let third = follower(join(&key("flight-test:a")));
        assert!(first.has_followers());
        first.land(Landing::Value(Arc::from(&b"v"[..])));
        for follower in [&second, &third] {
            assert!(matches!(follower.landed().await, Landing::Value(v) if &*v == b"v"));
        }
        let next = leader(join(&key("flight-test:a")));
        assert!(!next.has_followers());
    }

    #[tokio::test]
    async fn a_dropped_leader_abandons_its_flight() {
        let first = leader(join(&key("flight-test:b")));
        let second = follower(join(&key("flight-test:b")));
        drop(first);
        assert!(matches!(second.landed().await, Landing::Abandoned));
        leader(join(&key("flight-test:b")));
    }

    #[tokio::test]
    async fn a_retired_flight_takes_no_newcomers_and_its_landing_ends_only_itself() {
        let first = leader(join(&key("flight-test:e")));
        let before = follower(join(&key("flight-test:e")));
        retire("flight-test:e");
        let after = leader(join(&key("flight-test:e")));
        first.land(Landing::Value(Arc::from(&b"old"[..])));
        assert!(matches!(before.landed().await, Landing::Value(v) if &*v == b"old"));
        let joiner = follower(join(&key("flight-test:e")));
        after.land(Landing::Value(Arc::from(&b"new"[..])));
        assert!(matches!(joiner.landed().await, Landing::Value(v) if &*v == b"new"));

        let _f = leader(join(&key("flight-test:prefix:{1}")));
        let _g = leader(join(&key("flight-test:other:{1}")));
        retire_prefix("flight-test:prefix:{");
        leader(join(&key("flight-test:prefix:{1}")));
        follower(join(&key("flight-test:other:{1}")));
    }

    #[tokio::test]
    async fn different_keys_fly_apart() {
        let _a = leader(join(&key("flight-test:c")));
        let _b = leader(join(&key("flight-test:d")));
    }
}
