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

    /// A backend configured by the environment, so that a worker can be pointed at another Redis
    /// without a code change: the URL from `TEMPORAL_CACHE_REDIS_URL` (required; several node
    /// URLs separated by commas name a [cluster](Self::cluster)), TLS files from
    /// `TEMPORAL_CACHE_REDIS_CA_FILE`, `TEMPORAL_CACHE_REDIS_CLIENT_CERT_FILE` and
    /// `TEMPORAL_CACHE_REDIS_CLIENT_KEY_FILE`, the key prefix from
    /// `TEMPORAL_CACHE_REDIS_PREFIX`, and encryption and keyed hashing as
    /// [`Storage::from_env`](crate::Storage::from_env) reads them. A missing URL, a certificate
    /// file without its key, TLS files for a `redis://` URL, or a malformed key are a
    /// configuration error.
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
        let storage = Storage::from_env()
            .map_err(|error| BackendError::new(BackendErrorKind::Configuration, error))?;
        Ok(backend.with_storage(storage))
    }
}
