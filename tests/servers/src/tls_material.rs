//! Certificates and keys for the TLS tests, made fresh for each use into a temporary directory, so
//! that no test depends on files checked in (which expire) or on shelling out to `openssl`.
//!
//! Every certificate is signed with an ECDSA P-256 key, which both OpenSSL (in `redis-server` and
//! `redis-cli`) and rustls (in redis-rs) accept, and every key is a PKCS#8 PEM file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// A CA, certificates it signed, and an unrelated CA, as PEM files in a temporary directory.
///
/// | accessor               | signed by        | for                                                   |
/// |------------------------|------------------|-------------------------------------------------------|
/// | [`ca`](Self::ca)       | itself           | the root a client and the server trust                |
/// | [`server`](Self::server) | `ca`           | the server, valid for `127.0.0.1` and `localhost`     |
/// | [`client`](Self::client) | `ca`           | a client's certificate, for mutual TLS                |
/// | [`expired_server`](Self::expired_server) | `ca` | the server, but expired in January 2000     |
/// | [`untrusted_ca`](Self::untrusted_ca) | itself | a root that trusts none of the above         |
/// | [`untrusted_client`](Self::untrusted_client) | `untrusted_ca` | a client certificate the server refuses |
///
/// Cloning is cheap and shares the files; the directory is removed when the last clone is
/// dropped. A [TLS server](crate::RedisServer::start_tls) keeps a clone, so its files outlive
/// it and it can be restarted.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The files, shared by the clones.
    files: Arc<Files>,
}

/// What the clones of a [`TlsMaterial`] share.
struct Files {
    /// [`TlsMaterial::ca`].
    ca: CertificateFiles,
    /// [`TlsMaterial::server`].
    server: CertificateFiles,
    /// [`TlsMaterial::client`].
    client: CertificateFiles,
    /// [`TlsMaterial::expired_server`].
    expired_server: CertificateFiles,
    /// [`TlsMaterial::untrusted_ca`].
    untrusted_ca: CertificateFiles,
    /// [`TlsMaterial::untrusted_client`].
    untrusted_client: CertificateFiles,
    /// The directory holding every file; removed on drop, after the paths above are last used.
    dir: tempfile::TempDir,
}

/// A certificate and its private key, each as a PEM file and as PEM text.
#[derive(Clone, Debug)]
pub struct CertificateFiles {
    /// The certificate's file.
    cert_path: PathBuf,
    /// The certificate, `-----BEGIN CERTIFICATE-----...`.
    cert_pem: String,
    /// The key's file.
    key_path: PathBuf,
    /// The key, PKCS#8: `-----BEGIN PRIVATE KEY-----...`.
    key_pem: String,
}

/// Why [`TlsMaterial::generate`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsMaterialError {
    /// The temporary directory could not be created.
    TempDir(std::io::Error),
    /// A key or certificate could not be made.
    Generate {
        /// Which one, e.g. `client certificate`.
        what: &'static str,
        /// What rcgen reported.
        source: rcgen::Error,
    },
    /// A file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// Why writing it failed.
        source: std::io::Error,
    },
}

/// The host names every valid server certificate is for: what a test client dials.
const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

impl TlsMaterial {
    /// Makes every key and certificate and writes them to a new temporary directory.
    ///
    /// # Errors
    ///
    /// If the directory cannot be created or written, or rcgen fails (which it does not for
    /// these parameters).
    pub fn generate() -> Result<Self, TlsMaterialError> {
        let dir = tempfile::Builder::new()
            .prefix("temporal-cache-tls-")
            .tempdir()
            .map_err(TlsMaterialError::TempDir)?;
        let writer = Writer { dir: dir.path() };

        let (ca, ca_issuer) = writer.ca("ca", "temporal-cache test CA")?;
        let server = writer.leaf("server", server_params(Validity::Current)?, &ca_issuer)?;
        let client = writer.leaf(
            "client",
            client_params("temporal-cache test client"),
            &ca_issuer,
        )?;
        let expired_server = writer.leaf(
            "expired-server",
            server_params(Validity::Expired)?,
            &ca_issuer,
        )?;
        let (untrusted_ca, untrusted_issuer) =
            writer.ca("untrusted-ca", "temporal-cache untrusted test CA")?;
        let untrusted_client = writer.leaf(
            "untrusted-client",
            client_params("temporal-cache untrusted test client"),
            &untrusted_issuer,
        )?;

        Ok(Self {
            files: Arc::new(Files {
                ca,
                server,
                client,
                expired_server,
                untrusted_ca,
                untrusted_client,
                dir,
            }),
        })
    }

