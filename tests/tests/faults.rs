//! Redis faults never fail an activity, never hang it past the deadline and never return a wrong
//! value: a killed Redis (under load, and under a running workflow), a hung one (`SIGSTOP`), one
//! out of memory, one with another password, entries that cannot be read back, and results too
//! large to store. The tests run one at a time: each points the global backend at a Redis of its
//! own.

use std::process::Command;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use temporal_cache_runtime::{MemoryCacheBackend, RedisCacheBackend, set_cache_backend};
use temporal_cache_tests::activities::{Cached, Output, body_started, runs, token};
use temporal_cache_tests::environment::{run, try_run};
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::temporal_server::{TemporalServer, unique_task_queue};
use temporal_cache_tests::warnings;
use temporal_cache_tests::workflows::SeriesWorkflow;
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::data_converters::MultiArgs2;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

const DEADLINE: Duration = Duration::from_millis(100);
const COOL_DOWN: Duration = Duration::from_millis(200);

/// A backend on `redis` with a tight deadline and a quick breaker, made the global one.
fn use_redis(url: &str) {
    set_cache_backend(
        RedisCacheBackend::new(url)
            .expect("a Redis URL")
            .with_operation_timeout(DEADLINE)
            .with_circuit_breaker(3, COOL_DOWN),
    );
}

/// Calls `Cached::echo` with fresh inputs until a call is served from the cache; returns how
/// long that took. Bounded: panics after `limit`.
async fn until_hits_resume(limit: Duration) -> Duration {
    let started = Instant::now();
    let token = token("resume");
    let mut value = 0;
    while started.elapsed() < limit {
        value += 1;
        let first = run(Cached::echo, MultiArgs2(token.clone(), value)).await;
        let second = run(Cached::echo, MultiArgs2(token.clone(), value)).await;
        if second == first {
            return started.elapsed();
        }
        // Pacing for a state change nothing announces (the breaker's probe after its cool-down).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no cache hit within {limit:?}");
}

/// Mixed async and sync calls over a few inputs; returns how many failed or were wrong.
async fn load(token: &str, calls_per_task: u64) -> usize {
    let tasks = (0..4u64).map(|task| async move {
        let mut bad = 0;
        for i in 0..calls_per_task {
            let value = i % 5;
            let input = MultiArgs2(token.to_owned(), value);
            let result = if task % 2 == 0 {
                try_run(Cached::echo, input).await
            } else {
                try_run(Cached::sync_echo, input).await
            };
            match result {
                Ok(output) if output.value == value && output.token == token => {}
                _ => bad += 1,
            }
        }
        bad
    });
    futures::future::join_all(tasks).await.into_iter().sum()
}

#[test]
fn redis_killed_under_load_then_restarted() {
    let _serial = temporal_cache_tests::serial();
    let mut redis = RedisServer::start();
    use_redis(&redis.url());
    block_on(async {
        let token = token("kill-under-load");
        assert_eq!(load(&token, 25).await, 0, "healthy");
        let cached_runs = runs(&token);

        redis.kill();
        assert_eq!(
            load(&token, 25).await,
            0,
            "every call succeeds with Redis dead"
        );
        assert!(runs(&token) > cached_runs, "the bodies ran");

        redis.restart();
        let restarted = Instant::now();
        assert_eq!(load(&token, 25).await, 0, "and after it is back");
        until_hits_resume(Duration::from_secs(5)).await;
        let to_first_hit = restarted.elapsed();
        assert!(
            to_first_hit < Duration::from_secs(3),
            "caching resumed {to_first_hit:?} after the restart"
        );
    });
}

fn redis_pid(redis: &RedisServer) -> String {
    block_on(async {
        let mut connection = redis.connection().await;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut connection)
            .await
            .unwrap();
        info.lines()
            .find_map(|line| line.strip_prefix("process_id:"))
            .expect("INFO server has the process id")
            .trim()
            .to_owned()
    })
}

