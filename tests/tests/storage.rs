//! Stored values against a real `redis-server`: built-in encryption (no plaintext in Redis,
//! rotation, tampered, moved and planted entries), compression (a 1 MB result, a decompression
//! bomb) and keyed hashing, in this process and across processes. The tests run one at a time:
//! each sets the global backend's storage settings.

use redis::AsyncCommands;
use temporal_cache_runtime::{
    Compression, EncryptionKey, KeySecret, Keyring, Storage, ValueFormat, inspect_entry,
};
use temporal_cache_tests::activities::{Cached, runs, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::stored::{
    PLAINTEXT_MARKER, Profile, Stored, contains_text, redis, use_storage,
};
use temporal_cache_tests::warnings;
use temporalio_common::data_converters::MultiArgs2;

fn keyring(byte: u8) -> Keyring {
    Keyring::new(EncryptionKey::new([byte; 32]))
}

/// The one key of `activity` stored for `token`'s calls since `before` (keys are digests, so a
/// test finds its own by listing them before and after its call).
async fn new_key(before: &[String], pattern: &str) -> String {
    let mut connection = redis().connection().await;
    let now: Vec<String> = connection.keys(pattern).await.expect("KEYS");
    let mut added: Vec<String> = now.into_iter().filter(|k| !before.contains(k)).collect();
    assert_eq!(added.len(), 1, "one new key matching {pattern}: {added:?}");
    added.remove(0)
}

async fn keys(pattern: &str) -> Vec<String> {
    redis()
        .connection()
        .await
        .keys(pattern)
        .await
        .expect("KEYS")
}

async fn get(key: &str) -> Vec<u8> {
    redis().connection().await.get(key).await.expect("GET")
}

async fn set(key: &str, bytes: &[u8]) {
    let () = redis()
        .connection()
        .await
        .set(key, bytes)
        .await
        .expect("SET");
}

const PROFILES: &str = "temporal-cache:v2:default:Stored::profile:*";

#[test]
fn encrypted_entries_hold_no_plaintext_and_survive_a_rotation() {
    let _serial = temporal_cache_tests::serial();
    block_on(async {
        use_storage(Storage::new().with_encryption(keyring(1)));
        let token = token("encrypted");
        let before = keys(PROFILES).await;
        let first = run(Stored::profile, token.clone()).await;
        assert!(first.secret.contains(PLAINTEXT_MARKER));
        let key = new_key(&before, PROFILES).await;
        let stored = get(&key).await;
        assert!(
            !contains_text(&stored, PLAINTEXT_MARKER),
            "no plaintext in Redis"
        );
        assert!(!contains_text(&stored, &token), "not even the token");
        assert_eq!(
            &stored[..4],
            b"tc\x02\x12",
            "an encrypted v2 entry, of MessagePack"
        );
        assert_eq!(run(Stored::profile, token.clone()).await, first, "a hit");

        // Rotation, step 1: a new key first, the old one kept: old entries are still hits.
        use_storage(
            Storage::new().with_encryption(keyring(2).with_old_key(EncryptionKey::new([1; 32]))),
        );
        assert_eq!(
            run(Stored::profile, token.clone()).await,
            first,
            "still a hit"
        );
        // Step 2: the old key removed: what it wrote is a miss, and is rewritten.
        use_storage(Storage::new().with_encryption(keyring(2)));
        warnings::recorded().clear();
        let rewritten = run(Stored::profile, token.clone()).await;
        assert_eq!(rewritten.run, 2, "a miss once the old key is gone");
        let unreadable = warnings::recorded()
            .iter()
            .filter(|w| w.contains("keyring does not hold"))
            .count();
        assert_eq!(unreadable, 1, "one warning names the unknown key");
        assert_ne!(get(&key).await, stored, "rewritten under the new key");
        assert_eq!(run(Stored::profile, token.clone()).await, rewritten);
        assert_eq!(runs(&token), 2);
    });
}

#[test]
fn tampered_moved_and_planted_entries_are_misses_never_served() {
    let _serial = temporal_cache_tests::serial();
    block_on(async {
        use_storage(Storage::new().with_encryption(keyring(3)));
        let (mine, other) = (token("tamper-mine"), token("tamper-other"));
        let before = keys(PROFILES).await;
        let first = run(Stored::profile, mine.clone()).await;
        let key = new_key(&before, PROFILES).await;
        let before = keys(PROFILES).await;
        let theirs = run(Stored::profile, other.clone()).await;
        let other_key = new_key(&before, PROFILES).await;

        let mut flipped = get(&key).await;
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        let planted_plaintext = {
            let fake = Profile {
                secret: "planted by an attacker".to_owned(),
                ..first.clone()
            };
            let mut bytes = b"tc\x02\x00".to_vec();
            bytes.extend_from_slice(&serde_json::to_vec(&fake).unwrap());
            bytes
        };
        let cases = [
            ("a flipped byte", flipped),
            ("another key's entry", get(&other_key).await),
            ("a planted plaintext entry", planted_plaintext),
        ];
        for (expected_run, (case, planted)) in (2..).zip(cases) {
            set(&key, &planted).await;
            warnings::recorded().clear();
            let served = run(Stored::profile, mine.clone()).await;
            assert_eq!(served.run, expected_run, "{case}: a miss, the body ran");
            assert_eq!(served.token, mine, "{case}: never another entry's value");
            assert!(
                served.secret.contains(PLAINTEXT_MARKER),
                "{case}: never the planted one"
            );
            assert_eq!(
                warnings::recorded()
                    .iter()
                    .filter(|w| w.contains("unreadable"))
                    .count(),
                1,
                "{case}: logged once"
            );
            assert_ne!(get(&key).await, planted, "{case}: overwritten");
            assert_eq!(
                run(Stored::profile, mine.clone()).await,
                served,
                "{case}: then a hit"
            );
        }
        assert_eq!(
            run(Stored::profile, other.clone()).await,
            theirs,
            "the other entry is intact"
        );
    });
}

const REPORTS: &str = "temporal-cache:v2:default:Stored::report:*";

#[test]
fn a_large_result_is_stored_compressed_and_a_bomb_is_a_miss() {
    let _serial = temporal_cache_tests::serial();
    block_on(async {
        use_storage(
            Storage::new()
                .with_compression(Compression::zstd_above(Compression::DEFAULT_THRESHOLD)),
        );
        let token = token("compressed");
        let before = keys(REPORTS).await;
        let first = run(Stored::report, MultiArgs2(token.clone(), 12_000)).await;
        let json = serde_json::to_vec(&first).unwrap().len();
        assert!(json > 1_000_000, "a 1 MB result: {json} bytes");
        let key = new_key(&before, REPORTS).await;
        let stored = get(&key).await;
        assert_eq!(
            &stored[..4],
            b"tc\x02\x11",
            "a compressed v2 entry, of MessagePack"
        );
        assert!(
            stored.len() * 5 < json,
            "stored in {} of {json} bytes",
            stored.len()
        );
        assert_eq!(
            run(Stored::report, MultiArgs2(token.clone(), 12_000)).await,
            first
        );

        // 64 MiB of zeros compress to a few kilobytes; the backend holds values of up to 2 MiB.
        let mut bomb = b"tc\x02\x01".to_vec();
        bomb.extend_from_slice(&zstd::bulk::compress(&vec![0u8; 64 << 20], 1).unwrap());
        assert!(bomb.len() < 64 << 10);
        set(&key, &bomb).await;
        warnings::recorded().clear();
        let rerun = run(Stored::report, MultiArgs2(token.clone(), 12_000)).await;
        assert_eq!(rerun.run, 2, "a bomb is a miss");
        assert!(
            warnings::recorded()
                .iter()
                .any(|w| w.contains("past the limit"))
        );
        assert_eq!(
            run(Stored::report, MultiArgs2(token.clone(), 12_000)).await,
            rerun
        );

        // Without compression (the default), the same result is stored uncompressed, in
        // MessagePack: the JSON it reads back as is the result's own.
        use_storage(Storage::new());
        let plain_token = crate::token("uncompressed");
        let before = keys(REPORTS).await;
        let uncompressed = run(Stored::report, MultiArgs2(plain_token.clone(), 12_000)).await;
        let key = new_key(&before, REPORTS).await;
        let plain = get(&key).await;
        assert_eq!(&plain[..4], b"tc\x02\x10");
        let json = serde_json::to_string(&uncompressed).unwrap();
        assert!(
            plain.len() < json.len(),
            "{} of {} bytes",
            plain.len(),
            json.len()
        );
        // The ops tool shows it as JSON (keys sorted): the same document as the result's.
        let shown = inspect_entry(&plain, &Storage::new(), &key)
            .json
            .expect("shown as JSON");
        assert!(
            serde_json::from_str::<serde_json::Value>(&shown).unwrap()
                == serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            "the entry reads back as the result's JSON"
        );
        assert_eq!(
            run(Stored::report, MultiArgs2(plain_token, 12_000)).await,
            uncompressed,
            "a hit"
        );

        // `ValueFormat::Json` stores the JSON Temporal's payload converter writes, as it is.
        use_storage(Storage::new().with_value_format(ValueFormat::Json));
        let json_token = crate::token("json");
        let before = keys(REPORTS).await;
        let as_json = run(Stored::report, MultiArgs2(json_token.clone(), 100)).await;
        let stored = get(&new_key(&before, REPORTS).await).await;
        assert_eq!(&stored[..4], b"tc\x02\x00");
        assert_eq!(stored[4..], serde_json::to_vec(&as_json).unwrap());
        assert_eq!(
            run(Stored::report, MultiArgs2(json_token, 100)).await,
            as_json,
            "a hit"
        );
    });
}

const ECHOES: &str = "temporal-cache:v2:default:Cached::echo:*";

#[test]
fn keyed_hashing_gives_each_secret_its_keys_the_same_in_every_process() {
    let _serial = temporal_cache_tests::serial();
    const SECRET: &str = "c2VjcmV0IGtleSBmb3IgdGhlIHRlc3RzIG9mIGhhc2g=";
    let secret = || KeySecret::parse(SECRET).expect("a valid secret");
    let token = token("keyed");
    let mut found = Vec::new();
    block_on(async {
        for storage in [
            Storage::new(),
            Storage::new().with_key_secret(secret()),
            Storage::new().with_key_secret(KeySecret::new([9; 32])),
        ] {
            use_storage(storage);
            let before = keys(ECHOES).await;
            run(Cached::echo, MultiArgs2(token.clone(), 5)).await;
            found.push(new_key(&before, ECHOES).await);
        }
    });
    assert_ne!(found[0], found[1], "a secret changes the key");
    assert_ne!(found[1], found[2], "another secret, another key");
    assert_eq!(runs(&token), 3, "no secret reads another's entry");

    // A process configured by the environment with the same secret (and encryption) computes
    // the same key: its first call is a hit on what this process stored.
    const KEYS: &str = "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
    block_on(async {
        use_storage(
            Storage::new()
                .with_key_secret(secret())
                .with_encryption(Keyring::parse(KEYS).unwrap()),
        );
        run(Cached::echo, MultiArgs2(token.clone(), 6)).await;
    });
    let mut probe = Probe::start_with_env(
        env!("CARGO_BIN_EXE_probe"),
        &["echo", &redis().url(), &token, "6"],
        &[
            (Storage::KEY_SECRET_ENV_VAR, SECRET),
            (Storage::ENCRYPTION_KEYS_ENV_VAR, KEYS),
        ],
    );
    let report = probe.report();
    assert_eq!(
        report["outputs"][0]["pid"],
        std::process::id(),
        "the other process was served this one's entry: {report}"
    );
    assert_eq!(report["runs"], 0, "{report}");
}
