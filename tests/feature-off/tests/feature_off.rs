//! With the `disabled` feature, cached activities run their body on every call and never touch
//! the backend.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use temporal_cache_feature_off::{ASYNC_RUNS, Activities, SYNC_RUNS};
use temporal_cache_runtime::{
    MemoryCacheBackend, caching_enabled, invalidate_cache, set_cache_backend,
};
use temporalio_sdk::testing::{ActivityEnvironment, TestActivityInfoOptions};

fn environment_for(activity_type: &str) -> ActivityEnvironment {
    ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity_type)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn every_call_runs_the_body_and_nothing_is_stored() {
    assert!(!caching_enabled());
    let backend = Arc::new(MemoryCacheBackend::new());
    set_cache_backend(Arc::clone(&backend));

    let double = environment_for(Activities::double.name());
    for _ in 0..3 {
        assert_eq!(double.run(Activities::double, 21).await.unwrap(), 42);
    }
    assert_eq!(ASYNC_RUNS.load(Ordering::SeqCst), 3);

    let triple = environment_for(Activities::triple.name());
    for _ in 0..2 {
        assert_eq!(triple.run(Activities::triple, 5).await.unwrap(), 15);
    }
    assert_eq!(SYNC_RUNS.load(Ordering::SeqCst), 2);

    assert!(backend.is_empty(), "nothing may be stored: {backend:?}");
    assert!(!invalidate_cache!(Activities::double, 21).await.unwrap());
}
