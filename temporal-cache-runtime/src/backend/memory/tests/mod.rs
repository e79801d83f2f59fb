//! The in-process backend's own tests: its entries (TTLs, both bounds), and in [`leases`] its
//! leases and watchers.

mod leases;

use std::time::Instant;

use super::*;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
        .block_on(future)
}

#[test]
fn stores_reads_and_deletes() {
    let backend = MemoryCacheBackend::new();
    block_on(async {
        assert_eq!(backend.get("k").await.unwrap(), None);
        backend.set("k", b"v1", None).await.unwrap();
        assert_eq!(backend.get("k").await.unwrap().as_deref(), Some(&b"v1"[..]));
        backend.set("k", b"v2", None).await.unwrap();
        assert_eq!(backend.get("k").await.unwrap().as_deref(), Some(&b"v2"[..]));
        assert!(backend.delete("k").await.unwrap());
        assert!(!backend.delete("k").await.unwrap());
        assert_eq!(backend.get("k").await.unwrap(), None);
    });
}

#[test]
fn honours_millisecond_ttls() {
    let backend = MemoryCacheBackend::new();
    backend.set_now("short", b"x", Some(Duration::from_millis(30)));
    backend.set_now("long", b"y", Some(Duration::from_secs(3600)));
    assert_eq!(backend.get_now("short").as_deref(), Some(&b"x"[..]));
    let deadline = Instant::now() + Duration::from_millis(30);
    // Expiry is a matter of the clock: wait until the entry's deadline has passed.
    while Instant::now() <= deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(backend.get_now("short"), None);
    assert_eq!(backend.get_now("long").as_deref(), Some(&b"y"[..]));
    assert_eq!(backend.len(), 1);
}

#[test]
fn a_300ms_ttl_lives_300ms() {
    let backend = MemoryCacheBackend::new();
    block_on(async {
        let ttl = Duration::from_millis(300);
        let before = Instant::now();
        backend.set("k", b"v", Some(ttl)).await.unwrap();
        let after = Instant::now();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let early = backend.get("k").await.unwrap();
        // Only a stall of 200ms on a loaded machine could excuse a miss here.
        assert!(early.is_some() || before.elapsed() >= ttl, "gone early");
        // The deadline is at most `after + ttl`: one millisecond later, it is a miss.
        tokio::time::sleep_until((after + ttl + Duration::from_millis(1)).into()).await;
        assert_eq!(backend.get("k").await.unwrap(), None);
        tokio::time::sleep_until((before + Duration::from_millis(400)).into()).await;
        assert_eq!(backend.get("k").await.unwrap(), None);
        assert_eq!(
            backend.claim("k", "a", ttl).await.unwrap(),
            Claim::Acquired,
            "an expired value is no value to claim"
        );
        assert!(
            !backend.delete_now("k"),
            "an expired entry is not counted as removed"
        );
    });
}

/// Lets moka apply its pending evictions, as it would on later calls.
fn settle(backend: &MemoryCacheBackend) {
    backend.entries.run_pending_tasks();
}

/// Asserts both bounds against what moka holds and against what a read can find.
fn assert_within_bounds(backend: &MemoryCacheBackend, keys: &[String]) {
    settle(backend);
    let bounds = backend.entries.bounds();
    assert!(backend.entries.weighted_size() <= bounds.capacity());
    assert!(bounds.capacity() <= bounds.max_bytes as u64);
    assert!(backend.entries.entry_count() <= bounds.max_entries as u64);
    let readable: Vec<Vec<u8>> = keys.iter().filter_map(|key| backend.get_now(key)).collect();
    assert!(readable.len() <= bounds.max_entries, "{}", readable.len());
    let bytes: usize = readable.iter().map(Vec::len).sum();
    assert!(bytes <= bounds.max_bytes, "{bytes} bytes");
    assert_eq!(backend.len(), readable.len());
}

#[test]
fn keeps_max_entries_and_the_most_used_stay() {
    let backend = MemoryCacheBackend::new().with_max_entries(3);
    for key in ["a", "b", "c"] {
        backend.set_now(key, key.as_bytes(), None);
    }
    settle(&backend);
    for _ in 0..10 {
        assert_eq!(backend.get_now("a").as_deref(), Some(&b"a"[..]));
    }
    settle(&backend);
    let mut keys: Vec<String> = (0..50).map(|i| format!("new{i}")).collect();
    for key in &keys {
        backend.set_now(key, b"n", None);
        settle(&backend);
    }
    keys.extend(["a", "b", "c"].map(String::from));
    assert_within_bounds(&backend, &keys);
    assert_eq!(backend.len(), 3);
    assert_eq!(
        backend.get_now("a").as_deref(),
        Some(&b"a"[..]),
        "TinyLFU keeps the often-read entry over entries written once"
    );
}

