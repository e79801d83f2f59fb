//! The in-process backend's leases (single-flight within the process), their watchers, and how
//! invalidations and deletions race with them.

use super::*;

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
        assert_eq!(
            backend.leases.lock().watched_keys(),
            0,
            "the last watcher unsubscribes"
        );
    });
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

#[test]
fn a_delete_racing_a_completion_never_leaves_the_value() {
    let backend = MemoryCacheBackend::new();
    let lease = Duration::from_secs(10);
    for i in 0..500 {
        let key = format!("k{i}");
        assert_eq!(backend.claim_now(&key, "a", lease), Claim::Acquired);
        let start = std::sync::Barrier::new(2);
        let (stored, removed) = std::thread::scope(|scope| {
            let completing = scope.spawn(|| {
                start.wait();
                backend.complete_now(&key, "a", b"v", None)
            });
            start.wait();
            let removed = backend.delete_now(&key);
            (completing.join().expect("complete"), removed)
        });
        // Completed first: the delete removed its value. Deleted first: nothing was stored.
        assert_eq!(stored, removed, "round {i}");
        assert_eq!(backend.get_now(&key), None, "round {i}");
    }
}

#[test]
fn a_claim_racing_a_completion_sees_the_lease_or_the_value() {
    let backend = MemoryCacheBackend::new();
    let lease = Duration::from_secs(10);
    for i in 0..500 {
        let key = format!("k{i}");
        assert_eq!(backend.claim_now(&key, "a", lease), Claim::Acquired);
        let start = std::sync::Barrier::new(2);
        let claim = std::thread::scope(|scope| {
            let completing = scope.spawn(|| {
                start.wait();
                backend.complete_now(&key, "a", b"v", None)
            });
            start.wait();
            let claim = backend.claim_now(&key, "b", lease);
            assert!(completing.join().expect("complete"));
            claim
        });
        assert!(
            matches!(&claim, Claim::Held) || claim == Claim::Value(b"v".to_vec()),
            "round {i}: {claim:?}"
        );
    }
}

#[test]
fn clear_removes_entries_and_leases() {
    let backend = MemoryCacheBackend::new();
    let lease = Duration::from_secs(10);
    backend.set_now("k", b"v", None);
    assert_eq!(backend.claim_now("leased", "a", lease), Claim::Acquired);
    backend.clear();
    assert!(backend.is_empty());
    assert!(!backend.complete_now("leased", "a", b"v", None));
    assert_eq!(backend.claim_now("leased", "b", lease), Claim::Acquired);
}
