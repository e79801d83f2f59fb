//! Waiting, with a bound, for a state the cluster reaches through gossip.
//!
//! Redis publishes no event when its nodes come to agree (on a new master, on who owns a slot),
//! so the waits ask every node again and again, and give up after their timeout with the last
//! answer that fell short.

use std::time::{Duration, Instant};

use super::ClusterError;

/// What one check of a [poll](poll_until) found.
pub(crate) enum Verdict<T> {
    /// The state is reached; the wait returns this.
    Reached(T),
    /// Not yet, and why, for the message of a timeout.
    NotYet(String),
}

/// How long to let the cluster be between checks: short next to its node timeout (1 s), long
/// enough not to load a busy machine with admin commands.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Calls `check` until it returns [`Verdict::Reached`], for at most `timeout`. An error of
/// `check` counts as not yet: a node may be restarting, or busy.
///
/// # Errors
///
/// [`ClusterError::TimedOut`], with the last verdict or error.
pub(crate) fn poll_until<T>(
    waiting_for: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<Verdict<T>, ClusterError>,
) -> Result<T, ClusterError> {
    let deadline = Instant::now() + timeout;
    loop {
        let last_seen = match check() {
            Ok(Verdict::Reached(reached)) => return Ok(reached),
            Ok(Verdict::NotYet(why)) => why,
            Err(error) => error.to_string(),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ClusterError::TimedOut {
                waiting_for: waiting_for.to_owned(),
                timeout,
                last_seen,
            });
        }
        std::thread::sleep(POLL_INTERVAL.min(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_what_the_check_reached() {
        let mut checks = 0;
        let reached = poll_until("three checks", Duration::from_secs(10), || {
            checks += 1;
            Ok(if checks == 3 {
                Verdict::Reached(checks)
            } else {
                Verdict::NotYet(format!("{checks} checks"))
            })
        });
        assert_eq!(reached.unwrap(), 3);
    }

    #[test]
    fn times_out_with_the_last_reason() {
        let started = Instant::now();
        let error = poll_until::<()>("impossible state", Duration::from_millis(120), || {
            Ok(Verdict::NotYet("still impossible".to_owned()))
        })
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            error.to_string(),
            "no impossible state within 120ms; last seen: still impossible"
        );
    }
}
