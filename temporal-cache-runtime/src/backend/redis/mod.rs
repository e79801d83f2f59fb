//! The Redis backend, on redis-rs: a single server through a reconnecting `ConnectionManager`, or
//! a Redis Cluster through redis-rs's cluster connection (see `connection.rs`).

mod acl;
mod breaker;
mod cluster;
mod commands;
mod connection;
mod env;
mod errors;
mod near;
mod notifications;
mod reads;
mod scan;
mod scripts;
mod tls;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::redis::{Client, ConnectionInfo, IntoConnectionInfo, RedisError, Script, Value};
use tokio::sync::OnceCell;

use self::breaker::Breaker;
use self::commands::lease_key;
use self::connection::{Connection, Endpoint};
use self::errors::to_backend_error;
pub use self::near::NearCacheStats;
use self::near::{NearCache, Tracking};
use self::notifications::Notifications;
use self::reads::Reads;
pub use self::scan::KeyScan;
pub use self::tls::RedisTls;
use super::{BackendError, BackendErrorKind, DEFAULT_KEY_PREFIX, DEFAULT_MAX_VALUE_BYTES, Storage};

/// A cache in Redis, shared by every worker that points at the same database.
///
/// Building one does not connect: the connection is made on first use and re-made in the
/// background after it breaks, so a worker starts (and runs its activities uncached) while Redis
/// is away. Every operation is bounded by an operation timeout
/// ([`DEFAULT_OPERATION_TIMEOUT`](Self::DEFAULT_OPERATION_TIMEOUT) unless set with [`with_operation_timeout`](Self::with_operation_timeout)).
///
/// Identical concurrent calls run once across workers: a miss takes a lease on the entry (a
/// `SET NX PX` owned by a random token, renewed while the body runs), and callers that find the
/// lease taken wait on the entry's pub/sub channel until the result is stored. A hit is one
/// `GET` (hits that overlap on a single server go together as one `MGET`); an uncontended miss
/// is three round trips (`GET`, then one script to claim the lease and one to store the value,
/// release the lease and wake the waiters).
///
/// When Redis fails repeatedly (three calls in a row by default: timeouts, refused or broken
/// connections, authentication errors), a circuit breaker makes calls skip it for a cool-down
/// (one second by default), then lets one probe through; a probe that succeeds closes the
/// circuit, so caching resumes by itself once Redis is back.
///
/// Its `Debug` output shows the address and database, never the password.
///
/// ```no_run
/// use temporal_cache_runtime::{set_cache_backend, RedisCacheBackend};
///
/// # fn main() -> Result<(), temporal_cache_runtime::BackendError> {
/// let backend = RedisCacheBackend::new("redis://:secret@127.0.0.1:6379/2")?.with_prefix("billing");
/// set_cache_backend(backend);
/// # Ok(())
/// # }
/// ```
pub struct RedisCacheBackend {
    endpoint: Endpoint,
    connection: OnceCell<Connection>,
    notifications: Notifications,
    breaker: Breaker,
    prefix: String,
    storage: Storage,
    operation_timeout: Duration,
    max_value_bytes: usize,
    near: Option<Arc<NearCache>>,
    reads: Arc<Reads>,
}

impl RedisCacheBackend {
    /// How long one Redis operation may take before it counts as failed, unless configured
    /// otherwise.
    pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_millis(250);
    /// How many consecutive failures open the circuit, unless configured otherwise.
    pub const DEFAULT_BREAKER_FAILURES: u32 = 3;
    /// How long an open circuit skips Redis before letting a probe through, unless configured
    /// otherwise.
    pub const DEFAULT_BREAKER_COOL_DOWN: Duration = Duration::from_secs(1);

