//! The cache's metrics on the worker's own Temporal meter: the `CoreMeter` a user gives the SDK's
//! `TelemetryOptions` (a Prometheus exporter, an OTLP pipeline), so that the cache's counters
//! are scraped with the worker's.
//!
//! The instruments are made once per meter, and bound to each series' labels once, on the
//! series' first event: after that, recording is the meter's own increment behind one
//! uncontended read lock. With no meter set, it is one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use temporalio_common::telemetry::metrics::{
    CoreMeter, Counter, CounterBase, Gauge, GaugeBase, HistogramDuration, HistogramDurationBase,
    MetricAttributable, MetricAttributes, MetricKeyValue, MetricParameters, NewAttributes,
    NoOpCoreMeter,
};

use super::FallbackReason;
use super::instrument::{Count, FALLBACKS_DESCRIPTION, NearCount, NearGauge, Timed};
use super::labels::SeriesKey;
use super::names::{
    ACTIVITY_TYPE_LABEL, FALLBACKS, KEY_PREFIX_LABEL, NAMESPACE_LABEL, REASON_LABEL,
    TASK_QUEUE_LABEL,
};
use crate::TARGET;

/// Records the cache's metrics to `meter` from now on: the meter the worker's
/// `TelemetryOptions` were given, so that they are exported with the worker's own.
///
/// Call it once at worker start-up. Setting another meter replaces it for every later event;
/// setting the same one again (after [`clear_meter`]) keeps the instruments already made for it.
///
/// ```no_run
/// use std::sync::Arc;
/// use temporalio_common::telemetry::metrics::CoreMeter;
/// use temporalio_common::telemetry::{
///     PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
/// };
/// use temporalio_sdk::Runtime;
/// use temporalio_sdk::runtime::RuntimeOptions;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let tokio = tokio::runtime::Runtime::new()?;
/// # let _guard = tokio.enter();
/// let exporter = start_prometheus_metric_exporter(
///     PrometheusExporterOptions::builder()
///         .socket_addr("0.0.0.0:9464".parse()?)
///         .build(),
/// )?;
/// let meter: Arc<dyn CoreMeter> = exporter.meter;
/// let telemetry = TelemetryOptions::builder().metrics(Arc::clone(&meter)).build();
/// let runtime = Runtime::from_current_tokio(
///     RuntimeOptions::builder().telemetry_options(telemetry).build()?,
/// )?;
/// temporal_cache_runtime::metrics::set_meter(meter);
/// # let _ = runtime;
/// # Ok(())
/// # }
/// ```
pub fn set_meter(meter: Arc<dyn CoreMeter>) {
    let mut installed = INSTALLED.write().unwrap_or_else(PoisonError::into_inner);
    let generation = match &*installed {
        Some(current) if same_meter(&current.meter, &meter) => current.generation,
        current => {
            let generation = current.as_ref().map_or(1, |current| current.generation + 1);
            *installed = Some(Arc::new(Installed::new(generation, meter)));
            generation
        }
    };
    ACTIVE.store(generation, Ordering::Release);
}

/// Stops recording to the meter [`set_meter`] was given. The in-process counters of
/// [`cache_stats`](super::cache_stats) go on.
pub fn clear_meter() {
    ACTIVE.store(0, Ordering::Release);
}

/// The last meter set, with the instruments made for it.
static INSTALLED: RwLock<Option<Arc<Installed>>> = RwLock::new(None);

/// The generation of the meter recorded to; `0` while none is.
static ACTIVE: AtomicU64 = AtomicU64::new(0);

fn same_meter(a: &Arc<dyn CoreMeter>, b: &Arc<dyn CoreMeter>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// A meter and its instruments, unbound.
struct Installed {
    generation: u64,
    meter: Arc<dyn CoreMeter>,
    counts: [Counter; Count::ALL.len()],
    fallbacks: Counter,
    times: [HistogramDuration; Timed::ALL.len()],
    near_counts: [Counter; NearCount::ALL.len()],
    near_gauges: [Gauge; NearGauge::ALL.len()],
}

impl Installed {
    fn new(generation: u64, meter: Arc<dyn CoreMeter>) -> Self {
        let parameters =
            |name: &'static str, description: &'static str, unit: &'static str| MetricParameters {
                name: name.into(),
                description: description.into(),
                unit: unit.into(),
            };
        Self {
            generation,
            counts: Count::ALL.map(|count| {
                meter.counter(parameters(count.name(), count.description(), count.unit()))
            }),
            fallbacks: meter.counter(parameters(FALLBACKS, FALLBACKS_DESCRIPTION, "")),
            // The meter picks the unit (milliseconds or seconds), as for the SDK's histograms.
            times: Timed::ALL.map(|timed| {
                meter.histogram_duration(parameters(timed.name(), timed.description(), ""))
            }),
            near_counts: NearCount::ALL
                .map(|count| meter.counter(parameters(count.name(), count.description(), ""))),
            near_gauges: NearGauge::ALL.map(|gauge| {
                meter.gauge(parameters(gauge.name(), gauge.description(), gauge.unit()))
            }),
            meter,
        }
    }

    /// The instruments bound to one series' labels.
    fn bind(&self, key: &SeriesKey) -> Bound {
        let attributes = self.meter.new_attributes(NewAttributes::new(vec![
            MetricKeyValue::new(ACTIVITY_TYPE_LABEL, key.activity_type.to_string()),
            MetricKeyValue::new(NAMESPACE_LABEL, key.namespace.to_string()),
            MetricKeyValue::new(TASK_QUEUE_LABEL, key.task_queue.to_string()),
        ]));
        Bound {
            counts: std::array::from_fn(|index| bound(&self.counts[index], &attributes)),
            fallbacks: FallbackReason::ALL.map(|reason| {
                let attributes = self.meter.extend_attributes(
                    attributes.clone(),
                    NewAttributes::new(vec![MetricKeyValue::new(REASON_LABEL, reason.as_str())]),
                );
                bound(&self.fallbacks, &attributes)
            }),
            times: std::array::from_fn(|index| bound(&self.times[index], &attributes)),
        }
    }

    /// The near-cache instruments bound to a backend's key prefix.
    fn bind_near(&self, key_prefix: &str) -> NearBound {
        let attributes = self
            .meter
            .new_attributes(NewAttributes::new(vec![MetricKeyValue::new(
                KEY_PREFIX_LABEL,
                key_prefix.to_owned(),
            )]));
        NearBound {
            counts: std::array::from_fn(|index| bound(&self.near_counts[index], &attributes)),
            gauges: std::array::from_fn(|index| bound(&self.near_gauges[index], &attributes)),
        }
    }
}

