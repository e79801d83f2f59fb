//! A scrape of the SDK's Prometheus exporter: started on a free loopback port, read over HTTP,
//! and its text parsed into samples.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{PrometheusExporterOptions, start_prometheus_metric_exporter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::AbortHandle;

/// The SDK's Prometheus exporter on a free loopback port, stopped when dropped.
pub struct Exporter {
    /// Where it serves `/metrics`.
    pub address: SocketAddr,
    /// The meter whose instruments it exports.
    pub meter: Arc<dyn CoreMeter>,
    abort: AbortHandle,
}

impl Exporter {
    /// Starts it on the current Tokio runtime.
    ///
    /// # Panics
    ///
    /// If it cannot start.
    pub fn start() -> Self {
        let exporter = start_prometheus_metric_exporter(
            PrometheusExporterOptions::builder()
                .socket_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .build(),
        )
        .expect("the Prometheus exporter starts on a free loopback port");
        Self {
            address: exporter.bound_addr,
            meter: exporter.meter,
            abort: exporter.abort_handle,
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.abort.abort();
    }
}

/// One sample of a scrape: a metric's name, its labels and its value.
#[derive(Debug)]
pub struct Sample {
    /// The metric's name.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// The samples of a Prometheus text exposition. (Label values here hold no `,`, `"` or `}`.)
pub fn parse(exposition: &str) -> Vec<Sample> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    Some((key.to_owned(), value.trim_matches('"').to_owned()))
                })
                .collect();
            Some(Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().ok()?,
            })
        })
        .collect()
}

/// `GET /metrics` from the exporter at `address`.
pub async fn scrape(address: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("the exporter accepts connections");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("the exporter answers");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response with a body");
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "the exporter answered {head}"
    );
    body.to_owned()
}

/// The samples named `name` of the series `labels` identify.
pub fn values<'a>(
    samples: &'a [Sample],
    name: &'a str,
    labels: &'a [(&str, &str)],
) -> impl Iterator<Item = &'a Sample> + 'a {
    samples.iter().filter(move |sample| {
        sample.name == name
            && labels
                .iter()
                .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
    })
}

/// The value of the first sample named `name` of the series `labels` identify.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    values(samples, name, labels)
        .map(|sample| sample.value)
        .next()
}
