//! A worker set up as one would run it in production: Redis from the environment (TLS, an ACL
//! user, a cluster, encryption keys and a key secret all come from there), a near cache in front
//! of it, the cache's metrics on the worker's own Prometheus endpoint, a stale-while-revalidate
//! activity beside a plain one, and a clean shutdown on Ctrl-C.
//!
//! ```sh
//! TEMPORAL_CACHE_REDIS_URL=redis://127.0.0.1:6379 \
//!   cargo run -p temporal-cache-examples --example production_worker
//! ```
//!
//! It reads `TEMPORAL_ADDRESS` (default `http://localhost:7233`), `TEMPORAL_NAMESPACE` (default
//! `default`), `TASK_QUEUE` (default `pricing`) and `METRICS_ADDRESS` (default `127.0.0.1:9464`:
//! `curl 127.0.0.1:9464/metrics | grep temporal_cache_` shows the cache's metrics), and the
//! variables [`RedisCacheBackend::from_env`] reads. Start a workflow on its task queue with the
//! Temporal CLI, twice: the second run's activities are served from the cache.
//!
//! ```sh
//! temporal workflow execute --task-queue pricing --type QuoteWorkflow --input '{"sku":"A-1","currency":"EUR"}'
//! ```

// The SDK macros generate undocumented marker constants for workflows and activities.
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{RedisCacheBackend, cached_activity, set_cache_backend};
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{
    PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
};
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};

/// How much of this worker's memory the near cache may hold (keys, values and a small overhead)
/// when `TEMPORAL_CACHE_NEAR_CACHE_BYTES` does not say.
const NEAR_CACHE_BYTES: u64 = 64 << 20;

/// A product as the catalogue service returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub price_cents: u64,
    pub currency: String,
}

/// Exchange rates against one base currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub base: String,
    /// Units of `base` per unit of the other currency, times a million.
    pub per_million: Vec<(String, u64)>,
}

/// What a quote asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteRequest {
    pub sku: String,
    pub currency: String,
}

/// A product's price in the currency asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub product: Product,
    pub currency: String,
    pub price_cents: u64,
}

/// The activities of the pricing worker.
pub struct PricingActivities;

#[activities]
impl PricingActivities {
    /// A product from the catalogue: changes rarely, read constantly. Cached for an hour, keyed by
    /// the SKU, from every worker (and served from this worker's memory once read here).
    #[cached_activity(policy = "inputs", ttl = "1h")]
    #[activity]
    pub async fn product(_ctx: ActivityContext, sku: String) -> Result<Product, ActivityError> {
        tokio::time::sleep(Duration::from_millis(300)).await; // stands in for the catalogue call
        Ok(Product {
            name: format!("Product {sku}"),
            sku,
            price_cents: 1999,
            currency: "USD".to_owned(),
        })
    }

    /// Exchange rates: fresh for five minutes, then served stale for up to an hour while one call
    /// refreshes them; if the rate service is down, the last rates answer instead of a failure.
    #[cached_activity(ttl = "5m", stale = "1h", on_error = "stale")]
    #[activity]
    pub async fn exchange_rates(
        _ctx: ActivityContext,
        base: String,
    ) -> Result<Rates, ActivityError> {
        tokio::time::sleep(Duration::from_millis(300)).await; // stands in for the rate service
        Ok(Rates {
            base,
            per_million: vec![("EUR".to_owned(), 1_080_000), ("GBP".to_owned(), 1_270_000)],
        })
    }
}

/// A quote: the product and today's rate, each from the cache when another workflow asked first.
#[workflow]
#[derive(Default)]
pub struct QuoteWorkflow;

#[workflow_methods]
impl QuoteWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        request: QuoteRequest,
    ) -> WorkflowResult<Quote> {
        let options = || ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        let product = ctx
            .execute_activity(PricingActivities::product, request.sku, options())
            .await?;
        let rates = ctx
            .execute_activity(
                PricingActivities::exchange_rates,
                product.currency.clone(),
                options(),
            )
            .await?;
        let price_cents = if request.currency == product.currency {
            product.price_cents
        } else {
            let per_million = rates
                .per_million
                .iter()
                .find(|(currency, _)| *currency == request.currency)
                .map_or(1_000_000, |(_, rate)| *rate);
            product.price_cents * 1_000_000 / per_million
        };
        Ok(Quote {
            product,
            currency: request.currency,
            price_cents,
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    // The worker's metrics, the SDK's and the cache's, on one Prometheus endpoint.
    let metrics_address: SocketAddr = env_or("METRICS_ADDRESS", "127.0.0.1:9464").parse()?;
    let exporter = start_prometheus_metric_exporter(
        PrometheusExporterOptions::builder()
            .socket_addr(metrics_address)
            .build(),
    )?;
    let meter: Arc<dyn CoreMeter> = exporter.meter;
    temporal_cache_runtime::metrics::set_meter(Arc::clone(&meter));
    let runtime = Runtime::from_current_tokio(
        RuntimeOptions::builder()
            .telemetry_options(TelemetryOptions::builder().metrics(meter).build())
            .build()?,
    )?;

    // Redis (TLS, credentials, a cluster, encryption keys, a key secret, the near cache's size:
    // all from the environment), with a near cache in any case. A Redis that is down makes calls
    // run uncached, never fail.
    let mut backend = RedisCacheBackend::from_env()?;
    if backend.near_cache_stats().is_none() {
        backend = backend.with_near_cache(NEAR_CACHE_BYTES);
    }
    tracing::info!(?backend, "cache backend");
    set_cache_backend(backend);

    let address = env_or("TEMPORAL_ADDRESS", "http://localhost:7233");
    let namespace = env_or("TEMPORAL_NAMESPACE", "default");
    let task_queue = env_or("TASK_QUEUE", "pricing");
    let connection = Connection::connect(ConnectionOptions::new(Url::parse(&address)?).build())
        .await
        .map_err(|error| format!("cannot reach the Temporal server at {address}: {error}"))?;
    let client = Client::new(connection, ClientOptions::new(namespace.as_str()).build())?;
    let options = WorkerOptions::new(task_queue.as_str())
        .register_workflow::<QuoteWorkflow>()?
        .register_activities(PricingActivities)
        .build();
    let mut worker = Worker::new(&runtime, client, options)?;

    let shutdown = worker.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("shutting down: finishing the tasks in hand");
            shutdown();
        }
    });
    tracing::info!(%address, %namespace, %task_queue, %metrics_address, "worker running; Ctrl-C stops it");
    worker.run().await?;
    Ok(())
}
