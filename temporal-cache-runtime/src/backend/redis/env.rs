//! Configuring the Redis backend from the environment, so that a worker can be pointed at another
//! Redis (TLS included) without a code change.

use super::{RedisCacheBackend, RedisTls};
use crate::backend::{BackendError, BackendErrorKind, Storage};

impl RedisCacheBackend {
    /// The name of the environment variable [`from_env`](Self::from_env) reads the URL from.
    pub const URL_ENV_VAR: &str = "TEMPORAL_CACHE_REDIS_URL";
    /// The environment variable naming a PEM file of CA certificates to trust for `rediss://`.
    pub const CA_FILE_ENV_VAR: &str = "TEMPORAL_CACHE_REDIS_CA_FILE";
    /// The environment variable naming the client certificate (PEM) for mutual TLS.
    pub const CLIENT_CERT_FILE_ENV_VAR: &str = "TEMPORAL_CACHE_REDIS_CLIENT_CERT_FILE";
    /// The environment variable naming the client certificate's private key (PEM).
    pub const CLIENT_KEY_FILE_ENV_VAR: &str = "TEMPORAL_CACHE_REDIS_CLIENT_KEY_FILE";
    /// The environment variable that sets the key prefix (default [`DEFAULT_KEY_PREFIX`](crate::backend::DEFAULT_KEY_PREFIX)).
    pub const PREFIX_ENV_VAR: &str = "TEMPORAL_CACHE_REDIS_PREFIX";
    /// The environment variable that turns the [near cache](Self::with_near_cache) on, bounded to
    /// that size: a whole number of bytes, or of `KiB`, `MiB` or `GiB` (`256MiB`); `0` leaves it
    /// off.
    pub const NEAR_CACHE_BYTES_ENV_VAR: &str = "TEMPORAL_CACHE_NEAR_CACHE_BYTES";

    /// A backend configured by the environment, so that a worker can be pointed at another Redis
    /// without a code change: the URL from `TEMPORAL_CACHE_REDIS_URL` (required; several node
    /// URLs separated by commas name a [cluster](Self::cluster)), TLS files from
    /// `TEMPORAL_CACHE_REDIS_CA_FILE`, `TEMPORAL_CACHE_REDIS_CLIENT_CERT_FILE` and
    /// `TEMPORAL_CACHE_REDIS_CLIENT_KEY_FILE`, the key prefix from
    /// `TEMPORAL_CACHE_REDIS_PREFIX`, a near cache's size from `TEMPORAL_CACHE_NEAR_CACHE_BYTES`,
    /// and encryption and keyed hashing as [`Storage::from_env`](crate::Storage::from_env) reads
    /// them. A missing URL, a certificate file without its key, TLS files for a `redis://` URL, a
    /// size that is not one, or a malformed key are a configuration error.
    pub fn from_env() -> Result<Self, BackendError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        let url = var(Self::URL_ENV_VAR).ok_or_else(|| {
            BackendError::new(
                BackendErrorKind::Configuration,
                format!("{} is not set", Self::URL_ENV_VAR),
            )
        })?;
        let mut backend = Self::from_urls(&url)?;
        let ca = var(Self::CA_FILE_ENV_VAR);
        let certificate = var(Self::CLIENT_CERT_FILE_ENV_VAR);
        let key = var(Self::CLIENT_KEY_FILE_ENV_VAR);
        if ca.is_some() || certificate.is_some() || key.is_some() {
            let mut tls = RedisTls::new();
            if let Some(ca) = ca {
                tls = tls.with_ca_file(ca);
            }
            match (certificate, key) {
                (Some(certificate), Some(key)) => {
                    tls = tls.with_client_certificate_files(certificate, key);
                }
                (None, None) => {}
                _ => {
                    return Err(BackendError::new(
                        BackendErrorKind::Configuration,
                        format!(
                            "{} and {} go together",
                            Self::CLIENT_CERT_FILE_ENV_VAR,
                            Self::CLIENT_KEY_FILE_ENV_VAR
                        ),
                    ));
                }
            }
            backend = backend.with_tls(tls)?;
        }
        if let Some(prefix) = var(Self::PREFIX_ENV_VAR) {
            backend = backend.with_prefix(prefix);
        }
        if let Some(size) = var(Self::NEAR_CACHE_BYTES_ENV_VAR) {
            let bytes = byte_size(&size).map_err(|error| {
                BackendError::new(
                    BackendErrorKind::Configuration,
                    format!("{}: {error}", Self::NEAR_CACHE_BYTES_ENV_VAR),
                )
            })?;
            if bytes > 0 {
                backend = backend.with_near_cache(bytes);
            }
        }
        let storage = Storage::from_env()
            .map_err(|error| BackendError::new(BackendErrorKind::Configuration, error))?;
        Ok(backend.with_storage(storage))
    }
}

/// The number of bytes `text` says: a whole number, then nothing, `B`, `KiB`, `MiB` or `GiB`
/// (any case, a space between allowed). Decimal units (`MB`) are refused rather than guessed at.
fn byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let expected = || {
        format!("`{text}` is not a size: a whole number of bytes, or of KiB, MiB or GiB (`256MiB`)")
    };
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| expected())?;
    let unit = unit.trim();
    let shift = [("", 0), ("B", 0), ("KiB", 10), ("MiB", 20), ("GiB", 30)]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(unit))
        .map(|(_, shift)| shift)
        .ok_or_else(expected)?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is more bytes than a u64 holds"))
}

#[cfg(test)]
mod tests {
    use super::byte_size;

    #[test]
    fn a_size_is_bytes_or_a_binary_unit() {
        for (text, bytes) in [
            ("0", 0),
            ("1048576", 1 << 20),
            ("512B", 512),
            ("64KiB", 64 << 10),
            ("256MiB", 256 << 20),
            (" 256 mib ", 256 << 20),
            ("2GiB", 2 << 30),
        ] {
            assert_eq!(byte_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_expected_form() {
        for text in ["", "MiB", "1.5GiB", "256MB", "-1", "lots", "12 parsecs"] {
            let error = byte_size(text).expect_err(text);
            assert!(error.contains("KiB, MiB or GiB"), "{text}: {error}");
        }
        assert!(
            byte_size("99999999999GiB")
                .expect_err("overflow")
                .contains("more bytes than a u64 holds")
        );
    }
}
