//! A circuit breaker: after repeated failures to reach Redis, stop trying for a cool-down, then
//! let one probe through; a probe that succeeds closes the circuit.
//!
//! Its state is one atomic word, so a call through a closed circuit costs one uncontended load
//! (and a store after a failure streak ends), and a call while it is open costs a load and a
//! clock read instead of a connection attempt or a timeout. Each state change is logged once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::backend::{BackendError, BackendErrorKind};

/// The state word: below `OPEN` it is the count of consecutive failures of a closed circuit;
/// `OPEN | t` is open until `t` milliseconds after `epoch`; `PROBING` lets one probe through.
const OPEN: u64 = 1 << 62;
const PROBING: u64 = u64::MAX;

pub(crate) struct Breaker {
    threshold: u64,
    cool_down: Duration,
    epoch: Instant,
    state: AtomicU64,
}

/// Leave to make one call; report how it went with [`Breaker::record`].
#[must_use]
pub(crate) struct Permit {
    probe: bool,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            threshold: u64::from(threshold.max(1)),
            cool_down,
            epoch: Instant::now(),
            state: AtomicU64::new(0),
        }
    }

    fn now_millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(OPEN - 1)
    }

    fn open_until(&self) -> u64 {
        let cool_down = u64::try_from(self.cool_down.as_millis()).unwrap_or(OPEN - 1);
        OPEN | self.now_millis().saturating_add(cool_down).min(OPEN - 1)
    }

    /// Whether a call may go to Redis now.
    pub(crate) fn permit(&self) -> Result<Permit, BackendError> {
        let state = self.state.load(Ordering::Acquire);
        if state < OPEN {
            return Ok(Permit { probe: false });
        }
        if state != PROBING
            && self.now_millis() >= state & !OPEN
            && self
                .state
                .compare_exchange(state, PROBING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return Ok(Permit { probe: true });
        }
        Err(BackendError::new(
            BackendErrorKind::CircuitOpen,
            "Redis failed repeatedly; calls skip it until a probe succeeds",
        ))
    }

    /// Records the outcome of a permitted call.
    pub(crate) fn record(&self, permit: Permit, outcome: Result<(), &BackendError>) {
        let failed = outcome.err().filter(|error| trips(error));
        match (permit.probe, failed) {
            (true, None) => {
                self.state.store(0, Ordering::Release);
                tracing::info!(target: crate::log::TARGET, "Redis is back: cache circuit closed");
            }
            (true, Some(_)) => self.state.store(self.open_until(), Ordering::Release),
            (false, None) => {
                // Only a failure streak needs resetting; the common case is a load.
                if self.state.load(Ordering::Relaxed) != 0 {
                    let _ = self
                        .state
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                            (state < OPEN).then_some(0)
                        });
                }
            }
            (false, Some(error)) => {
                let opened = self
                    .state
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                        (state < OPEN).then(|| {
                            if state + 1 >= self.threshold {
                                self.open_until()
                            } else {
                                state + 1
                            }
                        })
                    })
                    .is_ok_and(|previous| previous + 1 >= self.threshold);
                if opened {
                    tracing::info!(
                        target: crate::log::TARGET,
                        failures = self.threshold,
                        cool_down = ?self.cool_down,
                        %error,
                        "cache circuit opened: cached activities skip Redis until a probe succeeds"
                    );
                }
            }
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
