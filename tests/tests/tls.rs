//! `rediss://` against a real TLS `redis-server` with certificates made for the test: hits and
//! misses with a private CA, mutual TLS, and every way a handshake can fail (an untrusted CA, an
//! expired certificate, a missing client certificate, a plain-TCP server behind `rediss://`) as a
//! miss with one warning, within the operation timeout. The tests run one at a time: each points
//! the global backend at a Redis of its own.

use std::time::{Duration, Instant};

use temporal_cache_runtime::backend::{BackendErrorKind, RedisCacheBackend, RedisTls};
use temporal_cache_runtime::set_cache_backend;
use temporal_cache_servers::{
    ClientCerts, RedisServer, ServerCertificate, TlsMaterial, TlsSettings,
};
use temporal_cache_tests::activities::{Cached, Output, token};
use temporal_cache_tests::environment::run;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::warnings;
use temporalio_common::data_converters::MultiArgs2;

const DEADLINE: Duration = Duration::from_millis(500);

fn material() -> TlsMaterial {
    TlsMaterial::generate().unwrap_or_else(|e| panic!("{e}"))
}

fn tls_server(settings: TlsSettings) -> RedisServer {
    RedisServer::start_tls_with(settings, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Makes a backend for `url` with `tls` the global one, with a known deadline.
fn use_backend(url: &str, tls: RedisTls) {
    let backend = RedisCacheBackend::new(url)
        .expect("a valid URL")
        .with_operation_timeout(DEADLINE)
        .with_tls(tls)
        .expect("valid TLS settings");
    set_cache_backend(backend);
    warnings::recorded().clear();
}

fn echo(token: &str, value: u64) -> (Output, Duration) {
    let started = Instant::now();
    let output = block_on(run(Cached::echo, MultiArgs2(token.to_owned(), value)));
    (output, started.elapsed())
}

/// Two identical calls are a miss then a hit, without a warning.
fn assert_cached(token: &str) {
    assert_eq!(echo(token, 1).0.run, 1);
    assert_eq!(echo(token, 1).0.run, 1, "the second call is a hit over TLS");
    let warnings = warnings::recorded();
    assert!(warnings.is_empty(), "{warnings:#?}");
}

/// Every call runs its body, none waits past the deadline, and one warning names `what`.
fn assert_uncached_with_one_warning(token: &str, what: &str) {
    for expected_run in 1..=3 {
        let (output, took) = echo(token, 1);
        assert_eq!(output.run, expected_run, "a miss: the body runs");
        assert!(took < 2 * DEADLINE, "bounded by the deadline: {took:?}");
    }
    let warnings = warnings::recorded();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].to_lowercase().contains(what),
        "the warning says why ({what}): {}",
        warnings[0]
    );
}

#[test]
fn a_private_ca_gives_hits_and_misses() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = tls_server(TlsSettings::new(&tls, ClientCerts::Optional));
    use_backend(
        &redis.url(),
        RedisTls::new().with_ca_file(tls.ca().cert_path()),
    );
    assert_cached(&token("tls-ca"));
}

#[test]
fn mutual_tls_presents_the_client_certificate() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = tls_server(TlsSettings::new(&tls, ClientCerts::Required));
    use_backend(
        &redis.url(),
        RedisTls::new()
            .with_ca_pem(tls.ca().cert_pem().as_bytes())
            .with_client_certificate(tls.client().cert_pem(), tls.client().key_pem()),
    );
    assert_cached(&token("mtls"));
}

#[test]
fn without_the_client_certificate_mutual_tls_is_a_miss_with_one_warning() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = tls_server(TlsSettings::new(&tls, ClientCerts::Required));
    use_backend(
        &redis.url(),
        RedisTls::new().with_ca_file(tls.ca().cert_path()),
    );
    assert_uncached_with_one_warning(&token("mtls-missing"), "cache fallback");
}

#[test]
fn an_untrusted_server_is_a_miss_with_one_warning() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = tls_server(TlsSettings::new(&tls, ClientCerts::Optional));
    use_backend(
        &redis.url(),
        RedisTls::new().with_ca_file(tls.untrusted_ca().cert_path()),
    );
    assert_uncached_with_one_warning(&token("tls-untrusted"), "certificate");
}

#[test]
fn an_expired_certificate_is_a_miss_with_one_warning() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = tls_server(
        TlsSettings::new(&tls, ClientCerts::Optional).presenting(ServerCertificate::Expired),
    );
    use_backend(
        &redis.url(),
        RedisTls::new().with_ca_file(tls.ca().cert_path()),
    );
    assert_uncached_with_one_warning(&token("tls-expired"), "expired");
}

#[test]
fn a_plain_tcp_server_behind_rediss_is_a_miss_with_one_warning() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = redis.url().replace("redis://", "rediss://");
    use_backend(&url, RedisTls::new().with_ca_file(tls.ca().cert_path()));
    assert_uncached_with_one_warning(&token("tls-plain"), "cache fallback");
}

#[test]
fn skipping_certificate_checks_takes_the_alarming_name() {
    let _serial = temporal_cache_tests::serial();
    let tls = material();
    let redis = tls_server(TlsSettings::new(&tls, ClientCerts::Optional));
    let refused = RedisCacheBackend::new(&format!("{}#insecure", redis.url()))
        .expect_err("a URL cannot turn the checks off");
    assert_eq!(refused.kind(), BackendErrorKind::Configuration);
    assert!(refused.to_string().contains("dangerously"), "{refused}");
    // An untrusted server, accepted on purpose.
    use_backend(
        &redis.url(),
        RedisTls::new().dangerously_accept_any_server_certificate(),
    );
    assert_cached(&token("tls-insecure"));
}

#[test]
fn unreadable_tls_files_are_a_configuration_error_at_once() {
    let refused = RedisCacheBackend::new("rediss://127.0.0.1:1")
        .expect("a valid URL")
        .with_tls(RedisTls::new().with_ca_file("/nonexistent/ca.pem"))
        .expect_err("the file is read now");
    assert_eq!(refused.kind(), BackendErrorKind::Configuration);
    let plain = RedisCacheBackend::new("redis://127.0.0.1:1")
        .expect("a valid URL")
        .with_tls(RedisTls::new())
        .expect_err("TLS settings need rediss://");
    assert_eq!(plain.kind(), BackendErrorKind::Configuration);
}
