//! Timing operations and summarising the timings: percentiles, rates and medians of rounds.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::error::BenchResult;

/// Latency percentiles and the rate of one sequential run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latency {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    /// Operations per second, one after another in one task (the inverse of the mean).
    pub(crate) per_second: f64,
    /// Every 5th percentile, from the fastest call (p0) to the slowest (p100): the shape of
    /// the distribution, for the report's charts.
    pub(crate) quantiles: [Duration; 21],
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let total: Duration = samples.iter().sum();
        Self {
            p50: percentile(&samples, 50.0),
            p99: percentile(&samples, 99.0),
            per_second: rate(samples.len(), total),
            quantiles: std::array::from_fn(|i| percentile(&samples, 5.0 * i as f64)),
        }
    }
}

/// Runs `op` `warm_up` times untimed, then `iterations` times one after another, timing each.
/// The first error ends the run.
pub(crate) async fn sequential<F, Fut, T>(
    warm_up: usize,
    iterations: usize,
    mut op: F,
) -> BenchResult<Latency>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = BenchResult<T>>,
{
    for _ in 0..warm_up {
        black_box(op().await?);
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        samples.push(time(op()).await?);
    }
    Ok(Latency::of(samples))
}

/// Like [`sequential`] for two operations at once, alternating call by call (`a b`, then `b a`,
/// and so on), so that both see the same moments of a noisy machine. Two runs one after the
/// other can land in different states (on a small VM a loopback round trip may take 8 µs for a
/// while, then 70 µs); alternate calls cannot.
pub(crate) async fn alternating<A, FutA, B, FutB, T, U>(
    warm_up: usize,
    iterations: usize,
    mut a: A,
    mut b: B,
) -> BenchResult<(Latency, Latency)>
where
    A: FnMut() -> FutA,
    FutA: Future<Output = BenchResult<T>>,
    B: FnMut() -> FutB,
    FutB: Future<Output = BenchResult<U>>,
{
    for _ in 0..warm_up {
        black_box(a().await?);
        black_box(b().await?);
    }
    let (mut a_samples, mut b_samples) = (
        Vec::with_capacity(iterations),
        Vec::with_capacity(iterations),
    );
    for iteration in 0..iterations {
        if iteration % 2 == 0 {
            a_samples.push(time(a()).await?);
            b_samples.push(time(b()).await?);
        } else {
            b_samples.push(time(b()).await?);
            a_samples.push(time(a()).await?);
        }
    }
    Ok((Latency::of(a_samples), Latency::of(b_samples)))
}

/// How long `call` takes to complete.
async fn time<T>(call: impl Future<Output = BenchResult<T>>) -> BenchResult<Duration> {
    let started = Instant::now();
    black_box(call.await?);
    Ok(started.elapsed())
}

/// Runs `op(task)` `per_task` times in each of `tasks` concurrent Tokio tasks (after one untimed
/// call per task), and returns the operations per second of them all together.
pub(crate) async fn concurrent<F, Fut, T>(tasks: usize, per_task: usize, op: F) -> BenchResult<f64>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = BenchResult<T>> + Send + 'static,
    T: Send + 'static,
{
    let elapsed = concurrent_run(tasks, per_task, op).await?;
    Ok(rate(tasks * per_task, elapsed))
}

/// Like [`concurrent`] for several operations at once, the way [`alternating`] is for
/// [`sequential`]: each operation's run is cut into `parts`, and the parts take turns (`a b c`,
/// then `b c a`, and so on), so that every operation sees the same moments of a noisy machine.
/// Returns each operation's rate over its parts together; `per_task` must be a multiple of
/// `parts`.
pub(crate) async fn concurrent_interleaved<F, Fut, T>(
    tasks: usize,
    per_task: usize,
    parts: usize,
    ops: &[F],
) -> BenchResult<Vec<f64>>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = BenchResult<T>> + Send + 'static,
    T: Send + 'static,
{
    if parts == 0 || !per_task.is_multiple_of(parts) {
        return Err(
            format!("{per_task} calls per task do not cut into {parts} equal parts").into(),
        );
    }
    let per_part = per_task / parts;
    let mut elapsed = vec![Duration::ZERO; ops.len()];
    for part in 0..parts {
        for turn in 0..ops.len() {
            let index = (part + turn) % ops.len();
            elapsed[index] += concurrent_run(tasks, per_part, ops[index].clone()).await?;
        }
    }
    Ok(elapsed
        .into_iter()
        .map(|elapsed| rate(tasks * per_part * parts, elapsed))
        .collect())
}

/// How long `tasks` concurrent tasks take to call `op(task)` `per_task` times each, after one
/// untimed call per task.
async fn concurrent_run<F, Fut, T>(tasks: usize, per_task: usize, op: F) -> BenchResult<Duration>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = BenchResult<T>> + Send + 'static,
    T: Send + 'static,
{
    for task in 0..tasks {
        black_box(op(task).await?);
    }
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let op = op.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    black_box(op(task).await?);
                }
                BenchResult::Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle.await??;
    }
    Ok(started.elapsed())
}

/// The nearest-rank percentile `p` (0 to 100) of `sorted`, which must not be empty.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn rate(operations: usize, elapsed: Duration) -> f64 {
    operations as f64 / elapsed.as_secs_f64()
}

/// The median of the values `of` takes over `rounds` (the lower middle one for an even count).
pub(crate) fn median<R, V: PartialOrd + Copy>(rounds: &[R], of: impl Fn(&R) -> V) -> V {
    let mut values: Vec<V> = rounds.iter().map(of).collect();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[(values.len() - 1) / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_micros(v)).collect()
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples = micros(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&samples, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&samples, 99.0), Duration::from_micros(99));
        assert_eq!(percentile(&samples, 100.0), Duration::from_micros(100));
        assert_eq!(percentile(&micros(&[7]), 99.0), Duration::from_micros(7));
    }

    #[tokio::test]
    async fn interleaved_runs_call_each_operation_in_every_part_and_task() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let calls: Arc<[AtomicUsize; 2]> = Arc::new(Default::default());
        let ops = [0, 1].map(|index| {
            let calls = Arc::clone(&calls);
            move |task: usize| {
                let calls = Arc::clone(&calls);
                async move {
                    assert!(task < 3);
                    calls[index].fetch_add(1, Ordering::Relaxed);
                    BenchResult::Ok(())
                }
            }
        });
        let rates = concurrent_interleaved(3, 10, 5, &ops).await.unwrap();
        assert_eq!(rates.len(), 2);
        assert!(rates.iter().all(|rate| *rate > 0.0));
        // 3 tasks × 10 timed calls, and one untimed call per task in each of the 5 parts.
        for count in calls.iter() {
            assert_eq!(count.load(Ordering::Relaxed), 3 * 10 + 3 * 5);
        }
        let error = concurrent_interleaved(3, 10, 4, &ops).await.unwrap_err();
        assert!(error.to_string().contains("4 equal parts"), "{error}");
    }

    #[test]
    fn the_median_of_rounds_is_the_middle_value() {
        assert_eq!(median(&[3.0, 1.0, 2.0], |&v| v), 2.0);
        assert_eq!(median(&[4, 1, 3, 2], |&v| v), 2);
    }
}