    /// A backend for the Redis at `url`, such as `redis://127.0.0.1:6379/0`,
    /// `redis://user:password@host:6379/3` (an ACL user) or `rediss://host:6380` (TLS, verified
    /// against the system's roots; see [`with_tls`](Self::with_tls) for a private CA and mutual
    /// TLS).
    ///
    /// Only the URL is checked here; the connection is made on first use. A URL that asks to
    /// skip certificate checks (`#insecure`) is refused: that takes
    /// [`RedisTls::dangerously_accept_any_server_certificate`], a name nobody writes by mistake.
    pub fn new(url: &str) -> Result<Self, BackendError> {
        let info = connection_info(
            url,
            "the URL asks to skip TLS certificate checks (#insecure); remove that and use \
             RedisTls::dangerously_accept_any_server_certificate() if you really mean it",
        )?;
        Ok(Self::from_client(
            Client::open(info).map_err(configuration)?,
        ))
    }

    /// Applies TLS settings: a private CA, a client certificate (mutual TLS). The URL (every
    /// node's, for a cluster) must be `rediss://`; PEM files are read here, and a file that
    /// cannot be read or parsed is an error now rather than a failed connection later.
    pub fn with_tls(self, tls: RedisTls) -> Result<Self, BackendError> {
        let endpoint = match &self.endpoint {
            Endpoint::Single(client) => {
                Endpoint::Single(tls.client(client.get_connection_info().clone())?)
            }
            Endpoint::Cluster(nodes) => {
                let mut nodes = nodes.clone();
                nodes.tls = Some(tls.certificates_for(&nodes.nodes)?);
                // Parses the certificates now, as for a single server.
                nodes.client(self.operation_timeout)?;
                Endpoint::Cluster(nodes)
            }
        };
        Ok(self.with_endpoint(endpoint))
    }

    /// Logs in as the ACL user `username` with `password` (instead of any credentials in the
    /// URL). The README's "Production Redis" section has the minimal ACL rule the cache needs.
    pub fn with_credentials(
        self,
        username: impl AsRef<str>,
        password: impl AsRef<str>,
    ) -> Result<Self, BackendError> {
        let endpoint = match &self.endpoint {
            Endpoint::Single(client) => {
                let info = client.get_connection_info().clone();
                let settings = info
                    .redis_settings()
                    .clone()
                    .set_username(username)
                    .set_password(password);
                Endpoint::Single(
                    Client::open(info.set_redis_settings(settings)).map_err(configuration)?,
                )
            }
            Endpoint::Cluster(nodes) => {
                let mut nodes = nodes.clone();
                nodes.credentials =
                    Some((username.as_ref().to_owned(), password.as_ref().to_owned()));
                Endpoint::Cluster(nodes)
            }
        };
        Ok(self.with_endpoint(endpoint))
    }

