//! Faults: what a cached activity costs while Redis is down, and how soon caching resumes once it
//! is back.
//!
//! The measurement has a `redis-server` of its own, which it kills (`SIGKILL`, as a crash would)
//! and later restarts on the same port, and its own activities, each with a backend of its own
//! (`backend = ...`) built with the default settings: operation timeout
//! [`RedisCacheBackend::DEFAULT_OPERATION_TIMEOUT`], circuit breaker opening after 3 consecutive
//! failures for a one-second cool-down. The async and the sync activity have separate backends, so that each
//! meets a closed circuit when Redis dies. The global backend (and its Redis) is left alone.
//!
//! 1. With Redis up, a few calls connect both backends and store entries.
//! 2. Redis is killed. The first calls of each activity are timed one by one: they go to Redis
//!    and fail (each operation bounded by the operation timeout) until the breaker opens.
//! 3. With the breaker open, cached calls and calls of the same body with
//!    `policy = "no_cache"` alternate call by call; the difference is the cache's overhead.
//! 4. Redis is restarted on the same port. Pairs of calls with a fresh input each (the first
//!    should store, the second hit) repeat every few milliseconds until a second call hits; the
//!    time from the restart (Redis accepting connections again) to that hit is reported.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use temporal_cache_runtime::backend::BoxFuture;
use temporal_cache_runtime::{RedisCacheBackend, cached_activity};
use temporal_cache_servers::RedisServer;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use super::misses::fresh_id;
use crate::activities::{PROFILE, Profile};
use crate::context::context_for;
use crate::error::{BenchResult, activity_result, settled};
use crate::stats::{self, Latency};

/// The first calls after Redis dies that are timed one by one: as many as open the breaker.
const FIRST_CALLS: usize = RedisCacheBackend::DEFAULT_BREAKER_FAILURES as usize;

/// Untimed calls of each kind once the breaker is open, before the timed ones.
const WARM_UP: usize = 20;

/// Timed calls of each kind with the breaker open.
const ITERATIONS: usize = 5_000;

/// Pause between two attempts after the restart.
const RECOVERY_PACE: Duration = Duration::from_millis(5);

/// How long to wait for the first hit after the restart.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);

/// The backends of the cached fault activities, set by [`measure`] before any call.
static ASYNC_BACKEND: OnceLock<Arc<RedisCacheBackend>> = OnceLock::new();
static SYNC_BACKEND: OnceLock<Arc<RedisCacheBackend>> = OnceLock::new();

fn async_backend() -> &'static Arc<RedisCacheBackend> {
    ASYNC_BACKEND
        .get()
        .expect("faults::measure sets the backend before any call")
}

fn sync_backend() -> &'static Arc<RedisCacheBackend> {
    SYNC_BACKEND
        .get()
        .expect("faults::measure sets the backend before any call")
}

/// Body runs of the cached fault activities, so that a hit can be told from a run.
static ASYNC_RUNS: AtomicU64 = AtomicU64::new(0);
static SYNC_RUNS: AtomicU64 = AtomicU64::new(0);

/// The activities of the fault measurement: the small result, cached or not, async or sync.
pub(crate) struct FaultActivities;

#[activities]
impl FaultActivities {
    #[cached_activity(ttl = "1h", backend = async_backend())]
    #[activity]
    pub(crate) async fn fault_async(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        ASYNC_RUNS.fetch_add(1, Ordering::Relaxed);
        Ok(Profile {
            id,
            ..PROFILE.clone()
        })
    }

    /// [`Self::fault_async`] without the cache.
    #[cached_activity(policy = "no_cache")]
    #[activity]
    pub(crate) async fn fault_async_uncached(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(Profile {
            id,
            ..PROFILE.clone()
        })
    }

    #[cached_activity(ttl = "1h", backend = sync_backend())]
    #[activity]
    pub(crate) fn fault_sync(_ctx: ActivityContext, id: u64) -> Result<Profile, ActivityError> {
        SYNC_RUNS.fetch_add(1, Ordering::Relaxed);
        Ok(Profile {
            id,
            ..PROFILE.clone()
        })
    }

