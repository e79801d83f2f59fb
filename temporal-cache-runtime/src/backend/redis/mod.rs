//! The Redis backend, on redis-rs with a reconnecting `ConnectionManager`.

mod breaker;
mod notifications;
mod scripts;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, ErrorKind, RedisError, Script, Value};
use tokio::sync::OnceCell;

use self::breaker::Breaker;
use self::notifications::Notifications;
use super::{
    BackendError, BackendErrorKind, BoxFuture, CacheBackend, Claim, DEFAULT_KEY_PREFIX,
    DEFAULT_MAX_VALUE_BYTES, Watch,
};

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
/// `GET`; an uncontended miss is three round trips (`GET`, then one script to claim the lease and
/// one to store the value, release the lease and wake the waiters).
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
    client: Client,
    connection: OnceCell<ConnectionManager>,
    notifications: Notifications,
    breaker: Breaker,
    prefix: String,
    operation_timeout: Duration,
    max_value_bytes: usize,
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

    /// A backend for the Redis at `url`, such as `redis://127.0.0.1:6379/0` or
    /// `redis://user:password@host:6379/3` (`rediss://` needs redis-rs's TLS features).
    ///
    /// Only the URL is checked here; the connection is made on first use.
    pub fn new(url: &str) -> Result<Self, BackendError> {
        let client = Client::open(url)
            .map_err(|error| BackendError::new(BackendErrorKind::Configuration, error))?;
        Ok(Self::from_client(client))
    }

    /// A backend using an existing redis-rs client (for settings a URL cannot express).
    pub fn from_client(client: Client) -> Self {
        Self {
            notifications: Notifications::new(client.clone(), Self::DEFAULT_OPERATION_TIMEOUT),
            client,
            connection: OnceCell::new(),
            breaker: Breaker::new(
                Self::DEFAULT_BREAKER_FAILURES,
                Self::DEFAULT_BREAKER_COOL_DOWN,
            ),
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            operation_timeout: Self::DEFAULT_OPERATION_TIMEOUT,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
        }
    }

    /// Puts `prefix` in front of every key instead of [`DEFAULT_KEY_PREFIX`], so that several
    /// applications can share one database without seeing each other's entries.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Bounds every operation, connecting included, by `timeout`.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self.notifications = Notifications::new(self.client.clone(), timeout);
        self
    }

    /// Opens the circuit after `failures` consecutive failures and keeps it open for
    /// `cool_down` before probing (defaults: [`DEFAULT_BREAKER_FAILURES`](Self::DEFAULT_BREAKER_FAILURES)
    /// and [`DEFAULT_BREAKER_COOL_DOWN`](Self::DEFAULT_BREAKER_COOL_DOWN)).
    pub fn with_circuit_breaker(mut self, failures: u32, cool_down: Duration) -> Self {
        self.breaker = Breaker::new(failures, cool_down);
        self
    }

    /// Stores no value larger than `bytes` (default [`DEFAULT_MAX_VALUE_BYTES`]): a larger
    /// result is returned to its caller but not cached.
    pub fn with_max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    async fn connection(&self) -> Result<ConnectionManager, BackendError> {
        let timeout = self.operation_timeout;
        let manager = self
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    // Each operation is bounded by `bounded` below; a second, per-request timer
                    // inside redis-rs would only add to the cost of every hit.
                    .set_response_timeout(None)
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(10))
                    .set_max_delay(timeout);
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
                    .map_err(to_backend_error)
            })
            .await?;
        Ok(manager.clone())
    }

    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, BackendError> {
        match tokio::time::timeout(self.operation_timeout, operation).await {
            Ok(result) => result.map_err(to_backend_error),
            Err(_) => Err(BackendError::timeout()),
        }
    }

    /// Runs one operation through the circuit breaker.
    async fn guarded<T>(
        &self,
        operation: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        let permit = self.breaker.permit()?;
        let result = operation.await;
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

fn lease_key(key: &str) -> String {
    format!("{key}:lease")
}

fn channel(key: &str) -> String {
    format!("{key}:events")
}

fn millis(duration: Duration) -> Vec<u8> {
    // Never zero: `PX 0` is an error in Redis.
    let millis = u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    millis.to_string().into_bytes()
}

fn unexpected(reply: &Value) -> BackendError {
    BackendError::new(
        BackendErrorKind::Rejected,
        format!("unexpected reply from a temporal-cache script: {reply:?}"),
    )
}

fn to_backend_error(error: RedisError) -> BackendError {
    let kind = if error.is_timeout() {
        BackendErrorKind::Timeout
    } else if error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.kind() == ErrorKind::Io
    {
        BackendErrorKind::Unavailable
    } else if matches!(
        error.kind(),
        ErrorKind::InvalidClientConfig | ErrorKind::AuthenticationFailed
    ) || error.code() == Some("NOAUTH")
        || error.code() == Some("WRONGPASS")
    {
        BackendErrorKind::Configuration
    } else {
        BackendErrorKind::Rejected
    };
    BackendError::new(kind, error)
}

impl CacheBackend for RedisCacheBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        Box::pin(self.guarded(async move {
            let mut connection = self.connection().await?;
            self.bounded(
                ::redis::cmd("GET")
                    .arg(key)
                    .query_async::<Option<Vec<u8>>>(&mut connection),
            )
            .await
        }))
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(self.guarded(async move {
            let mut connection = self.connection().await?;
            let mut command = ::redis::cmd("SET");
            command.arg(key).arg(value);
            if let Some(ttl) = ttl {
                command.arg("PX").arg(millis(ttl));
            }
            self.bounded(command.query_async::<()>(&mut connection))
                .await
        }))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.guarded(async move {
            let mut connection = self.connection().await?;
            let removed = self
                .bounded(
                    ::redis::cmd("DEL")
                        .arg(key)
                        .query_async::<u64>(&mut connection),
                )
                .await?;
            Ok(removed > 0)
        }))
    }

    fn key_prefix(&self) -> &str {
        &self.prefix
    }

    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BackendError>> {
        Box::pin(self.guarded(async move {
            let reply = self
                .script(&scripts::CLAIM, key, &[owner.as_bytes(), &millis(lease)])
                .await?;
            match &reply {
                Value::Array(items) => match items.as_slice() {
                    [Value::Int(1), Value::BulkString(value)] => Ok(Claim::Value(value.clone())),
                    [Value::Int(2)] => Ok(Claim::Acquired),
                    [Value::Int(3)] => Ok(Claim::Held),
                    _ => Err(unexpected(&reply)),
                },
                _ => Err(unexpected(&reply)),
            }
        }))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(self.guarded(async move {
            let ttl = ttl.map_or_else(|| b"0".to_vec(), millis);
            let channel = channel(key);
            self.script(
                &scripts::COMPLETE,
                key,
                &[owner.as_bytes(), value, &ttl, channel.as_bytes()],
            )
            .await?;
            Ok(())
        }))
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.guarded(async move {
            let channel = channel(key);
            let reply = self
                .script(
                    &scripts::RELEASE,
                    key,
                    &[owner.as_bytes(), channel.as_bytes()],
                )
                .await?;
            Ok(reply == Value::Int(1))
        }))
    }

    fn extend<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.guarded(async move {
            let reply = self
                .script(&scripts::EXTEND, key, &[owner.as_bytes(), &millis(lease)])
                .await?;
            Ok(reply == Value::Int(1))
        }))
    }

    fn watch<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Watch, BackendError>> {
        Box::pin(self.guarded(self.notifications.watch(channel(key))))
    }

    fn max_value_bytes(&self) -> usize {
        self.max_value_bytes
    }
}

impl fmt::Debug for RedisCacheBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.client.get_connection_info();
        let settings = info.redis_settings();
        f.debug_struct("RedisCacheBackend")
            .field("addr", &info.addr().to_string())
            .field("db", &settings.db())
            .field("username", &settings.username())
            .field("password", &settings.password().map(|_| "<redacted>"))
            .field("prefix", &self.prefix)
            .field("operation_timeout", &self.operation_timeout)
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