    /// The directory holding every file, removed when the last clone of this value is dropped.
    pub fn dir(&self) -> &Path {
        self.files.dir.path()
    }

    /// The CA that signed [`server`](Self::server), [`client`](Self::client) and
    /// [`expired_server`](Self::expired_server): a client's root certificate, and what the server
    /// checks client certificates against (`ca.crt`, `ca.key`).
    pub fn ca(&self) -> &CertificateFiles {
        &self.files.ca
    }

    /// The server's certificate, signed by [`ca`](Self::ca), for `127.0.0.1` and `localhost`
    /// (`server.crt`, `server.key`).
    pub fn server(&self) -> &CertificateFiles {
        &self.files.server
    }

    /// A client certificate signed by [`ca`](Self::ca), which a server requiring client
    /// certificates accepts (`client.crt`, `client.key`).
    pub fn client(&self) -> &CertificateFiles {
        &self.files.client
    }

    /// A server certificate like [`server`](Self::server) but valid only on 1 January 2000, so
    /// that a client verifying it reports it expired (`expired-server.crt`, `expired-server.key`).
    pub fn expired_server(&self) -> &CertificateFiles {
        &self.files.expired_server
    }

    /// A CA unrelated to [`ca`](Self::ca): a client trusting only it cannot verify the server
    /// (`untrusted-ca.crt`, `untrusted-ca.key`).
    pub fn untrusted_ca(&self) -> &CertificateFiles {
        &self.files.untrusted_ca
    }

    /// A client certificate signed by [`untrusted_ca`](Self::untrusted_ca), which a server
    /// requiring client certificates refuses (`untrusted-client.crt`, `untrusted-client.key`).
    pub fn untrusted_client(&self) -> &CertificateFiles {
        &self.files.untrusted_client
    }
}

/// Only the directory: the PEM text would drown a test's failure message.
impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("dir", &self.dir())
            .finish_non_exhaustive()
    }
}

impl CertificateFiles {
    /// The certificate's PEM file, e.g. for `--tls-cert-file` or `redis-cli --cacert`.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// The certificate as PEM text, e.g. for redis-rs's `TlsCertificates`.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The private key's PEM file (PKCS#8), e.g. for `--tls-key-file` or `redis-cli --key`.
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }

    /// The private key as PEM text (PKCS#8).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

impl fmt::Display for TlsMaterialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TempDir(error) => {
                write!(f, "cannot create a directory for TLS material: {error}")
            }
            Self::Generate { what, source } => write!(f, "cannot make the {what}: {source}"),
            Self::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for TlsMaterialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::TempDir(error) | Self::Write { source: error, .. } => Some(error),
            Self::Generate { source, .. } => Some(source),
        }
    }
}

/// Whether a server certificate is valid now or expired long ago.
#[derive(Clone, Copy)]
enum Validity {
    /// rcgen's default validity, 1975 to 4096.
    Current,
    /// Valid on 1 January 2000 only.
    Expired,
}

/// A leaf certificate for the test server.
fn server_params(validity: Validity) -> Result<CertificateParams, TlsMaterialError> {
    let mut params = CertificateParams::new(SERVER_NAMES.map(str::to_owned)).map_err(|source| {
        TlsMaterialError::Generate {
            what: "server certificate's names",
            source,
        }
    })?;
    params.distinguished_name = common_name("temporal-cache test server");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if let Validity::Expired = validity {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2000, 1, 2);
    }
    Ok(params)
}

