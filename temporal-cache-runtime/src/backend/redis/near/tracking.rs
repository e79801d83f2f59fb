//! Keeping the near cache coherent: a connection of its own on which Redis reports every change
//! to a key under the backend's prefix (`CLIENT TRACKING ON BCAST PREFIX`, RESP3 push messages),
//! watched by one task that re-makes it when it breaks.
//!
//! Why broadcast mode on a connection of its own, and not redis-rs's experimental `cache-aio`:
//! reads go through the backend's existing connection (a `ConnectionManager` or the cluster
//! connection), which reconnects by itself and would silently lose a per-connection tracking
//! state; and `cache-aio` caches command replies by itself, without the byte bound, the Redis
//! TTL or the reset-on-reconnect this cache needs. Broadcast mode costs one push per write under
//! the prefix to every worker, which is what a read-mostly cache (the only kind worth a near
//! cache) can afford.
//!
//! The task lives on the Tokio runtime of the call that started it. When that runtime shuts
//! down, the task's guard empties the near cache (nobody is listening any more), and the next
//! call starts a new task on its own runtime.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::cluster_async::ClusterConnection;
use ::redis::cluster_routing::{MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo};
use ::redis::{AsyncConnectionConfig, Client, Cmd, ProtocolVersion, PushInfo, PushKind, Value};
use tokio::sync::Notify;

use super::NearCache;
use crate::backend::BackendError;
use crate::backend::redis::connection::Endpoint;
use crate::backend::redis::errors::to_backend_error;
use crate::log::TARGET;

/// How often the tracking connection is checked with a `PING`: a connection that died without
/// closing (a half-open TCP link) stops serving entries at most this long plus one operation
/// timeout later.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// The longest wait between attempts to make the tracking connection while Redis is away.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
const MIN_BACKOFF: Duration = Duration::from_millis(20);

/// The name the tracking connection gives itself (`CLIENT LIST` shows it), so an operator can
/// tell it from the cache's other connections.
pub(crate) const CONNECTION_NAME: &str = "temporal-cache-near";

/// Where and what to track: a snapshot of the backend's settings, taken when the task starts.
pub(in crate::backend::redis) struct Tracking {
    pub(in crate::backend::redis) endpoint: Endpoint,
    /// The backend's key prefix: the near cache's metrics are labelled with it.
    pub(in crate::backend::redis) key_prefix: String,
    /// Keys starting with this are tracked: the backend's prefix and its separator.
    pub(in crate::backend::redis) prefix: String,
    pub(in crate::backend::redis) timeout: Duration,
}

/// A connection with tracking on.
enum Tracked {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl NearCache {
    /// Starts the tracking task on the current runtime, unless one runs already.
    pub(in crate::backend::redis) fn supervise(
        self: &Arc<Self>,
        tracking: impl FnOnce() -> Tracking,
    ) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.start_supervising() {
            runtime.spawn(supervise(Arc::downgrade(self), tracking()));
        }
    }
}

/// Empties the near cache, exports its figures, and lets a new task start when the task ends for
/// any reason, its runtime shutting down included.
struct Unsupervised<'a> {
    near: Weak<NearCache>,
    key_prefix: &'a str,
}

impl Drop for Unsupervised<'_> {
    fn drop(&mut self) {
        if let Some(near) = self.near.upgrade() {
            near.reset();
            near.export_metrics(self.key_prefix);
            near.stop_supervising();
        }
    }
}

