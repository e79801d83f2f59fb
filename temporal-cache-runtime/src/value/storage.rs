//! How keys and values are written to a backend: keyed hashing, compression, built-in
//! encryption, or the worker's Temporal `DataConverter`.
//!
//! A backend carries its [`Storage`] (see [`CacheBackend::storage`]), so an activity with a
//! `backend = ...` of its own gets that backend's settings, and every worker pointed at the same
//! backend must be given the same ones.
//!
//! [`CacheBackend::storage`]: crate::backend::CacheBackend::storage

use temporalio_common::data_converters::DataConverter;

use super::{Compression, Keyring};
use crate::key::KeySecret;
use crate::secret::SecretError;

/// How a backend's keys and values are written: see [`RedisCacheBackend::with_storage`] and
/// [`MemoryCacheBackend::with_storage`].
///
/// By default keys are plain blake3 digests and values are uncompressed MessagePack wherever it
/// reads back as the JSON Temporal's default payload converter writes, and that JSON otherwise
/// (see [`ValueFormat`]).
///
/// [`RedisCacheBackend::with_storage`]: crate::RedisCacheBackend::with_storage
/// [`MemoryCacheBackend::with_storage`]: crate::MemoryCacheBackend::with_storage
///
/// ```
/// use temporal_cache_runtime::{EncryptionKey, KeySecret, Keyring, MemoryCacheBackend, Storage};
///
/// let storage = Storage::new()
///     .with_key_secret(KeySecret::new([7; 32]))
///     .with_encryption(Keyring::new(EncryptionKey::new([9; 32])));
/// let backend = MemoryCacheBackend::new().with_storage(storage);
/// ```
#[derive(Debug, Clone)]
pub struct Storage {
    key_secret: Option<KeySecret>,
    compression: Compression,
    keyring: Option<Keyring>,
    converter: Option<DataConverter>,
    value_format: ValueFormat,
}

/// How results are written when no DataConverter is set (see
/// [`Storage::with_value_format`]). Either way a worker reads entries of both formats.
/// (Non-exhaustive: a later release may add a format.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ValueFormat {
    /// MessagePack, with field and variant names and serde's human-readable representations,
    /// for each result that reads back into a value with the same JSON; JSON for the others.
    /// A hit decodes it several times faster than JSON (about 4 µs against 30 µs for 100 KB of
    /// text); a miss pays for the check (an extra encode and decode of the result).
    #[default]
    MessagePack,
    /// Always the JSON Temporal's default payload converter writes: entries that other tools can
    /// read as they are, at the cost of decoding JSON on every hit.
    Json,
}

/// The settings of a backend that was given none.
static DEFAULT: Storage = Storage::new();

impl Storage {
    /// Plain keys, uncompressed values in [`ValueFormat::MessagePack`].
    pub const fn new() -> Self {
        Self {
            key_secret: None,
            compression: Compression::DEFAULT,
            keyring: None,
            converter: None,
            value_format: ValueFormat::MessagePack,
        }
    }

    /// The environment variable [`from_env`](Self::from_env) reads the keyring from.
    pub const ENCRYPTION_KEYS_ENV_VAR: &str = "TEMPORAL_CACHE_ENCRYPTION_KEYS";
    /// The environment variable [`from_env`](Self::from_env) reads the key secret from.
    pub const KEY_SECRET_ENV_VAR: &str = "TEMPORAL_CACHE_KEY_SECRET";

    /// The settings the environment asks for: encryption with the keyring in
    /// `TEMPORAL_CACHE_ENCRYPTION_KEYS` (keys in base64 separated by commas, the first
    /// encrypting; see [`Keyring::parse`]) and keyed hashing with the secret in
    /// `TEMPORAL_CACHE_KEY_SECRET`, each if set; otherwise as [`Storage::new`]. A variable that
    /// is set but malformed is an error, which names the variable and never its value.
    pub fn from_env() -> Result<Self, SecretError> {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        let mut storage = Self::new();
        if set(Self::ENCRYPTION_KEYS_ENV_VAR) {
            storage = storage.with_encryption(Keyring::from_env(Self::ENCRYPTION_KEYS_ENV_VAR)?);
        }
        if set(Self::KEY_SECRET_ENV_VAR) {
            storage = storage.with_key_secret(KeySecret::from_env(Self::KEY_SECRET_ENV_VAR)?);
        }
        Ok(storage)
    }

    /// The settings of a backend that was given none: [`Storage::new`].
    pub fn default_ref() -> &'static Self {
        &DEFAULT
    }

    /// Hashes keys with `secret` (blake3's keyed mode), so that someone who can list the keys
    /// cannot confirm a guess of an input by hashing it. Every worker of a cache needs the same
    /// secret; changing it retires every entry.
    #[must_use]
    pub fn with_key_secret(mut self, secret: KeySecret) -> Self {
        self.key_secret = Some(secret);
        self
    }

    /// Compresses values as `compression` says, for example
    /// `Compression::zstd_above(Compression::DEFAULT_THRESHOLD)`, instead of
    /// [`Compression::DEFAULT`] (off).
    #[must_use]
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Encrypts every stored value with the first key of `keyring` (AES-256-GCM, bound to the
    /// entry's key), and reads only entries that decrypt with one of its keys: a plaintext,
    /// tampered or moved entry is a miss, and overwritten.
    #[must_use]
    pub fn with_encryption(mut self, keyring: Keyring) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// Stores values as Temporal `Payload`s made by `converter` (the worker's own, as given to
    /// `ClientOptions`): its payload converter, then its payload codec, so an encrypting or
    /// compressing codec applies to the cache as it applies to history.
    #[must_use]
    pub fn with_data_converter(mut self, converter: DataConverter) -> Self {
        self.converter = Some(converter);
        self
    }

    /// Writes results in `format` instead of [`ValueFormat::MessagePack`]. It does not apply
    /// with a DataConverter, which writes Payloads.
    #[must_use]
    pub fn with_value_format(mut self, format: ValueFormat) -> Self {
        self.value_format = format;
        self
    }

    pub(crate) fn key_secret(&self) -> Option<&KeySecret> {
        self.key_secret.as_ref()
    }

    pub(crate) fn compression(&self) -> Compression {
        self.compression
    }

    pub(crate) fn keyring(&self) -> Option<&Keyring> {
        self.keyring.as_ref()
    }

    pub(crate) fn data_converter(&self) -> Option<&DataConverter> {
        self.converter.as_ref()
    }

    pub(crate) fn value_format(&self) -> ValueFormat {
        self.value_format
    }
}

impl Default for Storage {
    fn default() -> Self {
        Self::new()
    }
}
