//! Waking waiters in every process: one pub/sub connection per backend, one channel per entry
//! that someone in this process waits on.
//!
//! On a single server the channel is a plain pub/sub channel. On a cluster it is a sharded
//! channel (`SSUBSCRIBE`, Redis 7): it carries the entry's hash tag, so it lives on the entry's
//! shard and a wake-up touches that shard only, instead of being broadcast over the cluster bus
//! to every node. redis-rs's cluster connection subscribes again after a reconnect or a failover.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_core::Stream;
use redis::aio::PubSubSink;
use redis::cluster_async::ClusterConnection;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::watch;

use super::connection::{ClusterNodes, Endpoint};
use super::to_backend_error;
use crate::backend::{BackendError, Watch};

pub(super) struct Notifications {
    endpoint: Endpoint,
    timeout: Duration,
    subscriber: tokio::sync::Mutex<Option<Arc<Subscriber>>>,
}

/// Event counters of the channels this process waits on.
type Channels = Arc<Mutex<HashMap<String, watch::Sender<u64>>>>;

struct Subscriber {
    sink: Sink,
    channels: Channels,
    alive: AtomicBool,
}

/// Where subscriptions are sent.
#[derive(Clone)]
enum Sink {
    PubSub(PubSubSink),
    Sharded(ClusterConnection),
}

impl Sink {
    async fn subscribe(&mut self, channel: &str) -> redis::RedisResult<()> {
        match self {
            Self::PubSub(sink) => sink.subscribe(channel).await,
            Self::Sharded(connection) => connection.ssubscribe(channel).await,
        }
    }

    async fn unsubscribe(&mut self, channel: &str) -> redis::RedisResult<()> {
        match self {
            Self::PubSub(sink) => sink.unsubscribe(channel).await,
            Self::Sharded(connection) => connection.sunsubscribe(channel).await,
        }
    }
}

impl Subscriber {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        lock(&self.channels)
    }
}

fn lock(channels: &Channels) -> MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
    channels.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts one event on `channel`, if someone here waits on it.
fn notify(channels: &Channels, channel: &str) {
    if let Some(events) = lock(channels).get(channel) {
        events.send_modify(|count| *count += 1);
    }
}

impl Notifications {
    pub(super) fn new(endpoint: Endpoint, timeout: Duration) -> Self {
        Self {
            endpoint,
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
        let subscriber = match &self.endpoint {
            Endpoint::Single(client) => self.single(client).await?,
            Endpoint::Cluster(nodes) => self.sharded(nodes).await?,
        };
        *current = Some(Arc::clone(&subscriber));
        Ok(subscriber)
    }

    /// A RESP3 cluster connection whose push messages feed the counters.
    async fn sharded(&self, nodes: &ClusterNodes) -> Result<Arc<Subscriber>, BackendError> {
        let channels: Channels = Arc::default();
        let fed = Arc::downgrade(&channels);
        let push = move |info: PushInfo| {
            if let (PushKind::SMessage, Some(Value::BulkString(channel))) =
                (&info.kind, info.data.first())
                && let (Some(channels), Ok(channel)) = (fed.upgrade(), std::str::from_utf8(channel))
            {
                notify(&channels, channel);
            }
            Ok::<(), std::convert::Infallible>(())
        };
        let client = nodes.client_with_push(self.timeout, push)?;
        let connection = tokio::time::timeout(self.timeout, client.get_async_connection())
            .await
            .map_err(|_| BackendError::timeout())?
            .map_err(to_backend_error)?;
        Ok(Arc::new(Subscriber {
            sink: Sink::Sharded(connection),
            channels,
            alive: AtomicBool::new(true),
        }))
    }

    /// A pub/sub connection to a single server, read by a task of its own.
    async fn single(&self, client: &redis::Client) -> Result<Arc<Subscriber>, BackendError> {
        let pubsub = tokio::time::timeout(self.timeout, client.get_async_pubsub())
            .await
            .map_err(|_| BackendError::timeout())?
            .map_err(to_backend_error)?;
        let (sink, mut stream) = pubsub.split();
        let subscriber = Arc::new(Subscriber {
            sink: Sink::PubSub(sink),
            channels: Arc::default(),
            alive: AtomicBool::new(true),
        });
        let listener = Arc::downgrade(&subscriber);
        tokio::spawn(async move {
            while let Some(message) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                let Some(subscriber) = listener.upgrade() else {
                    return;
                };
                notify(&subscriber.channels, message.get_channel_name());
            }
            // The connection is gone. Dropping the counters ends every watch on them; waiters
            // then re-check on their own until a new subscription is made.
            if let Some(subscriber) = listener.upgrade() {
                subscriber.alive.store(false, Ordering::Release);
                subscriber.channels().clear();
            }
        });
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
                let _ = sink.unsubscribe(&channel).await;
            });
        }
    }
}
