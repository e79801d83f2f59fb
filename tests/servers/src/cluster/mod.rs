//! A Redis Cluster of throwaway `redis-server` nodes on loopback, for tests of a cache that
//! routes keys by slot, survives a failover and follows a reshard.
//!
//! Each node is a [`RedisServer`] (so it dies with the test process) started with cluster mode
//! on, on a free port whose cluster bus port (`+ 10000`) is free too; `redis-cli --cluster
//! create` assigns the slots and the replicas. Every wait is bounded and checks all live nodes:
//! a state counts once every node's own view agrees (see `convergence`).

mod convergence;
mod error;
mod key_slot;
mod links;
mod poll;
mod reshard;
mod topology;

use std::ops::RangeInclusive;
use std::path::Path;
use std::time::{Duration, Instant};

pub use error::ClusterError;
pub use key_slot::{SLOT_COUNT, key_slot};
pub use topology::{NodeRole, Topology};

use links::NodeLinks;
use poll::poll_until;

use crate::{RedisCli, RedisServer, port};

/// A running Redis Cluster on `127.0.0.1`: `masters` masters with `replicas_per_master`
/// replicas each, every slot assigned, no persistence.
///
/// Nodes are named by their index, `0..node_count()`, in the order they were started;
/// `redis-cli` chose which are masters (see [`masters`](Self::masters)). Every node is killed
/// when this value is dropped, and when the test process exits, even abnormally.
///
/// ```no_run
/// use std::time::Duration;
/// use temporal_cache_servers::{RedisCluster, key_slot};
///
/// # fn main() -> Result<(), temporal_cache_servers::ClusterError> {
/// let mut cluster = RedisCluster::start(3, 1)?; // 6 nodes, cluster_state:ok everywhere
/// let urls = cluster.urls(); // for redis-rs's ClusterClient
/// let master = cluster.master_of_slot(key_slot("tc:{activity}:key"))?;
/// cluster.kill_node(master);
/// let took = cluster.wait_for_failover(master, Duration::from_secs(15))?;
/// println!("a replica took over after {took:?}");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    /// The nodes, by index. Declared first so that they are dropped (killed) before their
    /// state directory is removed.
    nodes: Vec<RedisServer>,
    /// Node `i`'s cluster ID.
    ids: Vec<String>,
    /// When node `i` was [killed](Self::kill_node), if it was.
    killed_at: Vec<Option<Instant>>,
    /// Where the nodes keep their `nodes-PORT.conf` (and a replica its synced data).
    state_dir: tempfile::TempDir,
}

impl RedisCluster {
    /// How long a node may go unreachable before the others count it as failing, and its
    /// replicas start an election: short, so that failovers take a few seconds.
    pub const NODE_TIMEOUT: Duration = Duration::from_millis(1000);

    /// How far above a node's port its cluster bus port is.
    pub const BUS_PORT_OFFSET: u16 = 10_000;

    /// How long [`start`](Self::start) may take once the nodes run: `redis-cli --cluster
    /// create` and the nodes' agreement.
    pub const START_TIMEOUT: Duration = Duration::from_secs(30);

    /// How long [`move_slots`](Self::move_slots) may take, the nodes' agreement included.
    pub const MOVE_TIMEOUT: Duration = Duration::from_secs(30);

