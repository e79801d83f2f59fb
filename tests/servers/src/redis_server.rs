//! A throwaway `redis-server` child process on a free loopback port, without persistence, that
//! can be killed and restarted on the same port to simulate an outage.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::LaunchError;
use crate::executable;
use crate::port;
use crate::supervisor::Supervised;

/// The server's short name, in messages and in the supervisor's process name.
const NAME: &str = "redis-server";

/// The line Redis logs once it accepts connections.
const READY_LINE: &str = "Ready to accept connections";

/// What Redis logs when it cannot bind its port.
const PORT_TAKEN_LINE: &str = "Address already in use";

/// A `redis-server` process listening on `127.0.0.1`, without persistence.
///
/// The server is killed when this value is dropped, and when this process exits, even
/// abnormally. It can be [killed](Self::kill) and [restarted](Self::restart) on the same port to
/// simulate an outage. Each start waits until Redis logs that it accepts connections.
///
/// The binary is `$REDIS_SERVER` if set, else `redis-server` from `PATH`.
#[derive(Debug)]
pub struct RedisServer {
    /// The `redis-server` binary.
    binary: PathBuf,
    /// The loopback port the server listens on.
    port: u16,
    /// Arguments appended to the launcher's own.
    extra_args: Vec<String>,
    /// The running server, `None` after [`Self::kill`].
    process: Option<Supervised>,
}

impl RedisServer {
    /// How long a start may take, from spawning the process to "Ready to accept connections".
    pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

    /// How many free ports a start tries when the one it picked is taken before Redis binds it.
    pub const PORT_ATTEMPTS: usize = 10;

    /// The environment variable that names the `redis-server` binary.
    pub const BINARY_ENV_VAR: &str = "REDIS_SERVER";

    /// What to do when there is no `redis-server`.
    pub const NOT_FOUND_HINT: &str = "redis-server not found: run scripts/test or scripts/bench \
         (as root they install Debian's redis-server) or `apt-get install redis-server`, or set \
         REDIS_SERVER to its path";

    /// Starts a server on a free loopback port and waits until it accepts connections.
    ///
    /// # Errors
    ///
    /// If `redis-server` cannot be found ([`LaunchError::NotFound`], with an install hint), or
    /// does not become ready within [`Self::READY_TIMEOUT`].
    pub fn start() -> Result<Self, LaunchError> {
        Self::start_with(&[])
    }

    /// Like [`Self::start`], passing `extra_args` to `redis-server` after the launcher's own
    /// arguments (`--port P --bind 127.0.0.1 --save "" --appendonly no`), e.g.
    /// `&["--requirepass", "secret"]`.
    ///
    /// # Errors
    ///
    /// Like [`Self::start`].
    pub fn start_with(extra_args: &[&str]) -> Result<Self, LaunchError> {
        let binary = executable::locate(Self::BINARY_ENV_VAR, NAME, Self::NOT_FOUND_HINT)?;
        let extra_args: Vec<String> = extra_args.iter().map(|&a| a.to_owned()).collect();
        let (port, process) = port::on_a_free_port(NAME, Self::PORT_ATTEMPTS, |port| {
            launch(&binary, port, &extra_args).map(|process| (port, process))
        })?;
        Ok(Self {
            binary,
            port,
            extra_args,
            process: Some(process),
        })
    }

    /// The loopback port the server listens on (the same across [restarts](Self::restart)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the server listens on, `127.0.0.1:PORT`.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The server's URL, `redis://127.0.0.1:PORT/` (without any password).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server with `SIGKILL`, as a crash would, and waits until it is gone. Does
    /// nothing if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    /// Starts the server again on the same port, with the same arguments, and waits until it
    /// accepts connections. A running server is [killed](Self::kill) first. The data set starts
    /// empty.
    ///
    /// # Errors
    ///
    /// [`LaunchError::PortTaken`] if another process took the port meanwhile, or any error of
    /// [`Self::start`] but a missing binary.
    pub fn restart(&mut self) -> Result<(), LaunchError> {
        self.kill();
        self.process = Some(launch(&self.binary, self.port, &self.extra_args)?);
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `redis-server` on `port` and waits for its ready line.
fn launch(binary: &Path, port: u16, extra_args: &[String]) -> Result<Supervised, LaunchError> {
    let port_arg = port.to_string();
    let own_args = [
        "--port",
        &port_arg,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    let args: Vec<String> = own_args
        .iter()
        .map(|&a| a.to_owned())
        .chain(extra_args.iter().cloned())
        .collect();

    let (sender, lines) = mpsc::channel();
    let process = Supervised::spawn(NAME, binary, &args, Some(sender)).map_err(|source| {
        LaunchError::Spawn {
            program: binary.to_owned(),
            source,
        }
    })?;
    let deadline = Instant::now() + RedisServer::READY_TIMEOUT;
    let mut port_taken = false;
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(READY_LINE) => return Ok(process),
            Ok(line) => port_taken |= line.contains(PORT_TAKEN_LINE),
            Err(RecvTimeoutError::Timeout) => {
                return Err(LaunchError::NotReady {
                    server: NAME,
                    port,
                    timeout: RedisServer::READY_TIMEOUT,
                    output: process.recent_output(),
                });
            }
            // Both output pipes closed: the server is gone.
            Err(RecvTimeoutError::Disconnected) if port_taken => {
                return Err(LaunchError::PortTaken { server: NAME, port });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(LaunchError::Exited {
                    server: NAME,
                    port,
                    output: process.recent_output(),
                });
            }
        }
    }
}