/// Keeps the tracking connection up, and exports the near cache's figures on every heartbeat
/// and every change of the connection.
async fn supervise(near: Weak<NearCache>, tracking: Tracking) {
    let _unsupervised = Unsupervised {
        near: near.clone(),
        key_prefix: &tracking.key_prefix,
    };
    let export = |near: &NearCache| near.export_metrics(&tracking.key_prefix);
    let mut backoff = MIN_BACKOFF;
    let mut reported = false;
    loop {
        let lost = Arc::new(Lost::default());
        let made = tracking.connect(&near, &lost).await;
        let Some(cache) = near.upgrade() else {
            return;
        };
        match made {
            Ok(mut connection) => {
                cache.tracking_started();
                export(&cache);
                drop(cache);
                backoff = MIN_BACKOFF;
                if reported {
                    tracing::info!(target: TARGET, "near cache: tracking is back on");
                    reported = false;
                }
                loop {
                    tokio::select! {
                        () = lost.notify.notified() => break,
                        () = tokio::time::sleep(HEARTBEAT) => {
                            let Some(cache) = near.upgrade() else {
                                return;
                            };
                            export(&cache);
                            drop(cache);
                            if tracking.ping(&mut connection).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                // From now on this connection's end (its driver may report it later) is no
                // news: only the current connection's end may stop the near cache.
                lost.current.store(false, Ordering::SeqCst);
                match near.upgrade() {
                    Some(cache) => {
                        cache.reset();
                        export(&cache);
                    }
                    None => return,
                }
            }
            Err(error) => {
                export(&cache);
                drop(cache);
                if !reported {
                    tracing::warn!(
                        target: TARGET,
                        %error,
                        "near cache: cannot turn on Redis key tracking; reads go to Redis until it works"
                    );
                    reported = true;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// How a tracking connection's end reaches its task.
struct Lost {
    notify: Notify,
    /// Whether the connection is the one tracking now (not one the task already gave up).
    current: AtomicBool,
}

impl Default for Lost {
    fn default() -> Self {
        Self {
            notify: Notify::new(),
            current: AtomicBool::new(true),
        }
    }
}

/// What Redis pushes on the tracking connection: invalidated keys, or the connection's end.
fn on_push(near: &Weak<NearCache>, lost: &Lost, info: PushInfo) {
    let Some(near) = near.upgrade() else {
        return;
    };
    match info.kind {
        PushKind::Invalidate => match info.data.first() {
            Some(Value::Array(keys)) => {
                for key in keys {
                    if let Value::BulkString(key) = key
                        && let Ok(key) = std::str::from_utf8(key)
                    {
                        near.invalidate(key);
                    }
                }
            }
            // A null key list: the whole database was flushed.
            _ => near.forget_everything(),
        },
        PushKind::Disconnection if lost.current.swap(false, Ordering::SeqCst) => {
            near.reset();
            lost.notify.notify_one();
        }
        _ => {}
    }
}

impl Tracking {
    async fn connect(
        &self,
        near: &Weak<NearCache>,
        lost: &Arc<Lost>,
    ) -> Result<Tracked, BackendError> {
        let pushed = {
            let near = near.clone();
            let lost = Arc::clone(lost);
            move |info: PushInfo| {
                on_push(&near, &lost, info);
                Ok::<(), std::convert::Infallible>(())
            }
        };
        let mut track = ::redis::cmd("CLIENT");
        track
            .arg("TRACKING")
            .arg("ON")
            .arg("BCAST")
            .arg("PREFIX")
            .arg(&self.prefix);
        let mut name = ::redis::cmd("CLIENT");
        name.arg("SETNAME").arg(CONNECTION_NAME);
        let connecting = async {
            match &self.endpoint {
                Endpoint::Single(client) => {
                    let info = client.get_connection_info().clone();
                    let settings = info
                        .redis_settings()
                        .clone()
                        .set_protocol(ProtocolVersion::RESP3);
                    let client = Client::open(info.set_redis_settings(settings))
                        .map_err(to_backend_error)?;
                    let config = AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(self.timeout))
                        .set_response_timeout(Some(self.timeout))
                        .set_push_sender(pushed);
                    let mut connection = client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await
                        .map_err(to_backend_error)?;
                    name.query_async::<()>(&mut connection)
                        .await
                        .map_err(to_backend_error)?;
                    track
                        .query_async::<()>(&mut connection)
                        .await
                        .map_err(to_backend_error)?;
                    Ok(Tracked::Single(connection))
                }
                Endpoint::Cluster(nodes) => {
                    let client = nodes.client_with_push(self.timeout, pushed)?;
                    let mut connection = client
                        .get_async_connection()
                        .await
                        .map_err(to_backend_error)?;
                    on_every_master(&mut connection, name).await?;
                    on_every_master(&mut connection, track).await?;
                    Ok(Tracked::Cluster(connection))
                }
            }
        };
        tokio::time::timeout(self.timeout, connecting)
            .await
            .map_err(|_| BackendError::timeout())?
    }

    async fn ping(&self, connection: &mut Tracked) -> Result<(), BackendError> {
        let ping = ::redis::cmd("PING");
        let pinged = async {
            match connection {
                Tracked::Single(connection) => ping
                    .query_async::<Value>(connection)
                    .await
                    .map(drop)
                    .map_err(to_backend_error),
                Tracked::Cluster(connection) => on_every_master(connection, ping).await,
            }
        };
        tokio::time::timeout(self.timeout, pinged)
            .await
            .map_err(|_| BackendError::timeout())?
    }
}

async fn on_every_master(
    connection: &mut ClusterConnection,
    command: Cmd,
) -> Result<(), BackendError> {
    connection
        .route_command(
            command,
            RoutingInfo::MultiNode((
                MultipleNodeRoutingInfo::AllMasters,
                Some(ResponsePolicy::AllSucceeded),
            )),
        )
        .await
        .map(drop)
        .map_err(to_backend_error)
}
