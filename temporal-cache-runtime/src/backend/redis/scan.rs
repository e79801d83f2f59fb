//! Every key under a prefix, without blocking Redis: `SCAN` with `MATCH`, batch by batch, on the
//! server or on every master of a cluster; and removing what it finds with `UNLINK`, which frees
//! large values off Redis's main thread. `KEYS` and `FLUSHDB` are never sent: on a big database
//! they stall every other client.
//!
//! This is how all the entries of one activity type are removed (`invalidate_activity!`), and
//! what the ops tool lists, counts and purges with.

use ::redis::Value;
use ::redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};

use super::RedisCacheBackend;
use super::acl::glob_escaped;
use super::connection::Connection;
use super::errors::unexpected;
use crate::backend::BackendError;
use crate::key;

/// How many keys one `SCAN` call examines, and at most how many one `UNLINK` removes: small
/// enough that each call takes Redis well under a millisecond, large enough that a million keys
/// take a few thousand round trips.
const BATCH: usize = 1000;

/// The keys under one prefix, found batch by batch: see [`RedisCacheBackend::scan_prefix`].
pub struct KeyScan<'a> {
    backend: &'a RedisCacheBackend,
    pattern: String,
    /// The nodes still to scan (for a single server, one `None`), the current one last.
    nodes: Option<Vec<Option<(String, u16)>>>,
    cursor: u64,
}

impl RedisCacheBackend {
    /// Every key that starts with `prefix` (as written, before any escaping the key layout does),
    /// in batches: call [`KeyScan::next_batch`] until it returns `None`.
    ///
    /// Redis's `SCAN` guarantee holds: a key present for the whole scan is returned (possibly more
    /// than once); a key added or removed meanwhile may or may not be. On a cluster every master
    /// is scanned in turn.
    pub fn scan_prefix(&self, prefix: &str) -> KeyScan<'_> {
        KeyScan {
            backend: self,
            pattern: format!("{}*", glob_escaped(prefix)),
            nodes: None,
            cursor: 0,
        }
    }

    /// The key prefix of every entry of `activity_type` in `namespace` (`None`: the entries all
    /// namespaces share), whatever its inputs and `version`: what
    /// [`scan_prefix`](Self::scan_prefix) and [`delete_prefix`](crate::CacheBackend::delete_prefix)
    /// take to reach all of one activity's entries.
    pub fn activity_prefix(&self, namespace: Option<&str>, activity_type: &str) -> String {
        key::activity_head(&self.prefix, namespace, activity_type)
    }

    /// Removes `keys` with `UNLINK`; returns how many of them existed.
    pub async fn unlink(&self, keys: &[String]) -> Result<u64, BackendError> {
        let mut removed = 0;
        for batch in keys.chunks(BATCH) {
            let mut connection = self.connection().await?;
            let mut command = ::redis::cmd("UNLINK");
            for key in batch {
                command.arg(key);
            }
            removed += self
                .bounded(command.query_async::<u64>(&mut connection))
                .await?;
        }
        Ok(removed)
    }

    /// Removes every entry and lease under `prefix`, for
    /// [`delete_prefix`](crate::CacheBackend::delete_prefix); returns how many entries it removed.
    ///
    /// Two passes. The first removes every lease (and entry) it finds, so that no call holding a
    /// lease from before the purge can store its result afterwards (see the `COMPLETE` script). A
    /// call that stored its result during the first pass, at a place the scan had already passed,
    /// did so before the pass ended, so the second pass finds and removes it.
    pub(super) async fn purge(&self, prefix: &str) -> Result<u64, BackendError> {
        let mut removed = 0;
        for _pass in 0..2 {
            let mut scan = self.scan_prefix(prefix);
            while let Some(keys) = scan.next_batch().await? {
                let entries = keys.iter().filter(|key| !key.ends_with(":lease")).count();
                let existed = self.unlink(&keys).await?;
                // Of what existed, leases are not entries; a key listed twice counts once.
                removed += existed.min(entries as u64);
            }
        }
        Ok(removed)
    }
}

