//! Sizes and TTLs of keys (`STRLEN`, `PTTL`), which the cache's backend has no call for, on a
//! redis-rs connection of the tool's own: a multiplexed one to a single server, or a cluster
//! connection that routes each key to its slot's master.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use redis::aio::MultiplexedConnection;
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Client, ClientTlsConfig, IntoConnectionInfo, RedisResult, TlsCertificates};

use crate::CliResult;

/// What a user needs on top of the workers' ACL rule (`RedisCacheBackend::acl_rule()`) for the
/// commands that measure keys, as the README says.
const READ_PERMISSIONS: &str = "+strlen +pttl";

/// The error code of a command the user's ACL rule does not allow.
const NO_PERMISSION: &str = "NOPERM";

/// How many keys are measured at once: enough to keep a connection busy, few enough that a
/// batch costs a server little.
const IN_FLIGHT: usize = 64;

/// How to reach the Redis, as the backend was told.
pub(crate) struct ProbeSettings {
    pub(crate) urls: Vec<String>,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) ca: Option<Vec<u8>>,
    pub(crate) client: Option<(Vec<u8>, Vec<u8>)>,
    pub(crate) timeout: Duration,
}

impl ProbeSettings {
    fn certificates(&self) -> TlsCertificates {
        TlsCertificates {
            client_tls: self
                .client
                .as_ref()
                .map(|(certificate, key)| ClientTlsConfig {
                    client_cert: certificate.clone(),
                    client_key: key.clone(),
                }),
            root_cert: self.ca.clone(),
        }
    }

    fn has_tls_files(&self) -> bool {
        self.ca.is_some() || self.client.is_some()
    }
}

/// What a key holds, as far as sizes and expiry go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyFacts {
    /// The length of its value (`STRLEN`); `None` for a key that is not a string.
    pub(crate) bytes: Option<u64>,
    pub(crate) ttl: Ttl,
}

/// A key's time to live (`PTTL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ttl {
    Expires(Duration),
    Never,
    /// The key is gone (it expired or was removed since it was listed).
    Gone,
}

/// A connection for measuring keys.
pub(crate) enum Probe {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Probe {
    /// Connects as `settings` say, within their timeout.
    pub(crate) async fn connect(settings: &ProbeSettings) -> CliResult<Self> {
        let connecting = async {
            if let [url] = settings.urls.as_slice() {
                let mut info = url.as_str().into_connection_info()?;
                if let Some((user, password)) = &settings.credentials {
                    let redis = info
                        .redis_settings()
                        .clone()
                        .set_username(user)
                        .set_password(password);
                    info = info.set_redis_settings(redis);
                }
                let client = if settings.has_tls_files() {
                    Client::build_with_tls(info, settings.certificates())?
                } else {
                    Client::open(info)?
                };
                return Ok::<_, redis::RedisError>(Self::Single(
                    client.get_multiplexed_async_connection().await?,
                ));
            }
            let mut builder = ClusterClientBuilder::new(settings.urls.clone())
                .connection_timeout(settings.timeout);
            if let Some((user, password)) = &settings.credentials {
                builder = builder.username(user).password(password);
            }
            if settings.has_tls_files() {
                builder = builder.certs(settings.certificates());
            }
            Ok(Self::Cluster(
                builder.build()?.get_async_connection().await?,
            ))
        };
        match tokio::time::timeout(settings.timeout, connecting).await {
            Ok(probe) => probe.map_err(|error| format!("cannot connect to Redis: {error}").into()),
            Err(_) => {
                Err(format!("could not connect to Redis within {:?}", settings.timeout).into())
            }
        }
    }

    /// The facts of each of `keys`, in their order.
    pub(crate) async fn measure(&self, keys: &[String]) -> CliResult<Vec<KeyFacts>> {
        let facts = futures::stream::iter(keys)
            .map(|key| self.measure_one(key))
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(facts)
    }

    async fn measure_one(&self, key: &str) -> CliResult<KeyFacts> {
        let mut pipe = redis::pipe();
        // One key, so one slot: a cluster sends the pair to one master.
        pipe.cmd("STRLEN")
            .arg(key)
            .cmd("PTTL")
            .arg(key)
            .ignore_errors();
        let (bytes, ttl): (RedisResult<u64>, RedisResult<i64>) = match self {
            Self::Single(connection) => pipe.query_async(&mut connection.clone()).await?,
            Self::Cluster(connection) => pipe.query_async(&mut connection.clone()).await?,
        };
        if let Some(refused) = [bytes.as_ref().err(), ttl.as_ref().err()]
            .into_iter()
            .flatten()
            .find(|error| error.code() == Some(NO_PERMISSION))
        {
            return Err(format!(
                "the Redis user may not read sizes and TTLs, which stats, ls and show need: add \
                 `{READ_PERMISSIONS}` to its ACL rule (purge needs only the workers' rule); \
                 Redis said: {refused}"
            )
            .into());
        }
        let ttl = match ttl? {
            -2 => Ttl::Gone,
            -1 => Ttl::Never,
            millis => Ttl::Expires(Duration::from_millis(u64::try_from(millis).unwrap_or(0))),
        };
        // A key of another type under the prefix (not the cache's) has no string length.
        Ok(KeyFacts {
            bytes: bytes.ok(),
            ttl,
        })
    }
}
