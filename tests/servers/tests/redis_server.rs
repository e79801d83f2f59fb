//! The Redis launcher against a real `redis-server`: it starts, answers, dies and comes back on
//! the same port, empty. Without a `redis-server` these tests fail with the install hint.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use temporal_cache_servers::RedisServer;

/// Sends one inline command and returns the first line of the reply, e.g. `+PONG`.
fn command(redis: &RedisServer, command: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(redis.socket_addr())?;
    stream.write_all(format!("{command}\r\n").as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(reply.trim_end().to_owned())
}

fn start(extra_args: &[&str]) -> RedisServer {
    RedisServer::start_with(extra_args).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn starts_on_loopback_and_answers() {
    let redis = start(&[]);
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{}/", redis.port()));
    assert!(redis.socket_addr().ip().is_loopback());
    assert_eq!(command(&redis, "PING").unwrap(), "+PONG");
}

#[test]
fn kill_then_restart_keeps_the_port_and_starts_empty() {
    let mut redis = start(&[]);
    let port = redis.port();
    assert_eq!(command(&redis, "SET launcher-key value").unwrap(), "+OK");

    redis.kill();
    let error = command(&redis, "PING").unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    redis.kill();

    redis.restart().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(redis.port(), port);
    assert_eq!(command(&redis, "EXISTS launcher-key").unwrap(), ":0");
}

#[test]
fn extra_args_reach_the_server_and_survive_a_restart() {
    let mut redis = start(&["--requirepass", "secret"]);
    assert!(command(&redis, "PING").unwrap().starts_with("-NOAUTH"));
    redis.restart().unwrap_or_else(|e| panic!("{e}"));
    assert!(command(&redis, "PING").unwrap().starts_with("-NOAUTH"));
    assert_eq!(command(&redis, "AUTH secret").unwrap(), "+OK");
}

#[test]
fn servers_started_together_get_ports_of_their_own() {
    let servers: Vec<RedisServer> = (0..4).map(|_| start(&[])).collect();
    let mut ports: Vec<u16> = servers.iter().map(RedisServer::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), servers.len());
}