    /// [`Self::fault_sync`] without the cache.
    #[cached_activity(policy = "no_cache")]
    #[activity]
    pub(crate) fn fault_sync_uncached(
        _ctx: ActivityContext,
        id: u64,
    ) -> Result<Profile, ActivityError> {
        Ok(Profile {
            id,
            ..PROFILE.clone()
        })
    }
}

/// The figures of one kind of activity (async or sync).
#[derive(Debug, Clone)]
pub(crate) struct KindReport {
    /// The first calls after Redis died, in order, before (and until) the breaker opened.
    pub(crate) first_calls: Vec<Duration>,
    /// Cached calls with Redis down and the breaker open.
    pub(crate) open_cached: Latency,
    /// The same body with `policy = "no_cache"`, alternating with the cached calls.
    pub(crate) open_uncached: Latency,
    /// Calls during the timed run with the breaker open that did not run the body (should be 0).
    pub(crate) open_not_run: u64,
    /// From the restart (Redis accepting connections) to the first hit; `None` if none came.
    pub(crate) first_hit_after: Option<Duration>,
    /// Call pairs tried after the restart, the hitting one included.
    pub(crate) recovery_attempts: usize,
}

impl KindReport {
    /// What a cached call adds at p99 over the uncached one, with the breaker open.
    pub(crate) fn p99_overhead(&self) -> Duration {
        self.open_cached.p99.saturating_sub(self.open_uncached.p99)
    }

    /// What a cached call adds at p50.
    pub(crate) fn p50_overhead(&self) -> Duration {
        self.open_cached.p50.saturating_sub(self.open_uncached.p50)
    }

    /// The slowest of the first calls.
    pub(crate) fn slowest_first_call(&self) -> Duration {
        self.first_calls.iter().copied().max().unwrap_or_default()
    }
}

/// Both kinds, and the settings they ran with.
#[derive(Debug, Clone)]
pub(crate) struct FaultReport {
    pub(crate) async_kind: KindReport,
    pub(crate) sync_kind: KindReport,
    pub(crate) operation_timeout: Duration,
    pub(crate) iterations: usize,
    /// How long the restarted `redis-server` took from spawning to accepting connections.
    pub(crate) restart_took: Duration,
}

/// One kind's calls, each with a given input.
struct Calls {
    cached: Arc<dyn Fn(u64) -> BoxFuture<'static, BenchResult<()>> + Send + Sync>,
    uncached: Arc<dyn Fn(u64) -> BoxFuture<'static, BenchResult<()>> + Send + Sync>,
    runs: &'static AtomicU64,
}

impl Calls {
    async fn async_kind() -> BenchResult<Self> {
        let ctx = context_for(FaultActivities::fault_async.name()).await?;
        let uncached_ctx = context_for(FaultActivities::fault_async_uncached.name()).await?;
        Ok(Self {
            cached: Arc::new(move |id| {
                let call = FaultActivities::__fault_async(ctx.clone(), id);
                Box::pin(settled(call))
            }),
            uncached: Arc::new(move |id| {
                let call = FaultActivities::__fault_async_uncached(uncached_ctx.clone(), id);
                Box::pin(settled(call))
            }),
            runs: &ASYNC_RUNS,
        })
    }

    /// Sync activities run on a blocking thread of the runtime, as the SDK runs them.
    async fn sync_kind() -> BenchResult<Self> {
        let ctx = context_for(FaultActivities::fault_sync.name()).await?;
        let uncached_ctx = context_for(FaultActivities::fault_sync_uncached.name()).await?;
        Ok(Self {
            cached: Arc::new(move |id| {
                let ctx = ctx.clone();
                Box::pin(async move {
                    let result =
                        tokio::task::spawn_blocking(move || FaultActivities::__fault_sync(ctx, id))
                            .await?;
                    activity_result(result).map(drop)
                })
            }),
            uncached: Arc::new(move |id| {
                let ctx = uncached_ctx.clone();
                Box::pin(async move {
                    let result = tokio::task::spawn_blocking(move || {
                        FaultActivities::__fault_sync_uncached(ctx, id)
                    })
                    .await?;
                    activity_result(result).map(drop)
                })
            }),
            runs: &SYNC_RUNS,
        })
    }

