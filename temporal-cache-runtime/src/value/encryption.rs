//! Built-in encryption of stored values: AES-256-GCM, a keyring for rotation, and the entry's
//! cache key as associated data.
//!
//! `ring` does the cryptography: it is already built for rustls (no new dependency), its
//! AES-GCM is constant-time and hardware-accelerated, and it is one of the most reviewed
//! implementations in Rust. Each value gets a fresh random 16-byte salt and 12-byte nonce, and is
//! encrypted under its own key, derived from the keyring key and the salt with blake3's keyed
//! hash. Random 96-bit nonces alone would cap one key at about 2^32 values; a busy cache writes
//! that many in days, and per-value keys lift the cap beyond reach. The associated data is the
//! cache key and the header, so a ciphertext copied to another key, or a header flag flipped,
//! fails to authenticate.

use std::fmt;
use std::path::Path;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::envelope::{DecodeError, KEY_ID_LEN, NONCE_LEN, SALT_LEN, Seal, key_id_text};
use crate::secret::{SECRET_LEN, Secret, SecretError, SecretText};

/// One 256-bit encryption key; `Debug` shows only its id.
#[derive(Clone)]
pub struct EncryptionKey {
    secret: Secret,
    id: [u8; KEY_ID_LEN],
}

impl EncryptionKey {
    /// The key made of `bytes` (32 random bytes).
    pub fn new(bytes: [u8; SECRET_LEN]) -> Self {
        Self::of(Secret::new(bytes))
    }

    /// Parses 32 bytes written in base64 (`openssl rand -base64 32`) or as 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        Secret::parse(text, || "the encryption key".to_owned()).map(Self::of)
    }

    fn of(secret: Secret) -> Self {
        let derived = blake3::derive_key("temporal-cache 2026 encryption key id", secret.bytes());
        let id = derived[..KEY_ID_LEN].try_into().expect("sized");
        Self { secret, id }
    }

    /// The key's id as entries record it (8 hex digits, derived from the key, safe to log).
    pub fn id(&self) -> String {
        key_id_text(&self.id)
    }

    /// The AEAD key of one entry: derived from this key and the entry's salt.
    fn for_entry(&self, salt: &[u8; SALT_LEN]) -> LessSafeKey {
        let derived = blake3::keyed_hash(self.secret.bytes(), salt);
        let unbound =
            UnboundKey::new(&AES_256_GCM, derived.as_bytes()).expect("AES-256 takes 32 bytes");
        LessSafeKey::new(unbound)
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

/// The keys stored values are encrypted with: the first encrypts, every one decrypts.
///
/// To rotate: put the new key first and keep the old one after it, deploy every worker; entries
/// written under the old key are still read (and rewritten under the new one as they expire).
/// Once the longest TTL has passed, drop the old key: what it wrote is then a miss.
///
/// ```
/// use temporal_cache_runtime::{EncryptionKey, Keyring};
///
/// let keyring = Keyring::parse(
///     "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=, MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=",
/// )?;
/// assert_eq!(keyring.len(), 2);
/// assert!(!format!("{keyring:?}").contains("MTEx"));
/// # Ok::<(), temporal_cache_runtime::SecretError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<EncryptionKey>,
}

impl Keyring {
    /// A keyring that encrypts (and decrypts) with `key`.
    pub fn new(key: EncryptionKey) -> Self {
        Self { keys: vec![key] }
    }

    /// Also decrypts entries written with `key` (an older key, during a rotation).
    #[must_use]
    pub fn with_old_key(mut self, key: EncryptionKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Parses keys separated by commas, spaces or newlines, each as [`EncryptionKey::parse`]
    /// takes it; the first encrypts.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        Self::parse_from(text, || "the keyring".to_owned())
    }

    /// Reads the keyring from the environment variable `var`, in the form
    /// [`parse`](Self::parse) takes.
    pub fn from_env(var: &str) -> Result<Self, SecretError> {
        let text = SecretText::from_env(var)?;
        Self::parse_from(&text.text, || text.source.clone())
    }

