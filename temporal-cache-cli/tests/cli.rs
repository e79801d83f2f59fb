//! The `temporal-cache` binary against a real `redis-server`: entries stored by real cached
//! activities, then what `stats`, `ls`, `show` and `purge` say about them and do to them.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

pub mod support;

use temporal_cache_runtime::{
    CacheBackend, EncryptionKey, Keyring, RedisCacheBackend, Storage, set_cache_backend,
};
use temporal_cache_servers::RedisServer;

use crate::support::{Reports, Users, activity_type, cli, cli_ok, figures, keys_of, run, stats};

/// The encryption key of the encrypted entries, as the workers and the CLI take it (hex).
const ENCRYPTION_KEY: &str = "0707070707070707070707070707070707070707070707070707070707070707";

#[test]
fn stats_ls_show_and_purge_see_exactly_what_the_cache_stored() {
    let redis = RedisServer::start().unwrap_or_else(|error| panic!("{error}"));
    let url = redis.url();
    let users = activity_type(Users::fetch_user);
    let reports = activity_type(Reports::render);
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let backend = RedisCacheBackend::new(&url).expect("a valid URL");
    let (user_keys, report_keys) = runtime.block_on(async {
        set_cache_backend(RedisCacheBackend::new(&url).expect("a valid URL"));
        for id in 0..3 {
            run(Users::fetch_user, id).await;
        }
        for report in ["q1", "q2"] {
            run(Reports::render, report.to_owned()).await;
        }
        (
            keys_of(&backend, &users).await,
            keys_of(&backend, &reports).await,
        )
    });
    assert_eq!((user_keys.len(), report_keys.len()), (3, 2));
    let stored_bytes = |keys: &[String]| {
        runtime.block_on(async {
            let mut total = 0;
            for key in keys {
                total += backend.get(key).await.unwrap().expect("stored").len() as u64;
            }
            total
        })
    };

    // stats: exactly what was stored, with the TTLs the activities asked for.
    let report = stats(&url);
    assert_eq!(report["keys_scanned"], 5, "{report:#}");
    assert_eq!(report["other_keys"], 0, "{report:#}");
    let user_figures = figures(&report, &users).expect("the users' figures");
    assert_eq!(user_figures["entries"], 3, "{report:#}");
    assert_eq!(user_figures["sampled"], 3, "{report:#}");
    assert_eq!(user_figures["leases"], 0, "{report:#}");
    assert_eq!(
        user_figures["bytes"],
        stored_bytes(&user_keys),
        "{report:#}"
    );
    assert_eq!(user_figures["bytes_estimated"], false, "{report:#}");
    assert_eq!(user_figures["without_ttl"], 0, "{report:#}");
    let max_ttl = user_figures["ttl_ms"]["max"].as_u64().expect("a TTL");
    assert!(
        (3_500_000..=3_600_000).contains(&max_ttl),
        "an hour's TTL, just begun: {report:#}"
    );
    let report_figures = figures(&report, &reports).expect("the reports' figures");
    assert_eq!(report_figures["entries"], 2, "{report:#}");
    assert_eq!(report_figures["without_ttl"], 2, "{report:#}");
    assert!(report_figures["ttl_ms"].is_null(), "{report:#}");
    assert_eq!(
        report_figures["bytes"],
        stored_bytes(&report_keys),
        "{report:#}"
    );

    let text = cli_ok(&url, &["stats"]);
    assert!(
        text.starts_with("5 keys under prefix `temporal-cache`\n"),
        "{text}"
    );
    let user_row = text
        .lines()
        .find(|line| line.contains(&users))
        .unwrap_or_else(|| panic!("a row for {users}:\n{text}"));
    let cells: Vec<&str> = user_row.split_whitespace().collect();
    assert_eq!(
        (cells[0], cells[1], cells[2]),
        ("default", users.as_str(), "3"),
        "{text}"
    );

    // ls: every key of the activity, with its size and TTL.
    let listing = cli_ok(&url, &["ls", &reports, "--namespace", "default"]);
    for key in &report_keys {
        let line = listing
            .lines()
            .find(|line| line.ends_with(key.as_str()))
            .unwrap_or_else(|| panic!("{key} is listed:\n{listing}"));
        assert!(line.contains("never"), "{listing}");
    }
    assert!(listing.ends_with("2 entries, 0 leases\n"), "{listing}");
    let lines = cli_ok(&url, &["ls", &users, "--json"]);
    let mut listed: Vec<String> = lines
        .lines()
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).expect("JSON Lines");
            assert_eq!(item["lease"], false, "{line}");
            item["key"].as_str().expect("a key").to_owned()
        })
        .collect();
    listed.sort();
    assert_eq!(listed, user_keys);

    // show: the entry decoded, its MessagePack shown as JSON.
    let shown = cli_ok(&url, &["show", &user_keys[0]]);
    assert!(shown.contains("envelope:      format 2"), "{shown}");
    assert!(
        shown.contains("form:          MessagePack (shown as JSON)\n"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("activity type: {users}\n")),
        "{shown}"
    );
    let user: support::User = shown
        .lines()
        .last()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("the entry's JSON ends the output:\n{shown}"));
    assert_eq!(user.name, format!("user {}", user.id), "{shown}");

    // purge --dry-run: counts, removes nothing.
    let dry = cli_ok(&url, &["purge", "--activity", &users, "--dry-run"]);
    assert_eq!(
        dry,
        format!(
            "dry run: would remove 3 entries and 0 leases of `{users}` in namespace `default`; \
             nothing was removed\n"
        )
    );
    assert_eq!(
        figures(&stats(&url), &users).expect("still there")["entries"],
        3
    );

    // purge: exactly that activity's entries; the other's remain.
    let purged = cli_ok(&url, &["purge", "--activity", &users]);
    assert_eq!(
        purged,
        format!("removed 3 entries of `{users}` in namespace `default`\n")
    );
    let report = stats(&url);
    assert!(figures(&report, &users).is_none(), "{report:#}");
    assert_eq!(
        figures(&report, &reports).expect("remain")["entries"],
        2,
        "{report:#}"
    );
    runtime.block_on(async {
        assert!(keys_of(&backend, &users).await.is_empty());
        for key in &report_keys {
            assert!(backend.get(key).await.unwrap().is_some(), "{key} remains");
        }
    });

    // An encrypted entry: decrypted with the keys, and says which key it needs without them.
    let keyring = Keyring::new(EncryptionKey::parse(ENCRYPTION_KEY).expect("a hex key"));
    let encrypted_key = runtime.block_on(async {
        set_cache_backend(
            RedisCacheBackend::new(&url)
                .expect("a valid URL")
                .with_storage(Storage::new().with_encryption(keyring)),
        );
        run(Users::fetch_user, 41).await;
        keys_of(&backend, &users).await.remove(0)
    });
    let decrypted = cli_ok(
        &url,
        &["show", &encrypted_key, "--encryption-keys", ENCRYPTION_KEY],
    );
    assert!(
        decrypted.contains("encrypted (AES-256-GCM, key "),
        "{decrypted}"
    );
    assert!(
        decrypted.ends_with("{\"id\":41,\"name\":\"user 41\"}\n"),
        "{decrypted}"
    );
    let sealed = cli_ok(&url, &["show", &encrypted_key, "--json"]);
    let sealed: serde_json::Value = serde_json::from_str(&sealed).expect("show --json");
    assert_eq!(sealed["encrypted"], true, "{sealed:#}");
    assert!(sealed["value"].is_null(), "{sealed:#}");
    assert!(
        sealed["unreadable"]
            .as_str()
            .is_some_and(|why| why.contains("give the cache's encryption keys")),
        "{sealed:#}"
    );

    // purge --all: everything under the prefix.
    let dry = cli_ok(&url, &["purge", "--all", "--dry-run"]);
    assert!(
        dry.starts_with("dry run: would remove 3 entries and 0 leases"),
        "{dry}"
    );
    let purged = cli_ok(&url, &["purge", "--all"]);
    assert_eq!(purged, "removed 3 entries under prefix `temporal-cache`\n");
    assert_eq!(stats(&url)["keys_scanned"], 0);
}

#[test]
fn without_a_url_it_says_how_to_give_one() {
    let output = cli("", &["stats"]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("give --url, or set TEMPORAL_CACHE_REDIS_URL"),
        "{error}"
    );
}

#[test]
fn show_of_a_missing_key_fails_and_names_it() {
    let redis = RedisServer::start().unwrap_or_else(|error| panic!("{error}"));
    let output = cli(
        &redis.url(),
        &["show", "temporal-cache:v2:default:Nope:{00}"],
    );
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("nothing is stored under `temporal-cache:v2:default:Nope:{00}`"),
        "{error}"
    );
}
