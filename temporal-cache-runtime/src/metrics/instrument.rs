//! The cache's instruments as one table: each counter and timing with its exported name and its
//! description. Every sink (the in-process tallies, the Temporal meter, the `metrics` facade)
//! keeps one slot per entry, indexed by these enums, so no sink can forget one.

use super::names;

/// A counter of events or bytes. (Fallbacks are counted apart, by reason.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Hits,
    Misses,
    Stores,
    StoresSkipped,
    LeaseWaits,
    Takeovers,
    BytesRead,
    BytesWritten,
}

impl Count {
    pub(crate) const ALL: [Self; 8] = [
        Self::Hits,
        Self::Misses,
        Self::Stores,
        Self::StoresSkipped,
        Self::LeaseWaits,
        Self::Takeovers,
        Self::BytesRead,
        Self::BytesWritten,
    ];

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Hits => names::HITS,
            Self::Misses => names::MISSES,
            Self::Stores => names::STORES,
            Self::StoresSkipped => names::STORES_SKIPPED,
            Self::LeaseWaits => names::LEASE_WAITS,
            Self::Takeovers => names::TAKEOVERS,
            Self::BytesRead => names::BYTES_READ,
            Self::BytesWritten => names::BYTES_WRITTEN,
        }
    }

    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::Hits => "Cached activity calls served a stored result (the body did not run)",
            Self::Misses => "Cached activity calls that found no entry and ran the body",
            Self::Stores => "Activity results written to the cache",
            Self::StoresSkipped => {
                "Activity results not cached because they exceed the backend's size limit"
            }
            Self::LeaseWaits => "Calls that waited for an identical call's result",
            Self::Takeovers => {
                "Waiting calls that took an entry's lease over after its holder released it or died"
            }
            Self::BytesRead => "Bytes of cache entries read from the backend",
            Self::BytesWritten => "Bytes of cache entries written to the backend",
        }
    }

    /// The unit, as OpenTelemetry writes it, of a counter of bytes.
    pub(crate) const fn unit(self) -> &'static str {
        match self {
            Self::BytesRead | Self::BytesWritten => "By",
            _ => "",
        }
    }
}

/// A duration recorded into a histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timed {
    Lookup,
    LeaseWait,
    Body,
}

impl Timed {
    pub(crate) const ALL: [Self; 3] = [Self::Lookup, Self::LeaseWait, Self::Body];

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Lookup => names::LOOKUP_LATENCY,
            Self::LeaseWait => names::LEASE_WAIT_LATENCY,
            Self::Body => names::BODY_LATENCY,
        }
    }

    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::Lookup => "Time of one cache lookup (one read of the backend)",
            Self::LeaseWait => "Time a call waited for an identical call's result",
            Self::Body => {
                "Time a successful activity body ran when the cache ran it (what a hit saves)"
            }
        }
    }
}

/// A counter of a near cache's events, exported as its growth since the last export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NearCount {
    Hits,
    Misses,
    Invalidations,
    Resets,
}

impl NearCount {
    pub(crate) const ALL: [Self; 4] = [Self::Hits, Self::Misses, Self::Invalidations, Self::Resets];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Hits => names::NEAR_HITS,
            Self::Misses => names::NEAR_MISSES,
            Self::Invalidations => names::NEAR_INVALIDATIONS,
            Self::Resets => names::NEAR_RESETS,
        }
    }

    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::Hits => "Reads a near cache served from process memory",
            Self::Misses => "Reads a near cache passed on to Redis",
            Self::Invalidations => {
                "Near-cache entries dropped because Redis reported their key changed"
            }
            Self::Resets => {
                "Times a near cache was emptied because its tracking connection stopped"
            }
        }
    }
}

/// A level of a near cache, exported as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NearGauge {
    Entries,
    Bytes,
    MaxBytes,
    Tracking,
}

impl NearGauge {
    pub(crate) const ALL: [Self; 4] = [Self::Entries, Self::Bytes, Self::MaxBytes, Self::Tracking];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Entries => names::NEAR_ENTRIES,
            Self::Bytes => names::NEAR_BYTES,
            Self::MaxBytes => names::NEAR_MAX_BYTES,
            Self::Tracking => names::NEAR_TRACKING,
        }
    }

    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::Entries => "Entries a near cache holds",
            Self::Bytes => "Bytes a near cache holds (keys, values and a per-entry overhead)",
            Self::MaxBytes => "The byte bound of a near cache",
            Self::Tracking => {
                "1 while a near cache's tracking connection is up (it serves entries only then)"
            }
        }
    }

    /// The unit, as OpenTelemetry writes it.
    pub(crate) const fn unit(self) -> &'static str {
        match self {
            Self::Bytes | Self::MaxBytes => "By",
            Self::Entries | Self::Tracking => "",
        }
    }
}

/// The description of the fallbacks counter.
pub(crate) const FALLBACKS_DESCRIPTION: &str =
    "Cache operations that failed and were gone around, by reason";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instrument_sits_at_its_index() {
        for (position, count) in Count::ALL.into_iter().enumerate() {
            assert_eq!(count.index(), position, "{count:?}");
        }
        for (position, timed) in Timed::ALL.into_iter().enumerate() {
            assert_eq!(timed.index(), position, "{timed:?}");
        }
    }

    #[test]
    fn every_name_has_the_prefix_and_is_unique() {
        let mut all: Vec<&str> = Count::ALL.iter().map(|count| count.name()).collect();
        all.extend(Timed::ALL.iter().map(|timed| timed.name()));
        all.extend(NearCount::ALL.iter().map(|count| count.name()));
        all.extend(NearGauge::ALL.iter().map(|gauge| gauge.name()));
        all.push(names::FALLBACKS);
        assert!(all.iter().all(|name| name.starts_with("temporal_cache_")));
        let before = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), before);
    }
}
