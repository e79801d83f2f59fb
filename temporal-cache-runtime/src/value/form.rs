//! The stored form of a value's bytes (JSON, MessagePack, or a Temporal Payload): compressed if
//! large, then encrypted if the backend has a keyring, then framed (see [`super::envelope`]).
//!
//! Reading accepts only the form this worker's [`Storage`] would write, compression and
//! MessagePack aside: where encryption is on, a plaintext entry is refused (anyone who can write
//! to Redis could have planted it), and where a DataConverter is set, a JSON or MessagePack
//! entry is (and the reverse).

use std::borrow::Cow;

use super::envelope::{self, DecodeError, Flags};
use super::{Body, Storage};

/// Why a value's stored form could not be written.
#[derive(Debug)]
pub(crate) struct WriteError(&'static str);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The stored form of `raw` under the cache key `key`, fresh until `fresh_until` (milliseconds
/// since the Unix epoch) if it has a stale window.
pub(crate) fn write(
    storage: &Storage,
    key: &str,
    raw: Body,
    fresh_until: Option<u64>,
) -> Result<Vec<u8>, WriteError> {
    let compressed = storage.compression().compress(&raw.bytes);
    let payload = storage.data_converter().is_some();
    let flags = Flags {
        compressed: compressed.is_some(),
        encrypted: storage.keyring().is_some(),
        payload,
        message_pack: raw.message_pack && !payload,
        fresh_until,
    };
    let mut body = compressed.unwrap_or(raw.bytes);
    let Some(keyring) = storage.keyring() else {
        let mut bytes = envelope::header(flags, None, body.len());
        bytes.append(&mut body);
        return Ok(bytes);
    };
    let seal = keyring
        .new_seal()
        .map_err(|_| WriteError("the system's random number generator failed"))?;
    let mut bytes = envelope::header(flags, Some(&seal), body.len() + envelope::TAG_LEN);
    keyring.seal(&seal, key, &bytes, &mut body);
    bytes.append(&mut body);
    Ok(bytes)
}

/// What an entry holds: its raw bytes, their form, and until when it is fresh.
pub(crate) struct Read<'a> {
    pub(crate) raw: Cow<'a, [u8]>,
    /// The bytes are MessagePack rather than JSON (or a Payload).
    pub(crate) message_pack: bool,
    /// Milliseconds since the Unix epoch; `None` for an entry without a stale window.
    pub(crate) fresh_until: Option<u64>,
}

/// The raw bytes stored in `bytes` under the cache key `key`, at most `limit` of them.
pub(crate) fn read<'a>(
    storage: &Storage,
    key: &str,
    bytes: &'a [u8],
    limit: usize,
) -> Result<Read<'a>, DecodeError> {
    let framed = envelope::parse(bytes)?;
    let Flags {
        fresh_until,
        message_pack,
        ..
    } = framed.flags;
    Ok(Read {
        raw: body(storage, key, framed, limit)?,
        message_pack,
        fresh_until,
    })
}

