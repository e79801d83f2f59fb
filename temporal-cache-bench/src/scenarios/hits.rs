//! Cache hits against the floor: a bare GET of the same entries with the same client library.
//!
//! The floor is a redis-rs `ConnectionManager` (one connection, as the backend has) sending
//! `GET` for the keys the cached activity reads, so both move the same bytes. There are
//! [`TASKS`] entries per result size, one per input slot: a single task uses slot 0, and each of
//! the concurrent tasks a slot of its own, since identical concurrent calls would share one
//! lookup in process (which a bare GET cannot do); that case is measured apart.
//!
//! In one task, floor and hit calls alternate call by call (see [`stats::alternating`]); the whole
//! measurement runs [`ROUNDS`] times, because on a small shared machine the floor itself drifts
//! from one second to the next.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporal_cache_runtime::backend::DEFAULT_KEY_PREFIX;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use super::{Op, ROUNDS, TASKS, bare_get, get_then, op};
use crate::activities::{self, BenchActivities, DOCUMENT, PROFILE};
use crate::context::{context_for, contexts_for};
use crate::error::{BenchResult, activity_result, settled};
use crate::stats::{self, Latency, median};

/// One result size's run counts.
#[derive(Debug, Clone, Copy)]
struct Counts {
    warm_up: usize,
    iterations: usize,
    per_task: usize,
}

const SMALL_COUNTS: Counts = Counts {
    warm_up: 2_000,
    iterations: 20_000,
    per_task: 4_000,
};

const LARGE_COUNTS: Counts = Counts {
    warm_up: 200,
    iterations: 2_000,
    per_task: 200,
};

/// How many parts the concurrent runs of the floor, the two GET + decode references and the hits
/// are cut into, taking turns (see [`stats::concurrent_interleaved`]).
pub(crate) const CONCURRENT_PARTS: usize = 10;

/// The figures of one size in one round.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Round {
    /// Bare GET, one task.
    pub(crate) floor: Latency,
    /// Cached activity, hit, one task.
    pub(crate) hit: Latency,
    /// The same activity with `policy = "no_cache"`: the body without the cache.
    pub(crate) uncached: Latency,
    /// `serde_json` decoding the stored JSON into the result type, nothing else.
    pub(crate) decode: Latency,
    /// Bare GETs per second, [`TASKS`] tasks sharing the connection, one key each.
    pub(crate) floor_concurrent: f64,
    /// GETs of the results' JSON (copies of the entries under keys of their own), each followed
    /// by `serde_json` decoding it into the result type: a typed read of JSON with no cache
    /// around it, what a cache that stores JSON pays.
    pub(crate) get_decode_concurrent: f64,
    /// Bare GETs of the entries themselves, each followed by the decode a hit does (the envelope,
    /// then MessagePack), and nothing else: what any typed read of these entries costs.
    pub(crate) get_entry_decode_concurrent: f64,
    /// Hits per second, [`TASKS`] tasks, one input each.
    pub(crate) hit_concurrent: f64,
    /// Hits per second, [`TASKS`] tasks, all with the same input.
    pub(crate) hit_concurrent_same_input: f64,
}

/// The rounds of one result size.
#[derive(Debug, Clone)]
pub(crate) struct SizeReport {
    /// Bytes of one entry in Redis.
    pub(crate) entry_bytes: usize,
    pub(crate) iterations: usize,
    pub(crate) concurrent_calls: usize,
    pub(crate) rounds: Vec<Round>,
}

impl SizeReport {
    /// The median over rounds of one latency figure.
    pub(crate) fn latency(&self, of: impl Fn(&Round) -> Duration) -> Duration {
        median(&self.rounds, of)
    }

    /// The median over rounds of one rate.
    pub(crate) fn rate(&self, of: impl Fn(&Round) -> f64) -> f64 {
        median(&self.rounds, of)
    }

