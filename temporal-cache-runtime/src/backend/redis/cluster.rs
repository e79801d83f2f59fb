//! A Redis Cluster behind the same backend: its constructor, and the hash slot of each key, which
//! chooses the circuit (and, for the runtime's outage warnings, the fault domain) of a call.
//!
//! Every key of one entry (value, lease, channel) carries the entry's digest as its hash tag, so
//! the lease scripts touch one slot and the entry's wake-ups go to the shard that holds it.

use super::connection::{ClusterNodes, Endpoint};
use super::{RedisCacheBackend, connection_info};
use crate::backend::{BackendError, BackendErrorKind};

/// The number of hash slots of a Redis Cluster.
pub(super) const SLOTS: usize = 16_384;

/// How many slots share one fault domain for the outage warnings: a master that dies is one
/// warning for each range of its slots it covers, not one per slot.
const SLOTS_PER_FAULT_DOMAIN: usize = 1_024;

impl RedisCacheBackend {
    /// A backend for the Redis Cluster that `nodes` (seed URLs, such as
    /// `redis://10.0.0.1:7000`; any subset of the cluster's nodes) belong to. Credentials and
    /// TLS settings apply to every node: give them in the URLs, or with
    /// [`with_credentials`](Self::with_credentials) and [`with_tls`](Self::with_tls).
    ///
    /// Commands go to the master of their key's slot; `MOVED` and `ASK` redirections
    /// (resharding) are followed and the slot map refreshed, so they are never misses. Waiters
    /// are woken through sharded pub/sub (`SSUBSCRIBE`, Redis 7), on the entry's shard only.
    /// The circuit breaker has one circuit per slot: a master that dies makes calls for its
    /// slots run uncached until its replica is promoted, while calls for the other masters'
    /// slots keep hitting.
    ///
    /// Only the URLs are checked here; the cluster is reached on first use.
    pub fn cluster<I>(nodes: I) -> Result<Self, BackendError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let infos = nodes
            .into_iter()
            .map(|node| {
                connection_info(
                    node.as_ref(),
                    "a node URL asks to skip TLS certificate checks (#insecure), which a \
                     cluster backend does not offer",
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if infos.is_empty() {
            return Err(BackendError::new(
                BackendErrorKind::Configuration,
                "a cluster backend needs the URL of at least one node",
            ));
        }
        Ok(Self::at(Endpoint::Cluster(ClusterNodes {
            nodes: infos,
            credentials: None,
            tls: None,
        })))
    }

    /// A backend for `urls`: one URL names a single server ([`new`](Self::new)), several
    /// separated by commas name the nodes of a cluster ([`cluster`](Self::cluster)). The form
    /// `TEMPORAL_CACHE_REDIS_URL` takes.
    pub fn from_urls(urls: &str) -> Result<Self, BackendError> {
        if urls.contains(',') {
            Self::cluster(urls.split(',').map(str::trim))
        } else {
            Self::new(urls)
        }
    }

    /// Whether this backend talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.endpoint.is_cluster()
    }

    /// The breaker circuit of `key`: its slot on a cluster, the one circuit otherwise.
    pub(super) fn circuit_of(&self, key: &str) -> usize {
        if self.endpoint.is_cluster() {
            usize::from(slot(key))
        } else {
            0
        }
    }

    /// The fault domain of `key` for the runtime's once-per-outage warnings: a range of slots.
    pub(super) fn fault_domain_of(&self, key: &str) -> u64 {
        (self.circuit_of(key) / SLOTS_PER_FAULT_DOMAIN) as u64
    }
}

/// How many breaker circuits `endpoint` needs.
pub(super) fn circuits(endpoint: &Endpoint) -> usize {
    if endpoint.is_cluster() { SLOTS } else { 1 }
}

/// The hash slot of `key`, as Redis computes it: CRC16 (XMODEM) of the hash tag (the text between
/// the first `{` and the first `}` after it, when not empty), else of the whole key.
pub(super) fn slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let hashed = bytes
        .iter()
        .position(|&byte| byte == b'{')
        .and_then(|open| {
            let tag = &bytes[open + 1..];
            let close = tag.iter().position(|&byte| byte == b'}')?;
            (close > 0).then(|| &tag[..close])
        })
        .unwrap_or(bytes);
    crc16::State::<crc16::XMODEM>::calculate(hashed) % SLOTS as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_redis_hash_tag_rule() {
        // Reference values from Redis's CLUSTER KEYSLOT.
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{}{bar}"), slot("foo{}{bar}"));
        assert_ne!(slot("foo{}{bar}"), slot("bar"));
        assert_eq!(slot("foo{{bar}}zap"), slot("{bar"));
        assert_eq!(slot("foo{bar}{zap}"), slot("bar"));
    }
}
