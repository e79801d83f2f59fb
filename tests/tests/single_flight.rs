//! Identical concurrent calls run the body once: in one process (coalescing), across processes
//! (leases with owners, renewed while the body runs, taken over when a holder dies), with the
//! failure hand-over and the bounds on waiting.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use temporal_cache_runtime::backend::{CacheBackend, Claim, RedisCacheBackend};
use temporal_cache_tests::activities::{COUNTED_BACKEND_URL, Cached, Output, runs, token};
use temporal_cache_tests::environment::{run, try_run};
use temporal_cache_tests::probe::Probe;
use temporal_cache_tests::redis_server::SharedServers;
use temporal_cache_tests::runtime::block_on;
use temporalio_common::data_converters::MultiArgs2;

fn servers() -> &'static SharedServers {
    static SERVERS: OnceLock<SharedServers> = OnceLock::new();
    SERVERS.get_or_init(|| SharedServers::start(&COUNTED_BACKEND_URL))
}

fn probe(args: &[&str]) -> Probe {
    Probe::start(env!("CARGO_BIN_EXE_probe"), args)
}

async fn concurrent_calls(activity: &str, token: &str, count: usize, millis: u64) -> Vec<Output> {
    let calls = (0..count).map(|_| async move {
        let input = MultiArgs2(token.to_owned(), millis);
        match activity {
            "slow" => run(Cached::slow, input).await,
            "short_lease" => run(Cached::short_lease, input).await,
            "sync_short_lease" => run(Cached::sync_short_lease, input).await,
            "impatient" => run(Cached::impatient, input).await,
            "unlocked" => run(Cached::unlocked, input).await,
            "in_memory" => run(Cached::in_memory, input).await,
            "counted" => run(Cached::counted, input).await,
            other => panic!("no activity {other}"),
        }
    });
    futures::future::join_all(calls).await
}

fn outputs_of(report: &serde_json::Value) -> Vec<Output> {
    serde_json::from_value(report["outputs"].clone()).expect("outputs")
}

/// Splits `total` identical calls of `activity` over this process and a probe process, started
/// together; returns every output and the body runs of both processes.
fn split_over_two_processes(
    activity: &str,
    token: &str,
    total: usize,
    millis: u64,
) -> (Vec<Output>, u32) {
    let servers = servers();
    let theirs = total / 2;
    let mut probe = probe(&[
        "calls",
        &servers.global.url(),
        activity,
        token,
        &theirs.to_string(),
        &millis.to_string(),
    ]);
    assert_eq!(probe.line(), "ready");
    probe.go();
    let mut outputs = block_on(concurrent_calls(activity, token, total - theirs, millis));
    let report = probe.report();
    outputs.extend(outputs_of(&report));
    let their_runs = u32::try_from(report["runs"].as_u64().expect("runs")).expect("small");
    (outputs, runs(token) + their_runs)
}

fn assert_all_equal(outputs: &[Output]) {
    assert!(
        outputs.windows(2).all(|pair| pair[0] == pair[1]),
        "every caller gets the one result: {outputs:?}"
    );
}

#[test]
fn fifty_identical_calls_over_two_processes_run_the_body_once() {
    let token = token("fifty");
    let (outputs, body_runs) = split_over_two_processes("slow", &token, 50, 200);
    assert_eq!(outputs.len(), 50);
    assert_eq!(
        body_runs, 1,
        "one body run for fifty calls in two processes"
    );
    assert_all_equal(&outputs);
}

#[test]
fn a_body_longer_than_two_leases_runs_once() {
    // Lease 600 ms, body 1.5 s: only renewal keeps the lease.
    let token = token("long-body");
    let (outputs, body_runs) = split_over_two_processes("short_lease", &token, 6, 1_500);
    assert_eq!(body_runs, 1);
    assert_all_equal(&outputs);
}

#[test]
fn sync_activities_run_once_across_processes_too() {
    let token = token("long-body-sync");
    let (outputs, body_runs) = split_over_two_processes("sync_short_lease", &token, 6, 1_500);
    assert_eq!(body_runs, 1);
    assert_all_equal(&outputs);
}

#[test]
fn a_killed_holder_is_taken_over_by_one_waiter() {
    let servers = servers();
    let token = token("killed-holder");
    let mut holder = probe(&[
        "hold",
        &servers.global.url(),
        "short_lease",
        &token,
        "60000",
    ]);
    assert_eq!(holder.line(), "started");
    holder.kill();

    let started = Instant::now();
    let outputs = block_on(concurrent_calls("short_lease", &token, 5, 50));
    let waited = started.elapsed();
    assert_eq!(runs(&token), 1, "exactly one waiter took over");
    assert_all_equal(&outputs);
    assert_eq!(outputs[0].pid, std::process::id());
    // The lease (600 ms) runs out, then a re-check (60 ms) takes it; lock_wait is 20 s.
    assert!(
        waited < Duration::from_secs(3),
        "the take-over came {waited:?} after the holder died"
    );
}

