//! The server-side scripts behind leases: each step of a miss is one round trip.
//!
//! `KEYS[1]` is the value key and `KEYS[2]` the lease key; both carry the entry's hash tag, so a
//! script touches one Redis Cluster slot. Completion and release announce themselves on the
//! entry's channel, which waiters in every process subscribe to.

use std::sync::LazyLock;

use redis::Script;

/// Returns `{1, value}` when a value is stored, else takes the lease (`{2}`), else reports that
/// another owner holds it (`{3}`).
pub(super) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local value = redis.call('GET', KEYS[1])
if value then return {1, value} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {3}
",
    )
});

/// Stores the value (with `PX` unless the TTL is 0), releases the lease if `ARGV[1]` still owns
/// it, and publishes on the channel `ARGV[4]` with `ARGV[5]` (`PUBLISH`, or `SPUBLISH` on a
/// cluster).
pub(super) static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call(ARGV[5], ARGV[4], 'stored')
return 1
",
    )
});

/// Releases the lease if `ARGV[1]` owns it and publishes on `ARGV[2]` with `ARGV[3]`; returns 1
/// if it did.
pub(super) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  redis.call(ARGV[3], ARGV[2], 'released')
  return 1
end
return 0
",
    )
});

/// Extends the lease to `ARGV[2]` milliseconds if `ARGV[1]` owns it; returns 1 if it did.
pub(super) static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0
",
    )
});
