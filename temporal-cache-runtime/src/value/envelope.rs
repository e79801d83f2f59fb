//! The frame of a stored value: a versioned header saying how the body was written, then the
//! body.
//!
//! ```text
//! offset  size  field
//! 0       2     b"tc": written by this library
//! 2       1     format version: 2
//! 3       1     flags: 0x01 the body is zstd-compressed, 0x02 it is encrypted,
//!               0x04 the value is a Temporal Payload (protobuf) written by a DataConverter,
//!               0x10 the value is MessagePack (written only where it reads back as the
//!               same JSON), else it is JSON; 0x08 the entry has a freshness deadline;
//!               0x04 and 0x10 together, or any other bit, make the entry unreadable
//! (entries with a freshness deadline only: activities with `stale = ...`)
//! +0      8     fresh until: milliseconds since the Unix epoch, big-endian; after it the
//!               entry is stale (served while its body runs again, or when the body fails)
//! (encrypted entries only)
//! +0      4     key id: which key of the keyring encrypted it
//! +4      16    salt: the entry's own key is derived from the keyring key and this
//! +20     12    nonce
//! then          the body (encrypted: ciphertext and its 16-byte tag)
//! ```
//!
//! The whole header is authenticated with an encrypted body, the freshness deadline included.
//!
//! An entry whose header does not parse, whose version is another, or whose flags are unknown is
//! unreadable: a miss, overwritten by the body's result.

use std::fmt;

/// Marks a value written by this library, followed by the envelope format version.
const MAGIC: &[u8; 2] = b"tc";
/// The envelope format version. A release that changes the format changes it; entries of any
/// other version are treated as misses and overwritten.
pub(crate) const FORMAT_VERSION: u8 = 2;
/// The length of the header of an unencrypted entry without a freshness deadline.
const PLAIN_HEADER_LEN: usize = MAGIC.len() + 2;
/// The length of a freshness deadline.
pub(crate) const FRESH_UNTIL_LEN: usize = 8;
pub(crate) const KEY_ID_LEN: usize = 4;
pub(crate) const SALT_LEN: usize = 16;
pub(crate) const NONCE_LEN: usize = 12;
/// The length of the authentication tag after an encrypted body.
pub(crate) const TAG_LEN: usize = 16;
/// The length of the fields of an encrypted entry's header.
const SEAL_LEN: usize = KEY_ID_LEN + SALT_LEN + NONCE_LEN;
/// The length of the header of an encrypted entry without a freshness deadline.
pub(crate) const SEALED_HEADER_LEN: usize = PLAIN_HEADER_LEN + SEAL_LEN;

/// How the body of an entry was written, and until when it is fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Flags {
    pub(crate) compressed: bool,
    pub(crate) encrypted: bool,
    pub(crate) payload: bool,
    /// The value is MessagePack rather than JSON (see [`super::message_pack`]); never with
    /// `payload`.
    pub(crate) message_pack: bool,
    /// Milliseconds since the Unix epoch after which the entry is stale; `None` for an entry
    /// that is fresh as long as it exists.
    pub(crate) fresh_until: Option<u64>,
}

impl Flags {
    const COMPRESSED: u8 = 0x01;
    const ENCRYPTED: u8 = 0x02;
    const PAYLOAD: u8 = 0x04;
    const FRESH_UNTIL: u8 = 0x08;
    const MESSAGE_PACK: u8 = 0x10;

    fn byte(self) -> u8 {
        let mut byte = 0;
        for (set, bit) in [
            (self.compressed, Self::COMPRESSED),
            (self.encrypted, Self::ENCRYPTED),
            (self.payload, Self::PAYLOAD),
            (self.fresh_until.is_some(), Self::FRESH_UNTIL),
            (self.message_pack, Self::MESSAGE_PACK),
        ] {
            if set {
                byte |= bit;
            }
        }
        byte
    }

    /// The flags of `byte`, and whether a freshness deadline follows.
    fn from_byte(byte: u8) -> Result<(Self, bool), DecodeError> {
        let known = Self::COMPRESSED
            | Self::ENCRYPTED
            | Self::PAYLOAD
            | Self::FRESH_UNTIL
            | Self::MESSAGE_PACK;
        let two_forms = Self::PAYLOAD | Self::MESSAGE_PACK;
        if byte & !known != 0 || byte & two_forms == two_forms {
            return Err(DecodeError::UnknownFlags(byte));
        }
        let flags = Self {
            compressed: byte & Self::COMPRESSED != 0,
            encrypted: byte & Self::ENCRYPTED != 0,
            payload: byte & Self::PAYLOAD != 0,
            message_pack: byte & Self::MESSAGE_PACK != 0,
            fresh_until: None,
        };
        Ok((flags, byte & Self::FRESH_UNTIL != 0))
    }
}

