//! Reads that overlap share a round trip.
//!
//! A read that finds no other on its way sends its own `GET`, so one caller at a time pays only
//! two uncontended locks for this. Reads that arrive while one is on its way wait, and go
//! together as one `MGET` as soon as it returns: many concurrent hits then cost Redis one command
//! per batch instead of one per hit, and the client one reply to route. With 64 concurrent hits
//! of a small entry on 2 cores shared with Redis, this took the hit rate from about 0.6 to most
//! often 0.8 to 0.9 times the rate of bare `GET`s (`BENCHMARKS.md`).
//!
//! Large values are not batched: a reply of many large values is slower than their replies one
//! by one (measured with 100 KB entries), so after a reply whose values average
//! [`BATCH_BELOW_BYTES`] or more, reads go straight out, pipelined on the connection as before,
//! until a small value comes back. Nor is anything batched for a Redis user that may not run
//! `MGET` (an ACL rule written before it was needed): the first refusal is logged once, its
//! batch is read with pipelined `GET`s, and reads go straight out from then on.

use std::borrow::Borrow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ::redis::aio::ConnectionManager;
use tokio::sync::oneshot;
use tokio::time::timeout_at;

use super::errors::{bounded, bounded_until, to_backend_error};
use crate::backend::{BackendError, BackendErrorKind};
use crate::log::TARGET;

/// Values at least this large, on average over a reply, make reads go straight out.
const BATCH_BELOW_BYTES: usize = 16 * 1024;

/// The most keys one `MGET` asks for; more waiting reads go in the next one.
const MAX_BATCH: usize = 64;

type Reply = Result<Option<Vec<u8>>, BackendError>;

/// The reads of one single-server connection.
///
/// Each read is bounded by the operation timeout its caller passes, as every operation of the
/// backend is: a caller's own `GET` by a timer of its own, a waiting read by its batch's timer
/// (which ends no later than the read's own timeout would), so that many concurrent hits do not
/// each set a timer.
#[derive(Default)]
pub(super) struct Reads {
    queue: Mutex<Queue>,
    /// Whether the last reply's values were large (see the module's documentation).
    large: AtomicBool,
    /// Whether Redis refused `MGET` to this user.
    refused: AtomicBool,
}

#[derive(Default)]
struct Queue {
    /// Whether a read (a caller's own `GET`, or a batch) is on its way.
    busy: bool,
    waiting: Vec<Waiting>,
}

struct Waiting {
    key: Box<str>,
    reply: oneshot::Sender<Reply>,
    /// When the read's operation timeout ends: its batch is bounded by its oldest read's.
    deadline: Instant,
}

impl Reads {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value at `key`, within `timeout`: read with a `GET` of its own when no read is on its
    /// way (or reads go straight out), else in the next batch.
    pub(super) async fn get(
        self: &Arc<Self>,
        mut connection: ConnectionManager,
        key: &str,
        timeout: Duration,
    ) -> Reply {
        if self.large.load(Ordering::Relaxed) || self.refused.load(Ordering::Relaxed) {
            return self.get_alone(&mut connection, key, timeout).await;
        }
        let receiver = {
            let mut queue = self.queue();
            if queue.busy {
                let (reply, receiver) = oneshot::channel();
                queue.waiting.push(Waiting {
                    key: key.into(),
                    reply,
                    deadline: Instant::now() + timeout,
                });
                Some(receiver)
            } else {
                queue.busy = true;
                None
            }
        };
        match receiver {
            Some(receiver) => receiver.await.unwrap_or_else(|_| Err(abandoned())),
            None => {
                let mut turn = Turn {
                    reads: self,
                    connection,
                    open: true,
                };
                // However this call ends (answered, failed or dropped), its turn hands over.
                self.get_alone(&mut turn.connection, key, timeout).await
            }
        }
    }

    async fn get_alone(
        &self,
        connection: &mut ConnectionManager,
        key: &str,
        timeout: Duration,
    ) -> Reply {
        let value = bounded(
            timeout,
            ::redis::cmd("GET")
                .arg(key)
                .query_async::<Option<Vec<u8>>>(connection),
        )
        .await?;
        self.note_sizes(value.as_ref().map_or(0, Vec::len));
        Ok(value)
    }

    /// Remembers whether values as large as `average` make reads go straight out.
    fn note_sizes(&self, average: usize) {
        let large = average >= BATCH_BELOW_BYTES;
        // Read first: the flag rarely changes, and a store on every read would bounce its
        // cache line between the cores.
        if self.large.load(Ordering::Relaxed) != large {
            self.large.store(large, Ordering::Relaxed);
        }
    }

