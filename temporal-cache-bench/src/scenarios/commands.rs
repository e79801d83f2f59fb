//! What one call costs in Redis: commands by name and origin, and round trips.
//!
//! For the duration of this measurement the global backend points at a [`RoundTripProxy`] in
//! front of Redis; a `MONITOR` connection and `INFO commandstats` watch Redis itself. Calls run
//! one after another, after one untimed call that makes the backend connect.

use std::net::SocketAddr;
use std::sync::Arc;

use redis::aio::ConnectionManager;
use temporal_cache_runtime::{RedisCacheBackend, set_cache_backend};

use super::{Op, misses, op};
use crate::activities::{BenchActivities, PROFILE};
use crate::context::context_for;
use crate::error::{BenchResult, activity_result};
use crate::traffic::commandstats::{self, CommandCounts};
use crate::traffic::monitor::Monitor;
use crate::traffic::proxy::RoundTripProxy;

/// Calls counted per kind of call.
pub(crate) const CALLS: usize = 500;

/// Commands the measurement itself sends (`INFO` for the counters, `ECHO` for the monitor's
/// markers), left out of the counts.
const OWN_COMMANDS: &[&str] = &["info", "echo"];

/// The Redis cost of one kind of call, totals over [`CALLS`] calls.
#[derive(Debug, Clone)]
pub(crate) struct CallCost {
    pub(crate) label: &'static str,
    pub(crate) calls: usize,
    pub(crate) round_trips: u64,
    /// Connections the cache opened during the calls (through the proxy).
    pub(crate) connections_opened: u64,
    /// Commands the cache sent, by name (from `MONITOR`).
    pub(crate) top_level: CommandCounts,
    /// Commands Lua scripts ran, by name (from `MONITOR`).
    pub(crate) in_scripts: CommandCounts,
    /// Redis's own counters, which count both.
    pub(crate) commandstats: CommandCounts,
}

/// The kinds of call measured.
pub(crate) struct CallCosts {
    pub(crate) hit: CallCost,
    pub(crate) miss_default: CallCost,
    pub(crate) miss_unlocked: CallCost,
}

/// Routes the global backend through a proxy, counts each kind of call, and puts `direct` back
/// as the global backend.
pub(crate) async fn measure(
    redis_addr: SocketAddr,
    admin: &mut ConnectionManager,
    direct: Arc<RedisCacheBackend>,
) -> BenchResult<CallCosts> {
    eprintln!("commands and round trips: {CALLS} calls each");
    let proxy = RoundTripProxy::start(redis_addr).await?;
    set_cache_backend(RedisCacheBackend::new(&proxy.url())?);
    let result = measure_through(&proxy, redis_addr, admin).await;
    set_cache_backend(direct);
    result
}

async fn measure_through(
    proxy: &RoundTripProxy,
    redis_addr: SocketAddr,
    admin: &mut ConnectionManager,
) -> BenchResult<CallCosts> {
    let mut monitor = Monitor::start(redis_addr).await?;
    let hit_ctx = context_for(BenchActivities::fetch_small.name()).await?;
    let hit = op(move |_| {
        let ctx = hit_ctx.clone();
        async move { activity_result(BenchActivities::__fetch_small(ctx, PROFILE.id).await).map(drop) }
    });
    let miss_default = misses::miss_default_op().await?;
    let miss_unlocked = misses::miss_unlocked_op().await?;
    let mut observers = Observers {
        proxy,
        monitor: &mut monitor,
        admin,
    };
    Ok(CallCosts {
        hit: observers.count("cache hit, 233 B", &hit).await?,
        miss_default: observers
            .count("cache miss, default settings", &miss_default)
            .await?,
        miss_unlocked: observers
            .count("cache miss, `lock = false`", &miss_unlocked)
            .await?,
    })
}

/// The three views of Redis traffic, together.
struct Observers<'a> {
    proxy: &'a RoundTripProxy,
    monitor: &'a mut Monitor,
    admin: &'a mut ConnectionManager,
}

impl Observers<'_> {
    /// Calls `op` [`CALLS`] times and counts what Redis saw.
    async fn count(&mut self, label: &'static str, op: &Op) -> BenchResult<CallCost> {
        // Connects the backend (through the proxy) before anything is counted.
        op(0).await?;
        self.monitor.collect(self.admin, OWN_COMMANDS).await?;
        let stats_before = commandstats::snapshot(self.admin).await?;
        let traffic_before = self.proxy.traffic();
        for _ in 0..CALLS {
            op(0).await?;
        }
        let traffic_after = self.proxy.traffic();
        let stats_after = commandstats::snapshot(self.admin).await?;
        let origins = self.monitor.collect(self.admin, OWN_COMMANDS).await?;
        Ok(CallCost {
            label,
            calls: CALLS,
            round_trips: traffic_after.round_trips - traffic_before.round_trips,
            connections_opened: traffic_after.connections - traffic_before.connections,
            top_level: origins.top_level,
            in_scripts: origins.in_scripts,
            commandstats: commandstats::delta(&stats_before, &stats_after, OWN_COMMANDS),
        })
    }
}
