//! The production-Redis measurement as markdown: its rows in the summary and its section.

use std::fmt::Write as _;

use super::format::duration;
use super::summary::SummaryRow;
use crate::scenarios::production::{HitAgainstFloor, ProductionReport};
use crate::targets::{self, Verdict};

fn hit_row(what: &str, hits: &HitAgainstFloor) -> SummaryRow {
    SummaryRow::new(
        format!("hit p50 ÷ bare GET p50, 233 B, {what}"),
        format!(
            "{:.2}× (hit {}, bare GET {})",
            hits.ratio(),
            duration(hits.hit_p50()),
            duration(hits.floor_p50())
        ),
    )
    .with_target(
        format!("≤ {}×", targets::HIT_P50_MAX_RATIO),
        Verdict::of(hits.ratio() <= targets::HIT_P50_MAX_RATIO),
    )
}

pub(super) fn summary_rows(production: &ProductionReport) -> Vec<SummaryRow> {
    let failover = &production.failover;
    vec![
        hit_row("over TLS", &production.tls),
        hit_row("on a 3+3 Redis Cluster", &production.cluster),
        SummaryRow::new(
            "Redis round trips per uncontended miss, on the cluster",
            format!("{:.2}", production.cluster_round_trips_per_miss),
        )
        .with_target(
            format!("≤ {}", targets::MISS_MAX_ROUND_TRIPS),
            Verdict::of(production.cluster_round_trips_per_miss <= targets::MISS_MAX_ROUND_TRIPS),
        ),
        SummaryRow::new(
            "cluster master killed: calls for the other masters' slots during the outage",
            format!(
                "{:.0} calls/s, {:.0} % hits",
                failover.healthy_calls_per_second,
                failover.healthy_hit_share * 100.0
            ),
        ),
        SummaryRow::new(
            "cluster master killed: until its slots hit again (replica promoted)",
            failover
                .resumed_after
                .map_or_else(|| "not within 30 s".to_owned(), duration),
        ),
    ]
}

pub(super) fn section(out: &mut String, production: &ProductionReport) {
    let _ = writeln!(out, "### Production Redis: TLS and Redis Cluster\n");
    let _ = writeln!(
        out,
        "The 233 B hit, one task, alternating call by call with a bare `GET` of the same entry \
         over the same kind of connection, {} calls each per round: over TLS (a TLS-only \
         `redis-server`, a CA made for the run, redis-rs with rustls) and on a Redis Cluster of \
         3 masters with a replica each (redis-rs's cluster connection, for the bare `GET` as for \
         the cache). Then the cluster's round trips per miss (`INFO commandstats` of the \
         masters over fresh inputs), and one master killed (`SIGKILL`) while entries of every \
         master are called in turn.\n",
        production.iterations
    );
    let _ = writeln!(
        out,
        "| round | TLS: bare GET p50 | TLS: hit p50 | cluster: bare GET p50 | cluster: hit p50 |\n|---|---|---|---|---|"
    );
    for (round, (tls, cluster)) in production
        .tls
        .rounds
        .iter()
        .zip(&production.cluster.rounds)
        .enumerate()
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            round + 1,
            duration(tls.0.p50),
            duration(tls.1.p50),
            duration(cluster.0.p50),
            duration(cluster.1.p50)
        );
    }
    out.push('\n');
}
