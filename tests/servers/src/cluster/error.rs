//! Why a cluster could not be started, queried, or brought to the state a test waits for.

use std::fmt;
use std::time::Duration;

use crate::{CommandError, LaunchError};

/// A cluster that could not be started, queried, resharded, or did not settle in time.
///
/// Its `Display` is the whole message, the cluster's latest observed state included for a
/// timeout, so that a panic built from it needs nothing else.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClusterError {
    /// Fewer than 3 masters were asked for: Redis Cluster needs a majority of at least 3 masters
    /// to elect a replica (and `redis-cli --cluster create` refuses fewer).
    TooFewMasters {
        /// How many were asked for.
        masters: usize,
    },
    /// A node or `redis-cli` could not be started, e.g. the binary is missing.
    Launch(LaunchError),
    /// The directory for the nodes' state could not be created.
    StateDir(std::io::Error),
    /// `redis-cli` did not finish.
    Cli(CommandError),
    /// `redis-cli` finished but failed.
    CliFailed {
        /// What it was asked, e.g. `--cluster create ...`.
        command: String,
        /// Its exit status and output.
        transcript: String,
    },
    /// A node could not be reached or did not answer in time.
    Node {
        /// The node's port.
        port: u16,
        /// The command, e.g. `CLUSTER NODES`.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// A node answered with an error, or with a reply of the wrong shape.
    Refused {
        /// The node's port.
        port: u16,
        /// The command.
        command: String,
        /// Its reply.
        reply: String,
    },
    /// The cluster does not know what was asked of it, e.g. a slot no master serves.
    Unknown {
        /// What, e.g. `the master of slot 42`.
        what: String,
    },
    /// A failover was awaited for a node this handle did not kill.
    NotKilled {
        /// The node's index.
        node: usize,
    },
    /// The cluster did not reach a state in time.
    TimedOut {
        /// The state, e.g. `a failover of node 0`.
        waiting_for: String,
        /// How long it was given.
        timeout: Duration,
        /// Why the last check was not satisfied.
        last_seen: String,
    },
}

impl From<LaunchError> for ClusterError {
    fn from(error: LaunchError) -> Self {
        Self::Launch(error)
    }
}

impl From<CommandError> for ClusterError {
    fn from(error: CommandError) -> Self {
        Self::Cli(error)
    }
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooFewMasters { masters } => write!(
                f,
                "a Redis Cluster needs at least 3 masters to fail over, not {masters}"
            ),
            Self::Launch(error) => error.fmt(f),
            Self::StateDir(error) => {
                write!(
                    f,
                    "cannot create a directory for the cluster's state: {error}"
                )
            }
            Self::Cli(error) => error.fmt(f),
            Self::CliFailed {
                command,
                transcript,
            } => write!(f, "redis-cli {command} failed: {transcript}"),
            Self::Node {
                port,
                command,
                source,
            } => write!(f, "cluster node on port {port}, {command}: {source}"),
            Self::Refused {
                port,
                command,
                reply,
            } => write!(
                f,
                "cluster node on port {port} answered {command} with {reply}"
            ),
            Self::Unknown { what } => write!(f, "the cluster does not know {what}"),
            Self::NotKilled { node } => write!(
                f,
                "node {node} was not killed with RedisCluster::kill_node, so no failover is due"
            ),
            Self::TimedOut {
                waiting_for,
                timeout,
                last_seen,
            } => write!(
                f,
                "no {waiting_for} within {timeout:?}; last seen: {last_seen}"
            ),
        }
    }
}

impl std::error::Error for ClusterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Launch(error) => Some(error),
            Self::Cli(error) => Some(error),
            Self::StateDir(error) | Self::Node { source: error, .. } => Some(error),
            _ => None,
        }
    }
}
