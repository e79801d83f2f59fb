//! From the connection options to what the commands talk to: the runtime's
//! [`RedisCacheBackend`] (scanning, reading and removing keys exactly as the workers' cache does)
//! and, for what its API does not read, sizes and TTLs, a [`Probe`] on a connection of our own
//! configured the same way.

use std::time::Duration;

use temporal_cache_runtime::RedisCacheBackend;
use temporal_cache_runtime::backend::RedisTls;

use crate::CliResult;
use crate::args::ConnectionArgs;
use crate::key_layout::KeyLayout;
use crate::measure::{Probe, ProbeSettings};

/// How long one Redis operation may take. Longer than a worker's default: an operator waits
/// gladly for an answer from a loaded server, where a worker would rather run the activity.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The cache's Redis, reached as the options say.
pub(crate) struct Target {
    pub(crate) backend: RedisCacheBackend,
    pub(crate) layout: KeyLayout,
    pub(crate) prefix: String,
    probe: ProbeSettings,
}

impl Target {
    /// The backend the options describe (nothing is connected yet).
    pub(crate) fn from_args(args: &ConnectionArgs) -> CliResult<Self> {
        let url = args
            .url
            .clone()
            .or_else(|| std::env::var("REDIS_URL").ok())
            .filter(|url| !url.trim().is_empty())
            .ok_or_else(|| {
                format!(
                    "no Redis to talk to: give --url, or set {} (or REDIS_URL)",
                    RedisCacheBackend::URL_ENV_VAR
                )
            })?;
        // Installed before any `rediss://` connection, ours or the backend's; one that is
        // installed already is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let credentials = match (&args.user, &args.password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            (None, Some(password)) => Some(("default".to_owned(), password.clone())),
            _ => None,
        };
        let mut backend = RedisCacheBackend::from_urls(&url)?
            .with_prefix(args.prefix.clone())
            .with_operation_timeout(OPERATION_TIMEOUT);
        // Credentials first: TLS settings are applied to the connection they describe.
        if let Some((user, password)) = &credentials {
            backend = backend.with_credentials(user, password)?;
        }
        let tls_files = TlsFiles::from_args(args);
        if let Some(tls) = tls_files.redis_tls() {
            backend = backend.with_tls(tls)?;
        }
        Ok(Self {
            layout: KeyLayout::of(&backend),
            backend,
            prefix: args.prefix.clone(),
            probe: ProbeSettings {
                urls: url.split(',').map(|url| url.trim().to_owned()).collect(),
                credentials,
                ca: tls_files.ca_pem()?,
                client: tls_files.client_pem()?,
                timeout: OPERATION_TIMEOUT,
            },
        })
    }

    /// A connection for sizes and TTLs, made now.
    pub(crate) async fn probe(&self) -> CliResult<Probe> {
        Probe::connect(&self.probe).await
    }
}

/// The TLS files the options name.
struct TlsFiles<'a> {
    ca: Option<&'a std::path::Path>,
    client: Option<(&'a std::path::Path, &'a std::path::Path)>,
}

impl<'a> TlsFiles<'a> {
    fn from_args(args: &'a ConnectionArgs) -> Self {
        Self {
            ca: args.tls_ca.as_deref(),
            client: args.tls_cert.as_deref().zip(args.tls_key.as_deref()),
        }
    }

    /// The backend's TLS settings, if any file is given.
    fn redis_tls(&self) -> Option<RedisTls> {
        if self.ca.is_none() && self.client.is_none() {
            return None;
        }
        let mut tls = RedisTls::new();
        if let Some(ca) = self.ca {
            tls = tls.with_ca_file(ca);
        }
        if let Some((certificate, key)) = self.client {
            tls = tls.with_client_certificate_files(certificate, key);
        }
        Some(tls)
    }

    fn ca_pem(&self) -> CliResult<Option<Vec<u8>>> {
        self.ca.map(read_pem).transpose()
    }

    fn client_pem(&self) -> CliResult<Option<(Vec<u8>, Vec<u8>)>> {
        self.client
            .map(|(certificate, key)| Ok((read_pem(certificate)?, read_pem(key)?)))
            .transpose()
    }
}

fn read_pem(path: &std::path::Path) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()).into())
}