fn signal(pid: &str, signal: &str) {
    let status = Command::new("kill")
        .args([signal, pid])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} {pid}");
}

#[test]
fn a_hung_redis_costs_at_most_the_deadline() {
    let _serial = temporal_cache_tests::serial();
    let redis = RedisServer::start();
    use_redis(&redis.url());
    let pid = redis_pid(&redis);
    block_on(async {
        let token = token("hung");
        let cached = run(Cached::echo, MultiArgs2(token.clone(), 1)).await;

        signal(&pid, "-STOP");
        let mut slowest = Duration::ZERO;
        for i in 0..20 {
            let started = Instant::now();
            let output = run(Cached::echo, MultiArgs2(token.clone(), i % 3)).await;
            slowest = slowest.max(started.elapsed());
            assert_eq!(output.value, i % 3);
        }
        signal(&pid, "-CONT");
        // The lookup may wait out the deadline before the breaker opens; a call whose lookup
        // timed out does not store, so it pays the deadline once (the margin is for a loaded
        // machine's timers, not for a second deadline).
        assert!(
            slowest < DEADLINE + Duration::from_secs(1),
            "a call against a hung Redis took {slowest:?}"
        );

        until_hits_resume(Duration::from_secs(5)).await;
        assert_eq!(
            run(Cached::echo, MultiArgs2(token.clone(), 1)).await,
            cached
        );
    });
}

#[test]
fn writes_refused_for_lack_of_memory_leave_activities_working() {
    let _serial = temporal_cache_tests::serial();
    let redis =
        RedisServer::start_with(&["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"]);
    use_redis(&redis.url());
    block_on(async {
        let mut connection = redis.connection().await;
        let filler = vec![b'f'; 100 * 1024];
        let full = async {
            for i in 0..100 {
                let written: Result<(), redis::RedisError> =
                    connection.set(format!("filler-{i}"), &filler).await;
                if written.is_err() {
                    return true;
                }
            }
            false
        };
        assert!(full.await, "Redis refuses writes once full");

        let token = token("oom");
        for expected_run in 1..=5 {
            let output = run(Cached::echo, MultiArgs2(token.clone(), 7)).await;
            assert_eq!((output.value, output.run), (7, expected_run));
        }
    });
}

#[test]
fn a_wrong_password_means_uncached_calls_and_one_warning() {
    let _serial = temporal_cache_tests::serial();
    block_on(async {
        // Start from a healthy backend, so that the outage below is news.
        set_cache_backend(MemoryCacheBackend::new());
        run(Cached::echo, MultiArgs2(token("healthy"), 1)).await;
        let redis = RedisServer::start_with(&["--requirepass", "secret"]);
        use_redis(&redis.url().replace("redis://", "redis://:wrong@"));
        warnings::recorded().clear();

        let token = token("wrong-password");
        for expected_run in 1..=10 {
            let output = run(Cached::echo, MultiArgs2(token.clone(), 3)).await;
            assert_eq!((output.value, output.run), (3, expected_run));
        }
        let warnings = warnings::recorded();
        assert_eq!(warnings.len(), 1, "one clear warning: {warnings:#?}");
    });
}

