//! Spawning one `redis-server` under the supervisor and waiting for the line that says it accepts
//! connections: an event to await rather than a port to poll.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;

use super::{NAME, RedisServer};
use crate::LaunchError;
use crate::supervisor::Supervised;

/// The line Redis logs once it accepts connections, on its plain and its TLS port alike (7.2 and
/// later append the connection type: `... connections tcp`, `... connections tls`).
const READY_LINE: &str = "Ready to accept connections";

/// What Redis logs when it cannot bind a port: its own, its TLS port or its cluster bus port.
const PORT_TAKEN_LINE: &str = "Address already in use";

/// Starts `binary args...`, a server meant to listen on `port`, and waits for its ready line.
///
/// # Errors
///
/// [`LaunchError::PortTaken`] if Redis reported a port in use before exiting, else
/// [`LaunchError::Exited`], [`LaunchError::NotReady`] after [`RedisServer::READY_TIMEOUT`], or
/// [`LaunchError::Spawn`].
pub(super) fn launch(binary: &Path, port: u16, args: &[String]) -> Result<Supervised, LaunchError> {
    let (sender, lines) = mpsc::channel();
    let process = Supervised::spawn(NAME, binary, args, Some(sender)).map_err(|source| {
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