    /// A pair of calls with one fresh input; whether the second hit (did not run the body).
    async fn pair_hits(&self) -> BenchResult<bool> {
        let id = fresh_id();
        (self.cached)(id).await?;
        let before = self.runs.load(Ordering::Relaxed);
        (self.cached)(id).await?;
        Ok(self.runs.load(Ordering::Relaxed) == before)
    }
}

/// Runs the whole fault measurement against a `redis-server` of its own.
pub(crate) async fn measure() -> BenchResult<FaultReport> {
    let mut server = RedisServer::start()?;
    eprintln!("faults: redis-server ready at {}", server.url());
    // Default settings, as a worker would most likely run.
    ASYNC_BACKEND
        .set(Arc::new(RedisCacheBackend::new(&server.url())?))
        .map_err(|_| "the fault backends are set once per process")?;
    SYNC_BACKEND
        .set(Arc::new(RedisCacheBackend::new(&server.url())?))
        .map_err(|_| "the fault backends are set once per process")?;
    let kinds = [Calls::async_kind().await?, Calls::sync_kind().await?];

    // Connected and working: every pair hits.
    for calls in &kinds {
        for _ in 0..5 {
            if !calls.pair_hits().await? {
                return Err("faults: a call missed with Redis up".into());
            }
        }
    }

    eprintln!("faults: killing redis-server");
    server.kill();
    let mut first_calls = Vec::new();
    for calls in &kinds {
        let mut times = Vec::with_capacity(FIRST_CALLS);
        for _ in 0..FIRST_CALLS {
            let started = Instant::now();
            (calls.cached)(fresh_id()).await?;
            times.push(started.elapsed());
        }
        first_calls.push(times);
    }

    eprintln!("faults: Redis down, breaker open");
    let mut open = Vec::new();
    for calls in &kinds {
        let runs_before = calls.runs.load(Ordering::Relaxed);
        let (cached, uncached) = stats::alternating(
            WARM_UP,
            ITERATIONS,
            || (calls.cached)(fresh_id()),
            || (calls.uncached)(fresh_id()),
        )
        .await?;
        let ran = calls.runs.load(Ordering::Relaxed) - runs_before;
        let not_run = ((WARM_UP + ITERATIONS) as u64).saturating_sub(ran);
        open.push((cached, uncached, not_run));
    }

    eprintln!("faults: restarting redis-server on the same port");
    let restart_started = Instant::now();
    server.restart()?;
    let restarted = Instant::now();
    let restart_took = restarted - restart_started;
    let mut recovered: [Option<Duration>; 2] = [None, None];
    let mut attempts = [0_usize; 2];
    while recovered.iter().any(Option::is_none) && restarted.elapsed() < RECOVERY_LIMIT {
        for (index, calls) in kinds.iter().enumerate() {
            if recovered[index].is_none() {
                attempts[index] += 1;
                if calls.pair_hits().await? {
                    recovered[index] = Some(restarted.elapsed());
                }
            }
        }
        tokio::time::sleep(RECOVERY_PACE).await;
    }
    drop(server);

    let mut reports = first_calls
        .into_iter()
        .zip(open)
        .zip(recovered)
        .zip(attempts)
        .map(
            |(
                ((first_calls, (open_cached, open_uncached, open_not_run)), first_hit_after),
                attempts,
            )| {
                KindReport {
                    first_calls,
                    open_cached,
                    open_uncached,
                    open_not_run,
                    first_hit_after,
                    recovery_attempts: attempts,
                }
            },
        );
    let (Some(async_kind), Some(sync_kind)) = (reports.next(), reports.next()) else {
        return Err("faults: a kind went missing".into());
    };
    Ok(FaultReport {
        async_kind,
        sync_kind,
        operation_timeout: RedisCacheBackend::DEFAULT_OPERATION_TIMEOUT,
        iterations: ITERATIONS,
        restart_took,
    })
}
