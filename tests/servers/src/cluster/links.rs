//! Connections to a cluster's nodes for the length of one operation (a query, a wait, a
//! reshard), and the few typed questions the cluster asks them.

use std::time::Duration;

use super::ClusterError;
use super::topology::Topology;
use crate::resp::{Connection, Reply};

/// How long connecting to a node, and each of its replies, may take. Generous: a node answers
/// admin commands in microseconds, but the machine may be busy.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection per node, opened when first used and dropped after an error.
#[derive(Debug)]
pub(crate) struct NodeLinks {
    /// Node `i`'s port.
    ports: Vec<u16>,
    /// Node `i`'s connection, if open.
    connections: Vec<Option<Connection>>,
}

impl NodeLinks {
    /// No connection open yet to nodes on `ports`.
    pub(crate) fn new(ports: Vec<u16>) -> Self {
        let connections = ports.iter().map(|_| None).collect();
        Self { ports, connections }
    }

    /// Node `i`'s port, by index.
    pub(crate) fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// Sends `args` to `node`; an error reply is [`ClusterError::Refused`].
    pub(crate) fn call<A: AsRef<[u8]>>(
        &mut self,
        node: usize,
        args: &[A],
    ) -> Result<Reply, ClusterError> {
        let port = self.ports[node];
        let command = || {
            args.iter()
                .map(|arg| String::from_utf8_lossy(arg.as_ref()).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let connection = match &mut self.connections[node] {
            Some(connection) => connection,
            empty => empty.insert(Connection::open(port, REPLY_TIMEOUT).map_err(|source| {
                ClusterError::Node {
                    port,
                    command: command(),
                    source,
                }
            })?),
        };
        match connection.call(args) {
            Ok(Reply::Error(reply)) => Err(ClusterError::Refused {
                port,
                command: command(),
                reply,
            }),
            Ok(reply) => Ok(reply),
            Err(source) => {
                self.connections[node] = None;
                Err(ClusterError::Node {
                    port,
                    command: command(),
                    source,
                })
            }
        }
    }

    /// Sends `args` to `node` and expects `+OK`.
    pub(crate) fn expect_ok(&mut self, node: usize, args: &[&str]) -> Result<(), ClusterError> {
        match self.call(node, args)? {
            Reply::Status(status) if status == "OK" => Ok(()),
            other => Err(self.refused(node, args, &other)),
        }
    }

    /// The text `node` replies to `args`, a bulk or status reply.
    pub(crate) fn text(&mut self, node: usize, args: &[&str]) -> Result<String, ClusterError> {
        match self.call(node, args)? {
            Reply::Bulk(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Reply::Status(text) => Ok(text),
            other => Err(self.refused(node, args, &other)),
        }
    }

    /// The cluster as `node` sees it.
    pub(crate) fn topology_seen_by(&mut self, node: usize) -> Result<Topology, ClusterError> {
        let text = self.text(node, &["CLUSTER", "NODES"])?;
        Topology::parse(&text, &self.ports).map_err(|reply| ClusterError::Refused {
            port: self.ports[node],
            command: "CLUSTER NODES".to_owned(),
            reply,
        })
    }

    /// Whether `node` reports `cluster_state:ok`: every slot served, and it is in the majority.
    pub(crate) fn cluster_state_ok(&mut self, node: usize) -> Result<bool, ClusterError> {
        let info = self.text(node, &["CLUSTER", "INFO"])?;
        Ok(info
            .lines()
            .any(|line| line.trim_end() == "cluster_state:ok"))
    }

    /// Whether `node`, a replica, is connected to its master and in sync.
    pub(crate) fn replica_link_up(&mut self, node: usize) -> Result<bool, ClusterError> {
        let info = self.text(node, &["INFO", "replication"])?;
        Ok(info
            .lines()
            .any(|line| line.trim_end() == "master_link_status:up"))
    }

    /// A node-refused error for a reply of the wrong shape.
    fn refused(&self, node: usize, args: &[&str], reply: &Reply) -> ClusterError {
        ClusterError::Refused {
            port: self.ports[node],
            command: args.join(" "),
            reply: format!("{reply:?}"),
        }
    }
}