/// The fields of an encrypted entry's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seal {
    pub(crate) key_id: [u8; KEY_ID_LEN],
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) nonce: [u8; NONCE_LEN],
}

/// A parsed entry: its header (as bytes too, for authentication) and its body.
#[derive(Debug)]
pub(crate) struct Framed<'a> {
    pub(crate) flags: Flags,
    pub(crate) seal: Option<Seal>,
    pub(crate) header: &'a [u8],
    pub(crate) body: &'a [u8],
}

/// The header of an entry written with `flags` (and `seal`, which encrypted entries need),
/// with room for a body of `body_len` bytes.
pub(crate) fn header(flags: Flags, seal: Option<&Seal>, body_len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SEALED_HEADER_LEN + FRESH_UNTIL_LEN + body_len);
    bytes.extend_from_slice(MAGIC);
    bytes.push(FORMAT_VERSION);
    bytes.push(flags.byte());
    if let Some(fresh_until) = flags.fresh_until {
        bytes.extend_from_slice(&fresh_until.to_be_bytes());
    }
    if let Some(seal) = seal {
        bytes.extend_from_slice(&seal.key_id);
        bytes.extend_from_slice(&seal.salt);
        bytes.extend_from_slice(&seal.nonce);
    }
    bytes
}

/// Splits a stored entry into its header and body.
pub(crate) fn parse(bytes: &[u8]) -> Result<Framed<'_>, DecodeError> {
    let Some((head, _)) = bytes.split_at_checked(PLAIN_HEADER_LEN) else {
        return Err(DecodeError::NotAnEnvelope);
    };
    if &head[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::NotAnEnvelope);
    }
    let version = head[MAGIC.len()];
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let (mut flags, has_deadline) = Flags::from_byte(head[MAGIC.len() + 1])?;
    let mut plain_len = PLAIN_HEADER_LEN;
    if has_deadline {
        let Some(deadline) = bytes.get(PLAIN_HEADER_LEN..PLAIN_HEADER_LEN + FRESH_UNTIL_LEN) else {
            return Err(DecodeError::NotAnEnvelope);
        };
        flags.fresh_until = Some(u64::from_be_bytes(deadline.try_into().expect("sized")));
        plain_len += FRESH_UNTIL_LEN;
    }
    if !flags.encrypted {
        let (header, body) = bytes.split_at(plain_len);
        return Ok(Framed {
            flags,
            seal: None,
            header,
            body,
        });
    }
    let Some((header, body)) = bytes.split_at_checked(plain_len + SEAL_LEN) else {
        return Err(DecodeError::NotAnEnvelope);
    };
    let field = |start: usize, len: usize| &header[plain_len + start..][..len];
    let seal = Seal {
        key_id: field(0, KEY_ID_LEN).try_into().expect("sized"),
        salt: field(KEY_ID_LEN, SALT_LEN).try_into().expect("sized"),
        nonce: field(KEY_ID_LEN + SALT_LEN, NONCE_LEN)
            .try_into()
            .expect("sized"),
    };
    Ok(Framed {
        flags,
        seal: Some(seal),
        header,
        body,
    })
}

/// Why a stored entry could not be read back. Every one is a miss, and the entry is overwritten.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Not written by this library (or truncated before the header ended).
    NotAnEnvelope,
    /// Written by a release with another envelope format.
    UnknownVersion(u8),
    /// Written with a feature this release does not know.
    UnknownFlags(u8),
    /// Written in another form than this worker's storage settings would write it (say, in
    /// plaintext where encryption is on): never served, since anyone who can write to the backend
    /// could have planted it.
    Form(&'static str),
    /// Encrypted with a key the keyring does not hold.
    UnknownKey([u8; KEY_ID_LEN]),
    /// Its ciphertext does not authenticate: tampered with, truncated, or copied from another key.
    Unauthentic,
    /// Its compressed body does not decompress within the size limit.
    Decompress(String),
    /// The payload does not deserialize into the activity's result type (corrupt, truncated, or
    /// written by a deploy whose result type differed), or the DataConverter rejected it.
    Payload(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnEnvelope => f.write_str("not a temporal-cache entry"),
            Self::UnknownVersion(version) => write!(
                f,
                "entry has envelope format {version}, expected {FORMAT_VERSION}"
            ),
            Self::UnknownFlags(flags) => write!(f, "entry has unknown flags {flags:#04x}"),
            Self::Form(why) => f.write_str(why),
            Self::UnknownKey(id) => write!(
                f,
                "entry is encrypted with key {}, which the keyring does not hold",
                key_id_text(id)
            ),
            Self::Unauthentic => {
                f.write_str("entry fails authentication: tampered with, or copied from another key")
            }
            Self::Decompress(why) => write!(f, "entry does not decompress: {why}"),
            Self::Payload(error) => write!(f, "entry does not fit the result type: {error}"),
        }
    }
}