#[test]
fn a_stale_holder_can_neither_release_nor_extend_anothers_lease() {
    let servers = servers();
    block_on(async {
        let backend = RedisCacheBackend::new(&servers.global.url()).unwrap();
        let key = format!("temporal-cache:v2:default:stale:{{{}}}", token("stale"));
        let short = Duration::from_millis(50);
        assert_eq!(
            backend.claim(&key, "old", short).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(
            backend.claim(&key, "new", short).await.unwrap(),
            Claim::Held
        );
        // Wait out the old owner's lease (time passing is the event here).
        tokio::time::sleep(short * 2).await;
        let long = Duration::from_secs(30);
        assert_eq!(
            backend.claim(&key, "new", long).await.unwrap(),
            Claim::Acquired
        );
        assert!(!backend.extend(&key, "old", long).await.unwrap());
        assert!(!backend.release(&key, "old").await.unwrap());
        assert_eq!(
            backend.claim(&key, "third", long).await.unwrap(),
            Claim::Held,
            "the new owner's lease survived the stale holder"
        );
        assert!(backend.extend(&key, "new", long).await.unwrap());
        assert!(backend.release(&key, "new").await.unwrap());
        assert_eq!(
            backend.claim(&key, "third", long).await.unwrap(),
            Claim::Acquired
        );
    });
}

#[test]
fn a_failed_body_is_handed_over_to_exactly_one_waiter() {
    servers();
    block_on(async {
        let token = token("hand-over");
        let calls = (0..10).map(|_| try_run(Cached::slow_fails_once, token.clone()));
        let results = futures::future::join_all(calls).await;
        assert_eq!(
            runs(&token),
            2,
            "the failure was handed to one waiter, once"
        );
        let failures = results.iter().filter(|result| result.is_err()).count();
        assert_eq!(
            failures, 1,
            "only the failed run's own caller sees its error"
        );
        for result in results.into_iter().flatten() {
            assert_eq!(result, 2);
        }
    });
}

#[test]
fn a_waiter_runs_the_body_itself_after_lock_wait() {
    let servers = servers();
    let token = token("impatient");
    let mut holder = probe(&["hold", &servers.global.url(), "impatient", &token, "60000"]);
    assert_eq!(holder.line(), "started");
    let started = Instant::now();
    let output = block_on(run(Cached::impatient, MultiArgs2(token.clone(), 10)));
    let waited = started.elapsed();
    assert_eq!(
        (output.pid, output.run),
        (std::process::id(), 1),
        "after lock_wait the waiter ran the body itself"
    );
    assert!(
        (Duration::from_millis(200)..Duration::from_secs(3)).contains(&waited),
        "lock_wait is 200 ms; the call took {waited:?}"
    );
    drop(holder);
}

#[test]
fn in_process_calls_coalesce_into_a_bounded_number_of_redis_commands() {
    let servers = servers();
    block_on(async {
        let token = token("coalesce");
        // A first miss loads the lease scripts, so that the count below is the steady state.
        concurrent_calls("counted", &crate::token("coalesce-warm-up"), 1, 0).await;
        let mut redis = servers.second.connection().await;
        let _: () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query_async(&mut redis)
            .await
            .unwrap();
        let outputs = concurrent_calls("counted", &token, 50, 200).await;
        assert_eq!(runs(&token), 1);
        assert_all_equal(&outputs);
        let stats = command_stats(&mut redis).await;
        let total: u64 = stats
            .iter()
            .filter(|(command, _)| !command.starts_with("config") && *command != "info")
            .map(|(_, calls)| calls)
            .sum();
        // Top level: one GET, the claim script and the completion script. Inside the scripts:
        // GET and SET NX (claim); SET, GET, DEL and PUBLISH (completion). Uncoalesced, the 50
        // calls would have sent 50 GETs at least.
        assert_eq!(stats.get("evalsha"), Some(&2), "{stats:?}");
        assert!(stats.get("get").is_some_and(|gets| *gets <= 3), "{stats:?}");
        assert!(
            total <= 9,
            "50 coalesced calls issued {total} commands: {stats:?}"
        );
    });
}

/// `INFO commandstats` as command name → calls (top-level and script-internal alike).
async fn command_stats(redis: &mut redis::aio::MultiplexedConnection) -> BTreeMap<String, u64> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(redis)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest
                .split(',')
                .next()?
                .strip_prefix("calls=")?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

#[test]
fn without_locking_every_concurrent_call_runs_the_body() {
    servers();
    block_on(async {
        let token = token("unlocked");
        let outputs = concurrent_calls("unlocked", &token, 5, 100).await;
        assert_eq!(runs(&token), 5, "lock = false turns single-flight off");
        assert_eq!(outputs.len(), 5);
    });
}

#[test]
fn the_memory_backend_runs_concurrent_calls_once() {
    servers();
    block_on(async {
        let token = token("memory");
        let outputs = concurrent_calls("in_memory", &token, 20, 100).await;
        assert_eq!(runs(&token), 1);
        assert_all_equal(&outputs);
    });
}