    /// Median hit p50 over median floor p50.
    pub(crate) fn p50_ratio(&self) -> f64 {
        self.latency(|r| r.hit.p50).as_secs_f64() / self.latency(|r| r.floor.p50).as_secs_f64()
    }

    /// The median over rounds of the concurrent hit rate over the concurrent floor rate of the
    /// same round. A round's runs take turns, so its two rates saw the same moments of the
    /// machine; the median rates may come from different rounds, which drift apart by as much as
    /// the gap measured.
    pub(crate) fn concurrent_ratio(&self) -> f64 {
        median(&self.rounds, |r| r.hit_concurrent / r.floor_concurrent)
    }

    /// Like [`concurrent_ratio`](Self::concurrent_ratio), against the rate of GETs followed by a
    /// JSON decode.
    pub(crate) fn concurrent_get_decode_ratio(&self) -> f64 {
        median(&self.rounds, |r| r.hit_concurrent / r.get_decode_concurrent)
    }

    /// Like [`concurrent_ratio`](Self::concurrent_ratio), against the rate of GETs of the entries
    /// followed by the hit's own decode: how close the hits come to the least a typed read of
    /// them costs.
    pub(crate) fn concurrent_get_entry_decode_ratio(&self) -> f64 {
        median(&self.rounds, |r| {
            r.hit_concurrent / r.get_entry_decode_concurrent
        })
    }
}

/// Hits of both result sizes.
#[derive(Debug, Clone)]
pub(crate) struct HitReport {
    pub(crate) small: SizeReport,
    pub(crate) large: SizeReport,
    /// Calls during the hit runs that ran the body instead (a backend error or timeout).
    pub(crate) fallbacks: u64,
}

/// What is measured for one result size.
struct Subject {
    floor: Op,
    get_decode: Op,
    get_entry_decode: Op,
    /// A hit of the entry of the task's slot, with the slot's own context.
    hit: Op,
    /// A hit of the first slot's entry, with the slot's own context.
    hit_same_input: Op,
    uncached: Op,
    decode: Op,
    entry_bytes: usize,
    counts: Counts,
}

/// Stores the entries, then measures [`ROUNDS`] rounds of floor and hits, size by size.
pub(crate) async fn measure(client: &redis::Client) -> BenchResult<HitReport> {
    let mut admin = ConnectionManager::new(client.clone()).await?;
    // The floor's own connection, like the backend's: one multiplexed connection.
    let floor_connection = ConnectionManager::new(client.clone()).await?;

    let small = subject(
        &mut admin,
        &floor_connection,
        Calls {
            name: BenchActivities::fetch_small.name(),
            cached: BenchActivities::__fetch_small,
            uncached_name: BenchActivities::fetch_small_uncached.name(),
            uncached: BenchActivities::__fetch_small_uncached,
            input: small_input,
            counts: SMALL_COUNTS,
        },
        &*PROFILE,
    )
    .await?;
    let large = subject(
        &mut admin,
        &floor_connection,
        Calls {
            name: BenchActivities::fetch_large.name(),
            cached: BenchActivities::__fetch_large,
            uncached_name: BenchActivities::fetch_large_uncached.name(),
            uncached: BenchActivities::__fetch_large_uncached,
            input: large_input,
            counts: LARGE_COUNTS,
        },
        &*DOCUMENT,
    )
    .await?;

    let body_runs_before = activities::cached_body_runs();
    let (mut small_rounds, mut large_rounds) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        eprintln!("hits: round {round} of {ROUNDS}");
        small_rounds.push(measure_round(&small).await?);
        large_rounds.push(measure_round(&large).await?);
    }
    let report = |subject: &Subject, rounds| SizeReport {
        entry_bytes: subject.entry_bytes,
        iterations: subject.counts.iterations,
        concurrent_calls: TASKS * subject.counts.per_task,
        rounds,
    };
    Ok(HitReport {
        small: report(&small, small_rounds),
        large: report(&large, large_rounds),
        fallbacks: activities::cached_body_runs() - body_runs_before,
    })
}

