//! Waking waiters in every process: one pub/sub connection per backend, one channel per entry
//! that someone in this process waits on.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_core::Stream;
use redis::Client;
use redis::aio::PubSubSink;
use tokio::sync::watch;

use super::to_backend_error;
use crate::backend::{BackendError, Watch};

pub(super) struct Notifications {
    client: Client,
    timeout: Duration,
    subscriber: tokio::sync::Mutex<Option<Arc<Subscriber>>>,
}

struct Subscriber {
    sink: PubSubSink,
    /// Event counters of the channels this process waits on.
    channels: Mutex<HashMap<String, watch::Sender<u64>>>,
    alive: AtomicBool,
}

impl Subscriber {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Notifications {
    pub(super) fn new(client: Client, timeout: Duration) -> Self {
        Self {
            client,
            timeout,
            subscriber: tokio::sync::Mutex::new(None),
        }
    }

    /// The live pub/sub connection, made (again) if there is none.
    async fn subscriber(&self) -> Result<Arc<Subscriber>, BackendError> {
        let mut current = self.subscriber.lock().await;
        if let Some(subscriber) = current.as_ref()
            && subscriber.alive.load(Ordering::Acquire)
        {
            return Ok(Arc::clone(subscriber));
        }
        let pubsub = tokio::time::timeout(self.timeout, self.client.get_async_pubsub())
            .await
            .map_err(|_| BackendError::timeout())?
            .map_err(to_backend_error)?;
        let (sink, mut stream) = pubsub.split();
        let subscriber = Arc::new(Subscriber {
            sink,
            channels: Mutex::new(HashMap::new()),
            alive: AtomicBool::new(true),
        });
        let listener = Arc::downgrade(&subscriber);
        tokio::spawn(async move {
            while let Some(message) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                let Some(subscriber) = listener.upgrade() else {
                    return;
                };
                if let Some(events) = subscriber.channels().get(message.get_channel_name()) {
                    events.send_modify(|count| *count += 1);
                }
            }
            // The connection is gone. Dropping the counters ends every watch on them; waiters
            // then re-check on their own until a new subscription is made.
            if let Some(subscriber) = listener.upgrade() {
                subscriber.alive.store(false, Ordering::Release);
                subscriber.channels().clear();
            }
        });
        *current = Some(Arc::clone(&subscriber));
        Ok(subscriber)
    }

    pub(super) async fn watch(&self, channel: String) -> Result<Watch, BackendError> {
        let subscriber = self.subscriber().await?;
        let (events, first) = {
            let mut channels = subscriber.channels();
            match channels.get(&channel) {
                Some(events) => (events.subscribe(), false),
                None => {
                    let (sender, events) = watch::channel(0);
                    channels.insert(channel.clone(), sender);
                    (events, true)
                }
            }
        };
        let unsubscribe = Unsubscribe {
            subscriber: Arc::clone(&subscriber),
            channel,
        };
        if first {
            let mut sink = subscriber.sink.clone();
            match tokio::time::timeout(self.timeout, sink.subscribe(&unsubscribe.channel)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => return Err(to_backend_error(error)),
                Err(_) => return Err(BackendError::timeout()),
            }
        }
        Ok(Watch::new(events, Some(Box::new(unsubscribe))))
    }
}

/// Leaves a channel when its last watcher in this process is gone.
struct Unsubscribe {
    subscriber: Arc<Subscriber>,
    channel: String,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut channels = self.subscriber.channels();
        // The watch drops its receiver before this guard: no receiver means no watcher.
        let unused = channels
            .get(&self.channel)
            .is_some_and(|events| events.receiver_count() == 0);
        if !unused {
            return;
        }
        channels.remove(&self.channel);
        drop(channels);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let mut sink = self.subscriber.sink.clone();
            let channel = std::mem::take(&mut self.channel);
            runtime.spawn(async move {
                // Best effort: a stale subscription only delivers messages nobody reads.
                let _ = sink.unsubscribe(channel).await;
            });
        }
    }
}
