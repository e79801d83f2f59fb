//! The in-process backend's own tests: TTLs, both bounds, leases and watchers.

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
fn evicts_oldest_beyond_max_entries() {
    let backend = MemoryCacheBackend::new().with_max_entries(3);
    for key in ["a", "b", "c", "d"] {
        backend.set_now(key, key.as_bytes(), None);
    }
    assert_eq!(backend.get_now("a"), None);
    for key in ["b", "c", "d"] {
        assert_eq!(backend.get_now(key).as_deref(), Some(key.as_bytes()));
    }
    // Rewriting "b" makes it the newest, so "c" goes next.
    backend.set_now("b", b"b2", None);
    backend.set_now("e", b"e", None);
    assert_eq!(backend.get_now("c"), None);
    assert_eq!(backend.get_now("b").as_deref(), Some(&b"b2"[..]));
}

#[test]
fn evicts_beyond_max_bytes_and_skips_oversized_values() {
    let backend = MemoryCacheBackend::new().with_max_bytes(10);
    backend.set_now("a", &[0; 4], None);
    backend.set_now("b", &[0; 4], None);
    backend.set_now("c", &[0; 4], None);
    assert_eq!(backend.get_now("a"), None);
    assert!(backend.get_now("b").is_some());
    assert!(backend.get_now("c").is_some());
    backend.set_now("huge", &[0; 11], None);
    assert_eq!(backend.get_now("huge"), None);
    assert_eq!(backend.len(), 2);
}

#[test]
fn leases_have_one_owner_at_a_time() {
    let backend = MemoryCacheBackend::new();
    let lease = Duration::from_secs(10);
    block_on(async {
        assert_eq!(
            backend.claim("k", "a", lease).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(backend.claim("k", "b", lease).await.unwrap(), Claim::Held);
        assert!(
            !backend.release("k", "b").await.unwrap(),
            "b does not hold it"
        );
        assert!(!backend.extend("k", "b", lease).await.unwrap());
        assert!(backend.extend("k", "a", lease).await.unwrap());
        assert!(backend.release("k", "a").await.unwrap());
        assert_eq!(
            backend.claim("k", "b", lease).await.unwrap(),
            Claim::Acquired
        );
        assert!(backend.complete("k", "b", b"v", None).await.unwrap());
        assert_eq!(
            backend.claim("k", "c", lease).await.unwrap(),
            Claim::Value(b"v".to_vec())
        );
        assert!(
            !backend.release("k", "b").await.unwrap(),
            "completing released it"
        );
    });
}

#[test]
fn an_expired_lease_can_be_taken_over() {
    let backend = MemoryCacheBackend::new();
    block_on(async {
        let short = Duration::from_millis(20);
        assert_eq!(
            backend.claim("k", "a", short).await.unwrap(),
            Claim::Acquired
        );
        tokio::time::sleep(short * 2).await;
        assert_eq!(
            backend
                .claim("k", "b", Duration::from_secs(1))
                .await
                .unwrap(),
            Claim::Acquired
        );
        assert!(
            !backend.extend("k", "a", short).await.unwrap(),
            "a's lease is gone"
        );
    });
}

#[test]
fn watchers_see_completions_and_releases() {
    let backend = MemoryCacheBackend::new();
    block_on(async {
        let lease = Duration::from_secs(10);
        let mut watch = backend.watch("k").await.unwrap();
        backend.claim("k", "a", lease).await.unwrap();
        backend.release("k", "a").await.unwrap();
        tokio::time::timeout(Duration::from_secs(1), watch.changed())
            .await
            .expect("a release wakes watchers");
        backend.claim("k", "a", lease).await.unwrap();
        backend.complete("k", "a", b"v", None).await.unwrap();
        tokio::time::timeout(Duration::from_secs(1), watch.changed())
            .await
            .expect("a completion wakes watchers");
        drop(watch);
        assert!(
            backend.lock().watchers.is_empty(),
            "the last watcher unsubscribes"
        );
    });
}

#[test]
fn rewrites_do_not_grow_the_order_queue_without_bound() {
    let backend = MemoryCacheBackend::new();
    for i in 0..10_000u32 {
        backend.set_now("same", &i.to_le_bytes(), None);
    }
    let state = backend.lock();
    assert_eq!(state.entries.len(), 1);
    assert!(state.order.len() <= 2 * state.entries.len() + 65);
    assert_eq!(state.bytes, 4);
}

#[test]
fn an_invalidation_voids_the_running_holders_store() {
    let backend = MemoryCacheBackend::new();
    block_on(async {
        let lease = Duration::from_secs(10);
        backend.set("k", b"old", None).await.unwrap();
        assert!(backend.delete("k").await.unwrap());
        assert_eq!(
            backend.claim("k", "a", lease).await.unwrap(),
            Claim::Acquired
        );
        assert!(
            !backend.delete("k").await.unwrap(),
            "no entry, only a lease"
        );
        assert!(
            !backend.complete("k", "a", b"stale", None).await.unwrap(),
            "the lease went with the invalidation"
        );
        assert_eq!(backend.get("k").await.unwrap(), None);
        assert_eq!(
            backend.claim("k", "b", lease).await.unwrap(),
            Claim::Acquired
        );
        assert!(backend.complete("k", "b", b"fresh", None).await.unwrap());
        assert_eq!(backend.get("k").await.unwrap(), Some(b"fresh".to_vec()));
    });
}

#[test]
fn delete_prefix_removes_exactly_the_entries_and_leases_under_it() {
    let backend = MemoryCacheBackend::new();
    block_on(async {
        let lease = Duration::from_secs(10);
        for i in 0..5 {
            backend
                .set(&format!("p:A:{{{i}}}"), b"a", None)
                .await
                .unwrap();
            backend
                .set(&format!("p:B:{{{i}}}"), b"b", None)
                .await
                .unwrap();
        }
        assert_eq!(
            backend.claim("p:A:{9}", "a", lease).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(
            backend.claim("p:B:{9}", "b", lease).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(backend.delete_prefix("p:A:{").await.unwrap(), 5);
        for i in 0..5 {
            assert_eq!(backend.get(&format!("p:A:{{{i}}}")).await.unwrap(), None);
            assert_eq!(
                backend.get(&format!("p:B:{{{i}}}")).await.unwrap(),
                Some(b"b".to_vec())
            );
        }
        assert!(
            !backend
                .complete("p:A:{9}", "a", b"stale", None)
                .await
                .unwrap()
        );
        assert!(backend.complete("p:B:{9}", "b", b"b", None).await.unwrap());
        assert_eq!(backend.len(), 6);
    });
}
