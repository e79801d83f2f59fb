//! A `RedisCacheBackend` is not tied to the Tokio runtime it was first used on: a worker (or a
//! test suite) that makes a new runtime after dropping the first keeps a working cache, with no
//! deadline waited out on the way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_tests::activities::{Cached, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::redis_server::RedisServer;
use temporalio_common::data_converters::MultiArgs2;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn a_backend_keeps_working_on_a_second_runtime_after_the_first_is_gone() {
    let redis = RedisServer::start();
    let deadline = Duration::from_secs(2);
    set_cache_backend(Arc::new(
        RedisCacheBackend::new(&redis.url())
            .expect("a valid URL")
            .with_operation_timeout(deadline),
    ));
    let token = token("runtimes");
    let input = || MultiArgs2(token.clone(), 5);

    let first = runtime();
    assert_eq!(first.block_on(run(Cached::echo, input())).run, 1);
    drop(first);

    let second = runtime();
    let started = Instant::now();
    let output = second.block_on(run(Cached::echo, input()));
    let took = started.elapsed();
    assert_eq!(
        output.run, 1,
        "a hit: the backend reconnected on the second runtime"
    );
    assert!(took < deadline, "no deadline was waited out: {took:?}");
}