/// One result size's activity methods (as `#[activities]` names them: the cached one and its
/// `policy = "no_cache"` twin), the input of each task's slot, and how many calls to time.
struct Calls<C, U> {
    name: &'static str,
    cached: C,
    uncached_name: &'static str,
    uncached: U,
    input: fn(usize) -> u64,
    counts: Counts,
}

/// Stores an entry for each of the [`TASKS`] slots through `calls.cached`, a JSON copy of each
/// for the GET + decode reference, and builds the operations measured for that size. `result`
/// is the result the bodies return, for the decode alone.
async fn subject<T, C, CFut, U, UFut>(
    admin: &mut ConnectionManager,
    floor_connection: &ConnectionManager,
    calls: Calls<C, U>,
    result: &T,
) -> BenchResult<Subject>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    C: Fn(ActivityContext, u64) -> CFut + Clone + Send + Sync + 'static,
    CFut: Future<Output = Result<T, ActivityError>> + Send + 'static,
    U: Fn(ActivityContext, u64) -> UFut + Send + Sync + 'static,
    UFut: Future<Output = Result<T, ActivityError>> + Send + 'static,
{
    let Calls {
        name,
        cached,
        uncached_name,
        uncached,
        input,
        counts,
    } = calls;
    let contexts = Arc::new(contexts_for(name, TASKS).await?);
    let uncached_context = context_for(uncached_name).await?;
    let (mut keys, mut json_keys) = (Vec::new(), Vec::new());
    for (slot, context) in contexts.iter().enumerate() {
        let (key, value) = store(admin, name, cached(context.clone(), input(slot))).await?;
        json_keys.push(json_copy(admin, &key, &value).await?);
        keys.push(key);
    }
    let entry_bytes = entry_len(admin, &keys[0]).await?;
    // Each task calls with its own context; with `same_input`, all of them with the first input.
    let hit = |same_input: bool| {
        let (contexts, cached) = (Arc::clone(&contexts), cached.clone());
        op(move |slot| {
            settled(cached(
                contexts[slot].clone(),
                input(if same_input { 0 } else { slot }),
            ))
        })
    };
    Ok(Subject {
        decode: decode_only(result)?,
        entry_bytes,
        get_decode: get_and_decode::<T>(floor_connection, json_keys),
        get_entry_decode: get_and_decode_entry::<T>(floor_connection, keys.clone()),
        floor: bare_get(floor_connection.clone(), keys),
        hit: hit(false),
        hit_same_input: hit(true),
        uncached: op(move |slot| settled(uncached(uncached_context.clone(), input(slot)))),
        counts,
    })
}

/// The small result's input for `slot`: ids of equal length, so every entry has the same size.
fn small_input(slot: usize) -> u64 {
    PROFILE.id + slot as u64
}

/// The large result's input for `slot`.
fn large_input(slot: usize) -> u64 {
    DOCUMENT.id + slot as u64
}

/// One round for one size: floor and hit call by call in one task, the references, then the
/// concurrent runs.
async fn measure_round(subject: &Subject) -> BenchResult<Round> {
    let Counts {
        warm_up,
        iterations,
        per_task,
    } = subject.counts;
    let (floor, hit) = stats::alternating(
        warm_up,
        iterations,
        || (subject.floor)(0),
        || (subject.hit)(0),
    )
    .await?;
    let uncached = stats::sequential(warm_up, iterations, || (subject.uncached)(0)).await?;
    let decode = stats::sequential(warm_up, iterations, || (subject.decode)(0)).await?;
    let concurrent_ops = [
        &subject.floor,
        &subject.get_decode,
        &subject.get_entry_decode,
        &subject.hit,
    ]
    .map(|op| {
        let op = Arc::clone(op);
        move |task| op(task)
    });
    let [
        floor_concurrent,
        get_decode_concurrent,
        get_entry_decode_concurrent,
        hit_concurrent,
    ] = stats::concurrent_interleaved(TASKS, per_task, CONCURRENT_PARTS, &concurrent_ops).await?[..]
    else {
        return Err("the interleaved runs did not return one rate per operation".into());
    };
    let hit_op = Arc::clone(&subject.hit_same_input);
    let hit_concurrent_same_input =
        stats::concurrent(TASKS, per_task, move |slot| hit_op(slot)).await?;
    Ok(Round {
        floor,
        hit,
        uncached,
        decode,
        floor_concurrent,
        get_decode_concurrent,
        get_entry_decode_concurrent,
        hit_concurrent,
        hit_concurrent_same_input,
    })
}

