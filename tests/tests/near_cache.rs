//! The near cache on a real Redis: coherent with writes from another OS process (a refresh, an
//! invalidation, another body's result), emptied when its tracking connection is killed or Redis
//! restarts, never serving an entry past its Redis TTL, bounded in bytes, and its figures on the
//! worker's Prometheus endpoint.
//!
//! Each test has a Redis server of its own, and they run one at a time: a test kills tracking
//! connections by name and points the global backend at its server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use temporal_cache_runtime::backend::{CacheBackend, NearCacheStats};
use temporal_cache_runtime::metrics::{clear_meter, set_meter};
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_tests::activities::{Cached, Output, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::prometheus;
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::serial;
use temporalio_common::data_converters::MultiArgs2;

/// Far longer than any event here takes; only a broken near cache runs into it.
const PATIENCE: Duration = Duration::from_secs(10);

/// How late an invalidation may reach the near cache after the writer's acknowledgement before
/// the test calls it broken: loose, since two processes share two cores with Redis here. The
/// measured window is printed (and measured properly by `scripts/bench`).
const WINDOW_BOUND: Duration = Duration::from_millis(500);

fn near_backend(server: &RedisServer) -> Arc<RedisCacheBackend> {
    Arc::new(
        RedisCacheBackend::new(&server.url())
            .expect("a Redis URL")
            .with_near_cache(8 << 20),
    )
}

fn stats(backend: &RedisCacheBackend) -> NearCacheStats {
    backend.near_cache_stats().expect("a near cache")
}

/// Waits until `done` holds for the backend's near cache figures, polling them.
async fn until(backend: &RedisCacheBackend, what: &str, done: impl Fn(&NearCacheStats) -> bool) {
    let started = Instant::now();
    while !done(&stats(backend)) {
        assert!(
            started.elapsed() < PATIENCE,
            "the near cache never got {what}: {:?}",
            stats(backend)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Reads `key` once so its tracking starts, then waits until tracking is on.
async fn tracking_on(backend: &RedisCacheBackend, key: &str) {
    let _ = backend.get(key).await;
    until(backend, "its tracking connection", |stats| stats.tracking).await;
}

async fn echo(token: &str) -> Output {
    run(Cached::echo, MultiArgs2(token.to_owned(), 1)).await
}

/// What a process other than this one does to the entry of `Cached::echo(token, 1)`.
#[derive(Debug, Clone, Copy)]
enum Write {
    /// Runs the body again and stores its result (`TEMPORAL_CACHE_REFRESH=1`).
    Refresh,
    /// Removes the entry (`invalidate_cache!`).
    Invalidate,
    /// Removes the entry, then a call there runs the body and stores its own result.
    Recompute,
}

fn in_another_process(server: &RedisServer, token: &str, write: Write) -> Option<Output> {
    let probe = |command: &str, env: &[(&str, &str)]| {
        let mut probe = Probe::start_with_env(
            env!("CARGO_BIN_EXE_probe"),
            &[command, &server.url(), token, "1"],
            env,
        );
        probe.report()
    };
    let stored = |report: serde_json::Value| -> Output {
        serde_json::from_value(report["outputs"][1].clone()).expect("an output")
    };
    match write {
        Write::Refresh => Some(stored(probe("echo", &[("TEMPORAL_CACHE_REFRESH", "1")]))),
        Write::Invalidate => {
            assert_eq!(probe("invalidate", &[])["removed"], true);
            None
        }
        Write::Recompute => {
            assert_eq!(probe("invalidate", &[])["removed"], true);
            Some(stored(probe("echo", &[])))
        }
    }
}

fn a_write_in_another_process_reaches_the_near_cache(write: Write) {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = near_backend(&server);
    set_cache_backend(Arc::clone(&backend));
    let token = token("near");
    block_on(async {
        let stored = echo(&token).await;
        assert_eq!(stored.pid, std::process::id());
        until(&backend, "its tracking connection", |stats| stats.tracking).await;
        served_near(&backend, || echo(&token), &stored).await;

        let theirs = in_another_process(&server, &token, write);
        let acknowledged = Instant::now();
        // Until the invalidation is handled the old value may be served; after it, never.
        let mut next = echo(&token).await;
        while next == stored {
            assert!(
                acknowledged.elapsed() < WINDOW_BOUND,
                "{write:?}: still served the old value {:?} after the write",
                acknowledged.elapsed()
            );
            next = echo(&token).await;
        }
        let window = acknowledged.elapsed();
        eprintln!("{write:?}: the old value was served for {window:?} after the acknowledgement");
        match theirs {
            Some(theirs) => assert_eq!(next, theirs, "{write:?}: the other process's value"),
            None => assert_eq!(
                next.pid,
                std::process::id(),
                "{write:?}: a miss ran the body"
            ),
        }
        for _ in 0..10 {
            assert_eq!(
                echo(&token).await,
                next,
                "{write:?}: the old value came back"
            );
        }
    });
}

#[test]
fn a_refresh_in_another_process_replaces_the_near_entry() {
    a_write_in_another_process_reaches_the_near_cache(Write::Refresh);
}

#[test]
fn an_invalidation_in_another_process_drops_the_near_entry() {
    a_write_in_another_process_reaches_the_near_cache(Write::Invalidate);
}

#[test]
fn another_processs_body_result_replaces_the_near_entry() {
    a_write_in_another_process_reaches_the_near_cache(Write::Recompute);
}

/// The ids of the near caches' tracking connections on `server`.
async fn tracking_connections(server: &RedisServer) -> Vec<String> {
    let mut admin = server.connection().await;
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut admin)
        .await
        .expect("CLIENT LIST");
    clients
        .lines()
        .filter(|line| line.contains(" name=temporal-cache-near "))
        .filter_map(|line| line.split(' ').find_map(|field| field.strip_prefix("id=")))
        .map(str::to_owned)
        .collect()
}

async fn set_raw(server: &RedisServer, key: &str, value: &[u8]) {
    let mut admin = server.connection().await;
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async::<()>(&mut admin)
        .await
        .expect("SET");
}

/// Reads with `read` until one is served from process memory, checking that every read returns
/// `expected`. (This process's own write is reported back to it too, and may drop the first fill
/// after it.)
async fn served_near<T, F>(backend: &RedisCacheBackend, read: impl Fn() -> F, expected: &T)
where
    T: PartialEq + std::fmt::Debug,
    F: std::future::Future<Output = T>,
{
    let started = Instant::now();
    loop {
        let hits = stats(backend).hits;
        assert_eq!(&read().await, expected);
        if stats(backend).hits > hits {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "never served near: {:?}",
            stats(backend)
        );
    }
}

/// Waits until the near cache was emptied (its resets past `resets`), checks that `key` now reads
/// `value` (what was written while tracking was down), then that tracking comes back by itself,
/// on a new connection, and the near cache serves `value` again.
async fn emptied_then_serving_again(
    backend: &RedisCacheBackend,
    key: &str,
    resets: u64,
    value: &[u8],
) {
    until(backend, "reset", |stats| stats.resets > resets).await;
    assert_eq!(backend.get(key).await.unwrap().as_deref(), Some(value));
    until(backend, "its tracking connection back", |stats| {
        stats.tracking
    })
    .await;
    served_near(
        backend,
        || async { backend.get(key).await.expect("GET") },
        &Some(value.to_vec()),
    )
    .await;
}

/// A key under the backend's prefix, holding `value`, served from the near cache.
async fn near_cached(backend: &RedisCacheBackend, key: &str, value: &[u8]) {
    backend
        .set(key, value, Some(Duration::from_secs(3600)))
        .await
        .expect("SET");
    tracking_on(backend, key).await;
    served_near(
        backend,
        || async { backend.get(key).await.expect("GET") },
        &Some(value.to_vec()),
    )
    .await;
}

#[test]
fn killing_the_tracking_connection_empties_the_near_cache() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = near_backend(&server);
    let key = "temporal-cache:near-test:killed";
    block_on(async {
        near_cached(&backend, key, b"old").await;
        let connections = tracking_connections(&server).await;
        assert_eq!(
            connections.len(),
            1,
            "one tracking connection: {connections:?}"
        );
        let resets = stats(&backend).resets;
        // Killed and written in one transaction, so that the write's invalidation is lost
        // whatever the worker does next.
        let mut admin = server.connection().await;
        redis::pipe()
            .atomic()
            .cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(&connections[0])
            .ignore()
            .cmd("SET")
            .arg(key)
            .arg("new")
            .ignore()
            .query_async::<()>(&mut admin)
            .await
            .expect("CLIENT KILL and SET");
        emptied_then_serving_again(&backend, key, resets, b"new").await;
        assert_ne!(tracking_connections(&server).await, connections);
    });
}

#[test]
fn a_redis_restart_empties_the_near_cache() {
    let _serial = serial();
    let mut server = RedisServer::start();
    let backend = near_backend(&server);
    let key = "temporal-cache:near-test:restarted";
    block_on(async {
        near_cached(&backend, key, b"old").await;
        let resets = stats(&backend).resets;
        server.restart();
        set_raw(&server, key, b"new").await;
        emptied_then_serving_again(&backend, key, resets, b"new").await;
        // A write after the restart reaches the new tracking connection.
        let invalidations = stats(&backend).invalidations;
        set_raw(&server, key, b"newer").await;
        until(&backend, "the invalidation", |stats| {
            stats.invalidations > invalidations
        })
        .await;
        assert_eq!(
            backend.get(key).await.unwrap().as_deref(),
            Some(&b"newer"[..])
        );
    });
}

#[test]
fn a_near_entry_ends_with_its_redis_ttl_without_asking_redis_before() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = near_backend(&server);
    let key = "temporal-cache:near-test:expiring";
    block_on(async {
        tracking_on(&backend, key).await;
        backend
            .set(key, b"v", Some(Duration::from_millis(300)))
            .await
            .expect("SET");
        let stored = Instant::now();
        served_near(
            &backend,
            || async { backend.get(key).await.expect("GET") },
            &Some(b"v".to_vec()),
        )
        .await;
        let gets = server.calls("get").await;
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(stored.elapsed())).await;
        assert_eq!(backend.get(key).await.unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(server.calls("get").await, gets, "served near at +100 ms");
        tokio::time::sleep(Duration::from_millis(400).saturating_sub(stored.elapsed())).await;
        assert_eq!(backend.get(key).await.unwrap(), None, "gone at +400 ms");
        assert_eq!(
            server.calls("get").await,
            gets + 1,
            "one GET: the one after the near entry ended"
        );
    });
}

#[test]
fn the_near_cache_stays_within_its_byte_bound() {
    let _serial = serial();
    let server = RedisServer::start();
    let max_bytes = 1 << 20;
    let backend = RedisCacheBackend::new(&server.url())
        .expect("a Redis URL")
        .with_near_cache(max_bytes);
    let value = vec![b'x'; 100 * 1024];
    block_on(async {
        tracking_on(&backend, "temporal-cache:near-test:bound").await;
        for index in 0..100 {
            let key = format!("temporal-cache:near-test:large:{index}");
            backend.set(&key, &value, None).await.expect("SET");
            assert_eq!(
                backend.get(&key).await.unwrap().map(|v| v.len()),
                Some(value.len())
            );
            let stats = stats(&backend);
            assert!(stats.bytes <= max_bytes, "{stats:?} after {index} values");
        }
        let stats = stats(&backend);
        assert!(stats.entries <= 10, "{stats:?}");
    });
}

#[test]
fn a_backend_that_outlives_its_runtime_serves_no_copy_from_before() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = near_backend(&server);
    let key = "temporal-cache:near-test:runtime";
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime")
    };
    let first = runtime();
    first.block_on(near_cached(&backend, key, b"old"));
    let resets = stats(&backend).resets;
    // The tracking task and its connection end with their runtime; nobody tracks meanwhile.
    drop(first);
    assert_eq!(
        stats(&backend).resets,
        resets + 1,
        "emptied when its runtime ended"
    );
    let mut writer = server.client().get_connection().expect("a connection");
    redis::cmd("SET")
        .arg(key)
        .arg("new")
        .query::<()>(&mut writer)
        .expect("SET");
    runtime().block_on(async {
        assert_eq!(
            backend.get(key).await.unwrap().as_deref(),
            Some(&b"new"[..])
        );
        // And tracking starts again on this runtime.
        until(&backend, "its tracking connection back", |stats| {
            stats.tracking
        })
        .await;
    });
}