#[test]
fn unreadable_entries_of_every_kind_heal() {
    let _serial = temporal_cache_tests::serial();
    let redis = RedisServer::start();
    use_redis(&redis.url());
    block_on(async {
        let mut connection = redis.connection().await;
        let valid = b"tc\x02\x00{\"token\":\"t\",\"value\":1,\"run\":1,\"pid\":1}".to_vec();
        let kinds: [(&str, Vec<u8>); 9] = [
            ("garbage", b"\x00\xff not ours".to_vec()),
            ("truncated", valid[..valid.len() / 2].to_vec()),
            ("unknown format version", b"tc\x07\x00{}".to_vec()),
            (
                "the previous format",
                b"tc\x01{\"token\":\"t\",\"value\":1,\"run\":1,\"pid\":1}".to_vec(),
            ),
            ("unknown flags", b"tc\x02\x80{}".to_vec()),
            ("another result type", b"tc\x02\x00\"a string\"".to_vec()),
            (
                "MessagePack that does not decode",
                b"tc\x02\x10\xc1".to_vec(),
            ),
            (
                "MessagePack and Payload flags together",
                b"tc\x02\x14\x80".to_vec(),
            ),
            ("empty", Vec::new()),
        ];
        for (kind, planted) in kinds {
            let token = token("corrupt");
            let first = run(Cached::corruptible, MultiArgs2(token.clone(), 1)).await;
            let keys: Vec<String> = connection
                .keys("temporal-cache:v2:default:Cached::corruptible:*")
                .await
                .unwrap();
            assert_eq!(keys.len(), 1, "{kind}: one entry");
            let key = &keys[0];
            let _: () = connection.set(key, &planted).await.unwrap();

            let healed = run(Cached::corruptible, MultiArgs2(token.clone(), 1)).await;
            assert_eq!(healed.run, 2, "{kind}: a miss, never a value");
            assert_ne!(healed, first);
            let stored: Vec<u8> = connection.get(key).await.unwrap();
            assert!(stored.starts_with(b"tc\x02\x10"), "{kind}: overwritten");
            let served = run(Cached::corruptible, MultiArgs2(token.clone(), 1)).await;
            assert_eq!(served, healed, "{kind}: then a hit with the right value");
            let _: () = connection.del(key).await.unwrap();
        }
    });
}

#[test]
fn entries_in_json_are_hits_for_a_worker_that_writes_message_pack() {
    // JSON entries: from workers with `ValueFormat::Json`, from earlier releases, or results
    // that do not read back the same from MessagePack.
    let _serial = temporal_cache_tests::serial();
    let redis = RedisServer::start();
    use_redis(&redis.url());
    block_on(async {
        let mut connection = redis.connection().await;
        let token = token("json-entry");
        let first = run(Cached::corruptible, MultiArgs2(token.clone(), 1)).await;
        let keys: Vec<String> = connection
            .keys("temporal-cache:v2:default:Cached::corruptible:*")
            .await
            .unwrap();
        let stored: Vec<u8> = connection.get(&keys[0]).await.unwrap();
        assert!(stored.starts_with(b"tc\x02\x10"), "written in MessagePack");

        let written_as_json = Output {
            run: first.run + 76,
            ..first.clone()
        };
        let mut entry = b"tc\x02\x00".to_vec();
        entry.extend_from_slice(&serde_json::to_vec(&written_as_json).unwrap());
        let _: () = connection.set(&keys[0], entry).await.unwrap();
        assert_eq!(
            run(Cached::corruptible, MultiArgs2(token, 1)).await,
            written_as_json,
            "the JSON entry is served"
        );
    });
}

#[test]
fn results_over_the_size_limit_are_returned_but_not_stored() {
    let _serial = temporal_cache_tests::serial();
    let redis = RedisServer::start();
    set_cache_backend(
        RedisCacheBackend::new(&redis.url())
            .unwrap()
            .with_max_value_bytes(1_000),
    );
    block_on(async {
        let token = token("size");
        for _ in 0..2 {
            let result = run(Cached::sized, MultiArgs2(token.clone(), 2_000)).await;
            assert_eq!(result.len(), 2_000);
        }
        assert_eq!(runs(&token), 2, "a large result is not cached");
        let small = crate::token("size-small");
        for _ in 0..2 {
            assert_eq!(
                run(Cached::sized, MultiArgs2(small.clone(), 10))
                    .await
                    .len(),
                10
            );
        }
        assert_eq!(runs(&small), 1);
        let mut connection = redis.connection().await;
        let keys: Vec<String> = connection.keys("*Cached::sized*").await.unwrap();
        assert_eq!(keys.len(), 1, "only the small result is stored: {keys:?}");
    });
}

