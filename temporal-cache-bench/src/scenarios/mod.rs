//! The measurements, one module each, and what they share.

pub(crate) mod commands;
pub(crate) mod faults;
pub(crate) mod flight;
pub(crate) mod hits;
pub(crate) mod invalidation;
pub(crate) mod metrics;
pub(crate) mod misses;
pub(crate) mod near;
pub(crate) mod production;
pub(crate) mod stale;
pub(crate) mod storage;
pub(crate) mod workflows;

use std::future::Future;
use std::sync::Arc;

use temporal_cache_runtime::backend::BoxFuture;
use temporal_cache_runtime::cache_backend;

use crate::error::BenchResult;

/// One timed operation, a bare Redis command or one call of an activity, given a slot: which of
/// the prepared inputs (or keys) to use. Operations without prepared inputs ignore it.
///
/// Calling it only prepares the call (clones its arguments), untimed; awaiting the future it
/// returns is the call, and is what is timed. So all work must happen in the future.
///
/// Boxed so that every measurement runs through the same code: the box costs the bare GET the
/// same few nanoseconds as the cached call.
pub(crate) type Op = Arc<dyn Fn(usize) -> BoxFuture<'static, BenchResult<()>> + Send + Sync>;

/// Wraps an async closure into an [`Op`].
pub(crate) fn op<F, Fut>(call: F) -> Op
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BenchResult<()>> + Send + 'static,
{
    Arc::new(move |slot| Box::pin(call(slot)))
}

/// How many interleaved rounds the latency measurements run; figures are medians of rounds.
pub(crate) const ROUNDS: usize = 3;

/// How many concurrent tasks the throughput measurements use.
pub(crate) const TASKS: usize = 64;

/// A bare `GET` on `connection` (a single connection or a cluster's) of the slot's key in `keys`,
/// taken round (one key serves every slot).
pub(crate) fn bare_get<C>(connection: C, keys: Vec<String>) -> Op
where
    C: redis::aio::ConnectionLike + Clone + Send + Sync + 'static,
{
    get_then(connection, keys, |_| Ok(()))
}

/// [`bare_get`], then `then` on the value read: the references that add a decode to it.
pub(crate) fn get_then<C, F>(connection: C, keys: Vec<String>, then: F) -> Op
where
    C: redis::aio::ConnectionLike + Clone + Send + Sync + 'static,
    F: Fn(&[u8]) -> BenchResult<()> + Copy + Send + Sync + 'static,
{
    let keys = Arc::new(keys);
    op(move |slot| {
        let (mut connection, keys) = (connection.clone(), Arc::clone(&keys));
        async move { then(&get(&mut connection, &keys[slot % keys.len()]).await?) }
    })
}

/// The value of `key`, which must be there, read with a `GET` on `connection`.
pub(crate) async fn get<C>(connection: &mut C, key: &str) -> BenchResult<Vec<u8>>
where
    C: redis::aio::ConnectionLike + Send,
{
    let value: Option<Vec<u8>> = redis::cmd("GET").arg(key).query_async(connection).await?;
    value.ok_or_else(|| format!("{key} is not in Redis").into())
}

/// Makes the global backend connect, so that connecting is not part of any timed call.
pub(crate) async fn connect_global_backend() -> BenchResult<()> {
    let backend = cache_backend().ok_or("no global cache backend is set")?;
    backend.get("temporal-cache-bench:connect").await?;
    Ok(())
}
