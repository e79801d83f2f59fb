//! The two shapes of a Redis deployment behind one connection type, so that every command and
//! script of the backend is written once: a single server through a reconnecting
//! `ConnectionManager`, or a Redis Cluster through redis-rs's cluster connection, which routes
//! each command by its key's slot, follows `MOVED` and `ASK` redirections and refreshes its slot
//! map after a failover or a resharding.

use std::time::Duration;

use ::redis::aio::{AsyncPushSender, ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::{ClusterClient, ClusterClientBuilder};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Client, Cmd, ConnectionInfo, Pipeline, RedisFuture, TlsCertificates, Value};

use super::errors::to_backend_error;
use crate::backend::{BackendError, BackendErrorKind};

/// Where the backend's Redis is.
#[derive(Clone)]
pub(super) enum Endpoint {
    Single(Client),
    Cluster(ClusterNodes),
}

/// The seed nodes of a cluster and how to log in to every node.
#[derive(Clone)]
pub(super) struct ClusterNodes {
    pub(super) nodes: Vec<ConnectionInfo>,
    pub(super) credentials: Option<(String, String)>,
    pub(super) tls: Option<TlsCertificates>,
}

impl ClusterNodes {
    /// A redis-rs cluster client for these nodes, each operation bounded by `timeout`.
    pub(super) fn client(&self, timeout: Duration) -> Result<ClusterClient, BackendError> {
        build(self.builder(timeout))
    }

    /// Like [`client`](Self::client), speaking RESP3 and handing push messages (sharded pub/sub)
    /// to `push`.
    pub(super) fn client_with_push(
        &self,
        timeout: Duration,
        push: impl AsyncPushSender,
    ) -> Result<ClusterClient, BackendError> {
        build(
            self.builder(timeout)
                .use_protocol(::redis::ProtocolVersion::RESP3)
                .push_sender(push),
        )
    }

    fn builder(&self, timeout: Duration) -> ClusterClientBuilder {
        // No response timeout: each operation is bounded by the backend, and redis-rs's own
        // timers (one per attempt, one overall) would only add to the cost of every hit.
        let mut builder = ClusterClientBuilder::new(self.nodes.clone())
            .connection_timeout(timeout)
            // Redirections and a slot map refresh are retried within the deadline; a dead
            // node is the breaker's business, not a reason to wait.
            .retries(4)
            .min_retry_wait(10)
            .max_retry_wait(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        if let Some((username, password)) = &self.credentials {
            builder = builder.username(username).password(password);
        }
        if let Some(tls) = &self.tls {
            builder = builder.certs(tls.clone());
        }
        builder
    }
}

fn build(builder: ClusterClientBuilder) -> Result<ClusterClient, BackendError> {
    builder
        .build()
        .map_err(|error| BackendError::new(BackendErrorKind::Configuration, error))
}

impl Endpoint {
    /// A connection to the endpoint, made within `timeout` (a single server's is made lazily,
    /// by its first command).
    pub(super) async fn connect(&self, timeout: Duration) -> Result<Connection, BackendError> {
        match self {
            Self::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    // Each operation is bounded by the backend; a second, per-request timer
                    // inside redis-rs would only add to the cost of every hit.
                    .set_response_timeout(None)
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(10))
                    .set_max_delay(timeout);
                ConnectionManager::new_lazy_with_config(client.clone(), config)
                    .map(Connection::Single)
                    .map_err(to_backend_error)
            }
            Self::Cluster(nodes) => {
                let client = nodes.client(timeout)?;
                match tokio::time::timeout(timeout, client.get_async_connection()).await {
                    Ok(connection) => connection
                        .map(Connection::Cluster)
                        .map_err(to_backend_error),
                    Err(_) => Err(BackendError::timeout()),
                }
            }
        }
    }

    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

/// A connection to a single server or to a cluster; cheap to clone.
#[derive(Clone)]
pub(super) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}