#[test]
fn a_workflow_completes_correctly_when_redis_dies_under_it() {
    let _serial = temporal_cache_tests::serial();
    let mut redis = RedisServer::start();
    use_redis(&redis.url());
    let temporal = TemporalServer::shared();
    block_on(async {
        let client = temporal.client().await;
        let task_queue = unique_task_queue("faults");
        let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
        let options = WorkerOptions::new(task_queue.as_str())
            .register_workflow::<SeriesWorkflow>()
            .unwrap()
            .register_activities(Cached)
            .build();
        let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();
        let token = token("workflow-redis-dies");
        let values: Vec<u64> = (100..105).collect();

        let workflow = async {
            let workflow_id = unique_task_queue("series");
            let handle = client
                .start_workflow(
                    SeriesWorkflow::run,
                    (token.clone(), values.clone()),
                    WorkflowStartOptions::new(task_queue.as_str(), workflow_id.as_str()).build(),
                )
                .await
                .expect("the workflow starts");
            body_started(&token).await;
            redis.kill();
            let outputs: Vec<Output> = handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .expect("the workflow completes");
            shutdown();
            outputs
        };
        let (worker_result, outputs) = tokio::join!(worker.run(), workflow);
        worker_result.expect("the worker stops cleanly");
        let got: Vec<u64> = outputs.iter().map(|output| output.value).collect();
        assert_eq!(
            got, values,
            "every activity returned its own, correct result"
        );
    });
}

#[test]
fn a_worker_started_while_redis_is_away_picks_it_up_when_it_appears() {
    let _serial = temporal_cache_tests::serial();
    let mut redis = RedisServer::start();
    redis.kill();
    use_redis(&redis.url());
    block_on(async {
        let token = token("late-redis");
        for expected_run in 1..=3 {
            let output = run(Cached::echo, MultiArgs2(token.clone(), 2)).await;
            assert_eq!((output.value, output.run), (2, expected_run));
        }
        redis.restart();
        until_hits_resume(Duration::from_secs(5)).await;
    });
}

#[test]
fn a_read_only_replica_and_a_busy_script_are_misses() {
    let _serial = temporal_cache_tests::serial();
    let primary = RedisServer::start();
    let replica =
        RedisServer::start_with(&["--replicaof", "127.0.0.1", &primary.port().to_string()]);
    use_redis(&replica.url());
    block_on(async {
        let token = token("read-only");
        for expected_run in 1..=3 {
            let output = run(Cached::echo, MultiArgs2(token.clone(), 5)).await;
            assert_eq!(
                (output.value, output.run),
                (5, expected_run),
                "READONLY: stores fail"
            );
        }
    });

    // A script that never ends makes Redis answer BUSY to everyone else.
    let busy = RedisServer::start_with(&["--busy-reply-threshold", "10"]);
    use_redis(&busy.url());
    block_on(async {
        let mut blocker = busy.connection().await;
        let spin = tokio::spawn(async move {
            let _: Result<(), redis::RedisError> = redis::cmd("EVAL")
                .arg("while true do end")
                .arg(0)
                .query_async(&mut blocker)
                .await;
        });
        let mut probe = busy.connection().await;
        let give_up = Instant::now() + Duration::from_secs(5);
        loop {
            let reply: Result<String, redis::RedisError> =
                redis::cmd("PING").query_async(&mut probe).await;
            if reply.is_err_and(|error| error.code() == Some("BUSY")) {
                break;
            }
            assert!(Instant::now() < give_up, "Redis never became busy");
            tokio::task::yield_now().await;
        }
        let token = token("busy");
        for expected_run in 1..=3 {
            let output = run(Cached::echo, MultiArgs2(token.clone(), 6)).await;
            assert_eq!(
                (output.value, output.run),
                (6, expected_run),
                "BUSY: a miss"
            );
        }
        let _: () = redis::cmd("SCRIPT")
            .arg("KILL")
            .query_async(&mut probe)
            .await
            .expect("the spinning script can be killed");
        spin.await.expect("the blocked connection returns");
    });
}