/// A leaf certificate for a test client.
fn client_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = common_name(name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

/// A distinguished name of just a common name.
fn common_name(name: &str) -> DistinguishedName {
    let mut distinguished_name = DistinguishedName::new();
    distinguished_name.push(DnType::CommonName, name);
    distinguished_name
}

/// Makes keys and certificates and writes them as `NAME.crt` and `NAME.key` into `dir`.
struct Writer<'a> {
    /// The material's directory.
    dir: &'a Path,
}

impl Writer<'_> {
    /// A self-signed CA named `common_name`, and the issuer that signs with it.
    fn ca(
        &self,
        name: &'static str,
        common_name_of_ca: &str,
    ) -> Result<(CertificateFiles, Issuer<'static, KeyPair>), TlsMaterialError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = common_name(common_name_of_ca);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = generate_key(name)?;
        let cert = params
            .self_signed(&key)
            .map_err(|source| TlsMaterialError::Generate { what: name, source })?;
        let files = self.write(name, cert.pem(), key.serialize_pem())?;
        Ok((files, Issuer::new(params, key)))
    }

    /// A certificate from `params` for a new key, signed by `issuer`.
    fn leaf(
        &self,
        name: &'static str,
        params: CertificateParams,
        issuer: &Issuer<'_, KeyPair>,
    ) -> Result<CertificateFiles, TlsMaterialError> {
        let key = generate_key(name)?;
        let cert = params
            .signed_by(&key, issuer)
            .map_err(|source| TlsMaterialError::Generate { what: name, source })?;
        self.write(name, cert.pem(), key.serialize_pem())
    }

    /// Writes `NAME.crt` and `NAME.key`.
    fn write(
        &self,
        name: &str,
        cert_pem: String,
        key_pem: String,
    ) -> Result<CertificateFiles, TlsMaterialError> {
        let cert_path = self.dir.join(format!("{name}.crt"));
        let key_path = self.dir.join(format!("{name}.key"));
        for (path, pem) in [(&cert_path, &cert_pem), (&key_path, &key_pem)] {
            std::fs::write(path, pem).map_err(|source| TlsMaterialError::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(CertificateFiles {
            cert_path,
            cert_pem,
            key_path,
            key_pem,
        })
    }
}

/// A new ECDSA P-256 key for the certificate `name`.
fn generate_key(name: &'static str) -> Result<KeyPair, TlsMaterialError> {
    KeyPair::generate().map_err(|source| TlsMaterialError::Generate { what: name, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_holds_its_pem_text() {
        let material = TlsMaterial::generate().unwrap();
        for files in [
            material.ca(),
            material.server(),
            material.client(),
            material.expired_server(),
            material.untrusted_ca(),
            material.untrusted_client(),
        ] {
            assert!(files.cert_path().starts_with(material.dir()));
            assert_eq!(
                std::fs::read_to_string(files.cert_path()).unwrap(),
                files.cert_pem()
            );
            assert!(files.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
            assert_eq!(
                std::fs::read_to_string(files.key_path()).unwrap(),
                files.key_pem()
            );
            assert!(files.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        }
    }

    #[test]
    fn the_directory_goes_with_the_last_clone() {
        let material = TlsMaterial::generate().unwrap();
        let dir = material.dir().to_owned();
        let clone = material.clone();
        drop(material);
        assert!(
            clone.server().cert_path().is_file(),
            "a clone keeps the files"
        );
        drop(clone);
        assert!(!dir.exists(), "{} was removed", dir.display());
    }

    #[test]
    fn each_generation_has_keys_of_its_own() {
        let first = TlsMaterial::generate().unwrap();
        let second = TlsMaterial::generate().unwrap();
        assert_ne!(first.dir(), second.dir());
        assert_ne!(first.ca().key_pem(), second.ca().key_pem());
    }
}
