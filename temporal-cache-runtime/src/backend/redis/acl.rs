//! The least privilege the cache needs on Redis: the exact ACL rule for a user that can do
//! everything the backend does and nothing else.

use super::RedisCacheBackend;
use crate::key;

/// Every command the backend sends, directly or from its scripts, in ACL syntax.
///
/// `GET`, `SET` (with `PX`) and `DEL` for values and invalidation; `MGET` for reads that overlap
/// (a user without it still reads, one key at a time, after one warning); `EVALSHA` for the lease
/// scripts, with `SCRIPT LOAD` for a server that has not seen them yet; inside the scripts
/// `PEXPIRE` (lease renewal) and `PUBLISH` (waking waiters); `SUBSCRIBE` and `UNSUBSCRIBE` for the
/// waiters' notifications; `SCAN` and `UNLINK` for removing all the entries of an activity.
const COMMANDS: [&str; 13] = [
    "+get",
    "+mget",
    "+set",
    "+del",
    "+scan",
    "+unlink",
    "+pexpire",
    "+evalsha",
    "+script|load",
    "+publish",
    "+subscribe",
    "+unsubscribe",
    // A database other than 0 needs it; harmless otherwise.
    "+select",
];

/// What a cluster backend sends besides: the slot map, and sharded pub/sub instead of the
/// broadcast kind.
const CLUSTER_COMMANDS: [&str; 6] = [
    "+cluster|slots",
    "+cluster|nodes",
    "+cluster|shards",
    "+spublish",
    "+ssubscribe",
    "+sunsubscribe",
];

/// What a backend with a near cache sends besides, on its tracking connection and for reads
/// that fill it: key tracking, the connection's name, its heartbeat, and the remaining TTL.
const NEAR_CACHE_COMMANDS: [&str; 4] = ["+pttl", "+ping", "+client|tracking", "+client|setname"];

impl RedisCacheBackend {
    /// The ACL rule that gives a Redis user exactly what this backend needs: its commands, keys
    /// under its prefix and channels under its prefix. For the default prefix:
    ///
    /// ```text
    /// resetkeys ~temporal-cache:* resetchannels &temporal-cache:* -@all +get +mget +set +del +scan +unlink +pexpire +evalsha +script|load +publish +subscribe +unsubscribe +select
    /// ```
    ///
    /// Give it to `ACL SETUSER <name> on ><password> <rule>` (or a `user` line of an ACL file),
    /// then connect as that user (`redis://<name>:<password>@host` or
    /// [`with_credentials`](Self::with_credentials)). A user without one of these permissions
    /// still never fails an activity: the call runs uncached, and one warning names the command.
    ///
    /// A [cluster](Self::cluster) backend's rule also allows `CLUSTER SLOTS` and `CLUSTER SHARDS`
    /// (the slot map), `CLUSTER NODES` (the masters to scan) and sharded pub/sub (`SPUBLISH`, `SSUBSCRIBE`, `SUNSUBSCRIBE`); give it to
    /// the user on every node. A backend [with a near cache](Self::with_near_cache) also needs
    /// `PTTL`, `PING`, `CLIENT TRACKING` and `CLIENT SETNAME`.
    pub fn acl_rule(&self) -> String {
        let pattern = glob_escaped(&key::escaped(&self.prefix));
        let mut rule = format!("resetkeys ~{pattern}:* resetchannels &{pattern}:* -@all");
        let cluster = if self.is_cluster() {
            &CLUSTER_COMMANDS[..]
        } else {
            &[]
        };
        let near = if self.near.is_some() {
            &NEAR_CACHE_COMMANDS[..]
        } else {
            &[]
        };
        for command in COMMANDS.iter().chain(cluster).chain(near) {
            rule.push(' ');
            rule.push_str(command);
        }
        rule
    }
}

/// `text` with the characters ACL glob patterns give a meaning to backslash-escaped.
pub(super) fn glob_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_for_the_default_prefix_is_the_documented_one() {
        let backend = RedisCacheBackend::new("redis://127.0.0.1:6379").unwrap();
        assert_eq!(
            backend.acl_rule(),
            "resetkeys ~temporal-cache:* resetchannels &temporal-cache:* -@all +get +mget +set \
             +del +scan +unlink +pexpire +evalsha +script|load +publish +subscribe +unsubscribe +select"
        );
    }

    #[test]
    fn patterns_match_the_prefix_literally() {
        let backend = RedisCacheBackend::new("redis://127.0.0.1:6379")
            .unwrap()
            .with_prefix("a*b{c}");
        assert!(
            backend
                .acl_rule()
                .starts_with("resetkeys ~a\\*b%7Bc%7D:* resetchannels &a\\*b%7Bc%7D:* "),
            "{}",
            backend.acl_rule()
        );
    }
}