#[test]
fn evicts_beyond_max_bytes_and_skips_oversized_values() {
    let backend = MemoryCacheBackend::new().with_max_bytes(10);
    let keys: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    for key in &keys {
        backend.set_now(key, &[0; 4], None);
    }
    assert_within_bounds(&backend, &keys);
    assert_eq!(backend.len(), 2, "one of three 4-byte values has to go");
    backend.set_now("huge", &[0; 11], None);
    assert_eq!(backend.get_now("huge"), None);
    settle(&backend);
    assert_eq!(backend.len(), 2, "an oversized value evicts nothing");
}

#[test]
fn slots_admit_exactly_max_entries_small_values() {
    for max_entries in [
        1,
        2,
        3,
        7,
        20,
        1_000,
        MemoryCacheBackend::DEFAULT_MAX_ENTRIES,
    ] {
        for max_bytes in [
            0,
            1,
            10,
            999,
            4_096,
            1 << 20,
            MemoryCacheBackend::DEFAULT_MAX_BYTES,
        ] {
            let bounds = Bounds {
                max_entries,
                max_bytes,
            };
            let fitting = bounds.capacity() / u64::from(bounds.slot());
            let case = format!("{max_entries} entries, {max_bytes} bytes");
            assert!(bounds.capacity() <= max_bytes as u64, "{case}");
            assert!(fitting <= max_entries as u64, "{case}");
            if max_bytes >= max_entries * (max_entries + 1) {
                assert_eq!(fitting, max_entries as u64, "{case}");
            }
        }
    }
    let huge = Bounds {
        max_entries: 2,
        max_bytes: usize::MAX,
    };
    assert_eq!(huge.slot(), u32::MAX);
    assert_eq!(huge.capacity() / u64::from(huge.slot()), 2);
}

#[test]
fn both_bounds_hold_under_many_large_values() {
    // Slots of 477 bytes: the byte bound binds when values are large, the entry bound when small.
    let backend = MemoryCacheBackend::new()
        .with_max_entries(20)
        .with_max_bytes(10_000);
    let mut keys = Vec::new();
    for round in 0..20 {
        for i in 0..50 {
            let key = format!("large{round}:{i}");
            let len = 100 + (round * 50 + i) * 37 % 1_900;
            backend.set_now(&key, &vec![7; len], None);
            keys.push(key);
        }
        assert_within_bounds(&backend, &keys);
    }
    for i in 0..1_000 {
        let key = format!("small{i}");
        backend.set_now(&key, b"tiny", None);
        keys.push(key);
    }
    assert_within_bounds(&backend, &keys);
}

#[test]
fn a_value_of_max_bytes_is_stored_and_one_byte_more_is_not() {
    let backend = MemoryCacheBackend::new()
        .with_max_entries(4)
        .with_max_bytes(100);
    backend.set_now("fits", &[1; 100], None);
    backend.set_now("too big", &[1; 101], None);
    settle(&backend);
    assert_eq!(backend.get_now("fits").map(|value| value.len()), Some(100));
    assert_eq!(backend.get_now("too big"), None);
    backend.set_now("fits", &[1; 101], None);
    assert_eq!(
        backend.get_now("fits"),
        None,
        "an oversized rewrite removes the old value"
    );
}

#[test]
fn rewrites_replace_the_entry_and_its_weight() {
    let backend = MemoryCacheBackend::new().with_max_entries(4);
    for i in 0..10_000u32 {
        backend.set_now("same", &i.to_le_bytes(), None);
    }
    settle(&backend);
    assert_eq!(backend.entries.entry_count(), 1);
    assert_eq!(
        backend.entries.weighted_size(),
        (MemoryCacheBackend::DEFAULT_MAX_BYTES / 5 + 1) as u64,
        "a small value weighs its share of max_bytes"
    );
    assert_eq!(
        backend.get_now("same"),
        Some(9_999u32.to_le_bytes().to_vec())
    );
}

#[test]
fn new_bounds_keep_the_entries_that_fit() {
    let backend = MemoryCacheBackend::new();
    backend.set_now("small", &[0; 10], None);
    backend.set_now("large", &[0; 1_000], None);
    let backend = backend.with_max_bytes(100);
    assert_eq!(backend.get_now("small").map(|value| value.len()), Some(10));
    assert_eq!(backend.get_now("large"), None);
}
