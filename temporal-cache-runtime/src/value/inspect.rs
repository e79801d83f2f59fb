//! A stored entry taken apart for a person to read, as the ops tool's `show` prints it: its
//! header, the form of its body, its sizes, and the value inside as JSON when it can be read
//! (a MessagePack value is shown as the JSON of what it decodes to).
//!
//! Unlike a hit, which accepts only the form its own [`Storage`] would write, this reads any form
//! it can: a Temporal Payload whose encoding is JSON is shown without the worker's DataConverter,
//! and an entry encrypted with a key the given keyring lacks says which key it needs.

use prost::Message;
use temporalio_common::protos::temporal::api::common::v1::Payload;

use super::Storage;
use super::compression::decompress;
use super::envelope::{self, DecodeError, key_id_text};
use crate::backend::DEFAULT_MAX_VALUE_BYTES;
use crate::spec::Freshness;

/// The magic bytes of an entry, as the envelope writes them.
const MAGIC: &[u8; 2] = b"tc";

/// How far a compressed body may inflate for inspection: well past what any backend stores by
/// default, still bounded against a planted bomb.
const INFLATE_LIMIT: usize = 16 * DEFAULT_MAX_VALUE_BYTES;

/// What [`inspect_entry`] found in a stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InspectedEntry {
    /// The envelope format version its header names (`None`: not an entry of this library).
    pub format_version: Option<u8>,
    /// Its body is zstd-compressed.
    pub compressed: bool,
    /// Its body is encrypted (AES-256-GCM, by the cache's own keyring).
    pub encrypted: bool,
    /// It holds a Temporal Payload written by a DataConverter, rather than plain JSON.
    pub payload: bool,
    /// It holds MessagePack rather than JSON (see [`ValueFormat`](crate::ValueFormat)).
    pub message_pack: bool,
    /// For an activity with a stale window (`stale = ...`): when the entry stops being fresh, in
    /// milliseconds since the Unix epoch (after it, it is served stale while its body runs again).
    pub fresh_until_millis: Option<u64>,
    /// The id of the keyring key that encrypted it, in hex, for an encrypted entry.
    pub key_id: Option<String>,
    /// The size of the whole entry as stored.
    pub stored_bytes: usize,
    /// The size of the value once decrypted and decompressed, when that succeeded.
    pub value_bytes: Option<usize>,
    /// The `encoding` metadata of a Payload entry (such as `json/plain`).
    pub payload_encoding: Option<String>,
    /// The value as JSON text, when it could be read as JSON.
    pub json: Option<String>,
    /// Why the JSON is not shown, when it is not.
    pub unreadable: Option<String>,
}

impl InspectedEntry {
    /// For an entry with a stale window, which side of its freshness deadline it is now, as a
    /// call reading it would judge.
    pub fn freshness(&self) -> Option<Freshness> {
        self.fresh_until_millis.map(Freshness::now)
    }
}

/// Takes apart `bytes`, stored under the cache key `key`, decrypting with the keyring of
/// `storage` if it has one. Never fails: what cannot be read is said in
/// [`unreadable`](InspectedEntry::unreadable).
pub fn inspect_entry(bytes: &[u8], storage: &Storage, key: &str) -> InspectedEntry {
    let mut inspected = InspectedEntry {
        format_version: bytes
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.first().copied()),
        compressed: false,
        encrypted: false,
        payload: false,
        message_pack: false,
        fresh_until_millis: None,
        key_id: None,
        stored_bytes: bytes.len(),
        value_bytes: None,
        payload_encoding: None,
        json: None,
        unreadable: None,
    };
    if let Err(why) = read_into(&mut inspected, bytes, storage, key) {
        inspected.unreadable = Some(why);
    }
    inspected
}

