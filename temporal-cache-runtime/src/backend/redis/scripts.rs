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

/// If `ARGV[1]` still owns the lease: stores the value (with `PX` unless the TTL is 0), releases
/// the lease, publishes on the channel `ARGV[4]` with `ARGV[5]` (`PUBLISH`, or `SPUBLISH` on a
/// cluster) and returns 1. Otherwise returns 0 and stores nothing: the lease was removed by an
/// invalidation while the body ran (or expired unrenewed), so the value may be stale.
pub(super) static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
redis.call('DEL', KEYS[2])
redis.call(ARGV[5], ARGV[4], 'stored')
return 1
",
    )
});

/// Invalidation: removes the value and the lease, whoever holds it (so that the holder's result
/// is not stored), and if there was a lease publishes on `ARGV[1]` with `ARGV[2]`, so that its
/// waiters re-check and one of them takes over. Returns how many values it removed (0 or 1).
pub(super) static INVALIDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local removed = redis.call('DEL', KEYS[1])
if redis.call('DEL', KEYS[2]) == 1 then redis.call(ARGV[2], ARGV[1], 'released') end
return removed
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