/// A key id as logs and errors show it.
pub(crate) fn key_id_text(id: &[u8; KEY_ID_LEN]) -> String {
    id.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal() -> Seal {
        Seal {
            key_id: [1, 2, 3, 4],
            salt: [5; SALT_LEN],
            nonce: [6; NONCE_LEN],
        }
    }

    #[test]
    fn plain_headers_are_four_bytes() {
        let flags = Flags {
            compressed: true,
            ..Flags::default()
        };
        let mut bytes = header(flags, None, 1);
        assert_eq!(bytes, b"tc\x02\x01");
        bytes.push(b'5');
        let framed = parse(&bytes).unwrap();
        assert_eq!(
            (framed.flags, framed.seal, framed.body),
            (flags, None, &b"5"[..])
        );
    }

    #[test]
    fn sealed_headers_carry_key_id_salt_and_nonce() {
        let flags = Flags {
            encrypted: true,
            payload: true,
            ..Flags::default()
        };
        let mut bytes = header(flags, Some(&seal()), 3);
        assert_eq!(bytes.len(), SEALED_HEADER_LEN);
        assert_eq!(&bytes[..8], b"tc\x02\x06\x01\x02\x03\x04");
        bytes.extend_from_slice(b"abc");
        let framed = parse(&bytes).unwrap();
        assert_eq!(framed.seal, Some(seal()));
        assert_eq!(framed.header.len(), SEALED_HEADER_LEN);
        assert_eq!(framed.body, b"abc");
    }

    #[test]
    fn a_freshness_deadline_follows_the_flags() {
        let flags = Flags {
            encrypted: true,
            fresh_until: Some(0x0102_0304_0506_0708),
            ..Flags::default()
        };
        let mut bytes = header(flags, Some(&seal()), 1);
        assert_eq!(&bytes[..12], b"tc\x02\x0a\x01\x02\x03\x04\x05\x06\x07\x08");
        assert_eq!(&bytes[12..16], b"\x01\x02\x03\x04", "then the key id");
        bytes.push(b'x');
        let framed = parse(&bytes).unwrap();
        assert_eq!((framed.flags, framed.seal), (flags, Some(seal())));
        assert_eq!(framed.header.len(), SEALED_HEADER_LEN + FRESH_UNTIL_LEN);
        assert_eq!(framed.body, b"x");
    }

    #[test]
    fn rejects_garbage_truncation_other_versions_and_unknown_flags() {
        for bytes in [
            &b""[..],
            b"tc",
            b"tc\x02",
            b"\xff\xfe\x02\x00",
            b"tc\x02\x02\x01\x02",
        ] {
            assert!(
                matches!(parse(bytes), Err(DecodeError::NotAnEnvelope)),
                "{bytes:?}"
            );
        }
        assert!(matches!(
            parse(b"tc\x01\x00"),
            Err(DecodeError::UnknownVersion(1))
        ));
        for flags in [0x20, 0x80, 0x14] {
            assert!(
                matches!(parse(&[b't', b'c', 2, flags]), Err(DecodeError::UnknownFlags(f)) if f == flags),
                "{flags:#04x}"
            );
        }
        assert!(
            matches!(
                parse(b"tc\x02\x08\x00\x01"),
                Err(DecodeError::NotAnEnvelope)
            ),
            "a deadline cut short"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                let _ = parse(&bytes);
                for flags in 0..64u8 {
                    let mut framed = vec![b't', b'c', 2, flags];
                    framed.extend_from_slice(&bytes);
                    let _ = parse(&framed);
                }
            }

            #[test]
            fn what_is_framed_parses_back(
                compressed in any::<bool>(),
                encrypted in any::<bool>(),
                payload in any::<bool>(),
                message_pack in any::<bool>(),
                fresh_until in any::<Option<u64>>(),
                body in prop::collection::vec(any::<u8>(), 0..32),
            ) {
                let message_pack = message_pack && !payload;
                let flags = Flags { compressed, encrypted, payload, message_pack, fresh_until };
                let seal = encrypted.then(seal);
                let mut bytes = header(flags, seal.as_ref(), body.len());
                bytes.extend_from_slice(&body);
                let framed = parse(&bytes).expect("parses");
                prop_assert_eq!(framed.flags, flags);
                prop_assert_eq!(framed.seal, seal);
                prop_assert_eq!(framed.body, &body[..]);
            }
        }
    }
}