/// Fills in what `bytes` holds, as far as it can be read; the error says where that stopped.
fn read_into(
    inspected: &mut InspectedEntry,
    bytes: &[u8],
    storage: &Storage,
    key: &str,
) -> Result<(), String> {
    let framed = envelope::parse(bytes).map_err(|error| error.to_string())?;
    inspected.compressed = framed.flags.compressed;
    inspected.encrypted = framed.flags.encrypted;
    inspected.payload = framed.flags.payload;
    inspected.message_pack = framed.flags.message_pack;
    inspected.fresh_until_millis = framed.flags.fresh_until;
    inspected.key_id = framed.seal.map(|seal| key_id_text(&seal.key_id));
    let body = match (framed.seal, storage.keyring()) {
        (None, _) => framed.body.to_vec(),
        (Some(seal), Some(keyring)) => keyring
            .open(&seal, key, framed.header, framed.body)
            .map_err(|error| error.to_string())?,
        (Some(seal), None) => {
            return Err(DecodeError::UnknownKey(seal.key_id).to_string()
                + "; give the cache's encryption keys to decrypt it");
        }
    };
    let value = if framed.flags.compressed {
        decompress(&body, INFLATE_LIMIT).map_err(|error| error.to_string())?
    } else {
        body
    };
    inspected.value_bytes = Some(value.len());
    let json = if framed.flags.payload {
        let payload = Payload::decode(value.as_slice())
            .map_err(|error| format!("not a Temporal Payload: {error}"))?;
        let encoding = payload
            .metadata
            .get("encoding")
            .map(|encoding| String::from_utf8_lossy(encoding).into_owned());
        inspected.payload_encoding = encoding.clone();
        if encoding.as_deref() != Some("json/plain") {
            return Err(format!(
                "the payload's encoding is {}, not json/plain: the worker's DataConverter (its \
                 codec) reads it",
                encoding.as_deref().unwrap_or("not given")
            ));
        }
        payload.data
    } else if framed.flags.message_pack {
        let value = super::message_pack::decode::<serde_json::Value>(&value)
            .map_err(|error| format!("the value is not MessagePack: {error}"))?;
        return serde_json::to_string(&value)
            .map(|text| inspected.json = Some(text))
            .map_err(|error| format!("the value has no JSON form: {error}"));
    } else {
        value
    };
    let text = String::from_utf8(json).map_err(|_| "the value is not UTF-8 text".to_owned())?;
    serde_json::from_str::<serde::de::IgnoredAny>(&text)
        .map_err(|error| format!("the value is not JSON: {error}"))?;
    inspected.json = Some(text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Body, Compression, EncryptionKey, Keyring, form};

    fn encrypting(byte: u8) -> Storage {
        Storage::new().with_encryption(Keyring::new(EncryptionKey::new([byte; 32])))
    }

    #[test]
    fn shows_the_json_of_a_plain_entry() {
        let stored = form::write(
            &Storage::new(),
            "k",
            Body::json(br#"{"id":7}"#.to_vec()),
            None,
        )
        .unwrap();
        let inspected = inspect_entry(&stored, &Storage::new(), "k");
        assert_eq!(inspected.format_version, Some(2));
        assert!(!inspected.compressed && !inspected.encrypted && !inspected.payload);
        assert_eq!(inspected.stored_bytes, 12);
        assert_eq!(inspected.value_bytes, Some(8));
        assert_eq!(inspected.json.as_deref(), Some(r#"{"id":7}"#));
        assert_eq!(inspected.unreadable, None);
    }

    #[test]
    fn shows_message_pack_as_the_json_it_decodes_to() {
        let value = serde_json::json!({"id": 7, "tags": ["a"], "score": 0.5});
        let json = serde_json::to_vec(&value).unwrap();
        let body = Body {
            bytes: crate::value::message_pack::encode(&value, &json).unwrap(),
            message_pack: true,
        };
        let stored = form::write(&Storage::new(), "k", body, None).unwrap();
        assert_eq!(stored[3], 0x10);
        let inspected = inspect_entry(&stored, &Storage::new(), "k");
        assert!(inspected.message_pack && !inspected.payload);
        assert_eq!(
            inspected.json.as_deref().map(str::as_bytes),
            Some(&json[..])
        );
        assert_eq!(inspected.unreadable, None);

        let mut garbage = stored[..4].to_vec();
        garbage.push(0xc1);
        let why = inspect_entry(&garbage, &Storage::new(), "k")
            .unreadable
            .unwrap();
        assert!(why.contains("not MessagePack"), "{why}");
    }

    #[test]
    fn decompresses_and_decrypts_with_the_keys() {
        let storage = encrypting(3).with_compression(Compression::zstd_above(1));
        let raw = br#"[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]"#.to_vec();
        let stored = form::write(&storage, "k", Body::json(raw.clone()), None).unwrap();
        let inspected = inspect_entry(&stored, &storage, "k");
        assert!(inspected.compressed && inspected.encrypted);
        assert_eq!(inspected.json.as_deref().map(str::as_bytes), Some(&raw[..]));

        let without_keys = inspect_entry(&stored, &Storage::new(), "k");
        assert_eq!(without_keys.json, None);
        assert_eq!(without_keys.key_id, inspected.key_id);
        let why = without_keys.unreadable.unwrap();
        assert!(why.contains("give the cache's encryption keys"), "{why}");
        assert!(
            inspect_entry(&stored, &encrypting(4), "k")
                .unreadable
                .unwrap()
                .contains("does not hold")
        );
    }

    #[test]
    fn reads_a_json_payload_without_a_converter() {
        let payload = Payload {
            metadata: [("encoding".to_owned(), b"json/plain".to_vec())].into(),
            data: b"\"hello\"".to_vec(),
            ..Payload::default()
        };
        let mut stored = envelope::header(
            envelope::Flags {
                payload: true,
                ..envelope::Flags::default()
            },
            None,
            0,
        );
        stored.extend_from_slice(&payload.encode_to_vec());
        let inspected = inspect_entry(&stored, &Storage::new(), "k");
        assert!(inspected.payload);
        assert_eq!(inspected.payload_encoding.as_deref(), Some("json/plain"));
        assert_eq!(inspected.json.as_deref(), Some("\"hello\""));
    }

    #[test]
    fn says_why_garbage_and_other_versions_are_unreadable() {
        let garbage = inspect_entry(b"hello", &Storage::new(), "k");
        assert_eq!(garbage.format_version, None);
        assert_eq!(
            garbage.unreadable.as_deref(),
            Some("not a temporal-cache entry")
        );
        let older = inspect_entry(b"tc\x01\x00{}", &Storage::new(), "k");
        assert_eq!(older.format_version, Some(1));
        assert!(older.unreadable.unwrap().contains("format 1"));
    }
}