/// Runs `call`, which stores a new entry for `activity_type`, and returns that entry's key and
/// the call's result.
///
/// The key is found in Redis rather than computed, so that the bench does not depend on the key
/// layout: it is the one key of the activity that was not there before.
async fn store<T>(
    admin: &mut ConnectionManager,
    activity_type: &str,
    call: impl Future<Output = Result<T, temporalio_sdk::activities::ActivityError>>,
) -> BenchResult<(String, T)> {
    let before = keys_of(admin, activity_type).await?;
    let value = activity_result(call.await)?;
    let mut new: Vec<String> = keys_of(admin, activity_type)
        .await?
        .into_iter()
        .filter(|key| !before.contains(key))
        .collect();
    match (new.pop(), new.is_empty()) {
        (Some(key), true) => Ok((key, value)),
        _ => Err(format!("a call of {activity_type} did not store exactly one entry").into()),
    }
}

async fn keys_of(
    admin: &mut ConnectionManager,
    activity_type: &str,
) -> BenchResult<HashSet<String>> {
    let pattern = format!("{DEFAULT_KEY_PREFIX}:*:{activity_type}:*");
    Ok(redis::cmd("KEYS").arg(pattern).query_async(admin).await?)
}

async fn entry_len(admin: &mut ConnectionManager, key: &str) -> BenchResult<usize> {
    Ok(redis::cmd("STRLEN").arg(key).query_async(admin).await?)
}

/// Stores the JSON of `value`, the result stored under `key`, under a key of its own (outside
/// the cache's prefix), as a cache that keeps JSON would (the `cached` crate does); returns that
/// key.
async fn json_copy<T: Serialize>(
    admin: &mut ConnectionManager,
    key: &str,
    value: &T,
) -> BenchResult<String> {
    let copy = format!("temporal-cache-bench:json-copy:{key}");
    let () = redis::cmd("SET")
        .arg(&copy)
        .arg(serde_json::to_vec(value)?)
        .query_async(admin)
        .await?;
    Ok(copy)
}

/// [`bare_get`] of the JSON copies in `keys`, then `serde_json` decoding each into `T`.
fn get_and_decode<T: DeserializeOwned + Send + 'static>(
    connection: &ConnectionManager,
    keys: Vec<String>,
) -> Op {
    get_then(connection.clone(), keys, |json| {
        Ok(serde_json::from_slice::<T>(json).map(drop)?)
    })
}

/// [`bare_get`] of the entries in `keys`, then decoding each as a hit does (see
/// `__private::decode_stored`).
fn get_and_decode_entry<T: DeserializeOwned + Send + 'static>(
    connection: &ConnectionManager,
    keys: Vec<String>,
) -> Op {
    get_then(connection.clone(), keys, |entry| {
        temporal_cache_runtime::__private::decode_stored::<T>(entry)
            .map(drop)
            .ok_or_else(|| "an entry does not decode".into())
    })
}

/// Decoding the JSON of `value` (what a plain entry holds after its header) into its type: the
/// part of a hit that grows with the result.
fn decode_only<T: Serialize + DeserializeOwned + Send + 'static>(value: &T) -> BenchResult<Op> {
    let json: Arc<[u8]> = serde_json::to_vec(value)?.into();
    serde_json::from_slice::<T>(&json)?;
    Ok(op(move |_| {
        let json = Arc::clone(&json);
        async move { Ok(serde_json::from_slice::<T>(&json).map(drop)?) }
    }))
}
