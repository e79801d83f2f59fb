//! A cache that cannot be reached never fails an activity: with Redis killed, cached activities
//! (async and sync) run their bodies and return their own results. Its own process, because it
//! kills the Redis behind the global backend.

use std::time::{Duration, Instant};

use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_tests::activities::{Cached, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporalio_common::data_converters::MultiArgs2;

#[test]
fn a_killed_redis_means_misses_not_failures() {
    temporal_cache_tests::init_tracing();
    let mut redis = RedisServer::start();
    let timeout = Duration::from_millis(200);
    set_cache_backend(
        RedisCacheBackend::new(&redis.url())
            .unwrap()
            .with_operation_timeout(timeout),
    );
    block_on(async {
        let token = token("fail-open");
        let cached = run(Cached::echo, MultiArgs2(token.clone(), 1)).await;
        assert_eq!(
            run(Cached::echo, MultiArgs2(token.clone(), 1)).await,
            cached
        );

        redis.kill();
        for expected_run in 2..=4 {
            let started = Instant::now();
            let output = run(Cached::echo, MultiArgs2(token.clone(), 1)).await;
            assert_eq!((output.value, output.run), (1, expected_run));
            // A lookup and a store, each bounded by the operation timeout.
            assert!(
                started.elapsed() < 2 * timeout + Duration::from_millis(500),
                "a call with Redis down took {:?}",
                started.elapsed()
            );
        }
        let sync_token = crate::token("fail-open-sync");
        for expected_run in 1..=2 {
            let output = run(Cached::sync_echo, MultiArgs2(sync_token.clone(), 5)).await;
            assert_eq!((output.value, output.run), (5, expected_run));
        }
        assert_eq!(runs(&sync_token), 2);
    });
}
