//! Without any backend configured, a cached activity runs uncached and still succeeds. Its own
//! process, because the global backend is process-wide.

use temporal_cache_runtime::{InvalidateError, cache_backend, invalidate_cache};
use temporal_cache_tests::activities::{Cached, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::runtime::block_on;
use temporalio_common::data_converters::MultiArgs2;

#[test]
fn runs_uncached_without_a_backend() {
    temporal_cache_tests::init_tracing();
    assert!(cache_backend().is_none());
    block_on(async {
        let token = token("no-backend");
        for expected_run in 1..=3 {
            let output = run(Cached::echo, MultiArgs2(token.clone(), 4)).await;
            assert_eq!((output.value, output.run), (4, expected_run));
        }
        let output = run(Cached::sync_echo, MultiArgs2(token.clone(), 4)).await;
        assert_eq!(output.run, 4);
        assert!(matches!(
            invalidate_cache!(Cached::echo, token.clone(), 4).await,
            Err(InvalidateError::NoBackend)
        ));
    });
}
