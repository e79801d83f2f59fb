//! What the server-free pipeline tests share: a backend that fails on cue and counts its calls,
//! a log recorder, an activity environment per activity type, a count of body runs per token and
//! a gate that holds a body until the test opens it.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use temporal_cache_runtime::backend::{
    BackendError, BackendErrorKind, BoxFuture, CacheBackend, Claim, MemoryCacheBackend, Watch,
};
use temporalio_common::ActivityDefinition;
use temporalio_sdk::activities::ExecutableActivity;
use temporalio_sdk::testing::{
    ActivityEnvironment, ActivityEnvironmentError, TestActivityInfoOptions,
};
use tokio::sync::{Notify, Semaphore};

/// Body runs per token, over every activity of a test binary.
static RUNS: std::sync::LazyLock<Mutex<HashMap<String, u32>>> =
    std::sync::LazyLock::new(Default::default);

/// Counts a run of a body for `token`; the count is what the bodies return, so a served value
/// tells which run produced it.
pub(crate) fn record_run(token: &str) -> u32 {
    let mut runs = lock(&RUNS);
    let count = runs.entry(token.to_owned()).or_default();
    *count += 1;
    *count
}

/// How many times a body ran for `token`.
pub(crate) fn runs(token: &str) -> u32 {
    lock(&RUNS).get(token).copied().unwrap_or(0)
}

/// Holds a body until the test opens it, and tells the test when a body has reached it.
pub(crate) struct Gate {
    pub(crate) started: Notify,
    open: Semaphore,
}

impl Gate {
    pub(crate) const fn new() -> Self {
        Self {
            started: Notify::const_new(),
            open: Semaphore::const_new(0),
        }
    }

    /// Announces that a body reached the gate, then waits until it opens.
    pub(crate) async fn wait(&self) {
        self.started.notify_one();
        drop(self.open.acquire().await.expect("the gate is never closed"));
    }

    /// Lets every body through, now and later.
    pub(crate) fn open(&self) {
        self.open.add_permits(Semaphore::MAX_PERMITS);
    }
}

/// A backend operation, as the scripted backend records and fails it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Get,
    Set,
    Delete,
    Claim,
    Complete,
    Release,
    Extend,
    Watch,
}

/// A [`MemoryCacheBackend`] whose operations fail on cue, and which records every call.
pub(crate) struct Scripted {
    inner: MemoryCacheBackend,
    prefix: &'static str,
    failing: Mutex<HashMap<Op, BackendErrorKind>>,
    /// How many of the next claims answer `Held` whatever the lease's state.
    held_claims: Mutex<u32>,
    calls: Mutex<Vec<Op>>,
    called: Notify,
}

impl Scripted {
    /// A healthy backend whose keys start with `prefix`.
    pub(crate) fn new(prefix: &'static str) -> Self {
        Self {
            inner: MemoryCacheBackend::new(),
            prefix,
            failing: Mutex::new(HashMap::new()),
            held_claims: Mutex::new(0),
            calls: Mutex::new(Vec::new()),
            called: Notify::new(),
        }
    }

    /// Makes every later call of `ops` fail as an unreachable backend does.
    pub(crate) fn fail(&self, ops: &[Op]) {
        self.fail_with(ops, BackendErrorKind::Unavailable);
    }

    /// Makes every later call of `ops` fail with an error of `kind`.
    pub(crate) fn fail_with(&self, ops: &[Op], kind: BackendErrorKind) {
        lock(&self.failing).extend(ops.iter().map(|op| (*op, kind)));
    }

    /// Makes every operation fail.
    pub(crate) fn fail_all(&self) {
        self.fail(&[
            Op::Get,
            Op::Set,
            Op::Delete,
            Op::Claim,
            Op::Complete,
            Op::Release,
            Op::Extend,
            Op::Watch,
        ]);
    }

    /// Ends every scripted failure.
    pub(crate) fn heal(&self) {
        lock(&self.failing).clear();
    }

    /// Makes the next `count` claims report a lease held by someone else.
    pub(crate) fn hold_next_claims(&self, count: u32) {
        *lock(&self.held_claims) = count;
    }

    /// How many times `op` was called.
    pub(crate) fn count(&self, op: Op) -> usize {
        lock(&self.calls).iter().filter(|call| **call == op).count()
    }

    /// Waits until `op` has been called at least once.
    pub(crate) async fn called(&self, op: Op) {
        loop {
            let notified = self.called.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.count(op) > 0 {
                return;
            }
            notified.await;
        }
    }

    fn enter(&self, op: Op) -> Result<(), BackendError> {
        lock(&self.calls).push(op);
        self.called.notify_waiters();
        match lock(&self.failing).get(&op) {
            Some(kind) => Err(BackendError::new(
                *kind,
                format!("scripted failure of {op:?}"),
            )),
            None => Ok(()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CacheBackend for Scripted {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Get)?;
            self.inner.get(key).await
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.enter(Op::Set)?;
            self.inner.set(key, value, ttl).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Delete)?;
            self.inner.delete(key).await
        })
    }

    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, BackendError>> {
        self.inner.delete_prefix(prefix)
    }

    fn key_prefix(&self) -> &str {
        self.prefix
    }

    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Claim)?;
            {
                let mut held = lock(&self.held_claims);
                if *held > 0 {
                    *held -= 1;
                    return Ok(Claim::Held);
                }
            }
            self.inner.claim(key, owner, lease).await
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Complete)?;
            self.inner.complete(key, owner, value, ttl).await
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Release)?;
            self.inner.release(key, owner).await
        })
    }

    fn extend<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Extend)?;
            self.inner.extend(key, owner, lease).await
        })
    }

    fn watch<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Watch, BackendError>> {
        Box::pin(async move {
            self.enter(Op::Watch)?;
            self.inner.watch(key).await
        })
    }
}

/// The formatted `tracing` output of this thread while recording.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Records every event of this thread (all levels) until the guard is dropped.
    pub(crate) fn record() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer({
                let logs = logs.clone();
                move || logs.clone()
            })
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// The recorded lines at `level` (`"WARN"`, `"INFO"`, ...) that contain `text`.
    pub(crate) fn lines(&self, level: &str, text: &str) -> Vec<String> {
        let bytes = lock(&self.0).clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| line.contains(&format!(" {level} ")) && line.contains(text))
            .map(str::to_owned)
            .collect()
    }
}

impl io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An environment whose context names `activity_type`, as a worker's would.
pub(crate) fn environment_for(activity_type: &str) -> ActivityEnvironment {
    ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity_type)
                .workflow_id(Some("pipeline-test".to_owned()))
                .build(),
        )
        .build()
}

/// Runs a static activity once in a fresh environment.
pub(crate) async fn run<A>(
    activity: A,
    input: A::Input,
) -> Result<A::Output, ActivityEnvironmentError>
where
    A: ExecutableActivity + ActivityDefinition,
{
    environment_for(activity.name()).run(activity, input).await
}
