//! A loopback TCP relay in front of Redis that counts round trips.
//!
//! A round trip starts whenever a client sends bytes after Redis last spoke on that connection
//! (or for the first time). A pipelined batch, or commands sent before earlier replies came back,
//! is therefore one round trip, however many commands it holds; messages Redis pushes on its own
//! (pub/sub) start none. Meant for calls made one after another: concurrent calls sharing a
//! connection would merge their round trips.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::BenchResult;

/// What went through the proxy so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Traffic {
    pub(crate) round_trips: u64,
    pub(crate) connections: u64,
}

#[derive(Default)]
struct Counters {
    round_trips: AtomicU64,
    connections: AtomicU64,
}

/// A running relay; dropping it closes every connection through it.
pub(crate) struct RoundTripProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    relay: JoinHandle<()>,
}

impl RoundTripProxy {
    /// Listens on a free loopback port and relays each connection to `upstream`.
    pub(crate) async fn start(upstream: SocketAddr) -> BenchResult<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let relay = tokio::spawn(accept(listener, upstream, Arc::clone(&counters)));
        Ok(Self {
            addr,
            counters,
            relay,
        })
    }

    /// The Redis URL that goes through the proxy.
    pub(crate) fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }

    /// The counts so far.
    pub(crate) fn traffic(&self) -> Traffic {
        Traffic {
            round_trips: self.counters.round_trips.load(Ordering::SeqCst),
            connections: self.counters.connections.load(Ordering::SeqCst),
        }
    }
}

impl Drop for RoundTripProxy {
    fn drop(&mut self) {
        // Ends the accept loop, whose JoinSet then aborts every connection's relay.
        self.relay.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, counters: Arc<Counters>) {
    let mut connections = JoinSet::new();
    while let Ok((client, _)) = listener.accept().await {
        counters.connections.fetch_add(1, Ordering::SeqCst);
        let counters = Arc::clone(&counters);
        connections.spawn(async move {
            // A connection that fails ends; the cache sees a Redis error, as it would without us.
            if let Ok(server) = TcpStream::connect(upstream).await {
                relay(client, server, &counters).await;
            }
        });
        // Reap finished relays so the set does not grow with every reconnect.
        while connections.try_join_next().is_some() {}
    }
}

/// Relays one connection both ways until either side closes it.
async fn relay(client: TcpStream, server: TcpStream, counters: &Counters) {
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (from_client, to_client) = client.into_split();
    let (from_server, to_server) = server.into_split();
    // Starts true so that the client's first bytes count as a round trip.
    let server_spoke_last = AtomicBool::new(true);
    let requests = forward(from_client, to_server, || {
        if server_spoke_last.swap(false, Ordering::SeqCst) {
            counters.round_trips.fetch_add(1, Ordering::SeqCst);
        }
    });
    // Marked before the reply is passed on: the client cannot send its next request earlier.
    let replies = forward(from_server, to_client, || {
        server_spoke_last.store(true, Ordering::SeqCst);
    });
    tokio::join!(requests, replies);
}

/// Copies `from` to `to`, calling `seen` before passing each chunk on; closes `to` at the end.
async fn forward(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, seen: impl Fn()) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                seen();
                if to.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}
