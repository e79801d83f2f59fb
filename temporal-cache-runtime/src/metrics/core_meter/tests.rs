//! A meter that keeps what it is given, for the tests of every recording path.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use temporalio_common::telemetry::metrics::{GaugeF64, Histogram, HistogramF64, UpDownCounter};

use super::super::{Series, names};
use super::*;

/// One recorded series: a metric's name and its labels, sorted.
pub(crate) type Recorded = (String, BTreeMap<String, String>);

/// A `CoreMeter` whose counters and duration histograms keep their totals in memory.
#[derive(Debug, Default)]
pub(crate) struct MemoryMeter {
    counters: Arc<Mutex<HashMap<Recorded, u64>>>,
    durations: Arc<Mutex<HashMap<Recorded, Vec<Duration>>>>,
    gauges: Arc<Mutex<HashMap<Recorded, Level>>>,
    /// How many times an instrument was bound to labels.
    pub(crate) bindings: Arc<Mutex<u64>>,
}

impl MemoryMeter {
    /// The value of counter `name` with exactly `labels`.
    pub(crate) fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let key = (name.to_owned(), labels_of(labels));
        self.counters
            .lock()
            .unwrap()
            .get(&key)
            .copied()
            .unwrap_or(0)
    }

    /// The last value gauge `name` with exactly `labels` recorded, if it recorded one.
    pub(crate) fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        let key = (name.to_owned(), labels_of(labels));
        self.gauges.lock().unwrap().get(&key).map(|level| level.0)
    }

    /// What histogram `name` with exactly `labels` recorded.
    pub(crate) fn durations(&self, name: &str, labels: &[(&str, &str)]) -> Vec<Duration> {
        let key = (name.to_owned(), labels_of(labels));
        self.durations
            .lock()
            .unwrap()
            .get(&key)
            .cloned()
            .unwrap_or_default()
    }
}

/// The meter is process-wide: the tests that set one take turns.
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

