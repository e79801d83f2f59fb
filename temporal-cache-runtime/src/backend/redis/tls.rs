//! TLS for `rediss://` URLs: which certificates to trust, the client's own certificate for mutual
//! TLS, and the one process-wide rustls crypto provider.
//!
//! rustls needs a process-level `CryptoProvider` when more than one could be chosen, and panics
//! without one. The backend installs rustls's `ring` provider (already in every Temporal worker's
//! dependency tree) when none is installed yet, before its first TLS connection, so no user ever
//! meets that panic; a provider the application installed itself is left alone.

use std::fmt;
use std::path::{Path, PathBuf};

use ::redis::{Client, ClientTlsConfig, ConnectionAddr, ConnectionInfo, TlsCertificates};

use crate::backend::{BackendError, BackendErrorKind};

/// The TLS settings of a [`RedisCacheBackend`](super::RedisCacheBackend) whose URL is
/// `rediss://`: without any, the system's trusted roots verify the server.
///
/// ```no_run
/// use temporal_cache_runtime::backend::{RedisCacheBackend, RedisTls};
///
/// # fn main() -> Result<(), temporal_cache_runtime::BackendError> {
/// let tls = RedisTls::new()
///     .with_ca_file("/etc/redis/ca.pem")
///     .with_client_certificate_files("/etc/redis/worker.pem", "/etc/redis/worker.key");
/// let backend = RedisCacheBackend::new("rediss://cache.internal:6380")?.with_tls(tls)?;
/// # Ok(())
/// # }
/// ```
///
/// Its `Debug` output says which settings are given, never their contents.
#[derive(Clone, Default)]
pub struct RedisTls {
    ca: Option<Pem>,
    client_certificate: Option<(Pem, Pem)>,
    skip_verification: bool,
}

/// PEM text given as is, or the file to read it from when the backend is configured.
#[derive(Clone)]
enum Pem {
    Text(Vec<u8>),
    File(PathBuf),
}

impl Pem {
    fn read(&self, what: &str) -> Result<Vec<u8>, BackendError> {
        match self {
            Self::Text(pem) => Ok(pem.clone()),
            Self::File(path) => std::fs::read(path).map_err(|error| {
                BackendError::new(
                    BackendErrorKind::Configuration,
                    format!("cannot read the {what} from {}: {error}", path.display()),
                )
            }),
        }
    }
}

impl RedisTls {
    /// Verifies the server against the system's trusted roots, presents no client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the certificate authorities in `pem` (one or more PEM certificates) instead of the
    /// system's roots: for a private CA.
    pub fn with_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca = Some(Pem::Text(pem.into()));
        self
    }

    /// Like [`with_ca_pem`](Self::with_ca_pem), reading the PEM file at `path` when the backend
    /// is configured.
    pub fn with_ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.ca = Some(Pem::File(path.as_ref().to_owned()));
        self
    }

    /// Presents this certificate chain and its private key (both PEM) to the server: mutual TLS.
    pub fn with_client_certificate(
        mut self,
        certificate_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.client_certificate =
            Some((Pem::Text(certificate_pem.into()), Pem::Text(key_pem.into())));
        self
    }

    /// Like [`with_client_certificate`](Self::with_client_certificate), reading the PEM files at
    /// these paths when the backend is configured.
    pub fn with_client_certificate_files(
        mut self,
        certificate: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Self {
        self.client_certificate = Some((
            Pem::File(certificate.as_ref().to_owned()),
            Pem::File(key.as_ref().to_owned()),
        ));
        self
    }

    /// **Dangerous**: accepts any server certificate, for any name, signed by anyone. The
    /// connection is encrypted but not authenticated: anyone on the network path can read and
    /// rewrite every cached result. Only for a test server with a throwaway certificate.
    pub fn dangerously_accept_any_server_certificate(mut self) -> Self {
        self.skip_verification = true;
        self
    }

    /// A client for `info` (a `rediss://` address) with these settings.
    pub(super) fn client(&self, info: ConnectionInfo) -> Result<Client, BackendError> {
        let ConnectionAddr::TcpTls {
            host,
            port,
            tls_params,
            ..
        } = info.addr().clone()
        else {
            return Err(BackendError::new(
                BackendErrorKind::Configuration,
                "TLS settings need a rediss:// URL",
            ));
        };
        install_crypto_provider();
        let addr = ConnectionAddr::TcpTls {
            host,
            port,
            insecure: self.skip_verification,
            tls_params,
        };
        let info = info.set_addr(addr);
        Client::build_with_tls(info, self.certificates()?)
            .map_err(|error| BackendError::new(BackendErrorKind::Configuration, error))
    }

    /// The certificates for a cluster whose nodes are `nodes` (all `rediss://`).
    pub(super) fn certificates_for(
        &self,
        nodes: &[ConnectionInfo],
    ) -> Result<TlsCertificates, BackendError> {
        if self.skip_verification {
            return Err(BackendError::new(
                BackendErrorKind::Configuration,
                "a cluster backend always verifies its nodes' certificates",
            ));
        }
        if !nodes.iter().all(is_tls) {
            return Err(BackendError::new(
                BackendErrorKind::Configuration,
                "TLS settings need rediss:// URLs for every node",
            ));
        }
        install_crypto_provider();
        self.certificates()
    }

    /// The CA and client certificate, read and parsed.
    fn certificates(&self) -> Result<TlsCertificates, BackendError> {
        Ok(TlsCertificates {
            client_tls: match &self.client_certificate {
                Some((certificate, key)) => Some(ClientTlsConfig {
                    client_cert: certificate.read("client certificate")?,
                    client_key: key.read("client key")?,
                }),
                None => None,
            },
            root_cert: match &self.ca {
                Some(ca) => Some(ca.read("CA certificate")?),
                None => None,
            },
        })
    }
}

impl fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTls")
            .field("custom_ca", &self.ca.is_some())
            .field("client_certificate", &self.client_certificate.is_some())
            .field(
                "dangerously_accept_any_server_certificate",
                &self.skip_verification,
            )
            .finish()
    }
}

/// Whether `info` asks for TLS without verifying the server (a `#insecure` URL).
pub(super) fn skips_verification(info: &ConnectionInfo) -> bool {
    matches!(info.addr(), ConnectionAddr::TcpTls { insecure: true, .. })
}

/// Whether `info` is a `rediss://` address.
pub(super) fn is_tls(info: &ConnectionInfo) -> bool {
    matches!(info.addr(), ConnectionAddr::TcpTls { .. })
}

/// Installs rustls's `ring` provider as the process default, unless one is installed already.
pub(super) fn install_crypto_provider() {
    // Fails only when another provider got there first, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
