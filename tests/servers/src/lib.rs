//! Real servers that temporal-cache's integration tests and its bench start, as child processes
//! listening on `127.0.0.1` only, each on a free loopback port.
//!
//! ```no_run
//! use temporal_cache_servers::RedisServer;
//!
//! # fn main() -> Result<(), temporal_cache_servers::LaunchError> {
//! let mut redis = RedisServer::start()?; // waits for "Ready to accept connections"
//! println!("{}", redis.url()); // redis://127.0.0.1:PORT/
//! redis.kill(); // an outage...
//! redis.restart()?; // ...and back, on the same port, empty
//! # Ok(())
//! # }
//! ```
//!
//! Every server runs under a small `sh` [supervisor](supervisor::Supervised) that kills it once
//! this process lets go of it, by dropping the handle or by exiting or dying, even without running
//! destructors (as happens to statics). So no server outlives the process that started it.
//!
//! Failures are errors, never skips: a missing binary is a [`LaunchError::NotFound`] whose message
//! says how to install it. The test harness (`temporal-cache-tests`) turns them into panics; the
//! bench reports them and exits.
//!
//! The servers' own output is forwarded to `tracing` at `debug` level under the target
//! [`supervisor::OUTPUT_LOG_TARGET`].

pub mod error;
pub mod executable;
pub mod port;
pub mod redis_server;
pub mod supervisor;

pub use error::LaunchError;
pub use port::free_loopback_port;
pub use redis_server::RedisServer;
