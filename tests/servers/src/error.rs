//! Why a server could not be started, with a message that says what to do about it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A server that could not be started (or restarted).
///
/// Its `Display` is the whole message, the server's latest output included where it has any, so
/// that a panic or an error report built from it needs nothing else.
#[derive(Debug)]
#[non_exhaustive]
pub enum LaunchError {
    /// The server's binary is neither where its environment variable says nor on `PATH`.
    NotFound {
        /// How to install the binary or point at it.
        hint: &'static str,
    },
    /// The environment variable naming the binary names no executable file.
    NotExecutable {
        /// The environment variable, e.g. `REDIS_SERVER`.
        variable: &'static str,
        /// What it names.
        path: PathBuf,
        /// How to install the binary or point at it.
        hint: &'static str,
    },
    /// No loopback port could be picked: binding `127.0.0.1:0` failed.
    NoFreePort(std::io::Error),
    /// The supervisor (`/bin/sh`) running the binary could not be spawned.
    Spawn {
        /// The server's binary.
        program: PathBuf,
        /// Why spawning failed.
        source: std::io::Error,
    },
    /// Another process bound the port between its pick and the server's bind.
    PortTaken {
        /// The server's short name, e.g. `redis-server`.
        server: &'static str,
        /// The port it could not bind.
        port: u16,
    },
    /// Every one of several free ports was taken by the time the server bound it.
    PortsTaken {
        /// The server's short name.
        server: &'static str,
        /// How many ports were tried.
        attempts: usize,
    },
    /// The server exited before it was ready.
    Exited {
        /// The server's short name.
        server: &'static str,
        /// The port it was to listen on.
        port: u16,
        /// Its latest output lines.
        output: String,
    },
    /// The server was not ready in time.
    NotReady {
        /// The server's short name.
        server: &'static str,
        /// The port it was to listen on.
        port: u16,
        /// How long it was given.
        timeout: Duration,
        /// Its latest output lines.
        output: String,
    },
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { hint } => f.write_str(hint),
            Self::NotExecutable {
                variable,
                path,
                hint,
            } => write!(
                f,
                "{variable}={} is not an executable file. {hint}",
                path.display()
            ),
            Self::NoFreePort(error) => write!(f, "cannot pick a free loopback port: {error}"),
            Self::Spawn { program, source } => write!(
                f,
                "cannot spawn {} under /bin/sh: {source}",
                program.display()
            ),
            Self::PortTaken { server, port } => write!(
                f,
                "{server} cannot bind port {port}: another process took it"
            ),
            Self::PortsTaken { server, attempts } => write!(
                f,
                "{server} found each of {attempts} free ports taken when binding it"
            ),
            Self::Exited {
                server,
                port,
                output,
            } => write!(
                f,
                "{server} on port {port} exited before it was ready; its output:\n{output}"
            ),
            Self::NotReady {
                server,
                port,
                timeout,
                output,
            } => write!(
                f,
                "{server} on port {port} not ready after {timeout:?}; its output:\n{output}"
            ),
        }
    }
}

impl std::error::Error for LaunchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoFreePort(error) | Self::Spawn { source: error, .. } => Some(error),
            _ => None,
        }
    }
}
