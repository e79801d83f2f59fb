//! The cache's metrics on a real worker's own Prometheus endpoint: the SDK's exporter on a
//! loopback port, its meter given both to the worker's `TelemetryOptions` and to
//! `temporal_cache_runtime::metrics::set_meter`, three workflows on the Temporal dev server (one
//! miss, two hits), and a scrape over HTTP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use temporal_cache_runtime::metrics::set_meter;
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_tests::activities::{Cached, runs, token};
use temporal_cache_tests::prometheus::{Exporter, parse, scrape, value, values};
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::temporal_server::{NAMESPACE, TemporalServer, unique_task_queue};
use temporal_cache_tests::workflows::{Call, CallWorkflow, execute_call};
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

/// How long the scrape may take to show the calls' counts (they are recorded before each
/// activity completes, so the first scrape normally does).
const SCRAPE_LIMIT: Duration = Duration::from_secs(10);

#[test]
fn a_miss_and_two_hits_are_on_the_workers_prometheus_endpoint() {
    temporal_cache_tests::init_tracing();
    let redis = RedisServer::start();
    set_cache_backend(RedisCacheBackend::new(&redis.url()).expect("a Redis URL"));
    let temporal = TemporalServer::shared();
    block_on(async {
        let exporter = Exporter::start();
        let (address, meter) = (exporter.address, Arc::clone(&exporter.meter));
        set_meter(Arc::clone(&meter));
        let telemetry = TelemetryOptions::builder().metrics(meter).build();
        let runtime = Runtime::from_current_tokio(
            RuntimeOptions::builder()
                .telemetry_options(telemetry)
                .build()
                .expect("valid runtime options"),
        )
        .expect("a runtime with the exporter's meter");

        let client = temporal.client().await;
        let task_queue = unique_task_queue("metrics");
        let options = WorkerOptions::new(task_queue.as_str())
            .register_workflow::<CallWorkflow>()
            .unwrap()
            .register_activities(Cached)
            .build();
        let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();
        let token = token("metrics");
        let call = Call {
            uncached: false,
            token: token.clone(),
            value: 7,
        };

        let workflows = async {
            let first = execute_call(&client, &task_queue, call.clone()).await;
            for _ in 0..2 {
                assert_eq!(
                    execute_call(&client, &task_queue, call.clone()).await,
                    first
                );
            }
            assert_eq!(runs(&token), 1, "one miss ran the body, two hits did not");

            let labels = [
                ("activity_type", "Cached::echo"),
                ("namespace", NAMESPACE),
                ("task_queue", task_queue.as_str()),
            ];
            let give_up = Instant::now() + SCRAPE_LIMIT;
            let samples = loop {
                let samples = parse(&scrape(address).await);
                if value(&samples, "temporal_cache_hits", &labels) == Some(2.0)
                    || Instant::now() > give_up
                {
                    break samples;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            shutdown();

            let count = |name: &str| value(&samples, name, &labels);
            assert_eq!(count("temporal_cache_hits"), Some(2.0), "{samples:#?}");
            assert_eq!(count("temporal_cache_misses"), Some(1.0));
            assert_eq!(count("temporal_cache_stores"), Some(1.0));
            let written = count("temporal_cache_bytes_written").expect("bytes written");
            assert!(written > 0.0);
            assert_eq!(
                count("temporal_cache_bytes_read"),
                Some(2.0 * written),
                "each hit read the entry the miss wrote"
            );
            assert_eq!(
                count("temporal_cache_lookup_latency_count"),
                Some(3.0),
                "three lookups timed, in the SDK's duration histogram form"
            );
            assert_eq!(count("temporal_cache_body_latency_count"), Some(1.0));
            assert_eq!(
                values(&samples, "temporal_cache_fallbacks", &labels).count(),
                0,
                "no fallback"
            );
            let hits = values(&samples, "temporal_cache_hits", &labels)
                .next()
                .expect("the hits series");
            assert_eq!(
                hits.labels.keys().map(String::as_str).collect::<Vec<_>>(),
                ["activity_type", "namespace", "task_queue"],
                "labelled by activity type, namespace and task queue only"
            );
            assert!(
                samples.iter().any(|sample| {
                    sample.name.starts_with("temporal_activity_")
                        && sample.labels.get("task_queue") == Some(&task_queue)
                }),
                "the SDK's own activity metrics are on the same endpoint"
            );
        };
        let (worker_result, ()) = tokio::join!(worker.run(), workflows);
        worker_result.expect("the worker stops cleanly");
    });
}
