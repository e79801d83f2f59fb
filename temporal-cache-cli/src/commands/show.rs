//! `show <key>`: one entry taken apart by the runtime's own decoder
//! ([`inspect_entry`]): its envelope header, the form of its body, its sizes, and the JSON
//! inside, decrypted when the cache's keys are given.

use std::time::Duration;

use serde::Serialize;
use temporal_cache_runtime::{
    CacheBackend, Freshness, InspectedEntry, Keyring, Storage, inspect_entry,
};

use crate::CliResult;
use crate::args::ShowArgs;
use crate::connect::Target;
use crate::key_layout::{KeyKind, KeyScope};
use crate::measure::Ttl;
use crate::table;

/// What `show --json` prints.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    key: &'a str,
    #[serde(flatten)]
    scope: Option<KeyScope>,
    lease: bool,
    /// `null`: it never expires.
    ttl_ms: Option<u64>,
    /// For an activity with `stale = ...`: when the entry stops being fresh, in milliseconds
    /// since the Unix epoch (after it, it is served stale while one call refreshes it).
    fresh_until_ms: Option<u64>,
    format_version: Option<u8>,
    form: String,
    compressed: bool,
    encrypted: bool,
    payload: bool,
    message_pack: bool,
    key_id: Option<&'a str>,
    stored_bytes: usize,
    value_bytes: Option<usize>,
    payload_encoding: Option<&'a str>,
    /// The value, parsed, when it could be read.
    value: Option<serde_json::Value>,
    unreadable: Option<&'a str>,
}

pub(crate) async fn run(target: &Target, args: ShowArgs) -> CliResult {
    let storage = match &args.encryption_keys {
        Some(keys) => Storage::new().with_encryption(Keyring::parse(keys)?),
        None => Storage::new(),
    };
    let key = args.key.as_str();
    let bytes = target
        .backend
        .get(key)
        .await?
        .ok_or_else(|| format!("nothing is stored under `{key}`"))?;
    let probe = target.probe().await?;
    let ttl = probe.measure(&[key.to_owned()]).await?[0].ttl;
    let inspected = inspect_entry(&bytes, &storage, key);
    let (scope, lease) = match target.layout.kind(key) {
        KeyKind::Entry(scope) => (Some(scope), false),
        KeyKind::Lease(scope) => (Some(scope), true),
        KeyKind::Other => (None, false),
    };
    let shown = Shown {
        key,
        scope,
        lease,
        ttl_ms: match ttl {
            Ttl::Expires(ttl) => Some(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
            Ttl::Never | Ttl::Gone => None,
        },
        fresh_until_ms: inspected.fresh_until_millis,
        format_version: inspected.format_version,
        form: form(&inspected),
        compressed: inspected.compressed,
        encrypted: inspected.encrypted,
        payload: inspected.payload,
        message_pack: inspected.message_pack,
        key_id: inspected.key_id.as_deref(),
        stored_bytes: inspected.stored_bytes,
        value_bytes: inspected.value_bytes,
        payload_encoding: inspected.payload_encoding.as_deref(),
        value: inspected
            .json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok()),
        unreadable: inspected.unreadable.as_deref(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        print!("{}", render(&shown, &inspected));
    }
    Ok(())
}

/// How the body is written, in words: `MessagePack (shown as JSON)`, `JSON`,
/// `Temporal Payload (json/plain), zstd-compressed`...
fn form(inspected: &InspectedEntry) -> String {
    if inspected.format_version.is_none() {
        return "not a temporal-cache entry".to_owned();
    }
    let mut parts = vec![if inspected.payload {
        format!(
            "Temporal Payload ({})",
            inspected
                .payload_encoding
                .as_deref()
                .unwrap_or("encoding unknown")
        )
    } else if inspected.message_pack {
        "MessagePack (shown as JSON)".to_owned()
    } else {
        "JSON".to_owned()
    }];
    if inspected.compressed {
        parts.push("zstd-compressed".to_owned());
    }
    if inspected.encrypted {
        parts.push(format!(
            "encrypted (AES-256-GCM, key {})",
            inspected.key_id.as_deref().unwrap_or("?")
        ));
    }
    parts.join(", ")
}

fn render(shown: &Shown<'_>, inspected: &InspectedEntry) -> String {
    let mut lines = vec![("key", shown.key.to_owned())];
    if let Some(scope) = &shown.scope {
        lines.push(("namespace", scope.namespace.clone()));
        lines.push(("activity type", scope.activity_type.clone()));
    }
    if shown.lease {
        lines.push(("kind", "lease of a running call".to_owned()));
    }
    lines.push((
        "ttl",
        shown.ttl_ms.map_or_else(
            || "never expires".to_owned(),
            |ms| table::duration(Duration::from_millis(ms)),
        ),
    ));
    if let Some(freshness) = inspected.freshness() {
        lines.push(("freshness", describe_freshness(freshness)));
    }
    lines.push((
        "envelope",
        match shown.format_version {
            Some(version) => format!("format {version}, {} bytes stored", shown.stored_bytes),
            None => format!("none, {} bytes stored", shown.stored_bytes),
        },
    ));
    lines.push(("form", shown.form.clone()));
    if let Some(bytes) = shown.value_bytes {
        lines.push(("value", format!("{bytes} bytes")));
    }
    if let Some(why) = shown.unreadable {
        lines.push(("unreadable", why.to_owned()));
    }
    let width = lines.iter().map(|(name, _)| name.len()).max().unwrap_or(0) + 1;
    let mut text: String = lines
        .into_iter()
        .map(|(name, value)| format!("{:<width$} {value}\n", format!("{name}:")))
        .collect();
    if let Some(json) = &inspected.json {
        // As stored, byte for byte: what a hit would return.
        text.push_str(json);
        text.push('\n');
    }
    text
}

/// The freshness of an entry with a stale window, for a person.
fn describe_freshness(freshness: Freshness) -> String {
    match freshness {
        Freshness::Fresh(left) => format!(
            "fresh for {} more, then served stale",
            table::duration(left)
        ),
        Freshness::Stale(since) => format!(
            "stale for {} (served while one call refreshes it)",
            table::duration(since)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_says_which_side_of_its_deadline_an_entry_is() {
        assert_eq!(
            describe_freshness(Freshness::Fresh(Duration::from_secs(6))),
            format!(
                "fresh for {} more, then served stale",
                table::duration(Duration::from_secs(6))
            )
        );
        assert_eq!(
            describe_freshness(Freshness::Stale(Duration::from_secs(60))),
            format!(
                "stale for {} (served while one call refreshes it)",
                table::duration(Duration::from_secs(60))
            )
        );
    }
}
