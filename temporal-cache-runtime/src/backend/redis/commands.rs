//! What each cache operation sends to Redis: one command or one script per call, on the entry's
//! value key, lease key (`<key>:lease`) and channel (`<key>:events`), which share its hash tag.

use std::future::Future;
use std::time::Duration;

use ::redis::Value;

use super::connection::Connection;
use super::errors::unexpected;
use super::near::NearCache;
use super::{RedisCacheBackend, scripts};
use crate::backend::{BackendError, BoxFuture, Bytes, CacheBackend, Claim, Storage, Watch};

pub(super) fn lease_key(key: &str) -> String {
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

impl CacheBackend for RedisCacheBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        if self.near.is_some() {
            return Box::pin(async move { Ok(self.get_shared(key).await?.map(Vec::from)) });
        }
        Box::pin(self.get_from_redis(key))
    }

    fn get_shared<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>> {
        if let Some(near) = self.near() {
            if let Some(value) = near.get(key) {
                return Box::pin(std::future::ready(Ok(Some(value))));
            }
            return Box::pin(self.get_through(near, key));
        }
        Box::pin(async move { Ok(self.get_from_redis(key).await?.map(Bytes::from)) })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        self.writing(
            key,
            self.guarded(key, move || async move {
                let mut connection = self.connection().await?;
                let mut command = ::redis::cmd("SET");
                command.arg(key).arg(value);
                if let Some(ttl) = ttl {
                    command.arg("PX").arg(millis(ttl));
                }
                self.bounded(command.query_async::<()>(&mut connection))
                    .await
            }),
        )
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.writing(
            key,
            self.guarded(key, move || async move {
                let channel = channel(key);
                let reply = self
                    .script(
                        &scripts::INVALIDATE,
                        key,
                        &[channel.as_bytes(), self.publish_command()],
                    )
                    .await?;
                Ok(reply == Value::Int(1))
            }),
        )
    }

    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, BackendError>> {
        Box::pin(async move {
            let removed = self.purge(prefix).await;
            if let Some(near) = &self.near {
                near.invalidate_prefix(prefix);
            }
            removed
        })
    }

    fn key_prefix(&self) -> &str {
        &self.prefix
    }

    fn storage(&self) -> &Storage {
        &self.storage
    }

    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BackendError>> {
        Box::pin(self.guarded(key, move || async move {
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

    fn take_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.guarded(key, move || async move {
            let mut connection = self.connection().await?;
            let taken: Option<String> = self
                .bounded(
                    ::redis::cmd("SET")
                        .arg(lease_key(key))
                        .arg(owner)
                        .arg("NX")
                        .arg("PX")
                        .arg(millis(lease))
                        .query_async(&mut connection),
                )
                .await?;
            Ok(taken.is_some())
        }))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.writing(
            key,
            self.guarded(key, move || async move {
                let ttl = ttl.map_or_else(|| b"0".to_vec(), millis);
                let channel = channel(key);
                let reply = self
                    .script(
                        &scripts::COMPLETE,
                        key,
                        &[
                            owner.as_bytes(),
                            value,
                            &ttl,
                            channel.as_bytes(),
                            self.publish_command(),
                        ],
                    )
                    .await?;
                Ok(reply == Value::Int(1))
            }),
        )
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.guarded(key, move || async move {
            let channel = channel(key);
            let reply = self
                .script(
                    &scripts::RELEASE,
                    key,
                    &[owner.as_bytes(), channel.as_bytes(), self.publish_command()],
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
        Box::pin(self.guarded(key, move || async move {
            let reply = self
                .script(&scripts::EXTEND, key, &[owner.as_bytes(), &millis(lease)])
                .await?;
            Ok(reply == Value::Int(1))
        }))
    }

    fn watch<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Watch, BackendError>> {
        Box::pin(self.guarded(key, move || self.notifications.watch(channel(key))))
    }

    fn max_value_bytes(&self) -> usize {
        self.max_value_bytes
    }

    fn fault_domain(&self, key: &str) -> u64 {
        self.fault_domain_of(key)
    }
}

impl RedisCacheBackend {
    /// Runs `write` on `key`, then drops the near cache's copy of it (whether or not the write
    /// went through): this process must not serve the old value while Redis's report of the
    /// change is on its way.
    fn writing<'a, T: Send + 'a>(
        &'a self,
        key: &'a str,
        write: impl Future<Output = Result<T, BackendError>> + Send + 'a,
    ) -> BoxFuture<'a, Result<T, BackendError>> {
        Box::pin(async move {
            let result = write.await;
            if let Some(near) = &self.near {
                near.invalidate(key);
            }
            result
        })
    }

    /// A hit's read. On a single server, reads that overlap share a round trip (see
    /// `reads.rs`); a cluster's reads go one by one, each to its slot's node.
    async fn get_from_redis(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        self.guarded(key, move || async move {
            match self.connection().await? {
                Connection::Single(single) => {
                    self.reads.get(single, key, self.operation_timeout).await
                }
                mut cluster => {
                    self.bounded(
                        ::redis::cmd("GET")
                            .arg(key)
                            .query_async::<Option<Vec<u8>>>(&mut cluster),
                    )
                    .await
                }
            }
        })
        .await
    }

    /// A read through the near cache that missed: the value and its remaining TTL in one round
    /// trip, kept near unless its key changed meanwhile.
    async fn get_through(
        &self,
        near: &NearCache,
        key: &str,
    ) -> Result<Option<Bytes>, BackendError> {
        let ticket = near.ticket(key);
        let (value, ttl_millis) = self
            .guarded(key, move || async move {
                let mut connection = self.connection().await?;
                self.bounded(
                    ::redis::pipe()
                        .cmd("GET")
                        .arg(key)
                        .cmd("PTTL")
                        .arg(key)
                        .query_async::<(Option<Vec<u8>>, i64)>(&mut connection),
                )
                .await
            })
            .await?;
        let value = value.map(Bytes::from);
        if let Some(value) = &value {
            near.fill(ticket, key, value, ttl_millis);
        }
        Ok(value)
    }

    /// How the lease scripts announce a stored value or a released lease: on a cluster, on the
    /// entry's sharded channel, so that only its shard carries the message.
    fn publish_command(&self) -> &'static [u8] {
        if self.is_cluster() {
            b"SPUBLISH"
        } else {
            b"PUBLISH"
        }
    }
}
