//! With the cargo feature `metrics`: the cache's metrics on the `metrics` crate's facade too, for
//! workers whose metrics do not go through the Temporal SDK's telemetry (a
//! `metrics-exporter-prometheus` recorder, say).
//!
//! The names and labels are those of the Temporal meter; durations are recorded in seconds, the
//! facade's convention. Each series registers its handles when it is made, with the recorder
//! installed then: install the recorder before the worker's first cached call.

use std::sync::Once;
use std::time::Duration;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

use super::FallbackReason;
use super::instrument::{Count, FALLBACKS_DESCRIPTION, NearCount, NearGauge, Timed};
use super::labels::SeriesKey;
use super::names::{
    ACTIVITY_TYPE_LABEL, FALLBACKS, KEY_PREFIX_LABEL, NAMESPACE_LABEL, REASON_LABEL,
    TASK_QUEUE_LABEL,
};

/// One series' handles on the facade.
pub(super) struct Handles {
    counts: [metrics::Counter; Count::ALL.len()],
    fallbacks: [metrics::Counter; FallbackReason::ALL.len()],
    times: [metrics::Histogram; Timed::ALL.len()],
}

impl Handles {
    pub(super) fn new(key: &SeriesKey) -> Self {
        describe();
        let labels = || {
            [
                (ACTIVITY_TYPE_LABEL, key.activity_type.to_string()),
                (NAMESPACE_LABEL, key.namespace.to_string()),
                (TASK_QUEUE_LABEL, key.task_queue.to_string()),
            ]
        };
        Self {
            counts: Count::ALL.map(|count| metrics::counter!(count.name(), &labels())),
            fallbacks: FallbackReason::ALL.map(|reason| {
                let [a, b, c] = labels();
                let labels = [a, b, c, (REASON_LABEL, reason.as_str().to_owned())];
                metrics::counter!(FALLBACKS, &labels)
            }),
            times: Timed::ALL.map(|timed| metrics::histogram!(timed.name(), &labels())),
        }
    }

    pub(super) fn count(&self, count: Count, amount: u64) {
        self.counts[count.index()].increment(amount);
    }

    pub(super) fn fallback(&self, reason: FallbackReason) {
        self.fallbacks[reason.index()].increment(1);
    }

    pub(super) fn time(&self, timed: Timed, took: Duration) {
        self.times[timed.index()].record(took.as_secs_f64());
    }
}

/// One near cache's handles on the facade, labelled with its backend's key prefix.
pub(super) struct NearHandles {
    counts: [metrics::Counter; NearCount::ALL.len()],
    gauges: [metrics::Gauge; NearGauge::ALL.len()],
}

impl NearHandles {
    pub(super) fn new(key_prefix: &str) -> Self {
        describe();
        let labels = [(KEY_PREFIX_LABEL, key_prefix.to_owned())];
        Self {
            counts: NearCount::ALL.map(|count| metrics::counter!(count.name(), &labels)),
            gauges: NearGauge::ALL.map(|gauge| metrics::gauge!(gauge.name(), &labels)),
        }
    }

    pub(super) fn record(
        &self,
        growth: &[u64; NearCount::ALL.len()],
        levels: &[u64; NearGauge::ALL.len()],
    ) {
        for (counter, &amount) in self.counts.iter().zip(growth) {
            counter.increment(amount);
        }
        for (gauge, &level) in self.gauges.iter().zip(levels) {
            #[allow(
                clippy::cast_precision_loss,
                reason = "byte and entry counts of one process are far below 2^53"
            )]
            gauge.set(level as f64);
        }
    }
}