impl KeyScan<'_> {
    /// The next batch of keys (possibly empty), or `None` once every node is scanned.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<String>>, BackendError> {
        let backend = self.backend;
        let mut connection = backend.connection().await?;
        if self.nodes.is_none() {
            let mut nodes = match &mut connection {
                Connection::Single(_) => vec![None],
                Connection::Cluster(cluster) => backend
                    .bounded(cluster.route_command(
                        ::redis::cmd("CLUSTER").arg("NODES").clone(),
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
                    ))
                    .await
                    .and_then(|reply| masters(&reply))?
                    .into_iter()
                    .map(Some)
                    .collect(),
            };
            nodes.reverse();
            self.nodes = Some(nodes);
        }
        let Some(node) = self.nodes.as_ref().and_then(|nodes| nodes.last().cloned()) else {
            return Ok(None);
        };
        let mut command = ::redis::cmd("SCAN");
        command
            .arg(self.cursor)
            .arg("MATCH")
            .arg(&self.pattern)
            .arg("COUNT")
            .arg(BATCH);
        let reply = match (&mut connection, node) {
            (Connection::Cluster(cluster), Some((host, port))) => {
                backend
                    .bounded(cluster.route_command(
                        command,
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port }),
                    ))
                    .await?
            }
            (connection, _) => {
                backend
                    .bounded(command.query_async::<Value>(connection))
                    .await?
            }
        };
        let (cursor, keys) = scan_reply(&reply)?;
        self.cursor = cursor;
        if cursor == 0
            && let Some(nodes) = &mut self.nodes
        {
            nodes.pop();
        }
        Ok(Some(keys))
    }
}

/// The cursor and keys of a `SCAN` reply (keys that are not UTF-8 are not the cache's).
fn scan_reply(reply: &Value) -> Result<(u64, Vec<String>), BackendError> {
    let Value::Array(parts) = reply else {
        return Err(unexpected(reply));
    };
    let [cursor, Value::Array(keys)] = parts.as_slice() else {
        return Err(unexpected(reply));
    };
    let cursor = match cursor {
        Value::BulkString(text) => std::str::from_utf8(text).ok().and_then(|t| t.parse().ok()),
        Value::Int(number) => u64::try_from(*number).ok(),
        _ => None,
    }
    .ok_or_else(|| unexpected(reply))?;
    let keys = keys
        .iter()
        .filter_map(|key| match key {
            Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
            _ => None,
        })
        .collect();
    Ok((cursor, keys))
}

/// The address of every master that serves slots, from a `CLUSTER NODES` reply.
fn masters(reply: &Value) -> Result<Vec<(String, u16)>, BackendError> {
    let text = match reply {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::SimpleString(text) => text.clone(),
        _ => return Err(unexpected(reply)),
    };
    Ok(text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let (address, flags) = (fields.get(1)?, fields.get(2)?);
            let flags: Vec<&str> = flags.split(',').collect();
            if !flags.contains(&"master") || flags.iter().any(|f| matches!(*f, "fail" | "noaddr")) {
                return None;
            }
            let address = address.split(['@', ',']).next()?;
            let (host, port) = address.rsplit_once(':')?;
            Some((host.to_owned(), port.parse().ok()?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_masters_of_a_cluster_nodes_reply() {
        let reply = Value::BulkString(
            b"e7d1 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460\n\
              67ed 127.0.0.1:30002@40002,node-b master - 0 1 2 connected 5461-10922\n\
              292f 127.0.0.1:30003@40003 master,fail - 0 1 3 connected 10923-16383\n\
              6ec2 127.0.0.1:30004@40004 slave e7d1 0 1 1 connected\n"
                .to_vec(),
        );
        assert_eq!(
            masters(&reply).unwrap(),
            vec![
                ("127.0.0.1".to_owned(), 30001),
                ("127.0.0.1".to_owned(), 30002)
            ]
        );
    }

    #[test]
    fn reads_a_scan_reply() {
        let reply = Value::Array(vec![
            Value::BulkString(b"17".to_vec()),
            Value::Array(vec![
                Value::BulkString(b"a:{1}".to_vec()),
                Value::BulkString(vec![0xff, 0xfe]),
            ]),
        ]);
        assert_eq!(scan_reply(&reply).unwrap(), (17, vec!["a:{1}".to_owned()]));
        assert!(scan_reply(&Value::Nil).is_err());
    }
}
