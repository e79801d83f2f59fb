//! `stats`: how much the cache holds, per namespace and activity type. Every key under the prefix
//! is counted from `SCAN`; sizes and TTLs are read for a bounded sample of each activity's
//! entries, so the command costs the server little however large the cache is.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::CliResult;
use crate::args::StatsArgs;
use crate::connect::Target;
use crate::key_layout::{KeyKind, KeyLayout, KeyScope, SHARED_NAMESPACE};
use crate::measure::{KeyFacts, Ttl};
use crate::progress::Progress;
use crate::table::{self, Table};

/// What `stats --json` prints.
#[derive(Debug, Serialize)]
struct Report {
    prefix: String,
    namespace: Option<String>,
    keys_scanned: u64,
    activities: Vec<ActivityStats>,
    /// Keys under the prefix that are not of the current layout (another version's, say).
    other_keys: u64,
}

/// The figures of one activity type in one namespace.
#[derive(Debug, Serialize)]
struct ActivityStats {
    #[serde(flatten)]
    scope: KeyScope,
    entries: u64,
    /// Leases held: calls running now.
    leases: u64,
    /// How many entries were measured for `bytes` and `ttl_ms`.
    sampled: u64,
    /// The stored bytes of every entry: exact when `sampled == entries`, else extrapolated.
    bytes: u64,
    bytes_estimated: bool,
    /// Min, median and max TTL of the sampled entries that expire.
    ttl_ms: Option<TtlSpread>,
    /// Sampled entries that never expire.
    without_ttl: u64,
}

#[derive(Debug, Serialize)]
struct TtlSpread {
    min: u64,
    p50: u64,
    max: u64,
}

/// What the scan found of one activity type so far.
#[derive(Debug, Default)]
struct Tally {
    entries: u64,
    leases: u64,
    queued: usize,
    sampled: u64,
    sampled_bytes: u64,
    ttls_ms: Vec<u64>,
    without_ttl: u64,
}

impl Tally {
    fn record(&mut self, facts: KeyFacts) {
        let ttl_ms = match facts.ttl {
            // Gone since it was listed: counted, but there is nothing left to measure.
            Ttl::Gone => return,
            Ttl::Never => None,
            Ttl::Expires(ttl) => Some(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
        };
        self.sampled += 1;
        self.sampled_bytes += facts.bytes.unwrap_or(0);
        match ttl_ms {
            Some(ttl) => self.ttls_ms.push(ttl),
            None => self.without_ttl += 1,
        }
    }

    fn finish(mut self, scope: KeyScope) -> ActivityStats {
        self.ttls_ms.sort_unstable();
        let ttl_ms = match self.ttls_ms.as_slice() {
            [] => None,
            ttls => Some(TtlSpread {
                min: ttls[0],
                // The nearest-rank median.
                p50: ttls[ttls.len().div_ceil(2) - 1],
                max: ttls[ttls.len() - 1],
            }),
        };
        let bytes_estimated = self.sampled > 0 && self.sampled < self.entries;
        let bytes = if bytes_estimated {
            let total = u128::from(self.sampled_bytes) * u128::from(self.entries)
                / u128::from(self.sampled);
            u64::try_from(total).unwrap_or(u64::MAX)
        } else {
            self.sampled_bytes
        };
        ActivityStats {
            scope,
            entries: self.entries,
            leases: self.leases,
            sampled: self.sampled,
            bytes,
            bytes_estimated,
            ttl_ms,
            without_ttl: self.without_ttl,
        }
    }
}

pub(crate) async fn run(target: &Target, args: StatsArgs) -> CliResult {
    let report = collect(target, &args).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

async fn collect(target: &Target, args: &StatsArgs) -> CliResult<Report> {
    let probe = target.probe().await?;
    let head = match args.namespace.as_deref() {
        Some(namespace) => KeyLayout::namespace_head(
            &target.backend,
            (namespace != SHARED_NAMESPACE).then_some(namespace),
        ),
        None => target.layout.prefix_head().to_owned(),
    };
    let progress = Progress::start("scanning");
    let mut scan = target.backend.scan_prefix(&head);
    let mut tallies: BTreeMap<KeyScope, Tally> = BTreeMap::new();
    let (mut keys_scanned, mut other_keys) = (0, 0);
    while let Some(keys) = scan.next_batch().await? {
        progress.advance(keys.len());
        keys_scanned += keys.len() as u64;
        let mut sample = Vec::new();
        let mut sample_scopes = Vec::new();
        for key in keys {
            match target.layout.kind(&key) {
                KeyKind::Entry(scope) => {
                    let tally = tallies.entry(scope.clone()).or_default();
                    tally.entries += 1;
                    if tally.queued < args.sample {
                        tally.queued += 1;
                        sample.push(key);
                        sample_scopes.push(scope);
                    }
                }
                KeyKind::Lease(scope) => tallies.entry(scope).or_default().leases += 1,
                KeyKind::Other => other_keys += 1,
            }
        }
        let facts = probe.measure(&sample).await?;
        for (scope, facts) in sample_scopes.into_iter().zip(facts) {
            if let Some(tally) = tallies.get_mut(&scope) {
                tally.record(facts);
            }
        }
    }
    Ok(Report {
        prefix: target.prefix.clone(),
        namespace: args.namespace.clone(),
        keys_scanned,
        activities: tallies
            .into_iter()
            .map(|(scope, tally)| tally.finish(scope))
            .collect(),
        other_keys,
    })
}

fn render(report: &Report) -> String {
    let mut text = format!(
        "{} keys under prefix `{}`{}\n",
        report.keys_scanned,
        report.prefix,
        report
            .namespace
            .as_ref()
            .map(|namespace| format!(", namespace `{namespace}`"))
            .unwrap_or_default()
    );
    if report.activities.is_empty() {
        text.push_str("no cache entries\n");
    } else {
        let mut table = Table::new(&[
            "NAMESPACE",
            "ACTIVITY TYPE",
            ">ENTRIES",
            ">BYTES",
            ">TTL MIN",
            ">TTL P50",
            ">TTL MAX",
            ">NO TTL",
            ">LEASES",
        ]);
        let ttl = |millis: Option<u64>| {
            millis.map_or_else(
                || "-".to_owned(),
                |ms| table::duration(Duration::from_millis(ms)),
            )
        };
        for activity in &report.activities {
            let spread = activity.ttl_ms.as_ref();
            table.row(vec![
                activity.scope.namespace.clone(),
                activity.scope.activity_type.clone(),
                activity.entries.to_string(),
                format!(
                    "{}{}",
                    if activity.bytes_estimated { "~" } else { "" },
                    table::bytes(activity.bytes)
                ),
                ttl(spread.map(|s| s.min)),
                ttl(spread.map(|s| s.p50)),
                ttl(spread.map(|s| s.max)),
                activity.without_ttl.to_string(),
                activity.leases.to_string(),
            ]);
        }
        text.push_str(&table.render());
        if report
            .activities
            .iter()
            .any(|activity| activity.bytes_estimated)
        {
            text.push_str("~: extrapolated from a sample (--sample)\n");
        }
    }
    if report.other_keys > 0 {
        text.push_str(&format!(
            "{} other keys under the prefix are not entries of this key layout\n",
            report.other_keys
        ));
    }
    text
}
