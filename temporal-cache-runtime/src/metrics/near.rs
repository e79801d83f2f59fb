//! A near cache's figures on the worker's Temporal meter and the `metrics` facade, labelled with
//! its backend's key prefix.
//!
//! Its tracking task exports them once a second, not the reads themselves: a near hit costs
//! well under a microsecond, and stays one relaxed atomic addition. Counters are exported as
//! their growth since the last export, gauges as they are.

use super::core_meter::{Binding, NearBound};
#[cfg(feature = "metrics")]
use super::facade::NearHandles;
use super::instrument::{NearCount, NearGauge};
use crate::backend::NearCacheStats;

/// What one near cache has exported so far, and where it exports.
pub(crate) struct NearMetrics {
    key_prefix: Box<str>,
    /// The counts as of the last export.
    exported: [u64; NearCount::ALL.len()],
    core: Binding<NearBound>,
    #[cfg(feature = "metrics")]
    facade: NearHandles,
}

impl NearMetrics {
    pub(crate) fn new(key_prefix: &str) -> Self {
        Self {
            key_prefix: key_prefix.into(),
            exported: [0; NearCount::ALL.len()],
            core: Binding::new(),
            #[cfg(feature = "metrics")]
            facade: NearHandles::new(key_prefix),
        }
    }

    /// Exports `stats`: each count's growth since the last export, and each level.
    pub(crate) fn export(&mut self, stats: &NearCacheStats) {
        let counts = NearCount::ALL.map(|count| match count {
            NearCount::Hits => stats.hits,
            NearCount::Misses => stats.misses,
            NearCount::Invalidations => stats.invalidations,
            NearCount::Resets => stats.resets,
        });
        let levels = NearGauge::ALL.map(|gauge| match gauge {
            NearGauge::Entries => stats.entries,
            NearGauge::Bytes => stats.bytes,
            NearGauge::MaxBytes => stats.max_bytes,
            NearGauge::Tracking => u64::from(stats.tracking),
        });
        let mut growth = [0; NearCount::ALL.len()];
        for ((growth, &count), exported) in growth.iter_mut().zip(&counts).zip(&self.exported) {
            *growth = count.saturating_sub(*exported);
        }
        self.exported = counts;
        self.core.near(&self.key_prefix, &growth, &levels);
        #[cfg(feature = "metrics")]
        self.facade.record(&growth, &levels);
    }
}
