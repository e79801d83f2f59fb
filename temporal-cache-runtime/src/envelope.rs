//! The stored form of a cached result: a short versioned header, then the value as JSON.
//!
//! JSON is what Temporal's own payload converter uses for activity results, so a value served
//! from the cache reaches the workflow exactly as the same value returned by the body would.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Marks a value written by this library, followed by the envelope format version.
const MAGIC: &[u8; 2] = b"tc";
/// The envelope format version. A release that changes the format changes it; entries of any
/// other version are treated as misses and overwritten.
pub(crate) const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1;

/// Why a stored entry could not be read back.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Not written by this library (or truncated before the header ended).
    NotAnEnvelope,
    /// Written by a release with another envelope format.
    UnknownVersion(u8),
    /// The payload does not deserialize into the activity's result type (corrupt, truncated, or
    /// written by a deploy whose result type differed).
    Payload(serde_json::Error),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnEnvelope => f.write_str("not a temporal-cache entry"),
            Self::UnknownVersion(version) => {
                write!(
                    f,
                    "entry has envelope format {version}, expected {FORMAT_VERSION}"
                )
            }
            Self::Payload(error) => write!(f, "entry does not fit the result type: {error}"),
        }
    }
}

pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = Vec::with_capacity(128);
    bytes.extend_from_slice(MAGIC);
    bytes.push(FORMAT_VERSION);
    serde_json::to_writer(&mut bytes, value)?;
    Ok(bytes)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let Some((header, payload)) = bytes.split_at_checked(HEADER_LEN) else {
        return Err(DecodeError::NotAnEnvelope);
    };
    if &header[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::NotAnEnvelope);
    }
    match header[MAGIC.len()] {
        FORMAT_VERSION => serde_json::from_slice(payload).map_err(DecodeError::Payload),
        other => Err(DecodeError::UnknownVersion(other)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct User {
        id: u64,
        name: String,
        tags: Vec<String>,
    }

    fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
        decode(&encode(value).expect("encodable")).expect("decodable")
    }

    #[test]
    fn round_trips_values_with_their_types() {
        let user = User {
            id: 7,
            name: "Ada".into(),
            tags: vec!["a".into()],
        };
        assert_eq!(round_trip(&user), user);
        assert_eq!(round_trip(&(1u8, "x".to_owned())), (1u8, "x".to_owned()));
        let by_id: BTreeMap<u64, String> = [(3, "c".to_owned())].into();
        assert_eq!(round_trip(&by_id), by_id);
        round_trip(&());
        assert_eq!(round_trip(&Option::<u8>::None), None);
        assert_eq!(round_trip(&Some(0u8)), Some(0));
    }

    #[test]
    fn starts_with_the_versioned_header() {
        let bytes = encode(&5u8).unwrap();
        assert_eq!(&bytes[..3], b"tc\x01");
        assert_eq!(&bytes[3..], b"5");
    }

    #[test]
    fn rejects_garbage_truncation_other_versions_and_other_types() {
        assert!(matches!(decode::<u8>(b""), Err(DecodeError::NotAnEnvelope)));
        assert!(matches!(
            decode::<u8>(b"tc"),
            Err(DecodeError::NotAnEnvelope)
        ));
        assert!(matches!(
            decode::<u8>(b"\xff\xfe\x01"),
            Err(DecodeError::NotAnEnvelope)
        ));
        assert!(matches!(
            decode::<u8>(b"tc\x09" as &[u8]),
            Err(DecodeError::UnknownVersion(9))
        ));
        let user = encode(&User {
            id: 1,
            name: "x".into(),
            tags: vec![],
        })
        .unwrap();
        assert!(matches!(
            decode::<User>(&user[..user.len() - 2]),
            Err(DecodeError::Payload(_))
        ));
        assert!(matches!(decode::<u64>(&user), Err(DecodeError::Payload(_))));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                let _ = decode::<User>(&bytes);
                let _ = decode::<Vec<Option<String>>>(&bytes);
                let mut framed = b"tc\x01".to_vec();
                framed.extend_from_slice(&bytes);
                let _ = decode::<User>(&framed);
                let _ = decode::<(u8, String)>(&framed);
            }

            #[test]
            fn what_is_encoded_decodes_to_the_same_value(
                id in any::<u64>(),
                name in ".{0,16}",
                tags in prop::collection::vec(".{0,4}", 0..4),
            ) {
                let user = User { id, name, tags };
                prop_assert_eq!(round_trip(&user), user);
            }
        }
    }
}
