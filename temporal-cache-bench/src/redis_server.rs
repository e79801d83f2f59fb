//! The bench's own `redis-server`: a child process on a free loopback port, without persistence.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::BenchResult;

/// How long Redis may take from spawning to "Ready to accept connections".
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How many free ports are tried when another process takes the chosen one first.
const PORT_ATTEMPTS: usize = 5;

/// The line Redis logs once it accepts connections.
const READY_LINE: &str = "Ready to accept connections";

/// A running `redis-server`, killed when dropped.
///
/// It runs in the bench's process group, so an interrupted bench (Ctrl-C) takes it down as well.
pub(crate) struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts `$REDIS_SERVER` (default: `redis-server` from `PATH`) on a free port of
    /// `127.0.0.1` and waits until it accepts connections.
    pub(crate) fn start() -> BenchResult<Self> {
        for _ in 0..PORT_ATTEMPTS {
            let port = free_loopback_port()?;
            if let Some(server) = Self::launch(port)? {
                return Ok(server);
            }
        }
        Err(format!("redis-server found {PORT_ATTEMPTS} free ports taken in a row").into())
    }

    /// Starts the server on `port`; `None` if the port was taken meanwhile.
    fn launch(port: u16) -> BenchResult<Option<Self>> {
        let binary = binary();
        let mut child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                format!(
                    "cannot run {binary}: {error} (install it, e.g. with scripts/bench as root, \
                     or set REDIS_SERVER)"
                )
            })?;
        let stdout = child.stdout.take().ok_or("redis-server has no stdout")?;
        let (lines, received) = mpsc::channel();
        // Reads until the server exits, so that its log never fills the pipe and stalls it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Once readiness is known nobody listens; the rest is drained and dropped.
                let _ = lines.send(line);
            }
        });
        let mut server = Self { child, port };
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut port_taken = false;
        loop {
            match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.contains(READY_LINE) => return Ok(Some(server)),
                Ok(line) => port_taken |= line.contains("Address already in use"),
                Err(RecvTimeoutError::Disconnected) if port_taken => {
                    server.stop();
                    return Ok(None);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(
                        format!("redis-server on port {port} exited before it was ready").into(),
                    );
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "redis-server on port {port} not ready after {READY_TIMEOUT:?}"
                    )
                    .into());
                }
            }
        }
    }

    /// `redis://127.0.0.1:<port>/`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The address the server listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Kills the server (`SIGKILL`, as a crash would) and waits until it is gone; the port is
    /// kept for [`Self::restart`].
    pub(crate) fn kill(&mut self) {
        self.stop();
    }

    /// Starts a fresh server (empty: nothing persists) on the same port and waits until it
    /// accepts connections. Kills the running one first, if any.
    pub(crate) fn restart(&mut self) -> BenchResult<()> {
        self.stop();
        let port = self.port;
        let server = Self::launch(port)?
            .ok_or_else(|| format!("port {port} was taken while redis-server was down"))?;
        // The old value's drop stops a process that is gone already, which is harmless.
        *self = server;
        Ok(())
    }

    fn stop(&mut self) {
        // Errors mean the process is gone already, which is the goal.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
}

/// A loopback port that was free a moment ago. Another process may take it before Redis binds
/// it, hence the retries in [`RedisServer::start`].
fn free_loopback_port() -> BenchResult<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}