    /// Reads the keyring from the file at `path`, in the form [`parse`](Self::parse) takes.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SecretError> {
        let text = SecretText::from_file(path.as_ref())?;
        Self::parse_from(&text.text, || text.source.clone())
    }

    fn parse_from(text: &str, source: impl Fn() -> String) -> Result<Self, SecretError> {
        let keys = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(|part| Secret::parse(part, &source).map(EncryptionKey::of))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(SecretError::Malformed {
                source: source(),
                reason: "no key",
            });
        }
        Ok(Self { keys })
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no key (never: a keyring has at least the one that encrypts).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A fresh seal for one entry: the encrypting key's id, a random salt and nonce.
    pub(crate) fn new_seal(&self) -> Result<Seal, ring::error::Unspecified> {
        let random = SystemRandom::new();
        let mut salt = [0; SALT_LEN];
        let mut nonce = [0; NONCE_LEN];
        random.fill(&mut salt)?;
        random.fill(&mut nonce)?;
        Ok(Seal {
            key_id: self.keys[0].id,
            salt,
            nonce,
        })
    }

    /// Encrypts `body` in place (appending its tag) under `seal`, bound to `key` and `header`.
    pub(crate) fn seal(&self, seal: &Seal, key: &str, header: &[u8], body: &mut Vec<u8>) {
        let aead = self.keys[0].for_entry(&seal.salt);
        let aad = associated_data(key, header);
        aead.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(seal.nonce),
            Aad::from(aad),
            body,
        )
        .expect("AES-GCM seals any value the backend can hold");
    }

    /// Decrypts `body` written under `seal`, bound to `key` and `header`.
    pub(crate) fn open(
        &self,
        seal: &Seal,
        key: &str,
        header: &[u8],
        body: &[u8],
    ) -> Result<Vec<u8>, DecodeError> {
        let Some(found) = self.keys.iter().find(|known| known.id == seal.key_id) else {
            return Err(DecodeError::UnknownKey(seal.key_id));
        };
        let aead = found.for_entry(&seal.salt);
        let mut plaintext = body.to_vec();
        let aad = associated_data(key, header);
        let len = aead
            .open_in_place(
                Nonce::assume_unique_for_key(seal.nonce),
                Aad::from(aad),
                &mut plaintext,
            )
            .map_err(|_| DecodeError::Unauthentic)?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }
}

/// The cache key, length-prefixed, then the entry's header.
fn associated_data(key: &str, header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(8 + key.len() + header.len());
    aad.extend_from_slice(&(key.len() as u64).to_le_bytes());
    aad.extend_from_slice(key.as_bytes());
    aad.extend_from_slice(header);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(byte: u8) -> Keyring {
        Keyring::new(EncryptionKey::new([byte; 32]))
    }

    fn sealed(keyring: &Keyring, key: &str, plaintext: &[u8]) -> (Seal, Vec<u8>) {
        let seal = keyring.new_seal().unwrap();
        let mut body = plaintext.to_vec();
        keyring.seal(&seal, key, b"header", &mut body);
        (seal, body)
    }

    #[test]
    fn what_is_sealed_opens_with_the_same_key_and_cache_key_only() {
        let ring = keyring(1);
        let (seal, body) = sealed(&ring, "tc:k", b"secret value");
        assert!(!body.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            ring.open(&seal, "tc:k", b"header", &body).unwrap(),
            b"secret value"
        );
        assert!(matches!(
            ring.open(&seal, "tc:other", b"header", &body),
            Err(DecodeError::Unauthentic)
        ));
        assert!(matches!(
            ring.open(&seal, "tc:k", b"HEADER", &body),
            Err(DecodeError::Unauthentic)
        ));
        let mut flipped = body.clone();
        flipped[3] ^= 1;
        assert!(matches!(
            ring.open(&seal, "tc:k", b"header", &flipped),
            Err(DecodeError::Unauthentic)
        ));
        assert!(matches!(
            keyring(2).open(&seal, "tc:k", b"header", &body),
            Err(DecodeError::UnknownKey(_))
        ));
    }

    #[test]
    fn the_envelope_leaves_room_for_the_whole_tag() {
        assert_eq!(super::super::envelope::TAG_LEN, AES_256_GCM.tag_len());
    }

    #[test]
    fn every_value_gets_its_own_salt_and_nonce() {
        let ring = keyring(1);
        let (first, a) = sealed(&ring, "tc:k", b"same");
        let (second, b) = sealed(&ring, "tc:k", b"same");
        assert_ne!((first.salt, first.nonce), (second.salt, second.nonce));
        assert_ne!(a, b);
    }

    #[test]
    fn rotation_decrypts_with_old_keys_and_encrypts_with_the_first() {
        let old = keyring(1);
        let (seal, body) = sealed(&old, "tc:k", b"v");
        let rotated =
            Keyring::new(EncryptionKey::new([2; 32])).with_old_key(EncryptionKey::new([1; 32]));
        assert_eq!(rotated.open(&seal, "tc:k", b"header", &body).unwrap(), b"v");
        assert_eq!(rotated.new_seal().unwrap().key_id, keyring(2).keys[0].id);
    }

    #[test]
    fn debug_shows_ids_not_keys() {
        let key = EncryptionKey::new([9; 32]);
        let shown = format!("{:?}", Keyring::new(key.clone()));
        assert!(shown.contains(&key.id()), "{shown}");
        assert!(!shown.contains("9, 9"), "{shown}");
    }

    #[test]
    fn parses_lists_and_rejects_empty_ones() {
        let one = "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
        assert_eq!(
            Keyring::parse(&format!("{one}\n{one},\n")).unwrap().len(),
            2
        );
        assert!(Keyring::parse(" , ").is_err());
        assert!(Keyring::parse("short").is_err());
    }
}
