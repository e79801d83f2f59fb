//! What a TLS `redis-server` serves and asks of its clients, and the arguments that say so.

use crate::TlsMaterial;

/// Whether a TLS server asks its clients for a certificate signed by the material's CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCerts {
    /// Mutual TLS, `--tls-auth-clients yes`: a client without such a certificate is refused.
    Required,
    /// `--tls-auth-clients optional`: a client may present one (then it must be valid) or none.
    Optional,
}

/// Which certificate a TLS server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ServerCertificate {
    /// [`TlsMaterial::server`]: signed by the CA, for `127.0.0.1` and `localhost`.
    #[default]
    Valid,
    /// [`TlsMaterial::expired_server`]: signed by the CA, expired since January 2000.
    Expired,
}

/// How a [TLS server](crate::RedisServer::start_tls_with) is set up: its material, the
/// certificate it presents, and whether it requires client certificates.
///
/// The server listens on TLS only; its plain port is off (`--port 0`).
#[derive(Clone, Debug)]
pub struct TlsSettings {
    /// The certificates; the server keeps this clone, so their files live as long as it does.
    material: TlsMaterial,
    /// The certificate presented.
    certificate: ServerCertificate,
    /// What is asked of clients.
    client_certs: ClientCerts,
}

impl TlsSettings {
    /// A server presenting [`TlsMaterial::server`], checking client certificates against
    /// [`TlsMaterial::ca`] as `client_certs` says.
    pub fn new(material: &TlsMaterial, client_certs: ClientCerts) -> Self {
        Self {
            material: material.clone(),
            certificate: ServerCertificate::Valid,
            client_certs,
        }
    }

    /// The same, presenting `certificate` instead, e.g. [`ServerCertificate::Expired`].
    #[must_use]
    pub fn presenting(self, certificate: ServerCertificate) -> Self {
        Self {
            certificate,
            ..self
        }
    }

    /// The material the server's files come from.
    pub fn material(&self) -> &TlsMaterial {
        &self.material
    }

    /// The certificate the server presents.
    pub fn certificate(&self) -> ServerCertificate {
        self.certificate
    }

    /// What the server asks of its clients.
    pub fn client_certs(&self) -> ClientCerts {
        self.client_certs
    }

    /// `--port 0 --tls-port PORT` and the TLS file and client options.
    pub(super) fn listener_args(&self, port: u16) -> Vec<String> {
        let presented = match self.certificate {
            ServerCertificate::Valid => self.material.server(),
            ServerCertificate::Expired => self.material.expired_server(),
        };
        let auth_clients = match self.client_certs {
            ClientCerts::Required => "yes",
            ClientCerts::Optional => "optional",
        };
        let path = |path: &std::path::Path| path.to_string_lossy().into_owned();
        vec![
            "--port".to_owned(),
            "0".to_owned(),
            "--tls-port".to_owned(),
            port.to_string(),
            "--tls-cert-file".to_owned(),
            path(presented.cert_path()),
            "--tls-key-file".to_owned(),
            path(presented.key_path()),
            "--tls-ca-cert-file".to_owned(),
            path(self.material.ca().cert_path()),
            "--tls-auth-clients".to_owned(),
            auth_clients.to_owned(),
        ]
    }
}
