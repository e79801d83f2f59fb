//! A circuit breaker: after repeated failures to reach Redis, stop trying for a cool-down, then
//! let one probe through; a probe that succeeds closes the circuit.
//!
//! While the circuit is open a call costs one uncontended lock and a clock read, instead of a
//! connection attempt or a timeout. Each state change is logged once.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::backend::{BackendError, BackendErrorKind};

/// Consecutive failures that open the circuit, unless configured otherwise.
pub(crate) const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
/// How long an open circuit stays open before a probe, unless configured otherwise.
pub(crate) const DEFAULT_COOL_DOWN: Duration = Duration::from_secs(1);

pub(crate) struct Breaker {
    threshold: u32,
    cool_down: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is on its way; everyone else still skips Redis.
    Probing,
}

/// Leave to make one call; report how it went with [`Breaker::record`].
#[must_use]
pub(crate) struct Permit {
    probe: bool,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cool_down,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a call may go to Redis now.
    pub(crate) fn permit(&self) -> Result<Permit, BackendError> {
        let mut state = self.state();
        match *state {
            State::Closed { .. } => Ok(Permit { probe: false }),
            State::Open { until } if Instant::now() >= until => {
                *state = State::Probing;
                Ok(Permit { probe: true })
            }
            State::Open { .. } | State::Probing => Err(BackendError::new(
                BackendErrorKind::CircuitOpen,
                "Redis failed repeatedly; calls skip it until a probe succeeds",
            )),
        }
    }

    /// Records the outcome of a permitted call.
    pub(crate) fn record(&self, permit: Permit, outcome: Result<(), &BackendError>) {
        let trips = match outcome {
            Ok(()) => false,
            Err(error) => trips(error),
        };
        let mut state = self.state();
        match (*state, trips) {
            (State::Probing, false) if permit.probe => {
                *state = State::Closed { failures: 0 };
                tracing::info!(target: "temporal_cache", "Redis is back: cache circuit closed");
            }
            (State::Probing, true) if permit.probe => {
                *state = State::Open {
                    until: Instant::now() + self.cool_down,
                };
            }
            (State::Closed { .. }, false) => *state = State::Closed { failures: 0 },
            (State::Closed { failures }, true) => {
                let failures = failures + 1;
                *state = if failures >= self.threshold {
                    let error = outcome.err().map(ToString::to_string).unwrap_or_default();
                    tracing::info!(
                        target: "temporal_cache",
                        failures,
                        cool_down = ?self.cool_down,
                        %error,
                        "cache circuit opened: cached activities skip Redis until a probe succeeds"
                    );
                    State::Open {
                        until: Instant::now() + self.cool_down,
                    }
                } else {
                    State::Closed { failures }
                };
            }
            // A call permitted before the circuit opened finished late: nothing to learn.
            _ => {}
        }
    }
}

/// Whether an error says Redis is out of reach (and so counts towards opening the circuit), as
/// opposed to refusing one command (out of memory, read-only replica) while answering others.
fn trips(error: &BackendError) -> bool {
    matches!(
        error.kind(),
        BackendErrorKind::Timeout | BackendErrorKind::Unavailable | BackendErrorKind::Configuration
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure() -> BackendError {
        BackendError::timeout()
    }

    #[test]
    fn opens_after_the_threshold_then_probes_once_and_closes() {
        let breaker = Breaker::new(2, Duration::from_millis(20));
        for _ in 0..2 {
            let permit = breaker.permit().expect("closed");
            breaker.record(permit, Err(&failure()));
        }
        let error = breaker.permit().err().expect("open");
        assert_eq!(error.kind(), BackendErrorKind::CircuitOpen);

        // The cool-down is a span of time: let it pass.
        std::thread::sleep(Duration::from_millis(25));
        let probe = breaker.permit().expect("one probe after the cool-down");
        assert!(breaker.permit().is_err(), "only one probe at a time");
        breaker.record(probe, Ok(()));
        assert!(breaker.permit().is_ok(), "a good probe closes the circuit");
    }

    #[test]
    fn a_failed_probe_reopens_and_rejections_do_not_count() {
        let breaker = Breaker::new(1, Duration::from_millis(10));
        let permit = breaker.permit().unwrap();
        breaker.record(permit, Err(&failure()));
        std::thread::sleep(Duration::from_millis(15));
        let probe = breaker.permit().unwrap();
        breaker.record(probe, Err(&failure()));
        assert!(breaker.permit().is_err(), "reopened");

        let breaker = Breaker::new(1, Duration::from_secs(60));
        let rejected = BackendError::new(BackendErrorKind::Rejected, "OOM");
        for _ in 0..5 {
            let permit = breaker.permit().expect("rejections keep it closed");
            breaker.record(permit, Err(&rejected));
        }
    }

    #[test]
    fn successes_reset_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(60));
        for _ in 0..5 {
            let permit = breaker.permit().expect("never two failures in a row");
            breaker.record(permit, Err(&failure()));
            let permit = breaker.permit().unwrap();
            breaker.record(permit, Ok(()));
        }
    }
}
