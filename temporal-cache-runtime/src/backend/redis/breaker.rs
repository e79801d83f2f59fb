//! A circuit breaker: after repeated failures to reach Redis, stop trying for a cool-down, then
//! let one probe through; a probe that succeeds closes the circuit.
//!
//! Its state is one atomic word, so a call through a closed circuit costs one uncontended load
//! (and a store after a failure streak ends), and a call while it is open costs a load and a
//! clock read instead of a connection attempt or a timeout. Each state change is logged once.
//!
//! A cluster's breaker has one circuit per hash slot: a master that dies opens the circuits of
//! its slots only, and calls for the slots of the other masters go on reaching Redis. Its state
//! changes are logged when the first circuit opens and when the last one closes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// One state word per circuit: one for a single server, one per slot for a cluster.
    states: Box<[AtomicU64]>,
    /// How many circuits are open (or probing), to log the first opening and the last closing.
    open: AtomicUsize,
}

/// Leave to make one call; report how it went with [`Breaker::record`].
///
/// A probe dropped without a report (its call was cancelled: the activity's future dropped, a
/// sync activity's bridge gave up) counts as a failed probe, so that the circuit probes again
/// after the next cool-down instead of waiting for a report that never comes.
#[must_use]
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    circuit: usize,
    reported: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe && !self.reported {
            self.breaker.states[self.circuit].store(self.breaker.open_until(), Ordering::Release);
        }
    }
}

impl Breaker {
    #[cfg(test)]
    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Self {
        Self::with_circuits(threshold, cool_down, 1)
    }

    /// A breaker with `circuits` independent circuits, chosen by [`permit_for`](Self::permit_for).
    pub(crate) fn with_circuits(threshold: u32, cool_down: Duration, circuits: usize) -> Self {
        Self {
            threshold: u64::from(threshold.max(1)),
            cool_down,
            epoch: Instant::now(),
            states: (0..circuits.max(1)).map(|_| AtomicU64::new(0)).collect(),
            open: AtomicUsize::new(0),
        }
    }

    fn now_millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(OPEN - 1)
    }

    fn open_until(&self) -> u64 {
        let cool_down = u64::try_from(self.cool_down.as_millis()).unwrap_or(OPEN - 1);
        OPEN | self.now_millis().saturating_add(cool_down).min(OPEN - 1)
    }

    /// Whether a call may go to Redis now (a single server's one circuit).
    #[cfg(test)]
    pub(crate) fn permit(&self) -> Result<Permit<'_>, BackendError> {
        self.permit_for(0)
    }

    /// Whether a call through circuit `circuit` (modulo the number of circuits) may go now.
    pub(crate) fn permit_for(&self, circuit: usize) -> Result<Permit<'_>, BackendError> {
        let circuit = circuit % self.states.len();
        let state = self.states[circuit].load(Ordering::Acquire);
        if state < OPEN {
            return Ok(Permit {
                breaker: self,
                probe: false,
                circuit,
                reported: false,
            });
        }
        if state != PROBING
            && self.now_millis() >= state & !OPEN
            && self.states[circuit]
                .compare_exchange(state, PROBING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return Ok(Permit {
                breaker: self,
                probe: true,
                circuit,
                reported: false,
            });
        }
        Err(BackendError::new(
            BackendErrorKind::CircuitOpen,
            "Redis failed repeatedly; calls skip it until a probe succeeds",
        ))
    }

    /// Records the outcome of a permitted call.
    pub(crate) fn record(&self, mut permit: Permit<'_>, outcome: Result<(), &BackendError>) {
        permit.reported = true;
        let failed = outcome.err().filter(|error| trips(error));
        let state = &self.states[permit.circuit];
        match (permit.probe, failed) {
            (true, None) => {
                state.store(0, Ordering::Release);
                if self.open.fetch_sub(1, Ordering::AcqRel) == 1 {
                    tracing::info!(target: crate::log::TARGET, "Redis is back: cache circuit closed");
                }
            }
            (true, Some(_)) => state.store(self.open_until(), Ordering::Release),
            (false, None) => {
                // Only a failure streak needs resetting; the common case is a load.
                if state.load(Ordering::Relaxed) != 0 {
                    let _ = state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                        (state < OPEN).then_some(0)
                    });
                }
            }
            (false, Some(error)) => {
                let opened = state
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
                if opened && self.open.fetch_add(1, Ordering::AcqRel) == 0 {
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
    fn a_probe_dropped_unreported_lets_the_next_cool_down_probe_again() {
        let breaker = Breaker::new(1, Duration::from_millis(10));
        let permit = breaker.permit().unwrap();
        breaker.record(permit, Err(&failure()));
        std::thread::sleep(Duration::from_millis(15));
        drop(breaker.permit().expect("a probe"));
        assert!(breaker.permit().is_err(), "open again, not stuck probing");
        std::thread::sleep(Duration::from_millis(15));
        let probe = breaker.permit().expect("the next cool-down probes again");
        breaker.record(probe, Ok(()));
        assert!(breaker.permit().is_ok());
    }

    #[test]
    fn circuits_open_and_close_apart() {
        let breaker = Breaker::with_circuits(1, Duration::from_secs(60), 4);
        let permit = breaker.permit_for(1).unwrap();
        breaker.record(permit, Err(&failure()));
        assert!(breaker.permit_for(1).is_err(), "circuit 1 opened");
        assert!(
            breaker.permit_for(5).is_err(),
            "circuits are chosen modulo their number"
        );
        for healthy in [0, 2, 3] {
            let permit = breaker.permit_for(healthy).expect("the others stay closed");
            breaker.record(permit, Ok(()));
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
