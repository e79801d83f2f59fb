//! Real servers that temporal-cache's integration tests and its bench start, as child processes
//! listening on `127.0.0.1` only, each on a free loopback port.
//!
//! ```no_run
//! use temporal_cache_servers::{ClientCerts, RedisServer, TlsMaterial};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut redis = RedisServer::start()?; // waits for "Ready to accept connections"
//! println!("{}", redis.url()); // redis://127.0.0.1:PORT/
//! redis.kill(); // an outage...
//! redis.restart()?; // ...and back, on the same port, empty
//!
//! // An ACL user, its rule in one argument; clients log in as `cache` with `secret`.
//! let _acl = RedisServer::start_with(&["--user", "cache on >secret ~tc:* &tc:* +get +set"])?;
//!
//! // TLS only, with certificates made for this test; clients present `tls.client()`.
//! let tls = TlsMaterial::generate()?;
//! let secure = RedisServer::start_tls(&tls, ClientCerts::Required)?;
//! println!("{}", secure.url()); // rediss://127.0.0.1:PORT/, trust tls.ca()
//! # Ok(())
//! # }
//! ```
//!
//! - [`RedisServer`]: one `redis-server`, plain ([`start`](RedisServer::start),
//!   [`start_with`](RedisServer::start_with)) or TLS only
//!   ([`start_tls`](RedisServer::start_tls), [`start_tls_with`](RedisServer::start_tls_with)
//!   for an expired certificate), killed and restarted on its port at will.
//! - [`TlsMaterial`]: a CA, server and client certificates signed by it, an expired server
//!   certificate, and an unrelated CA, as PEM files in a temporary directory.
//! - [`RedisCluster`]: masters and replicas with every slot assigned; nodes can be killed, slots
//!   moved, and [`key_slot`] computes a key's slot as Redis does.
//! - [`RedisCli`]: `redis-cli`, run for a bounded time ([`run_bounded`]), to speak TLS or ACL
//!   to a server.
//!
//! Every server runs under a small `sh` [supervisor](supervisor::Supervised) that kills it once
//! this process lets go of it, by dropping the handle or by exiting or dying, even without running
//! destructors (as happens to statics). So no server outlives the process that started it.
//!
//! Failures are errors, never skips: a missing binary is a [`LaunchError::NotFound`] whose message
//! says how to install it. The test harness (`temporal-cache-tests`) turns them into panics; the
//! bench reports them and exits. Every wait is bounded and ends by itself.
//!
//! The servers' own output is forwarded to `tracing` at `debug` level under the target
//! [`supervisor::OUTPUT_LOG_TARGET`].

pub mod bounded_command;
pub mod cluster;
pub mod error;
pub mod executable;
pub mod port;
pub mod redis_cli;
pub mod redis_server;
mod resp;
pub mod supervisor;
pub mod tls_material;

pub use bounded_command::{CommandError, CommandOutput, run_bounded};
pub use cluster::{ClusterError, NodeRole, RedisCluster, SLOT_COUNT, Topology, key_slot};
pub use error::LaunchError;
pub use port::free_loopback_port;
pub use redis_cli::RedisCli;
pub use redis_server::{ClientCerts, RedisServer, ServerCertificate, TlsSettings};
pub use tls_material::{CertificateFiles, TlsMaterial, TlsMaterialError};
