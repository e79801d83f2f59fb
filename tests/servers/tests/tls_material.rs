//! The generated certificates are what their names say, as OpenSSL's own verifier judges them:
//! a chain to the CA for the server's names, an expired one, and an unrelated CA.

mod support;

use std::ffi::OsStr;
use std::path::Path;

use temporal_cache_servers::TlsMaterial;

/// `openssl verify` with `options`, and whether it accepted `cert`; its output for messages.
fn openssl_verify(root: &Path, options: &[&str], cert: &Path) -> (bool, String) {
    let mut args = vec![
        OsStr::new("verify"),
        OsStr::new("-CAfile"),
        root.as_os_str(),
    ];
    args.extend(options.iter().map(OsStr::new));
    args.push(cert.as_os_str());
    let output = support::openssl(&args);
    (
        output.status.success(),
        format!("{}{}", output.stdout, output.stderr),
    )
}

#[test]
fn the_server_certificate_chains_to_the_ca_for_both_names() {
    let tls = TlsMaterial::generate().unwrap_or_else(|e| panic!("{e}"));
    let server = tls.server().cert_path();
    for name in [
        ["-purpose", "sslserver", "-verify_ip", "127.0.0.1"],
        ["-purpose", "sslserver", "-verify_hostname", "localhost"],
    ] {
        let (accepted, output) = openssl_verify(tls.ca().cert_path(), &name, server);
        assert!(accepted, "{name:?}: {output}");
    }
    let (accepted, _) = openssl_verify(
        tls.ca().cert_path(),
        &["-verify_hostname", "example.com"],
        server,
    );
    assert!(!accepted, "the server certificate is for loopback only");
}

#[test]
fn the_client_certificate_chains_to_the_ca_for_client_auth() {
    let tls = TlsMaterial::generate().unwrap_or_else(|e| panic!("{e}"));
    let (accepted, output) = openssl_verify(
        tls.ca().cert_path(),
        &["-purpose", "sslclient"],
        tls.client().cert_path(),
    );
    assert!(accepted, "{output}");
}

#[test]
fn the_expired_certificate_is_expired() {
    let tls = TlsMaterial::generate().unwrap_or_else(|e| panic!("{e}"));
    let (accepted, output) =
        openssl_verify(tls.ca().cert_path(), &[], tls.expired_server().cert_path());
    assert!(!accepted && output.contains("expired"), "{output}");
}

#[test]
fn the_untrusted_ca_vouches_for_none_of_the_others() {
    let tls = TlsMaterial::generate().unwrap_or_else(|e| panic!("{e}"));
    for cert in [tls.server(), tls.client()] {
        let (accepted, output) =
            openssl_verify(tls.untrusted_ca().cert_path(), &[], cert.cert_path());
        assert!(!accepted, "{output}");
    }
    let (accepted, _) = openssl_verify(
        tls.ca().cert_path(),
        &[],
        tls.untrusted_client().cert_path(),
    );
    assert!(!accepted, "the CA does not vouch for the untrusted client");
    let (accepted, output) = openssl_verify(
        tls.untrusted_ca().cert_path(),
        &["-purpose", "sslclient"],
        tls.untrusted_client().cert_path(),
    );
    assert!(accepted, "{output}");
}
