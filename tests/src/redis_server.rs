//! A throwaway `redis-server` child process on a free loopback port.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::supervisor::Supervised;

/// How long a start may take, from spawning the process to "Ready to accept connections".
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How many ports are tried when the chosen one turns out to be taken.
const PORT_ATTEMPTS: usize = 10;

/// The line Redis logs once it accepts connections.
const READY_LINE: &str = "Ready to accept connections";

/// The hint given when no `redis-server` binary can be found.
const NOT_FOUND_HINT: &str = "redis-server not found: run scripts/test (it installs Debian's \
     redis-server) or `apt-get install redis-server`, or set REDIS_SERVER";

/// A `redis-server` process listening on `127.0.0.1`, without persistence.
///
/// The server is killed when this value is dropped (and when the test process exits, even
/// abnormally). It can be [killed](Self::kill) and [restarted](Self::restart) on the same port to
/// simulate an outage. Each start waits until Redis logs that it accepts connections.
///
/// The binary is `$REDIS_SERVER` if set, else `redis-server` from `PATH`.
#[derive(Debug)]
pub struct RedisServer {
    /// The `redis-server` binary.
    binary: PathBuf,
    /// The loopback port the server listens on.
    port: u16,
    /// Arguments appended to the harness's own.
    extra_args: Vec<String>,
    /// The running server, `None` after [`Self::kill`].
    process: Option<Supervised>,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// If `redis-server` cannot be found or does not become ready within 20 seconds.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`Self::start`], passing `extra_args` to `redis-server` after the harness's own
    /// arguments (`--port P --bind 127.0.0.1 --save "" --appendonly no`), e.g.
    /// `&["--requirepass", "secret"]`.
    ///
    /// # Panics
    ///
    /// If `redis-server` cannot be found or does not become ready within 20 seconds.
    pub fn start_with(extra_args: &[&str]) -> Self {
        let binary = redis_server_binary();
        let extra_args: Vec<String> = extra_args.iter().map(|&a| a.to_owned()).collect();
        for _ in 0..PORT_ATTEMPTS {
            let port = crate::free_loopback_port();
            match launch(&binary, port, &extra_args) {
                Ok(process) => {
                    return Self {
                        binary,
                        port,
                        extra_args,
                        process: Some(process),
                    };
                }
                Err(Launch::PortTaken) => {
                    tracing::debug!(port, "port taken before redis-server bound it, retrying");
                }
                Err(Launch::Failed(message)) => panic!("{message}"),
            }
        }
        panic!("redis-server found each of {PORT_ATTEMPTS} free ports taken when binding it");
    }

    /// The loopback port the server listens on (the same across [restarts](Self::restart)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's URL, `redis://127.0.0.1:PORT/` (without any password).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A client for [`Self::url`]. Opening it makes no connection yet.
    ///
    /// # Panics
    ///
    /// Never in practice: the URL is always valid.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url())
            .unwrap_or_else(|e| panic!("invalid redis URL {}: {e}", self.url()))
    }

    /// A multiplexed async connection to the server, for tests that inspect or prepare its data.
    ///
    /// # Panics
    ///
    /// If the server does not accept the connection.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        self.client()
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test Redis at {}: {e}", self.url()))
    }

    /// Kills the server with `SIGKILL` and waits until it is gone. Does nothing if it is not
    /// running.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    /// Starts the server again on the same port and waits until it accepts connections. A running
    /// server is [killed](Self::kill) first. The data set starts empty.
    ///
    /// # Panics
    ///
    /// If the server does not become ready within 20 seconds, e.g. because another process took
    /// the port meanwhile.
    pub fn restart(&mut self) {
        self.kill();
        match launch(&self.binary, self.port, &self.extra_args) {
            Ok(process) => self.process = Some(process),
            Err(Launch::PortTaken) => panic!(
                "cannot restart redis-server: port {} was taken by another process",
                self.port
            ),
            Err(Launch::Failed(message)) => panic!("cannot restart redis-server: {message}"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Why a launch failed.
enum Launch {
    /// Another process had bound the port.
    PortTaken,
    /// Anything else, with a message for the panic.
    Failed(String),
}

/// Starts `redis-server` on `port` and waits for its ready line.
fn launch(binary: &Path, port: u16, extra_args: &[String]) -> Result<Supervised, Launch> {
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    .iter()
    .map(|&a| a.to_owned())
    .collect();
    args.extend_from_slice(extra_args);

    let (sender, lines) = mpsc::channel();
    let process = Supervised::spawn("redis-server", binary, &args, Some(sender)).map_err(|e| {
        Launch::Failed(format!(
            "cannot spawn {} under /bin/sh: {e}",
            binary.display()
        ))
    })?;
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut port_taken = false;
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(READY_LINE) => return Ok(process),
            Ok(line) => port_taken |= line.contains("Address already in use"),
            Err(RecvTimeoutError::Timeout) => {
                return Err(Launch::Failed(format!(
                    "redis-server on port {port} not ready after {READY_TIMEOUT:?}; its output:\n{}",
                    process.recent_output()
                )));
            }
            // Both output pipes closed: the server is gone.
            Err(RecvTimeoutError::Disconnected) if port_taken => return Err(Launch::PortTaken),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Launch::Failed(format!(
                    "redis-server on port {port} exited before it was ready; its output:\n{}",
                    process.recent_output()
                )));
            }
        }
    }
}

/// The `redis-server` binary: `$REDIS_SERVER`, else from `PATH`.
///
/// # Panics
///
/// With [`NOT_FOUND_HINT`] if there is none.
fn redis_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            crate::is_executable(&path),
            "REDIS_SERVER={} is not an executable file. {NOT_FOUND_HINT}",
            path.display()
        );
        return path;
    }
    crate::find_in_path("redis-server").unwrap_or_else(|| panic!("{NOT_FOUND_HINT}"))
}

/// The two Redis servers of a test process that shares them between its tests: `global`, made
/// the process's global cache backend, and `second`, whose URL goes into `second_url` (the
/// per-activity backend of some test activities reads it).
#[derive(Debug)]
pub struct SharedServers {
    /// Behind the global backend.
    pub global: RedisServer,
    /// Behind a per-activity backend.
    pub second: RedisServer,
}

impl SharedServers {
    /// Starts both servers, sets the global backend and `second_url`, and installs tracing.
    ///
    /// # Panics
    ///
    /// If a server cannot start, or `second_url` was already set.
    pub fn start(second_url: &std::sync::OnceLock<String>) -> Self {
        crate::init_tracing();
        let servers = Self {
            global: RedisServer::start(),
            second: RedisServer::start(),
        };
        temporal_cache_runtime::set_cache_backend(
            temporal_cache_runtime::RedisCacheBackend::new(&servers.global.url())
                .expect("a Redis URL"),
        );
        second_url
            .set(servers.second.url())
            .expect("the second server's URL is set once");
        servers
    }
}
