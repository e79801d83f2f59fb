//! The secret of keyed input hashing: with one, a key's digest is blake3's keyed hash, so that
//! someone who can list the cache's keys cannot confirm a guess of a low-entropy input (a user
//! id, an e-mail address) by hashing it.

use std::fmt;
use std::path::Path;

use crate::secret::{SECRET_LEN, Secret, SecretError};

/// The secret that keys are hashed with (blake3's keyed mode): 32 random bytes.
///
/// Every worker that shares a cache must use the same secret; changing it retires every entry
/// (their keys change), which is also how to rotate it. `Debug` never shows it.
///
/// ```
/// use temporal_cache_runtime::KeySecret;
///
/// let secret = KeySecret::parse("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")?;
/// assert_eq!(format!("{secret:?}"), "KeySecret(<redacted>)");
/// # Ok::<(), temporal_cache_runtime::SecretError>(())
/// ```
#[derive(Clone)]
pub struct KeySecret(Secret);

impl KeySecret {
    /// The secret made of `bytes`.
    pub fn new(bytes: [u8; SECRET_LEN]) -> Self {
        Self(Secret::new(bytes))
    }

    /// Parses 32 bytes written in base64 (`openssl rand -base64 32`) or as 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        Secret::parse(text, || "the key secret".to_owned()).map(Self)
    }

    /// Reads the secret from the environment variable `var`, in the form [`parse`](Self::parse)
    /// takes.
    pub fn from_env(var: &str) -> Result<Self, SecretError> {
        Secret::from_env(var).map(Self)
    }

    /// Reads the secret from the file at `path`, in the form [`parse`](Self::parse) takes.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SecretError> {
        Secret::from_file(path.as_ref()).map(Self)
    }

    pub(crate) fn bytes(&self) -> &[u8; SECRET_LEN] {
        self.0.bytes()
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeySecret").field(&self.0).finish()
    }
}
