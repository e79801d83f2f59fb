//! Free loopback ports, and starting a server on one despite the race for it.
//!
//! A port that was free a moment ago may be taken by another process before the server binds it
//! (tests run in parallel, and each starts servers). Binding port 0 in the server itself would
//! avoid the race, but then the port is only known from its log and lost on a restart, which
//! outage tests need on the same port. So: pick, try, and pick again when the port was taken.

use std::net::{Ipv4Addr, TcpListener};

use crate::LaunchError;

/// Picks a loopback port that was free a moment ago, by binding port 0 and releasing it.
///
/// # Errors
///
/// [`LaunchError::NoFreePort`] if no loopback socket can be bound.
pub fn free_loopback_port() -> Result<u16, LaunchError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(LaunchError::NoFreePort)
}

/// Picks a loopback port `P` that was free a moment ago together with `P + offset`, for a server
/// that listens on both, like a Redis Cluster node on its port and its cluster bus port
/// (`P + 10000`).
///
/// # Errors
///
/// [`LaunchError::NoFreePort`] if no loopback socket can be bound, or no such pair turned up in
/// [`COMPANION_ATTEMPTS`] picks.
pub fn free_loopback_port_with_companion(offset: u16) -> Result<u16, LaunchError> {
    for _ in 0..COMPANION_ATTEMPTS {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(LaunchError::NoFreePort)?;
        let port = listener
            .local_addr()
            .map_err(LaunchError::NoFreePort)?
            .port();
        let companion_free = port
            .checked_add(offset)
            .is_some_and(|companion| TcpListener::bind((Ipv4Addr::LOCALHOST, companion)).is_ok());
        if companion_free {
            return Ok(port);
        }
    }
    Err(LaunchError::NoFreePort(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free port P with P + {offset} free too in {COMPANION_ATTEMPTS} picks"),
    )))
}

/// How many ports [`free_loopback_port_with_companion`] picks before it gives up. Most picks
/// succeed: the kernel hands out ports from 32768 to 60999, and most companions are free.
pub const COMPANION_ATTEMPTS: usize = 100;

/// Calls `launch` with a fresh free port until it returns anything but
/// [`LaunchError::PortTaken`], at most `attempts` times.
///
/// # Errors
///
/// The first error of `launch` other than [`LaunchError::PortTaken`], or
/// [`LaunchError::PortsTaken`] once every attempt found its port taken.
pub fn on_a_free_port<T>(
    server: &'static str,
    attempts: usize,
    launch: impl FnMut(u16) -> Result<T, LaunchError>,
) -> Result<T, LaunchError> {
    on_a_picked_port(server, attempts, free_loopback_port, launch)
}

/// Like [`on_a_free_port`], with the ports from `pick_port`, e.g.
/// [`free_loopback_port_with_companion`].
///
/// # Errors
///
/// Those of `pick_port`, and those of [`on_a_free_port`].
pub fn on_a_picked_port<T>(
    server: &'static str,
    attempts: usize,
    mut pick_port: impl FnMut() -> Result<u16, LaunchError>,
    mut launch: impl FnMut(u16) -> Result<T, LaunchError>,
) -> Result<T, LaunchError> {
    for _ in 0..attempts {
        let port = pick_port()?;
        match launch(port) {
            Err(LaunchError::PortTaken { .. }) => {
                tracing::debug!(
                    server,
                    port,
                    "port taken before the server bound it, retrying"
                );
            }
            launched => return launched,
        }
    }
    Err(LaunchError::PortsTaken { server, attempts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_loopback_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn a_port_with_a_companion_has_both_free() {
        let port = free_loopback_port_with_companion(10_000).unwrap();
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        TcpListener::bind((Ipv4Addr::LOCALHOST, port + 10_000)).unwrap();
    }

    #[test]
    fn a_taken_port_is_retried_with_another() {
        let mut ports = Vec::new();
        let launched = on_a_free_port("test-server", 3, |port| {
            ports.push(port);
            if ports.len() < 3 {
                Err(LaunchError::PortTaken {
                    server: "test-server",
                    port,
                })
            } else {
                Ok(port)
            }
        });
        assert_eq!(launched.unwrap(), ports[2]);
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let launched: Result<(), _> = on_a_free_port("test-server", 2, |port| {
            Err(LaunchError::PortTaken {
                server: "test-server",
                port,
            })
        });
        let error = launched.unwrap_err();
        assert!(
            matches!(error, LaunchError::PortsTaken { attempts: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn other_errors_end_the_attempts() {
        let mut calls = 0;
        let launched: Result<(), _> = on_a_free_port("test-server", 5, |port| {
            calls += 1;
            Err(LaunchError::Exited {
                server: "test-server",
                port,
                output: String::new(),
            })
        });
        assert!(matches!(launched, Err(LaunchError::Exited { .. })));
        assert_eq!(calls, 1);
    }
}
