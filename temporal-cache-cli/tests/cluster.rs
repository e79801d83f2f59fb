//! The `temporal-cache` binary against a real Redis Cluster: `stats` and `purge` reach every
//! master, not only the node the URL names.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

pub mod support;

use std::collections::HashSet;

use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};
use temporal_cache_servers::{RedisCluster, key_slot};

use crate::support::{Reports, Users, activity_type, cli_ok, figures, keys_of, run, stats};

#[test]
fn stats_and_purge_scan_every_master() {
    let cluster = RedisCluster::start(3, 0).unwrap_or_else(|error| panic!("{error}"));
    let urls = cluster.urls().join(",");
    let users = activity_type(Users::fetch_user);
    let reports = activity_type(Reports::render);
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let backend = RedisCacheBackend::from_urls(&urls).expect("valid URLs");
    let user_keys = runtime.block_on(async {
        set_cache_backend(RedisCacheBackend::from_urls(&urls).expect("valid URLs"));
        for id in 0..20 {
            run(Users::fetch_user, id).await;
        }
        for report in ["q1", "q2", "q3"] {
            run(Reports::render, report.to_owned()).await;
        }
        keys_of(&backend, &users).await
    });
    assert_eq!(user_keys.len(), 20);
    let masters: HashSet<usize> = user_keys
        .iter()
        .map(|key| {
            cluster
                .master_of_slot(key_slot(key))
                .expect("a served slot")
        })
        .collect();
    assert!(
        masters.len() > 1,
        "the entries are spread over several masters"
    );

    let report = stats(&urls);
    assert_eq!(report["keys_scanned"], 23, "{report:#}");
    assert_eq!(
        figures(&report, &users).expect("users")["entries"],
        20,
        "{report:#}"
    );
    assert_eq!(
        figures(&report, &users).expect("users")["sampled"],
        20,
        "{report:#}"
    );
    assert_eq!(
        figures(&report, &reports).expect("reports")["entries"],
        3,
        "{report:#}"
    );

    let dry = cli_ok(&urls, &["purge", "--activity", &users, "--dry-run"]);
    assert!(dry.starts_with("dry run: would remove 20 entries"), "{dry}");
    let purged = cli_ok(&urls, &["purge", "--activity", &users]);
    assert_eq!(
        purged,
        format!("removed 20 entries of `{users}` in namespace `default`\n")
    );
    let report = stats(&urls);
    assert!(figures(&report, &users).is_none(), "{report:#}");
    assert_eq!(
        figures(&report, &reports).expect("remain")["entries"],
        3,
        "{report:#}"
    );
}
