//! In-process coalescing: identical concurrent calls in one worker share one lookup, one wait and
//! one body run.
//!
//! The first caller of a key becomes the flight's leader and does the work; callers that arrive
//! while the flight is open follow it and are handed its landing: the stored bytes, or word that
//! the leader gave up (its body failed, it was cancelled), after which one follower leads anew.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// How a flight ended.
#[derive(Debug, Clone)]
pub(crate) enum Landing {
    /// The entry's stored bytes.
    Value(Arc<[u8]>),
    /// The leader stopped without a value; a follower should try again.
    Abandoned,
}

struct Flight {
    key: String,
    landing: watch::Sender<Option<Landing>>,
}

/// A flight in the table, found by its key.
struct Entry(Arc<Flight>);

impl Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        &self.0.key
    }
}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.key.as_str().hash(state);
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for Entry {}

const SHARDS: usize = 16;

static FLIGHTS: LazyLock<[Mutex<HashSet<Entry>>; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(HashSet::new())));

fn shard(key: &str) -> MutexGuard<'static, HashSet<Entry>> {
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
pub(crate) fn join(key: String) -> Role {
    let mut flights = shard(&key);
    if let Some(Entry(flight)) = flights.get(key.as_str()) {
        return Role::Follower(Follower {
            landing: flight.landing.subscribe(),
            key,
        });
    }
    let flight = Arc::new(Flight {
        key,
        landing: watch::Sender::new(None),
    });
    flights.insert(Entry(Arc::clone(&flight)));
    Role::Leader(Leader {
        flight,
        landed: false,
    })
}

/// The caller that does the work. Dropping it without landing abandons the flight.
pub(crate) struct Leader {
    flight: Arc<Flight>,
    landed: bool,
}

impl Leader {
    pub(crate) fn key(&self) -> &str {
        &self.flight.key
    }

    /// Whether any caller follows this flight.
    pub(crate) fn has_followers(&self) -> bool {
        self.flight.landing.receiver_count() > 0
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
        shard(&self.flight.key).remove(self.flight.key.as_str());
        self.flight.landing.send_replace(Some(landing));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.close(Landing::Abandoned);
    }
}

/// A caller waiting for another caller's flight.
pub(crate) struct Follower {
    key: String,
    landing: watch::Receiver<Option<Landing>>,
}

impl Follower {
    /// The flight's landing; `Abandoned` also if the leader vanished without one.
    pub(crate) async fn landed(&mut self) -> Landing {
        match self.landing.wait_for(Option::is_some).await {
            Ok(landing) => landing.clone().unwrap_or(Landing::Abandoned),
            Err(_) => Landing::Abandoned,
        }
    }

    /// Gives the key back, to join again after an abandoned flight.
    pub(crate) fn into_key(self) -> String {
        self.key
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

    #[tokio::test]
    async fn followers_get_the_leaders_landing_and_the_next_caller_leads_again() {
        let first = leader(join("flight-test:a".to_owned()));
        let mut second = follower(join("flight-test:a".to_owned()));
        let mut third = follower(join("flight-test:a".to_owned()));
        assert!(first.has_followers());
        first.land(Landing::Value(Arc::from(&b"v"[..])));
        for follower in [&mut second, &mut third] {
            assert!(matches!(follower.landed().await, Landing::Value(v) if &*v == b"v"));
        }
        let next = leader(join("flight-test:a".to_owned()));
        assert!(!next.has_followers());
    }

    #[tokio::test]
    async fn a_dropped_leader_abandons_its_flight() {
        let first = leader(join("flight-test:b".to_owned()));
        let mut second = follower(join("flight-test:b".to_owned()));
        drop(first);
        assert!(matches!(second.landed().await, Landing::Abandoned));
        let key = second.into_key();
        leader(join(key));
    }

    #[tokio::test]
    async fn different_keys_fly_apart() {
        let _a = leader(join("flight-test:c".to_owned()));
        let _b = leader(join("flight-test:d".to_owned()));
    }
}