fn body<'a>(
    storage: &Storage,
    key: &str,
    framed: envelope::Framed<'a>,
    limit: usize,
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let flags = framed.flags;
    if flags.payload != storage.data_converter().is_some() {
        return Err(DecodeError::Form(if flags.payload {
            "entry holds a Temporal Payload, but this cache has no DataConverter"
        } else {
            "entry holds plain JSON or MessagePack, but this cache stores values through a \
             DataConverter"
        }));
    }
    let body: Cow<'a, [u8]> = match (storage.keyring(), framed.seal) {
        (Some(keyring), Some(seal)) => {
            Cow::Owned(keyring.open(&seal, key, framed.header, framed.body)?)
        }
        (Some(_), None) => {
            return Err(DecodeError::Form(
                "entry is not encrypted, but this cache encrypts every value",
            ));
        }
        (None, Some(_)) => {
            return Err(DecodeError::Form(
                "entry is encrypted, but this cache has no keyring",
            ));
        }
        (None, None) => Cow::Borrowed(framed.body),
    };
    if flags.compressed {
        return Ok(Cow::Owned(super::compression::decompress(&body, limit)?));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Compression, EncryptionKey, Keyring};

    fn encrypted(byte: u8) -> Storage {
        Storage::new().with_encryption(Keyring::new(EncryptionKey::new([byte; 32])))
    }

    fn round_trip(storage: &Storage, raw: &[u8]) -> Vec<u8> {
        let stored = write(storage, "k", Body::json(raw.to_vec()), None).unwrap();
        read(storage, "k", &stored, 1 << 20)
            .unwrap()
            .raw
            .into_owned()
    }

    #[test]
    fn every_setting_reads_back_what_it_wrote() {
        let large = br#"{"name":"Ada Lovelace"}"#.repeat(2000);
        let compressing = Storage::new().with_compression(Compression::zstd_above(1024));
        for storage in [
            Storage::new(),
            compressing.clone(),
            encrypted(1),
            encrypted(1).with_compression(Compression::zstd_above(1024)),
        ] {
            assert_eq!(round_trip(&storage, b"\"small\""), b"\"small\"");
            assert_eq!(round_trip(&storage, &large), large);
        }
        let stored = write(&compressing, "k", Body::json(large.clone()), None).unwrap();
        assert!(stored.len() < large.len() / 10);
        assert_eq!(stored[3], 0x01);
    }

    #[test]
    fn the_message_pack_flag_reads_back_and_is_authenticated() {
        let message_pack = || Body {
            bytes: b"\x91\x01".to_vec(),
            message_pack: true,
        };
        for (storage, flags) in [(Storage::new(), 0x10), (encrypted(1), 0x12)] {
            let stored = write(&storage, "k", message_pack(), None).unwrap();
            assert_eq!(stored[3], flags);
            let read_back = read(&storage, "k", &stored, 100).unwrap();
            assert!(read_back.message_pack);
            assert_eq!(&*read_back.raw, b"\x91\x01");
            let json = write(&storage, "k", Body::json(b"[1]".to_vec()), None).unwrap();
            assert!(!read(&storage, "k", &json, 100).unwrap().message_pack);
        }
        // Passing a JSON entry off as MessagePack (or the reverse) breaks an encrypted one.
        let mut sealed = write(&encrypted(1), "k", message_pack(), None).unwrap();
        sealed[3] = 0x02;
        assert!(matches!(
            read(&encrypted(1), "k", &sealed, 100),
            Err(DecodeError::Unauthentic)
        ));
    }

    #[test]
    fn the_freshness_deadline_reads_back_and_is_authenticated() {
        for storage in [Storage::new(), encrypted(1)] {
            let stored = write(
                &storage,
                "k",
                Body::json(b"1".to_vec()),
                Some(1_700_000_000_000),
            )
            .unwrap();
            let read_back = read(&storage, "k", &stored, 100).unwrap();
            assert_eq!(read_back.fresh_until, Some(1_700_000_000_000));
            assert_eq!(&*read_back.raw, b"1");
            let without = write(&storage, "k", Body::json(b"1".to_vec()), None).unwrap();
            assert_eq!(
                read(&storage, "k", &without, 100).unwrap().fresh_until,
                None
            );
        }
        // Moving an encrypted entry's deadline (to keep serving it as fresh) breaks it.
        let mut sealed = write(&encrypted(1), "k", Body::json(b"1".to_vec()), Some(1)).unwrap();
        sealed[11] = 0xff;
        assert!(matches!(
            read(&encrypted(1), "k", &sealed, 100),
            Err(DecodeError::Unauthentic)
        ));
    }

    #[test]
    fn plaintext_where_encryption_is_on_is_refused_and_the_reverse() {
        let plain = write(&Storage::new(), "k", Body::json(b"1".to_vec()), None).unwrap();
        assert!(matches!(
            read(&encrypted(1), "k", &plain, 100),
            Err(DecodeError::Form(_))
        ));
        let sealed = write(&encrypted(1), "k", Body::json(b"1".to_vec()), None).unwrap();
        assert!(matches!(
            read(&Storage::new(), "k", &sealed, 100),
            Err(DecodeError::Form(_))
        ));
        assert!(matches!(
            read(&encrypted(1), "other", &sealed, 100),
            Err(DecodeError::Unauthentic)
        ));
        assert!(matches!(
            read(&encrypted(2), "k", &sealed, 100),
            Err(DecodeError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_flipped_header_bit_fails_authentication() {
        let storage = encrypted(1).with_compression(Compression::zstd_above(1));
        let mut sealed = write(
            &storage,
            "k",
            Body::json(b"[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]".to_vec()),
            None,
        )
        .unwrap();
        assert_eq!(sealed[3], 0x03);
        sealed[3] = 0x02;
        assert!(matches!(
            read(&storage, "k", &sealed, 100),
            Err(DecodeError::Unauthentic)
        ));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn every_storage() -> [Storage; 4] {
            [
                Storage::new(),
                Storage::new().with_compression(Compression::zstd_above(1)),
                encrypted(1),
                encrypted(1).with_compression(Compression::zstd_above(1)),
            ]
        }

        proptest! {
            #[test]
            fn reading_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
                for storage in every_storage() {
                    let _ = read(&storage, "k", &bytes, 1 << 16);
                    for flags in 0..64u8 {
                        let mut framed = vec![b't', b'c', 2, flags];
                        framed.extend_from_slice(&bytes);
                        let _ = read(&storage, "k", &framed, 1 << 16);
                    }
                }
            }

            #[test]
            fn every_storage_reads_back_what_it_wrote(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
                for storage in every_storage() {
                    prop_assert_eq!(round_trip(&storage, &raw), raw.clone());
                }
            }
        }
    }
}