/// Describes every metric to the recorder, once.
fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        for count in Count::ALL {
            let unit = match count {
                Count::BytesRead | Count::BytesWritten => Unit::Bytes,
                _ => Unit::Count,
            };
            describe_counter!(count.name(), unit, count.description());
        }
        describe_counter!(FALLBACKS, Unit::Count, FALLBACKS_DESCRIPTION);
        for timed in Timed::ALL {
            describe_histogram!(timed.name(), Unit::Seconds, timed.description());
        }
        for count in NearCount::ALL {
            describe_counter!(count.name(), Unit::Count, count.description());
        }
        for gauge in NearGauge::ALL {
            let unit = match gauge {
                NearGauge::Bytes | NearGauge::MaxBytes => Unit::Bytes,
                NearGauge::Entries | NearGauge::Tracking => Unit::Count,
            };
            describe_gauge!(gauge.name(), unit, gauge.description());
        }
    });
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString,
    };

    use super::super::{Series, names};
    use super::*;

    /// A recorder that keeps every counter and histogram by its key, in memory.
    #[derive(Default)]
    struct Kept {
        counters: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
        /// Each gauge's last value, as the bits of its `f64`.
        gauges: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
        histograms: Mutex<BTreeMap<String, Arc<Samples>>>,
    }

    #[derive(Default)]
    struct Samples(Mutex<Vec<f64>>);

    impl HistogramFn for Samples {
        fn record(&self, value: f64) {
            self.0.lock().unwrap().push(value);
        }
    }

    /// `name{label=value,...}`, labels in the order given.
    fn key_text(key: &Key) -> String {
        let labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    impl Recorder for Kept {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let counter = Arc::clone(
                self.counters
                    .lock()
                    .unwrap()
                    .entry(key_text(key))
                    .or_default(),
            );
            Counter::from_arc(counter)
        }

        fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
            let gauge = Arc::clone(
                self.gauges
                    .lock()
                    .unwrap()
                    .entry(key_text(key))
                    .or_default(),
            );
            Gauge::from_arc(gauge)
        }

        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            let samples = Arc::clone(
                self.histograms
                    .lock()
                    .unwrap()
                    .entry(key_text(key))
                    .or_default(),
            );
            Histogram::from_arc(samples)
        }
    }

    impl Kept {
        fn counter(&self, key: &str) -> u64 {
            let counters = self.counters.lock().unwrap();
            let Some(counter) = counters.get(key) else {
                panic!("no counter {key}; have {:?}", counters.keys());
            };
            counter.load(Ordering::Relaxed)
        }

        fn gauge(&self, key: &str) -> f64 {
            let gauges = self.gauges.lock().unwrap();
            let Some(gauge) = gauges.get(key) else {
                panic!("no gauge {key}; have {:?}", gauges.keys());
            };
            f64::from_bits(gauge.load(Ordering::Relaxed))
        }

        fn samples(&self, key: &str) -> Vec<f64> {
            let histograms = self.histograms.lock().unwrap();
            let Some(samples) = histograms.get(key) else {
                panic!("no histogram {key}; have {:?}", histograms.keys());
            };
            samples.0.lock().unwrap().clone()
        }
    }

    #[test]
    fn a_series_records_to_the_recorder_installed_when_it_was_made() {
        let kept = Kept::default();
        let series = metrics::with_local_recorder(&kept, || {
            Series::of("Facade::recorded", "billing", "reports")
        });
        series.hit();
        series.hit();
        series.fallback(FallbackReason::Encode);
        series.looked_up(Duration::from_millis(250));

        let labels = "activity_type=Facade::recorded,namespace=billing,task_queue=reports";
        assert_eq!(kept.counter(&format!("{}{{{labels}}}", names::HITS)), 2);
        assert_eq!(kept.counter(&format!("{}{{{labels}}}", names::MISSES)), 0);
        let encode = format!("{}{{{labels},reason=encode}}", names::FALLBACKS);
        assert_eq!(kept.counter(&encode), 1);
        let lookups = format!("{}{{{labels}}}", names::LOOKUP_LATENCY);
        assert_eq!(kept.samples(&lookups), [0.25], "in seconds");
    }

    #[test]
    fn a_near_cache_records_its_counts_growth_and_its_levels() {
        let kept = Kept::default();
        let handles = metrics::with_local_recorder(&kept, || NearHandles::new("tenant-b"));
        handles.record(&[5, 2, 1, 0], &[3, 900, 4096, 1]);
        handles.record(&[4, 0, 0, 1], &[0, 0, 4096, 0]);

        let key = |name: &str| format!("{name}{{key_prefix=tenant-b}}");
        assert_eq!(kept.counter(&key(names::NEAR_HITS)), 9);
        assert_eq!(kept.counter(&key(names::NEAR_MISSES)), 2);
        assert_eq!(kept.counter(&key(names::NEAR_INVALIDATIONS)), 1);
        assert_eq!(kept.counter(&key(names::NEAR_RESETS)), 1);
        assert_eq!(kept.gauge(&key(names::NEAR_BYTES)), 0.0, "the last level");
        assert_eq!(kept.gauge(&key(names::NEAR_MAX_BYTES)), 4096.0);
        assert_eq!(kept.gauge(&key(names::NEAR_TRACKING)), 0.0);
    }
}