#[test]
fn the_near_caches_figures_reach_the_workers_prometheus_endpoint() {
    let _serial = serial();
    let server = RedisServer::start();
    // A prefix of its own: the near caches of the other tests here export under theirs.
    let backend = RedisCacheBackend::new(&server.url())
        .expect("a Redis URL")
        .with_prefix("near-metrics")
        .with_near_cache(8 << 20);
    let key = "near-metrics:entry";
    block_on(async {
        let exporter = prometheus::Exporter::start();
        set_meter(Arc::clone(&exporter.meter));
        near_cached(&backend, key, b"kept").await;
        let invalidations = stats(&backend).invalidations;
        set_raw(&server, key, b"replaced").await;
        until(&backend, "the write's invalidation", |stats| {
            stats.invalidations > invalidations
        })
        .await;
        // No more reads: the figures stay as they are, and the exports catch up with them.
        let expected = stats(&backend);
        let labels = [("key_prefix", "near-metrics")];
        let exported = |samples: &[prometheus::Sample]| {
            let value = |name| prometheus::value(samples, name, &labels);
            [
                value("temporal_cache_near_hits"),
                value("temporal_cache_near_misses"),
                value("temporal_cache_near_invalidations"),
                value("temporal_cache_near_resets"),
                value("temporal_cache_near_entries"),
                value("temporal_cache_near_max_bytes"),
                value("temporal_cache_near_tracking"),
            ]
        };
        // The figures' counts are far below 2^53: exact as f64.
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let wanted = [
            expected.hits,
            expected.misses,
            expected.invalidations,
            expected.resets,
            expected.entries,
            expected.max_bytes,
            1,
        ]
        .map(|figure| Some(figure as f64));
        let started = Instant::now();
        let mut samples = prometheus::parse(&prometheus::scrape(exporter.address).await);
        while exported(&samples) != wanted {
            assert!(
                started.elapsed() < PATIENCE,
                "the endpoint never showed {expected:?}: {:?}",
                exported(&samples)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            samples = prometheus::parse(&prometheus::scrape(exporter.address).await);
        }
        clear_meter();
        assert!(
            expected.hits >= 1 && expected.invalidations >= 1,
            "{expected:?}"
        );
    });
}