    /// The same settings for another endpoint (before any connection was made).
    fn with_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.notifications = Notifications::new(endpoint.clone(), self.operation_timeout);
        self.endpoint = endpoint;
        self.connection = OnceCell::new();
        self
    }

    /// A backend using an existing redis-rs client (for settings a URL cannot express).
    pub fn from_client(client: Client) -> Self {
        Self::at(Endpoint::Single(client))
    }

    /// A backend for `endpoint` with the default settings.
    fn at(endpoint: Endpoint) -> Self {
        let circuits = cluster::circuits(&endpoint);
        Self {
            notifications: Notifications::new(endpoint.clone(), Self::DEFAULT_OPERATION_TIMEOUT),
            endpoint,
            connection: OnceCell::new(),
            breaker: Breaker::with_circuits(
                Self::DEFAULT_BREAKER_FAILURES,
                Self::DEFAULT_BREAKER_COOL_DOWN,
                circuits,
            ),
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            storage: Storage::new(),
            operation_timeout: Self::DEFAULT_OPERATION_TIMEOUT,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            near: None,
            reads: Arc::default(),
        }
    }

    /// Puts `prefix` in front of every key instead of [`DEFAULT_KEY_PREFIX`], so that several
    /// applications can share one database without seeing each other's entries.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Writes keys and values as `storage` says (keyed hashing and the like) instead of
    /// [`Storage::new`]'s plain form. Every worker sharing this Redis needs the same settings.
    pub fn with_storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Bounds every operation, connecting included, by `timeout`.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self.notifications = Notifications::new(self.endpoint.clone(), timeout);
        self
    }

    /// Opens the circuit after `failures` consecutive failures and keeps it open for
    /// `cool_down` before probing (defaults: [`DEFAULT_BREAKER_FAILURES`](Self::DEFAULT_BREAKER_FAILURES)
    /// and [`DEFAULT_BREAKER_COOL_DOWN`](Self::DEFAULT_BREAKER_COOL_DOWN)).
    pub fn with_circuit_breaker(mut self, failures: u32, cool_down: Duration) -> Self {
        self.breaker =
            Breaker::with_circuits(failures, cool_down, cluster::circuits(&self.endpoint));
        self
    }

    /// Stores no value larger than `bytes` (default [`DEFAULT_MAX_VALUE_BYTES`]): a larger
    /// result is returned to its caller but not cached.
    pub fn with_max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    /// Keeps entries read from Redis in this process's memory too, up to `max_bytes` (keys,
    /// values and a small per-entry overhead), and serves them from there: a hit then costs no
    /// round trip.
    ///
    /// The near cache stays coherent with Redis: Redis reports every change to a key under this
    /// backend's prefix (`CLIENT TRACKING` in broadcast mode, on a connection of its own), and the
    /// entry is dropped here, whoever changed it (another worker's store, a refresh, an
    /// invalidation, an eviction or an expiry). A worker may serve the previous value only until
    /// that report reaches it (well under a millisecond on a local network; `BENCHMARKS.md` has
    /// the measured window). An entry is never served past its Redis TTL, nor while the tracking
    /// connection is down: when it breaks, the near cache is emptied and refills once tracking is
    /// back. The Redis user needs `PTTL`, `PING`, `CLIENT TRACKING` and `CLIENT SETNAME` besides
    /// the usual commands ([`acl_rule`](Self::acl_rule) includes them).
    ///
    /// Turn it on for results read far more often than they change; every write under the
    /// prefix costs every worker with a near cache one small message.
    ///
    /// [`from_env`](Self::from_env) turns it on when `TEMPORAL_CACHE_NEAR_CACHE_BYTES` is set.
    /// Its figures are in [`near_cache_stats`](Self::near_cache_stats), and on the meter
    /// [`set_meter`](crate::metrics::set_meter) was given as the `temporal_cache_near_*` metrics
    /// (see [`metrics`](crate::metrics)).
    pub fn with_near_cache(mut self, max_bytes: u64) -> Self {
        self.near = Some(Arc::new(NearCache::new(max_bytes)));
        self
    }

    /// The near cache's figures, or `None` without a near cache (see
    /// [`with_near_cache`](Self::with_near_cache)).
    pub fn near_cache_stats(&self) -> Option<NearCacheStats> {
        self.near.as_ref().map(|near| near.stats())
    }

    /// The near cache, with its tracking task started on this runtime if none runs.
    fn near(&self) -> Option<&Arc<NearCache>> {
        let near = self.near.as_ref()?;
        if !near.is_tracking() {
            near.supervise(|| Tracking {
                endpoint: self.endpoint.clone(),
                key_prefix: self.prefix.to_string(),
                prefix: format!("{}:", self.prefix),
                timeout: self.operation_timeout,
            });
        }
        Some(near)
    }

    /// The backend's connection, made by the first operation that needs it.
    ///
    /// Connecting is boxed: its state is more than a kilobyte, and every command's future would
    /// carry it otherwise, long after the connection exists.
    async fn connection(&self) -> Result<Connection, BackendError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let connection = Box::pin(
            self.connection
                .get_or_try_init(|| self.endpoint.connect(self.operation_timeout)),
        )
        .await?;
        Ok(connection.clone())
    }

    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, BackendError> {
        errors::bounded(self.operation_timeout, operation).await
    }

    /// Runs one operation on `key` through the circuit breaker (the key's slot's circuit, for a
    /// cluster).
    ///
    /// An operation that finds its connection broken runs once more: the failure has made the
    /// connection manager reconnect, on the runtime this call runs on, and the retry waits for
    /// that connection. So a restarted Redis costs no second cool-down (the probe that finds the
    /// old connection dead reaches the new server), and a backend outlives the Tokio runtime it
    /// was first used on (whose connection died with it). A refused connection fails fast, so
    /// the retry costs little while Redis is down.
    async fn guarded<T, Operation, Attempt>(
        &self,
        key: &str,
        operation: Operation,
    ) -> Result<T, BackendError>
    where
        Operation: Fn() -> Attempt,
        Attempt: Future<Output = Result<T, BackendError>>,
    {
        let permit = self.breaker.permit_for(self.circuit_of(key))?;
        let mut result = operation().await;
        if result
            .as_ref()
            .is_err_and(|error| error.kind() == BackendErrorKind::Unavailable)
        {
            result = operation().await;
        }
        self.breaker.record(permit, result.as_ref().map(|_| ()));
        result
    }

    /// Runs one of the lease scripts on the entry's value and lease keys.
    async fn script(
        &self,
        script: &Script,
        key: &str,
        args: &[&[u8]],
    ) -> Result<Value, BackendError> {
        let mut connection = self.connection().await?;
        let mut invocation = script.key(key);
        invocation.key(lease_key(key));
        for arg in args {
            invocation.arg(*arg);
        }
        self.bounded(invocation.invoke_async::<Value>(&mut connection))
            .await
    }
}