fn series_labels(activity_type: &str) -> [(&'static str, &str); 3] {
    [
        (ACTIVITY_TYPE_LABEL, activity_type),
        (NAMESPACE_LABEL, "billing"),
        (TASK_QUEUE_LABEL, "reports"),
    ]
}

#[test]
fn events_reach_the_meter_with_the_series_labels() {
    let _turn = exclusive();
    let meter = Arc::new(MemoryMeter::default());
    set_meter(meter.clone());
    let series = Series::of("Meter::labels", "billing", "reports");
    series.hit();
    series.hit();
    series.read(120);
    series.looked_up(Duration::from_millis(2));
    series.fallback(FallbackReason::CircuitOpen);
    clear_meter();

    let labels = series_labels("Meter::labels");
    assert_eq!(meter.counter(names::HITS, &labels), 2);
    assert_eq!(meter.counter(names::BYTES_READ, &labels), 120);
    assert_eq!(meter.counter(names::MISSES, &labels), 0);
    let [a, b, c] = labels;
    let with_reason = [a, b, c, (REASON_LABEL, "circuit_open")];
    assert_eq!(meter.counter(FALLBACKS, &with_reason), 1);
    assert_eq!(
        meter.durations(names::LOOKUP_LATENCY, &labels),
        [Duration::from_millis(2)]
    );
    // The in-process tallies count the same events.
    let counts = super::super::cache_stats().activity("Meter::labels");
    assert_eq!(
        (counts.hits, counts.bytes_read, counts.lookups),
        (2, 120, 1)
    );
    assert_eq!(counts.fallbacks.get(FallbackReason::CircuitOpen), 1);
}

#[test]
fn a_series_binds_its_instruments_once_per_meter() {
    let _turn = exclusive();
    let meter = Arc::new(MemoryMeter::default());
    set_meter(meter.clone());
    let series = Series::of("Meter::bound", "billing", "reports");
    series.hit();
    let after_first = *meter.bindings.lock().unwrap();
    for _ in 0..100 {
        series.hit();
    }
    assert_eq!(*meter.bindings.lock().unwrap(), after_first);

    // Off, events are only tallied; the same meter again keeps its bound instruments.
    clear_meter();
    series.hit();
    set_meter(meter.clone());
    series.hit();
    clear_meter();
    assert_eq!(*meter.bindings.lock().unwrap(), after_first);
    let labels = series_labels("Meter::bound");
    assert_eq!(meter.counter(names::HITS, &labels), 102);
    let counts = super::super::cache_stats().activity("Meter::bound");
    assert_eq!(counts.hits, 103);
}

#[test]
fn another_meter_takes_the_next_events() {
    let _turn = exclusive();
    let (first, second) = (
        Arc::new(MemoryMeter::default()),
        Arc::new(MemoryMeter::default()),
    );
    let series = Series::of("Meter::replaced", "billing", "reports");
    set_meter(first.clone());
    series.miss();
    set_meter(second.clone());
    series.miss();
    series.lease_waited(Duration::from_millis(7));
    clear_meter();
    let labels = series_labels("Meter::replaced");
    assert_eq!(first.counter(names::MISSES, &labels), 1);
    assert_eq!(second.counter(names::MISSES, &labels), 1);
    assert_eq!(second.counter(names::LEASE_WAITS, &labels), 1);
    assert_eq!(
        second.durations(names::LEASE_WAIT_LATENCY, &labels),
        [Duration::from_millis(7)]
    );
}

#[test]
fn a_near_cache_exports_its_counts_growth_and_its_levels() {
    let _turn = exclusive();
    let meter = Arc::new(MemoryMeter::default());
    set_meter(meter.clone());
    let mut metrics = crate::metrics::NearMetrics::new("tenant-a");
    let mut stats = crate::backend::NearCacheStats {
        entries: 3,
        bytes: 900,
        max_bytes: 4096,
        hits: 10,
        misses: 4,
        invalidations: 1,
        resets: 0,
        tracking: true,
    };
    metrics.export(&stats);
    stats.hits = 25;
    stats.resets = 1;
    stats.entries = 0;
    stats.bytes = 0;
    stats.tracking = false;
    metrics.export(&stats);
    clear_meter();

    let labels = [(KEY_PREFIX_LABEL, "tenant-a")];
    assert_eq!(
        meter.counter(names::NEAR_HITS, &labels),
        25,
        "the counter took each export's growth, not its total"
    );
    assert_eq!(meter.counter(names::NEAR_MISSES, &labels), 4);
    assert_eq!(meter.counter(names::NEAR_INVALIDATIONS, &labels), 1);
    assert_eq!(meter.counter(names::NEAR_RESETS, &labels), 1);
    assert_eq!(meter.gauge(names::NEAR_ENTRIES, &labels), Some(0));
    assert_eq!(meter.gauge(names::NEAR_BYTES, &labels), Some(0));
    assert_eq!(meter.gauge(names::NEAR_MAX_BYTES, &labels), Some(4096));
    assert_eq!(meter.gauge(names::NEAR_TRACKING, &labels), Some(0));
}

fn labels_of(labels: &[(&str, &str)]) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

fn labels(attributes: &MetricAttributes) -> BTreeMap<String, String> {
    match attributes {
        MetricAttributes::NoOp(labels) => labels
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

#[derive(Debug)]
struct Instrument<T> {
    name: String,
    store: Arc<Mutex<HashMap<Recorded, T>>>,
    bindings: Arc<Mutex<u64>>,
}

struct BoundInstrument<T> {
    key: Recorded,
    store: Arc<Mutex<HashMap<Recorded, T>>>,
}

impl MetricAttributable<Box<dyn CounterBase>> for Instrument<u64> {
    fn with_attributes(
        &self,
        attributes: &MetricAttributes,
    ) -> Result<Box<dyn CounterBase>, Box<dyn std::error::Error>> {
        *self.bindings.lock().unwrap() += 1;
        Ok(Box::new(BoundInstrument {
            key: (self.name.clone(), labels(attributes)),
            store: Arc::clone(&self.store),
        }))
    }
}

impl CounterBase for BoundInstrument<u64> {
    fn adds(&self, value: u64) {
        *self
            .store
            .lock()
            .unwrap()
            .entry(self.key.clone())
            .or_default() += value;
    }
}

impl MetricAttributable<Box<dyn HistogramDurationBase>> for Instrument<Vec<Duration>> {
    fn with_attributes(
        &self,
        attributes: &MetricAttributes,
    ) -> Result<Box<dyn HistogramDurationBase>, Box<dyn std::error::Error>> {
        *self.bindings.lock().unwrap() += 1;
        Ok(Box::new(BoundInstrument {
            key: (self.name.clone(), labels(attributes)),
            store: Arc::clone(&self.store),
        }))
    }
}

impl HistogramDurationBase for BoundInstrument<Vec<Duration>> {
    fn records(&self, value: Duration) {
        self.store
            .lock()
            .unwrap()
            .entry(self.key.clone())
            .or_default()
            .push(value);
    }
}

/// A gauge's last value.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Level(u64);

impl MetricAttributable<Box<dyn GaugeBase>> for Instrument<Level> {
    fn with_attributes(
        &self,
        attributes: &MetricAttributes,
    ) -> Result<Box<dyn GaugeBase>, Box<dyn std::error::Error>> {
        *self.bindings.lock().unwrap() += 1;
        Ok(Box::new(BoundInstrument {
            key: (self.name.clone(), labels(attributes)),
            store: Arc::clone(&self.store),
        }))
    }
}

impl GaugeBase for BoundInstrument<Level> {
    fn records(&self, value: u64) {
        self.store
            .lock()
            .unwrap()
            .insert(self.key.clone(), Level(value));
    }
}

impl CoreMeter for MemoryMeter {
    fn new_attributes(&self, attributes: NewAttributes) -> MetricAttributes {
        NoOpCoreMeter.new_attributes(attributes)
    }

    fn extend_attributes(
        &self,
        existing: MetricAttributes,
        attributes: NewAttributes,
    ) -> MetricAttributes {
        NoOpCoreMeter.extend_attributes(existing, attributes)
    }

    fn counter(&self, params: MetricParameters) -> Counter {
        Counter::new(Arc::new(Instrument {
            name: params.name.into_owned(),
            store: Arc::clone(&self.counters),
            bindings: Arc::clone(&self.bindings),
        }))
    }

    fn histogram(&self, params: MetricParameters) -> Histogram {
        NoOpCoreMeter.histogram(params)
    }

    fn histogram_f64(&self, params: MetricParameters) -> HistogramF64 {
        NoOpCoreMeter.histogram_f64(params)
    }

    fn histogram_duration(&self, params: MetricParameters) -> HistogramDuration {
        HistogramDuration::new(Arc::new(Instrument {
            name: params.name.into_owned(),
            store: Arc::clone(&self.durations),
            bindings: Arc::clone(&self.bindings),
        }))
    }

    fn gauge(&self, params: MetricParameters) -> Gauge {
        Gauge::new(Arc::new(Instrument {
            name: params.name.into_owned(),
            store: Arc::clone(&self.gauges),
            bindings: Arc::clone(&self.bindings),
        }))
    }

    fn gauge_f64(&self, params: MetricParameters) -> GaugeF64 {
        NoOpCoreMeter.gauge_f64(params)
    }

    fn up_down_counter(&self, params: MetricParameters) -> UpDownCounter {
        NoOpCoreMeter.up_down_counter(params)
    }
}
