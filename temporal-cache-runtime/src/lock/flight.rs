//! In-process coalescing: identical concurrent calls in one worker share one lookup, one wait and
//! one body run.
//!
//! The first caller of a key becomes the flight's leader and does the work; callers that arrive
//! while the flight is open follow it and are handed its landing: the stored bytes, or word that
//! the leader gave up (its body failed, it was cancelled), after which one follower leads anew.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
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

/// An open flight, as the table lists it under its key. Nothing in it is allocated for the
/// flight: a call that nobody follows (nearly every hit) costs the table an `Arc` clone of its key
/// and two short locks, and no allocation.
struct Listed {
    /// Which leader opened it: a retired flight's key may be opened again by another.
    ticket: u64,
    /// What the followers wait on, made by the first of them.
    followed: Option<Arc<Followed>>,
}

/// The landing once there is one, and the followers' bell.
#[derive(Default)]
struct Followed {
    landing: Mutex<Option<Landing>>,
    landed: Notify,
}

impl Followed {
    fn landing(&self) -> Option<Landing> {
        self.landing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

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

/// One shard of the flight table.
#[derive(Default)]
struct Shard {
    flights: HashMap<Arc<str>, Listed, BuildHasherDefault<DigestTail>>,
    next_ticket: u64,
    /// Retired flights that have followers, by ticket: their leaders still land them.
    retired: Vec<(u64, Arc<Followed>)>,
}

impl Shard {
    /// Takes a flight out of the table (or out of the retired ones), returning what its
    /// followers wait on, if it has any.
    fn close(&mut self, key: &str, ticket: u64) -> Option<Arc<Followed>> {
        // One lookup for the usual case, the flight still listed under its key.
        if let Some((listed_key, listed)) = self.flights.remove_entry(key) {
            if listed.ticket == ticket {
                return listed.followed;
            }
            // Another flight of the same key, opened after an invalidation retired ours: it is
            // not ours to end.
            self.flights.insert(listed_key, listed);
        }
        // An invalidation retired this flight.
        let at = self
            .retired
            .iter()
            .position(|(retired, _)| *retired == ticket)?;
        Some(self.retired.swap_remove(at).1)
    }

    /// Takes the flight of `key` out of the table, keeping what its followers wait on.
    fn retire(&mut self, key: &str) {
        if let Some(listed) = self.flights.remove(key) {
            self.keep_followed(listed);
        }
    }

    fn keep_followed(&mut self, listed: Listed) {
        if let Some(followed) = listed.followed {
            self.retired.push((listed.ticket, followed));
        }
    }
}

static FLIGHTS: LazyLock<[Mutex<Shard>; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(Shard::default())));

fn shard(key: &str) -> MutexGuard<'static, Shard> {
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
    let mut shard = shard(key);
    let shard = &mut *shard;
    if let Some(listed) = shard.flights.get_mut(&**key) {
        let followed = listed.followed.get_or_insert_with(Arc::default);
        return Role::Follower(Follower {
            followed: Arc::clone(followed),
        });
    }
    let ticket = shard.next_ticket;
    shard.next_ticket += 1;
    shard.flights.insert(
        Arc::clone(key),
        Listed {
            ticket,
            followed: None,
        },
    );
    Role::Leader(Leader {
        key: Arc::clone(key),
        ticket,
        landed: false,
    })
}

/// Closes the flight of `key` to newcomers, for an invalidation: its leader's body may have
/// read data older than the invalidation, so calls made after it must not be handed its result.
/// The calls already following it still are (they started before the invalidation).
pub(crate) fn retire(key: &str) {
    shard(key).retire(key);
}

/// [`retire`] for every flight whose key starts with `prefix`: all those of one activity.
pub(crate) fn retire_prefix(prefix: &str) {
    for shard in FLIGHTS.iter() {
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let keys: Vec<Arc<str>> = shard
            .flights
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect();
        for key in keys {
            shard.retire(&key);
        }
    }
}

/// The caller that does the work. Dropping it without landing abandons the flight.
pub(crate) struct Leader {
    key: Arc<str>,
    ticket: u64,
    landed: bool,
}

impl Leader {
    /// Ends the flight with the entry's stored bytes: later callers start their own, followers
    /// get a copy of `bytes` (made only if there are any).
    pub(crate) fn land(mut self, bytes: &[u8]) {
        self.close(Some(bytes));
    }

    /// Ends the flight; `None` abandons it (a follower leads anew).
    fn close(&mut self, value: Option<&[u8]>) {
        if self.landed {
            return;
        }
        self.landed = true;
        // Followers join under this lock, so once the flight is out of the table, no follower
        // means nobody waits: no landing is made and nobody is woken.
        let Some(followed) = shard(&self.key).close(&self.key, self.ticket) else {
            return;
        };
        let landing = value.map_or(Landing::Abandoned, |bytes| Landing::Value(Arc::from(bytes)));
        *followed
            .landing
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(landing);
        followed.landed.notify_waiters();
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.close(None);
    }
}

/// A caller waiting for another caller's flight.
pub(crate) struct Follower {
    followed: Arc<Followed>,
}

impl Follower {
    /// The flight's landing (a leader that vanishes lands `Abandoned` as it drops).
    pub(crate) async fn landed(&self) -> Landing {
        loop {
            let notified = self.followed.landed.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a landing between the two still wakes us.
            notified.as_mut().enable();
            if let Some(landing) = self.followed.landing() {
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
        first.land(b"v");
        for follower in [&second, &third] {
            assert!(matches!(follower.landed().await, Landing::Value(v) if &*v == b"v"));
        }
        let next = leader(join(&key("flight-test:a")));
        next.land(b"unfollowed");
        leader(join(&key("flight-test:a")));
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
        first.land(b"old");
        assert!(matches!(before.landed().await, Landing::Value(v) if &*v == b"old"));
        let joiner = follower(join(&key("flight-test:e")));
        after.land(b"new");
        assert!(matches!(joiner.landed().await, Landing::Value(v) if &*v == b"new"));

        let prefixed = leader(join(&key("flight-test:prefix:{1}")));
        let waiting = follower(join(&key("flight-test:prefix:{1}")));
        let _other = leader(join(&key("flight-test:other:{1}")));
        retire_prefix("flight-test:prefix:{");
        leader(join(&key("flight-test:prefix:{1}")));
        follower(join(&key("flight-test:other:{1}")));
        prefixed.land(b"retired");
        assert!(matches!(waiting.landed().await, Landing::Value(v) if &*v == b"retired"));
    }

    #[tokio::test]
    async fn different_keys_fly_apart() {
        let _a = leader(join(&key("flight-test:c")));
        let _b = leader(join(&key("flight-test:d")));
    }
}