/// Parses `url`, refusing one that asks to skip certificate checks (`#insecure`) with
/// `insecure_refusal`, and makes rustls ready for a `rediss://` one.
fn connection_info(
    url: &str,
    insecure_refusal: &'static str,
) -> Result<ConnectionInfo, BackendError> {
    let info = url.into_connection_info().map_err(configuration)?;
    if tls::skips_verification(&info) {
        return Err(BackendError::new(
            BackendErrorKind::Configuration,
            insecure_refusal,
        ));
    }
    if tls::is_tls(&info) {
        tls::install_crypto_provider();
    }
    Ok(info)
}

fn configuration(error: RedisError) -> BackendError {
    BackendError::new(BackendErrorKind::Configuration, error)
}

impl fmt::Debug for RedisCacheBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RedisCacheBackend");
        match &self.endpoint {
            Endpoint::Single(client) => {
                let info = client.get_connection_info();
                let settings = info.redis_settings();
                debug
                    .field("addr", &info.addr().to_string())
                    .field("db", &settings.db())
                    .field("username", &settings.username())
                    .field("password", &settings.password().map(|_| "<redacted>"));
            }
            Endpoint::Cluster(nodes) => {
                let addrs: Vec<String> = nodes
                    .nodes
                    .iter()
                    .map(|node| node.addr().to_string())
                    .collect();
                debug.field("cluster", &addrs).field(
                    "username",
                    &nodes.credentials.as_ref().map(|(username, _)| username),
                );
            }
        }
        debug
            .field("prefix", &self.prefix)
            .field("operation_timeout", &self.operation_timeout)
            .field(
                "near_cache_max_bytes",
                &self.near.as_ref().map(|near| near.max_bytes()),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let backend = RedisCacheBackend::new("redis://alice:hunter2@127.0.0.1:6390/3").unwrap();
        let shown = format!("{backend:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(shown.contains("6390"), "{shown}");
        assert!(shown.contains("db: 3"), "{shown}");
    }

    #[test]
    fn rejects_an_unparsable_url_with_a_configuration_error() {
        let error = RedisCacheBackend::new("not a url").unwrap_err();
        assert_eq!(error.kind(), BackendErrorKind::Configuration);
    }
}
