//! Counting what a call costs in Redis: commands by name and network round trips.
//!
//! Three views of the same calls, because each alone misleads:
//! - [`commandstats`]: Redis's own per-command counters. Exact, but a command a Lua script runs
//!   (`redis.call`) is counted like one the client sent.
//! - [`monitor`]: `MONITOR` shows every command with its origin, so script-internal commands can
//!   be told from the client's own.
//! - [`proxy`]: a TCP relay between the cache and Redis that counts round trips: a pipelined
//!   batch of commands is one round trip, however many commands it holds.

pub(crate) mod commandstats;
pub(crate) mod monitor;
pub(crate) mod proxy;
