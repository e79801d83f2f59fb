//! Reads that overlap share a round trip, on a real Redis: the first read is a `GET` of its own,
//! and the reads that arrive while it is on its way go together as `MGET`s of at most 64 keys;
//! each caller still gets its own key's value. Large values are read one by one; a Redis user
//! that may not run `MGET` still reads every value, after one warning; a read whose caller gives
//! up never holds up the others, nor a batch dropped unsent with its runtime; and every read of
//! a stalled Redis ends with its own operation timeout.
//!
//! The tests run one at a time, as one of them counts warnings.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::join_all;
use temporal_cache_runtime::RedisCacheBackend;
use temporal_cache_runtime::backend::{BackendError, BackendErrorKind, CacheBackend};
use temporal_cache_tests::redis_server::RedisServer;
use temporal_cache_tests::runtime::block_on;
use temporal_cache_tests::{serial, warnings};

/// Smaller than the size from which reads are no longer batched (16 KiB).
const SMALL: usize = 200;
/// Larger than it.
const LARGE: usize = 32 * 1024;

fn key(index: usize) -> String {
    format!("temporal-cache:reads-test:{index}")
}

/// A value of `len` bytes that names its key's index.
fn value(index: usize, len: usize) -> Vec<u8> {
    let mut value = format!("value {index:03} ").into_bytes();
    value.resize(len, b'.');
    value
}

/// Stores `value(i, len)` at `key(i)` for each index.
async fn store(server: &RedisServer, indices: impl IntoIterator<Item = usize>, len: usize) {
    let mut admin = server.connection().await;
    for index in indices {
        redis::cmd("SET")
            .arg(key(index))
            .arg(value(index, len))
            .query_async::<()>(&mut admin)
            .await
            .expect("SET");
    }
}

async fn reset_stats(server: &RedisServer) {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async::<()>(&mut server.connection().await)
        .await
        .expect("CONFIG RESETSTAT");
}

type Read<'a> = Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, BackendError>> + Send + 'a>>;

/// A read of `key` whose first poll sent its `GET` and found no reply yet, and how many reads of
/// it were answered within their first poll before (each sent a `GET` of its own). On a loaded
/// machine the reply can arrive within that poll (the thread that sends is preempted by the one
/// that reads the reply); the read is then started again, a bounded number of times.
async fn on_its_way<'a>(backend: &'a RedisCacheBackend, key: &'a str) -> (Read<'a>, u64) {
    for answered_early in 0..100 {
        let mut read = backend.get(key);
        if futures::poll!(read.as_mut()).is_pending() {
            return (read, answered_early);
        }
    }
    panic!("100 reads of {key} were each answered within their first poll");
}

/// Overlapping reads' values, in order, and how many extra `GET`s starting the first one took
/// (see [`on_its_way`]).
struct Overlapped {
    values: Vec<Result<Option<Vec<u8>>, BackendError>>,
    extra_gets: u64,
}

/// Starts a read of each key, in order, each polled once, then waits for them all. The first
/// sends its `GET`; with `queued`, the others must queue behind it (nothing polls the first again
/// before they are all started). Without it (reads that go straight out), each sends its own
/// `GET`, and may be answered within its first poll.
async fn overlapping(backend: &RedisCacheBackend, keys: &[String], queued: bool) -> Overlapped {
    let (first, extra_gets) = on_its_way(backend, &keys[0]).await;
    let mut reads: Vec<Read<'_>> = vec![first];
    for key in &keys[1..] {
        let mut read = backend.get(key);
        match futures::poll!(read.as_mut()) {
            Poll::Pending => reads.push(read),
            Poll::Ready(value) => {
                assert!(!queued, "a read waits for the one on its way");
                reads.push(Box::pin(std::future::ready(value)));
            }
        }
    }
    Overlapped {
        values: join_all(reads).await,
        extra_gets,
    }
}

fn backend(server: &RedisServer) -> RedisCacheBackend {
    RedisCacheBackend::new(&server.url()).expect("a Redis URL")
}

#[test]
fn overlapping_reads_go_in_batches_and_each_gets_its_own_value() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = backend(&server);
    block_on(async {
        store(&server, 0..70, SMALL).await;
        assert_eq!(backend.get(&key(0)).await.unwrap(), Some(value(0, SMALL)));
        reset_stats(&server).await;

        let mut keys: Vec<String> = (0..70).map(key).collect();
        keys.push(key(3));
        keys.push(key(70));
        let Overlapped { values, extra_gets } = overlapping(&backend, &keys, true).await;

        for (index, read) in values[..70].iter().enumerate() {
            assert_eq!(
                read.as_ref().unwrap(),
                &Some(value(index, SMALL)),
                "{index}"
            );
        }
        assert_eq!(values[70].as_ref().unwrap(), &Some(value(3, SMALL)));
        assert_eq!(values[71].as_ref().unwrap(), &None, "an absent key");
        assert_eq!(
            server.calls("get").await,
            1 + extra_gets,
            "the first read went alone"
        );
        assert_eq!(
            server.calls("mget").await,
            2,
            "the 71 reads that arrived while it was on its way went as MGETs of 64 and 7"
        );
    });
}

