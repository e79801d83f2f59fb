//! A TLS-only `redis-server` with generated certificates: it answers TLS clients that trust its
//! CA (and, when required, present a client certificate from it), and no one else.

mod support;

use std::ffi::OsStr;

use temporal_cache_servers::{
    CertificateFiles, ClientCerts, RedisServer, ServerCertificate, TlsMaterial, TlsSettings,
};

use support::redis_cli;

fn material() -> TlsMaterial {
    TlsMaterial::generate().unwrap_or_else(|e| panic!("{e}"))
}

fn start(tls: TlsSettings) -> RedisServer {
    RedisServer::start_tls_with(tls, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Sends `PING` over TLS, trusting `root` and presenting `client` if any; the whole run, for
/// the tests that expect a refusal and the messages of those that do not.
fn tls_ping(
    redis: &RedisServer,
    root: &CertificateFiles,
    client: Option<&CertificateFiles>,
) -> temporal_cache_servers::CommandOutput {
    let mut args = vec![
        "--tls".to_owned(),
        "--cacert".to_owned(),
        root.cert_path().display().to_string(),
    ];
    if let Some(client) = client {
        args.extend([
            "--cert".to_owned(),
            client.cert_path().display().to_string(),
            "--key".to_owned(),
            client.key_path().display().to_string(),
        ]);
    }
    args.extend(["-p".to_owned(), redis.port().to_string(), "PING".to_owned()]);
    redis_cli(&args)
}

fn assert_pong(output: &temporal_cache_servers::CommandOutput) {
    assert_eq!(output.reply(), "PONG", "{}", output.transcript());
}

fn assert_refused(output: &temporal_cache_servers::CommandOutput) {
    assert!(
        !output.status.success() && output.reply() != "PONG",
        "expected a refused handshake: {}",
        output.transcript()
    );
}

#[test]
fn answers_tls_clients_only() {
    let tls = material();
    let redis = start(TlsSettings::new(&tls, ClientCerts::Optional));
    assert_eq!(redis.url(), format!("rediss://127.0.0.1:{}/", redis.port()));

    assert_pong(&tls_ping(&redis, tls.ca(), None));
    assert_pong(&tls_ping(&redis, tls.ca(), Some(tls.client())));
    let plain = redis_cli(&["-p", &redis.port().to_string(), "PING"]);
    assert_refused(&plain);
}

#[test]
fn required_client_certificates_admit_only_those_of_the_ca() {
    let tls = material();
    let redis = start(TlsSettings::new(&tls, ClientCerts::Required));
    assert_pong(&tls_ping(&redis, tls.ca(), Some(tls.client())));
    assert_refused(&tls_ping(&redis, tls.ca(), None));
    assert_refused(&tls_ping(&redis, tls.ca(), Some(tls.untrusted_client())));
}

#[test]
fn a_client_trusting_another_ca_refuses_the_server() {
    let tls = material();
    let redis = start(TlsSettings::new(&tls, ClientCerts::Optional));
    assert_refused(&tls_ping(&redis, tls.untrusted_ca(), None));
}

#[test]
fn an_expired_certificate_fails_verification_though_the_server_runs() {
    let tls = material();
    let redis =
        start(TlsSettings::new(&tls, ClientCerts::Optional).presenting(ServerCertificate::Expired));
    assert_refused(&tls_ping(&redis, tls.ca(), None));
    // redis-cli does not say why; OpenSSL's own client does.
    let port = redis.port().to_string();
    let connect = format!("127.0.0.1:{port}");
    let handshake = support::openssl(&[
        OsStr::new("s_client"),
        OsStr::new("-connect"),
        OsStr::new(&connect),
        OsStr::new("-CAfile"),
        tls.ca().cert_path().as_os_str(),
        OsStr::new("-verify_return_error"),
    ]);
    assert!(
        !handshake.status.success()
            && format!("{}{}", handshake.stdout, handshake.stderr)
                .contains("certificate has expired"),
        "the handshake fails on the expiry: {}",
        handshake.transcript()
    );
    let unverified = redis_cli(&[
        "--tls",
        "--insecure",
        "-p",
        &redis.port().to_string(),
        "PING",
    ]);
    assert_pong(&unverified);
}

#[test]
fn restarts_on_its_port_with_tls_after_its_material_was_dropped() {
    let tls = material();
    let mut redis = start(TlsSettings::new(&tls, ClientCerts::Optional));
    let (port, ca) = (redis.port(), tls.ca().clone());
    drop(tls);

    redis.kill();
    assert_refused(&tls_ping(&redis, &ca, None));
    redis.restart().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(redis.port(), port);
    assert_pong(&tls_ping(&redis, &ca, None));
}