/// `instrument` bound to `attributes`; a meter that refuses (which the SDK's meters do not) gets
/// a warning and an instrument that records nothing.
fn bound<I: MetricAttributable<I> + Silent>(instrument: &I, attributes: &MetricAttributes) -> I {
    instrument.with_attributes(attributes).unwrap_or_else(|error| {
        tracing::warn!(target: TARGET, %error, "the metrics meter refused a cache metric's labels; \
            it is not recorded");
        I::silent()
    })
}

/// An instrument that records nothing, for a binding that failed.
trait Silent {
    fn silent() -> Self;
}

impl Silent for Counter {
    fn silent() -> Self {
        NoOpCoreMeter.counter(MetricParameters::from("temporal_cache_unrecorded"))
    }
}

impl Silent for Gauge {
    fn silent() -> Self {
        NoOpCoreMeter.gauge(MetricParameters::from("temporal_cache_unrecorded"))
    }
}

impl Silent for HistogramDuration {
    fn silent() -> Self {
        NoOpCoreMeter.histogram_duration(MetricParameters::from("temporal_cache_unrecorded"))
    }
}

/// One series' instruments, bound to its labels for one meter.
pub(super) struct Bound {
    counts: [Counter; Count::ALL.len()],
    fallbacks: [Counter; FallbackReason::ALL.len()],
    times: [HistogramDuration; Timed::ALL.len()],
}

/// One near cache's instruments, bound to its backend's key prefix for one meter.
pub(super) struct NearBound {
    counts: [Counter; NearCount::ALL.len()],
    gauges: [Gauge; NearGauge::ALL.len()],
}

/// Instruments bound to the active meter (a series', or a near cache's), made on their first
/// event and remade when the meter changes.
pub(super) struct Binding<B = Bound>(RwLock<Option<(u64, B)>>);

impl<B> Binding<B> {
    pub(super) const fn new() -> Self {
        Self(RwLock::new(None))
    }

    /// Records to the instruments bound for the active meter, binding them with `bind` first
    /// when the meter is new to them; does nothing while no meter is set.
    fn with(&self, bind: impl FnOnce(&Installed) -> B, record: impl FnOnce(&B)) {
        let active = ACTIVE.load(Ordering::Acquire);
        if active == 0 {
            return;
        }
        {
            let bound = self.0.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((generation, bound)) = &*bound
                && *generation == active
            {
                record(bound);
                return;
            }
        }
        let installed = INSTALLED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(installed) = installed else {
            return;
        };
        let mut bound = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let (_, bound) = match &mut *bound {
            // Another thread bound it meanwhile.
            Some(current) if current.0 == installed.generation => current,
            slot => slot.insert((installed.generation, bind(&installed))),
        };
        record(bound);
    }
}

impl Binding<Bound> {
    pub(super) fn count(&self, key: &SeriesKey, count: Count, amount: u64) {
        self.with(
            |installed| installed.bind(key),
            |bound| bound.counts[count.index()].adds(amount),
        );
    }

    pub(super) fn fallback(&self, key: &SeriesKey, reason: FallbackReason) {
        self.with(
            |installed| installed.bind(key),
            |bound| bound.fallbacks[reason.index()].adds(1),
        );
    }

    pub(super) fn time(&self, key: &SeriesKey, timed: Timed, took: Duration) {
        self.with(
            |installed| installed.bind(key),
            |bound| bound.times[timed.index()].records(took),
        );
    }
}

impl Binding<NearBound> {
    /// Adds each count's growth and sets each gauge, in one binding lookup.
    pub(super) fn near(
        &self,
        key_prefix: &str,
        growth: &[u64; NearCount::ALL.len()],
        levels: &[u64; NearGauge::ALL.len()],
    ) {
        self.with(
            |installed| installed.bind_near(key_prefix),
            |bound| {
                // Zeros too: a counter shows from the first export on, so `rate()` over it
                // reads 0 rather than no data.
                for (counter, &amount) in bound.counts.iter().zip(growth) {
                    counter.adds(amount);
                }
                for (gauge, &level) in bound.gauges.iter().zip(levels) {
                    gauge.records(level);
                }
            },
        );
    }
}

#[cfg(test)]
mod tests;
