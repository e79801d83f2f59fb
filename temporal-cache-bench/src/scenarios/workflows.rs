//! What a user feels: the wall time of whole workflows on a real Temporal dev server, for (a) a
//! workflow with no activity, (b) a cache hit through the plain activity call, (c) a hit through
//! `execute_cached!` (a local-activity lookup, no activity task), (d) a miss through
//! `execute_cached!`, and (e) a miss through the plain call, the floor of (d).
//!
//! The five kinds alternate workflow by workflow, so that all of them meet the same moments of a
//! noisy machine; each is timed from the start request to its result, sequentially, after an
//! untimed warm-up. The worker runs in this process, on a thread of its own (the SDK's worker is
//! not `Send`), with the bench's Redis behind the global backend.

#![allow(
    missing_docs,
    reason = "the SDK's workflow and activity macros generate undocumented items"
)]

use std::time::{Duration, Instant};

use temporal_cache_runtime::{cached_activity, directive, execute_cached};
use temporal_cache_tests::temporal_server::TemporalServer;
use temporalio_client::{Client, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{
    ActivityOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};

use crate::error::BenchResult;
use crate::stats::percentile;

/// Timed workflows of each kind (after [`WARM_UP`] untimed ones).
pub(crate) const WORKFLOWS: usize = 30;

/// Untimed workflows of each kind first.
const WARM_UP: usize = 5;

/// The kinds of workflow measured, in the order they alternate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    NoActivity,
    PlainHit,
    HelperHit,
    HelperMiss,
    PlainMiss,
}

impl Kind {
    pub(crate) const ALL: [Self; 5] = [
        Self::NoActivity,
        Self::PlainHit,
        Self::HelperHit,
        Self::HelperMiss,
        Self::PlainMiss,
    ];
}

/// The wall times of one kind.
#[derive(Debug, Clone)]
pub(crate) struct WallTimes {
    pub(crate) kind: Kind,
    /// Every timed workflow's wall time, in the order run.
    pub(crate) samples: Vec<Duration>,
}

impl WallTimes {
    fn sorted(&self) -> Vec<Duration> {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        sorted
    }

    pub(crate) fn p50(&self) -> Duration {
        percentile(&self.sorted(), 50.0)
    }

    pub(crate) fn p90(&self) -> Duration {
        percentile(&self.sorted(), 90.0)
    }
}

/// Every kind's wall times.
#[derive(Debug, Clone)]
pub(crate) struct WorkflowReport {
    pub(crate) kinds: Vec<WallTimes>,
}

impl WorkflowReport {
    pub(crate) fn of(&self, kind: Kind) -> &WallTimes {
        self.kinds
            .iter()
            .find(|times| times.kind == kind)
            .expect("every kind is measured")
    }
}

pub(crate) struct E2eActivities;

#[activities]
impl E2eActivities {
    /// Returns at once: what is measured is everything around the body.
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub(crate) async fn fetch(_ctx: ActivityContext, id: u64) -> Result<String, ActivityError> {
        Ok(format!("user {id}"))
    }
}

/// The kind of workflow to run, and the input of its activity.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct E2eCall {
    /// 0: no activity; 1: the plain call; 2: `execute_cached!`.
    pub(crate) how: u8,
    pub(crate) id: u64,
}

#[workflow]
#[derive(Default)]
pub(crate) struct E2eWorkflow;

#[workflow_methods]
impl E2eWorkflow {
    #[run]
    pub(crate) async fn run(
        ctx: &mut WorkflowContext<Self>,
        call: E2eCall,
    ) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
        Ok(match call.how {
            0 => String::new(),
            1 => {
                ctx.execute_activity(E2eActivities::fetch, call.id, options)
                    .await?
            }
            _ => execute_cached!(ctx, E2eActivities::fetch, call.id, options).await?,
        })
    }
}

pub(crate) async fn measure() -> BenchResult<WorkflowReport> {
    // The SDK's worker is not `Send`: it runs with its workflows on a thread of its own.
    tokio::task::spawn_blocking(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(run_all())
    })
    .await?
}

async fn run_all() -> BenchResult<WorkflowReport> {
    let server = TemporalServer::start();
    let client = server.client().await;
    let task_queue = format!("bench-e2e-{}", std::process::id());
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let options = WorkerOptions::new(task_queue.as_str())
        .register_workflow::<E2eWorkflow>()?
        .register_activities(E2eActivities)
        .register_workflow_interceptors(vec![directive::interceptor()])
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), options)?;
    let shutdown = worker.shutdown_handle();
    let workflows = async {
        let result = alternate(&client, &task_queue).await;
        shutdown();
        result
    };
    let (worker_result, report) = tokio::join!(worker.run(), workflows);
    worker_result?;
    report
}

async fn alternate(client: &Client, task_queue: &str) -> BenchResult<WorkflowReport> {
    let mut kinds: Vec<WallTimes> = Kind::ALL
        .iter()
        .map(|&kind| WallTimes {
            kind,
            samples: Vec::with_capacity(WORKFLOWS),
        })
        .collect();
    // Misses need an input nobody cached: a fresh id each time, far from the hits' one.
    let mut fresh_id = 1_000_000 + u64::from(std::process::id()) * 1_000;
    for round in 0..WARM_UP + WORKFLOWS {
        eprintln!("workflows: round {} of {}", round + 1, WARM_UP + WORKFLOWS);
        for times in &mut kinds {
            let call = match times.kind {
                Kind::NoActivity => E2eCall { how: 0, id: 0 },
                Kind::PlainHit => E2eCall { how: 1, id: 1 },
                Kind::HelperHit => E2eCall { how: 2, id: 1 },
                Kind::HelperMiss | Kind::PlainMiss => {
                    fresh_id += 1;
                    let how = if times.kind == Kind::HelperMiss { 2 } else { 1 };
                    E2eCall { how, id: fresh_id }
                }
            };
            let took = run_one(client, task_queue, call, round).await?;
            if round >= WARM_UP {
                times.samples.push(took);
            }
        }
    }
    Ok(WorkflowReport { kinds })
}

async fn run_one(
    client: &Client,
    task_queue: &str,
    call: E2eCall,
    round: usize,
) -> BenchResult<Duration> {
    let workflow_id = format!(
        "bench-e2e-{}-{round}-{}-{}",
        std::process::id(),
        call.how,
        call.id
    );
    let started = Instant::now();
    let handle = client
        .start_workflow(
            E2eWorkflow::run,
            call,
            WorkflowStartOptions::new(task_queue, workflow_id.as_str()).build(),
        )
        .await?;
    let _output: String = handle
        .get_result(WorkflowGetResultOptions::default())
        .await?;
    Ok(started.elapsed())
}
