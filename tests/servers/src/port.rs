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
    mut launch: impl FnMut(u16) -> Result<T, LaunchError>,
) -> Result<T, LaunchError> {
    for _ in 0..attempts {
        let port = free_loopback_port()?;
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
