//! The compact form of a stored result: MessagePack, written only where it reads back into a
//! value whose JSON is the result's own.
//!
//! Decoding JSON is most of what a hit costs beyond its read: about 30 µs for the bench's 100 KB
//! document, against 4 µs for the same document in MessagePack, which has no escapes to undo and
//! no numbers to parse from text. MessagePack is written here with field and variant names (a
//! struct is a map, a variant is its name, as in JSON) and with serde's human-readable
//! representations (an address or a timestamp is the text it is in JSON), so it carries the same
//! data model as the JSON Temporal's default payload converter writes, and a result type changed
//! between deploys fails to decode (a miss) where its JSON would.
//!
//! Some types do not survive a trip through another format unchanged: a `Serialize` that writes
//! something its `Deserialize` reads differently, types that skip fields, untagged or flattened
//! enums that pick another variant. [`encode`] therefore decodes what it wrote and encodes that
//! as JSON again: only when that JSON is the result's own (byte for byte, or as the same JSON
//! document, for maps whose key order is arbitrary) is the MessagePack stored; otherwise the
//! JSON is. What a hit serves is thus always a value whose payload is the one the activity's
//! own result would have had.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `value` in MessagePack, if it reads back into a value whose JSON is `json` (the value's
/// own JSON, which the caller has written already); `None` otherwise, or if writing it fails.
pub(crate) fn encode<T: Serialize + DeserializeOwned>(value: &T, json: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(json.len());
    value
        .serialize(
            &mut rmp_serde::Serializer::new(&mut bytes)
                .with_struct_map()
                .with_human_readable(),
        )
        .ok()?;
    let back: T = decode(&bytes).ok()?;
    let back_json = serde_json::to_vec(&back).ok()?;
    (back_json == json || same_document(&back_json, json)).then_some(bytes)
}

/// The value `bytes` hold, as [`encode`] wrote it. (Bytes after the value are not looked at:
/// the envelope bounds the body, and a hit's decode does not pay to check for them.)
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, rmp_serde::decode::Error> {
    T::deserialize(&mut rmp_serde::Deserializer::from_read_ref(bytes).with_human_readable())
}

/// Whether two JSON texts are the same document, keys in any order.
fn same_document(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::net::IpAddr;

    use serde::Deserialize;

    use super::*;

    /// What a hit would serve for `value`: its MessagePack decoded, or `None` where [`encode`]
    /// keeps JSON.
    fn served<T: Serialize + DeserializeOwned>(value: &T) -> Option<T> {
        let json = serde_json::to_vec(value).unwrap();
        encode(value, &json).map(|bytes| decode(&bytes).unwrap())
    }

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Profile {
        id: u64,
        name: String,
        tags: Vec<String>,
        score: f64,
        role: Role,
        address: IpAddr,
        note: Option<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Role {
        Admin,
        Guest { since: u32 },
    }

    #[test]
    fn a_plain_struct_is_stored_compactly_with_its_names() {
        let profile = Profile {
            id: 7,
            name: "Ada".to_owned(),
            tags: vec!["a\nb".to_owned()],
            score: -0.0,
            role: Role::Guest { since: 1843 },
            address: "127.0.0.1".parse().unwrap(),
            note: None,
        };
        let bytes = encode(&profile, json(&profile).as_bytes()).expect("compact");
        let text = String::from_utf8_lossy(&bytes);
        for name in ["score", "Guest", "since", "127.0.0.1"] {
            assert!(text.contains(name), "{name} is written by name: {text}");
        }
        let back: Profile = decode(&bytes).unwrap();
        assert_eq!(back, profile);
        assert!(back.score.is_sign_negative(), "-0.0 keeps its sign");
    }

    #[test]
    fn a_map_in_arbitrary_order_is_stored_compactly() {
        let map: HashMap<String, u32> = (0..50).map(|i| (format!("k{i}"), i)).collect();
        assert_eq!(served(&map), Some(map));
    }

    /// Skips its field when it is zero: MessagePack without the names would misread the rest.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sparse {
        #[serde(skip_serializing_if = "is_zero", default)]
        count: u32,
        name: String,
    }

    fn is_zero(count: &u32) -> bool {
        *count == 0
    }

    #[test]
    fn skipped_fields_and_untagged_enums_serve_what_json_would() {
        let sparse = Sparse {
            count: 0,
            name: "x".to_owned(),
        };
        assert_eq!(served(&sparse), Some(sparse));

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(f64),
            Text(String),
        }
        for value in [Either::Number(1.5), Either::Text("1.5".to_owned())] {
            if let Some(back) = served(&value) {
                assert_eq!(json(&back), json(&value));
            }
        }
    }

    /// A value whose `Serialize` and `Deserialize` disagree once the format is not JSON:
    /// `Serialize` writes bytes, and `Deserialize` reads whatever shape it finds (as untagged
    /// enums do) and then wants an array of numbers.
    #[derive(Debug, PartialEq)]
    struct Disagreeing(Vec<u8>);

    impl Serialize for Disagreeing {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for Disagreeing {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let value = serde_json::Value::deserialize(deserializer)?;
            serde_json::from_value(value)
                .map(Self)
                .map_err(serde::de::Error::custom)
        }
    }

    #[test]
    fn a_value_that_does_not_read_back_the_same_stays_json() {
        // JSON writes the bytes as an array of numbers, which reads back; MessagePack writes a
        // `bin`, which this `Deserialize` cannot take.
        let value = Disagreeing(vec![1, 2, 3]);
        assert_eq!(
            serde_json::from_slice::<Disagreeing>(json(&value).as_bytes()).unwrap(),
            value
        );
        assert_eq!(served(&value), None);
    }

    #[test]
    fn a_nan_reads_back_as_the_null_json_writes_for_it() {
        let value = vec![f64::NAN, 1.0];
        let back = served(&value).expect("the same JSON");
        assert_eq!(json(&back), "[null,1.0]");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        struct Mixed {
            number: f64,
            small: f32,
            signed: i64,
            wide: u128,
            text: String,
            nested: Option<Option<u8>>,
            map: BTreeMap<u16, Vec<bool>>,
            unit: (),
            pair: (i8, char),
        }

        fn mixed() -> impl Strategy<Value = Mixed> {
            (
                any::<f64>(),
                any::<f32>(),
                any::<i64>(),
                any::<u128>(),
                ".*",
                any::<Option<Option<u8>>>(),
                prop::collection::btree_map(
                    any::<u16>(),
                    prop::collection::vec(any::<bool>(), 0..3),
                    0..4,
                ),
                any::<(i8, char)>(),
            )
                .prop_map(|(number, small, signed, wide, text, nested, map, pair)| {
                    Mixed {
                        number,
                        small,
                        signed,
                        wide,
                        text,
                        nested,
                        map,
                        unit: (),
                        pair,
                    }
                })
        }

        proptest! {
            /// Whatever is stored, a hit serves a value whose JSON (the activity's payload) is the
            /// result's own.
            #[test]
            fn what_is_stored_compactly_reads_back_as_the_same_json(value in mixed()) {
                if let Some(back) = served(&value) {
                    prop_assert_eq!(json(&back), json(&value));
                }
            }

            #[test]
            fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                let _ = decode::<Mixed>(&bytes);
                let _ = decode::<serde_json::Value>(&bytes);
            }
        }
    }
}