#[test]
fn large_values_are_read_one_by_one_and_small_ones_batch_again() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = backend(&server);
    block_on(async {
        store(&server, 0..4, LARGE).await;
        store(&server, 4..8, SMALL).await;
        let keys: Vec<String> = (0..4).map(key).collect();

        // The first read sees a large value.
        assert_eq!(backend.get(&key(0)).await.unwrap(), Some(value(0, LARGE)));
        reset_stats(&server).await;
        let Overlapped { values, extra_gets } = overlapping(&backend, &keys, false).await;
        for (index, read) in values.into_iter().enumerate() {
            assert_eq!(read.unwrap(), Some(value(index, LARGE)));
        }
        assert_eq!(server.calls("get").await, 4 + extra_gets);
        assert_eq!(
            server.calls("mget").await,
            0,
            "large values are not batched"
        );

        // A small value read: batching resumes.
        assert_eq!(backend.get(&key(4)).await.unwrap(), Some(value(4, SMALL)));
        reset_stats(&server).await;
        let keys: Vec<String> = (4..8).map(key).collect();
        let Overlapped { values, extra_gets } = overlapping(&backend, &keys, true).await;
        for (index, read) in (4..8).zip(values) {
            assert_eq!(read.unwrap(), Some(value(index, SMALL)));
        }
        assert_eq!(server.calls("get").await, 1 + extra_gets);
        assert_eq!(server.calls("mget").await, 1);
    });
}

#[test]
fn a_user_that_may_not_run_mget_reads_every_value_after_one_warning() {
    let _serial = serial();
    // The rule of a version that did not send MGET; the default user stays on for the test.
    let server = RedisServer::start_with(&[
        "--user",
        "cache on >secret resetkeys ~temporal-cache:* -@all +get +set",
    ]);
    let backend =
        RedisCacheBackend::new(&server.url().replace("redis://", "redis://cache:secret@"))
            .expect("a Redis URL");
    block_on(async {
        store(&server, 0..6, SMALL).await;
        assert_eq!(backend.get(&key(0)).await.unwrap(), Some(value(0, SMALL)));
        warnings::recorded().clear();
        let keys: Vec<String> = (0..6).map(key).collect();

        for round in 0..2 {
            reset_stats(&server).await;
            // The first round batches (and is refused); from then on reads go straight out.
            let Overlapped { values, extra_gets } = overlapping(&backend, &keys, round == 0).await;
            for (index, read) in values.into_iter().enumerate() {
                assert_eq!(read.unwrap(), Some(value(index, SMALL)), "round {round}");
            }
            assert_eq!(server.calls("get").await, 6 + extra_gets, "round {round}");
            let refused = server.stat("mget", "rejected_calls").await;
            assert_eq!(
                refused,
                u64::from(round == 0),
                "MGET is tried once, then never again (round {round})"
            );
        }

        let warnings = warnings::recorded();
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert!(warnings[0].contains("+mget"), "{}", warnings[0]);
    });
}

#[test]
fn a_read_given_up_never_holds_up_the_others() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = backend(&server);
    block_on(async {
        store(&server, 0..3, SMALL).await;
        assert_eq!(backend.get(&key(0)).await.unwrap(), Some(value(0, SMALL)));

        let keys: Vec<String> = (0..3).map(key).collect();
        let (first, _) = on_its_way(&backend, &keys[0]).await;
        let mut second = backend.get(&keys[1]);
        assert!(
            futures::poll!(second.as_mut()).is_pending(),
            "it waits for the first"
        );
        // Queued, then given up.
        assert!(backend.get(&keys[2]).now_or_never().is_none());
        // The read on its way is given up too: the waiting ones go on without it.
        drop(first);

        assert_eq!(
            second.await.expect("answered, not timed out"),
            Some(value(1, SMALL))
        );
        assert_eq!(backend.get(&key(2)).await.unwrap(), Some(value(2, SMALL)));
    });
}

#[test]
fn a_batch_dropped_with_its_runtime_never_holds_up_later_reads() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = backend(&server);
    let keys: Vec<String> = (0..3).map(key).collect();
    block_on(async {
        store(&server, 0..3, SMALL).await;
        assert_eq!(backend.get(&keys[0]).await.unwrap(), Some(value(0, SMALL)));
    });

    let short_lived = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    short_lived.block_on(async {
        let (first, _) = on_its_way(&backend, &keys[0]).await;
        let mut second = backend.get(&keys[1]);
        assert!(futures::poll!(second.as_mut()).is_pending());
        // Hands the waiting read to a batch, spawned on this runtime, which never polls it.
        drop(first);
    });
    drop(short_lived);

    block_on(async {
        assert_eq!(
            backend
                .get(&keys[2])
                .await
                .expect("answered, not timed out"),
            Some(value(2, SMALL))
        );
    });
}

#[test]
fn overlapping_reads_of_a_stalled_redis_each_end_with_their_timeout() {
    let _serial = serial();
    let server = RedisServer::start();
    let backend = backend(&server).with_operation_timeout(Duration::from_millis(100));
    block_on(async {
        store(&server, 0..3, SMALL).await;
        assert_eq!(backend.get(&key(0)).await.unwrap(), Some(value(0, SMALL)));
        // Redis answers no client for 2 s: far longer than the reads' timeout.
        redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(2000)
            .arg("ALL")
            .query_async::<()>(&mut server.connection().await)
            .await
            .expect("CLIENT PAUSE");

        let keys: Vec<String> = (0..3).map(key).collect();
        let overlapped = overlapping(&backend, &keys, true).await;
        for (index, read) in overlapped.values.into_iter().enumerate() {
            let error = read.expect_err("Redis is paused");
            assert_eq!(
                error.kind(),
                BackendErrorKind::Timeout,
                "read {index}: {error}"
            );
        }
    });
}