    /// Ends a turn: the reads that queued meanwhile go in a batch, or none is on its way any more.
    fn hand_over(self: &Arc<Self>, connection: &ConnectionManager) {
        let Some(batch) = self.next_batch() else {
            return;
        };
        // The batch's turn exists before its task runs: a task dropped unpolled (its runtime
        // shutting down) still hands over.
        let turn = Turn {
            reads: Arc::clone(self),
            connection: connection.clone(),
            open: true,
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(turn.send(batch)));
        } else {
            // No runtime to send them on: these reads fail, which their calls survive, and the
            // turn hands over what queued since.
            drop(batch);
        }
    }

    /// The next batch of waiting reads, or `None` after marking that no read is on its way.
    fn next_batch(&self) -> Option<Vec<Waiting>> {
        let mut queue = self.queue();
        if queue.waiting.is_empty() {
            queue.busy = false;
            return None;
        }
        if queue.waiting.len() <= MAX_BATCH {
            return Some(std::mem::take(&mut queue.waiting));
        }
        let later = queue.waiting.split_off(MAX_BATCH);
        Some(std::mem::replace(&mut queue.waiting, later))
    }

    /// The values of a batch's keys, in order: one `MGET`, or `GET`s in one pipeline for a user
    /// that may not run it.
    async fn read_batch(
        &self,
        connection: &mut ConnectionManager,
        batch: &[Waiting],
    ) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
        // The oldest read's deadline, which is the first's: they queue in order.
        let deadline = batch
            .first()
            .map_or_else(Instant::now, |oldest| oldest.deadline);
        if !self.refused.load(Ordering::Relaxed) {
            let mut command = ::redis::cmd("MGET");
            for waiting in batch {
                command.arg(&*waiting.key);
            }
            let reply = timeout_at(deadline.into(), command.query_async(connection))
                .await
                .map_err(|_| BackendError::timeout())?;
            match reply {
                Err(error) if refuses_mget(&error) => {
                    if !self.refused.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            target: TARGET,
                            %error,
                            "the Redis user may not run MGET, so concurrent reads are not \
                             batched; add +mget to its ACL rule (RedisCacheBackend::acl_rule)"
                        );
                    }
                }
                reply => return reply.map_err(to_backend_error),
            }
        }
        let mut pipeline = ::redis::pipe();
        for waiting in batch {
            pipeline.cmd("GET").arg(&*waiting.key);
        }
        bounded_until(deadline, pipeline.query_async(connection)).await
    }
}

impl Turn<Arc<Reads>> {
    /// Sends batches until no read waits.
    async fn send(mut self, mut batch: Vec<Waiting>) {
        loop {
            let replies = self.reads.read_batch(&mut self.connection, &batch).await;
            if let Ok(values) = &replies {
                let total: usize = values.iter().flatten().map(Vec::len).sum();
                self.reads.note_sizes(total / values.len().max(1));
            }
            deliver(batch, replies);
            match self.reads.next_batch() {
                Some(next) => batch = next,
                None => break,
            }
        }
        // `next_batch` found nothing waiting and marked that no read is on its way.
        self.open = false;
    }
}

/// Answers every read of a batch.
fn deliver(batch: Vec<Waiting>, replies: Result<Vec<Option<Vec<u8>>>, BackendError>) {
    match replies {
        Ok(values) if values.len() == batch.len() => {
            for (waiting, value) in batch.into_iter().zip(values) {
                // A waiter that gave up has dropped its receiver; nothing to do.
                let _ = waiting.reply.send(Ok(value));
            }
        }
        Ok(values) => {
            let message = format!(
                "a read of {} keys answered {} values",
                batch.len(),
                values.len()
            );
            for waiting in batch {
                let error = BackendError::new(BackendErrorKind::Rejected, message.clone());
                let _ = waiting.reply.send(Err(error));
            }
        }
        Err(error) => {
            let (kind, message) = (error.kind(), error.to_string());
            for waiting in batch {
                let _ = waiting
                    .reply
                    .send(Err(BackendError::new(kind, message.clone())));
            }
        }
    }
}

/// Whether Redis refused `MGET` itself to this user ("no permissions to run the 'mget'
/// command"), rather than one of the batch's keys, which no other command would be allowed.
fn refuses_mget(error: &::redis::RedisError) -> bool {
    error.code() == Some("NOPERM") && error.to_string().to_ascii_lowercase().contains("'mget'")
}

fn abandoned() -> BackendError {
    BackendError::new(
        BackendErrorKind::Unavailable,
        "the batch carrying this read was dropped",
    )
}

/// A read (or a run of batches) on its way; when it ends, however it ends, the reads that
/// queued meanwhile go on. A caller's own read borrows the reads; a batch's task owns them.
struct Turn<R: Borrow<Arc<Reads>>> {
    reads: R,
    connection: ConnectionManager,
    /// Whether the turn still has to hand over (a batch that found nothing waiting has).
    open: bool,
}

impl<R: Borrow<Arc<Reads>>> Drop for Turn<R> {
    fn drop(&mut self) {
        if self.open {
            self.reads.borrow().hand_over(&self.connection);
        }
    }
}
