//! The near cache's coherence rules, without Redis: what a fill may keep, and what empties it.

use std::time::Duration;

use bytes::Bytes;

use super::NearCache;

const NO_TTL: i64 = -1;

fn tracking() -> NearCache {
    let near = NearCache::new(1 << 20);
    near.tracking_started();
    near
}

fn read_through(near: &NearCache, key: &str, value: &[u8], ttl_millis: i64) {
    let ticket = near.ticket(key);
    near.fill(ticket, key, &Bytes::copy_from_slice(value), ttl_millis);
}

#[test]
fn serves_what_it_read_while_tracking() {
    let near = tracking();
    assert_eq!(near.get("k"), None);
    read_through(&near, "k", b"v1", NO_TTL);
    assert_eq!(near.get("k").as_deref(), Some(&b"v1"[..]));
    let stats = near.stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));
}

#[test]
fn keeps_nothing_read_before_tracking_started() {
    let near = NearCache::new(1 << 20);
    let ticket = near.ticket("k");
    near.tracking_started();
    near.fill(ticket, "k", &Bytes::from_static(b"v1"), NO_TTL);
    assert_eq!(near.get("k"), None);
}

#[test]
fn a_fill_that_raced_an_invalidation_of_its_key_is_dropped() {
    let near = tracking();
    let ticket = near.ticket("k");
    // Redis reports a write after it answered the read, and the report is handled first.
    near.invalidate("k");
    near.fill(ticket, "k", &Bytes::from_static(b"old"), NO_TTL);
    assert_eq!(near.get("k"), None);
    // The next read keeps what it finds.
    read_through(&near, "k", b"new", NO_TTL);
    assert_eq!(near.get("k").as_deref(), Some(&b"new"[..]));
}

#[test]
fn an_invalidation_of_another_key_drops_no_entry() {
    let near = tracking();
    read_through(&near, "a", b"1", NO_TTL);
    near.invalidate("b");
    assert_eq!(near.get("a").as_deref(), Some(&b"1"[..]));
    assert_eq!(near.stats().invalidations, 0);
}

#[test]
fn a_reset_empties_it_and_stops_serving_until_tracking_is_back() {
    let near = tracking();
    read_through(&near, "k", b"v1", NO_TTL);
    let in_flight = near.ticket("other");
    near.reset();
    assert_eq!(near.get("k"), None);
    near.tracking_started();
    assert_eq!(
        near.get("k"),
        None,
        "the entry from before the reset is gone"
    );
    near.fill(in_flight, "other", &Bytes::from_static(b"x"), NO_TTL);
    assert_eq!(
        near.get("other"),
        None,
        "a read begun before the reset is not kept"
    );
    let stats = near.stats();
    assert_eq!((stats.resets, stats.entries), (1, 0));
}

#[test]
fn a_second_reset_while_down_counts_once() {
    let near = tracking();
    near.reset();
    near.reset();
    assert_eq!(near.stats().resets, 1);
}

#[test]
fn an_entry_is_never_served_past_its_redis_ttl() {
    let near = tracking();
    read_through(&near, "k", b"v", 40);
    assert!(near.get("k").is_some());
    std::thread::sleep(Duration::from_millis(45));
    assert_eq!(near.get("k"), None);
}

#[test]
fn keeps_nothing_redis_says_is_gone_or_expiring_now() {
    let near = tracking();
    read_through(&near, "gone", b"v", -2);
    read_through(&near, "expiring", b"v", 0);
    assert_eq!(near.get("gone"), None);
    assert_eq!(near.get("expiring"), None);
}

#[test]
fn a_flush_of_the_database_empties_it_but_keeps_it_serving() {
    let near = tracking();
    read_through(&near, "k", b"v", NO_TTL);
    near.forget_everything();
    assert_eq!(near.get("k"), None);
    read_through(&near, "k", b"v2", NO_TTL);
    assert_eq!(near.get("k").as_deref(), Some(&b"v2"[..]));
}

#[test]
fn removing_a_prefix_drops_exactly_its_entries() {
    let near = tracking();
    read_through(&near, "p:a:1", b"1", NO_TTL);
    read_through(&near, "p:a:2", b"2", NO_TTL);
    read_through(&near, "p:b:1", b"3", NO_TTL);
    near.invalidate_prefix("p:a:");
    assert_eq!(near.get("p:a:1"), None);
    assert_eq!(near.get("p:a:2"), None);
    assert_eq!(near.get("p:b:1").as_deref(), Some(&b"3"[..]));
}

#[test]
fn stays_within_its_byte_bound_under_large_distinct_values() {
    let max_bytes = 1 << 20;
    let near = NearCache::new(max_bytes);
    near.tracking_started();
    let value = vec![7u8; 100 * 1024];
    for round in 0..200 {
        read_through(&near, &format!("k{round}"), &value, NO_TTL);
        let stats = near.stats();
        assert!(
            stats.bytes <= max_bytes,
            "{} bytes held after {round} fills",
            stats.bytes
        );
    }
    assert!(near.stats().entries >= 1, "{:?}", near.stats());
}