    /// Starts `masters * (1 + replicas_per_master)` nodes, makes them a cluster, and waits
    /// until it is usable: every node reports `cluster_state:ok`, lists every node, none as
    /// failing, and sees the same topology; every replica is in sync with its master.
    ///
    /// Replicas may always fail over (`cluster-replica-validity-factor 0`), however long they
    /// were cut off, so that a failover test does not depend on timing; and the live masters'
    /// slots keep serving while a master is down (`cluster-require-full-coverage no`).
    ///
    /// # Errors
    ///
    /// [`ClusterError::TooFewMasters`] for fewer than 3 masters; [`ClusterError::Launch`] if
    /// `redis-server` or `redis-cli` cannot be found (with an install hint) or a node does not
    /// start; a [`ClusterError::TimedOut`] after [`Self::START_TIMEOUT`].
    pub fn start(masters: usize, replicas_per_master: usize) -> Result<Self, ClusterError> {
        if masters < 3 {
            return Err(ClusterError::TooFewMasters { masters });
        }
        let cli = RedisCli::locate()?;
        let state_dir = tempfile::Builder::new()
            .prefix("temporal-cache-cluster-")
            .tempdir()
            .map_err(ClusterError::StateDir)?;
        let node_count = masters * (1 + replicas_per_master);
        let nodes = (0..node_count)
            .map(|_| {
                RedisServer::start_on(
                    || port::free_loopback_port_with_companion(Self::BUS_PORT_OFFSET),
                    None,
                    |port| node_args(state_dir.path(), port),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;

        let deadline = Instant::now() + Self::START_TIMEOUT;
        let ports: Vec<u16> = nodes.iter().map(RedisServer::port).collect();
        create(&cli, &ports, replicas_per_master)?;

        let mut links = NodeLinks::new(ports);
        let ids = (0..node_count)
            .map(|node| links.text(node, &["CLUSTER", "MYID"]))
            .collect::<Result<_, _>>()?;
        poll_until(
            "usable cluster",
            deadline.saturating_duration_since(Instant::now()),
            || convergence::formed(&mut links, masters, replicas_per_master),
        )?;
        Ok(Self {
            nodes,
            ids,
            killed_at: vec![None; node_count],
            state_dir,
        })
    }

    /// How many nodes the cluster has, dead or alive.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Node `node`'s port on `127.0.0.1`.
    ///
    /// # Panics
    ///
    /// If `node >= node_count()`, as every method taking a node index.
    pub fn port(&self, node: usize) -> u16 {
        self.nodes[node].port()
    }

    /// Node `node`'s URL, `redis://127.0.0.1:PORT/`.
    pub fn url(&self, node: usize) -> String {
        self.nodes[node].url()
    }

    /// Every node's URL, by index: the seeds of a cluster client.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// Node `node`'s cluster ID, as in `CLUSTER NODES`.
    pub fn node_id(&self, node: usize) -> &str {
        &self.ids[node]
    }

    /// Whether node `node` was [killed](Self::kill_node).
    pub fn is_killed(&self, node: usize) -> bool {
        self.killed_at[node].is_some()
    }

    /// Where the nodes keep their state, `nodes-PORT.conf` each; removed on drop.
    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// The cluster as its first live node sees it now.
    ///
    /// # Errors
    ///
    /// [`ClusterError::Unknown`] if every node was killed, or the node's error.
    pub fn topology(&self) -> Result<Topology, ClusterError> {
        let viewer = self
            .live()
            .first()
            .copied()
            .ok_or_else(|| ClusterError::Unknown {
                what: "a live node to ask".to_owned(),
            })?;
        self.links().topology_seen_by(viewer)
    }

    /// Node `node`'s role now (a killed master stays a master with no slots once replaced).
    ///
    /// # Errors
    ///
    /// Those of [`Self::topology`], or [`ClusterError::Unknown`] if the viewer does not list
    /// the node.
    pub fn role(&self, node: usize) -> Result<NodeRole, ClusterError> {
        self.topology()?
            .role(node)
            .ok_or_else(|| ClusterError::Unknown {
                what: format!("node {node} (port {})", self.port(node)),
            })
    }

    /// The live masters, in index order: masters neither killed nor seen as failing.
    ///
    /// # Errors
    ///
    /// Those of [`Self::topology`].
    pub fn masters(&self) -> Result<Vec<usize>, ClusterError> {
        let mut masters = self.topology()?.masters();
        masters.retain(|&master| !self.is_killed(master));
        Ok(masters)
    }

    /// The replicas of `master`, killed or not, in index order.
    ///
    /// # Errors
    ///
    /// Those of [`Self::topology`].
    pub fn replicas_of(&self, master: usize) -> Result<Vec<usize>, ClusterError> {
        Ok(self.topology()?.replicas_of(master))
    }

    /// The master that owns `slot` now (possibly one killed but not yet replaced).
    ///
    /// # Errors
    ///
    /// Those of [`Self::topology`], or [`ClusterError::Unknown`] if no master owns it.
    pub fn master_of_slot(&self, slot: u16) -> Result<usize, ClusterError> {
        self.topology()?
            .master_of_slot(slot)
            .ok_or_else(|| ClusterError::Unknown {
                what: format!("the master of slot {slot}"),
            })
    }

    /// Kills node `node` with `SIGKILL`, as a crash would, and waits until it is gone. It stays
    /// dead; the others notice after [`Self::NODE_TIMEOUT`]. Does nothing if it is dead.
    pub fn kill_node(&mut self, node: usize) {
        if self.killed_at[node].is_none() {
            self.nodes[node].kill();
            self.killed_at[node] = Some(Instant::now());
        }
    }

    /// Waits until every live node reports `cluster_state:ok` and agrees that one live master
    /// owns `slot`, and returns that master.
    ///
    /// # Errors
    ///
    /// [`ClusterError::TimedOut`] after `timeout`, with what the last check saw.
    pub fn wait_until_slot_served(
        &self,
        slot: u16,
        timeout: Duration,
    ) -> Result<usize, ClusterError> {
        let live = self.live();
        let mut links = self.links();
        poll_until(&format!("live master of slot {slot}"), timeout, || {
            convergence::slot_served(&mut links, &live, slot)
        })
    }

    /// Waits until a replica of `dead_master`, [killed](Self::kill_node) before, has taken over
    /// its slots: every live node reports `cluster_state:ok` and agrees that live masters own
    /// every slot. Returns the time from the kill to that agreement.
    ///
    /// # Errors
    ///
    /// [`ClusterError::NotKilled`] if `dead_master` was not killed, or
    /// [`ClusterError::TimedOut`] after `timeout` (e.g. for a master without replicas).
    pub fn wait_for_failover(
        &self,
        dead_master: usize,
        timeout: Duration,
    ) -> Result<Duration, ClusterError> {
        let killed_at =
            self.killed_at[dead_master].ok_or(ClusterError::NotKilled { node: dead_master })?;
        let live = self.live();
        let mut links = self.links();
        poll_until(&format!("failover of node {dead_master}"), timeout, || {
            convergence::every_slot_on_live_masters(&mut links, &live)
        })?;
        Ok(killed_at.elapsed())
    }

    /// Moves the slots `slots` to master `to_master`, with their keys, while the cluster serves
    /// them (clients meanwhile get `ASK` redirections), and waits until every live node agrees.
    /// Slots `to_master` owns already are left alone.
    ///
    /// # Errors
    ///
    /// The first command a node refuses (e.g. `to_master` is a replica), or
    /// [`ClusterError::TimedOut`] after [`Self::MOVE_TIMEOUT`].
    pub fn move_slots(
        &self,
        slots: RangeInclusive<u16>,
        to_master: usize,
    ) -> Result<(), ClusterError> {
        let started = Instant::now();
        let before = self.topology()?;
        let live = self.live();
        let live_masters = self.masters()?;
        let mut links = self.links();
        reshard::Move {
            ids: &self.ids,
            live_masters: &live_masters,
            to: to_master,
            deadline: started + Self::MOVE_TIMEOUT,
            timeout: Self::MOVE_TIMEOUT,
        }
        .run(&mut links, slots.clone(), |slot| {
            before.master_of_slot(slot)
        })?;
        poll_until(
            &format!("agreement that node {to_master} owns slots {slots:?}"),
            Self::MOVE_TIMEOUT.saturating_sub(started.elapsed()),
            || convergence::slots_owned_by(&mut links, &live, &slots, to_master),
        )
    }

    /// The nodes not killed, in index order.
    fn live(&self) -> Vec<usize> {
        (0..self.node_count())
            .filter(|&node| !self.is_killed(node))
            .collect()
    }

    /// Fresh connections to the nodes, for one operation.
    fn links(&self) -> NodeLinks {
        NodeLinks::new(self.nodes.iter().map(RedisServer::port).collect())
    }
}

/// Makes the nodes on `ports` a cluster with `redis-cli --cluster create`, which assigns the
/// slots evenly to the first nodes and makes the others their replicas. It returns once every
/// node has heard of the others (it checks once a second), not once they agree.
fn create(cli: &RedisCli, ports: &[u16], replicas_per_master: usize) -> Result<(), ClusterError> {
    let mut create: Vec<String> = vec!["--cluster".to_owned(), "create".to_owned()];
    create.extend(ports.iter().map(|port| format!("127.0.0.1:{port}")));
    create.extend([
        "--cluster-replicas".to_owned(),
        replicas_per_master.to_string(),
        "--cluster-yes".to_owned(),
    ]);
    let created = cli.run(&create, RedisCluster::START_TIMEOUT)?;
    if !created.status.success() || created.stdout.contains("[ERR]") {
        return Err(ClusterError::CliFailed {
            command: create.join(" "),
            transcript: created.transcript(),
        });
    }
    Ok(())
}

/// A node's arguments beyond the launcher's own: cluster mode, its state in `state_dir`.
fn node_args(state_dir: &Path, port: u16) -> Vec<String> {
    let state_dir = state_dir.to_string_lossy();
    [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        &format!("{state_dir}/nodes-{port}.conf"),
        "--cluster-node-timeout",
        &RedisCluster::NODE_TIMEOUT.as_millis().to_string(),
        "--cluster-replica-validity-factor",
        "0",
        // As a cache's cluster should run: the slots of the live masters keep serving while a
        // dead master's slots wait for a failover (Redis's default refuses every query then).
        "--cluster-require-full-coverage",
        "no",
        // A replica writes the data it syncs to disk; keep it out of the working directory.
        "--dir",
        &state_dir,
        "--dbfilename",
        &format!("dump-{port}.rdb"),
        // A master waits 5 s by default for more replicas before it streams its data to one.
        "--repl-diskless-sync-delay",
        "0",
    ]
    .map(str::to_owned)
    .to_vec()
}
