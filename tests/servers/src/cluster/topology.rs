//! The cluster as one node sees it, read from its `CLUSTER NODES`: who is master or replica of
//! whom, who is failing, and who serves which slots, by the indices of [`RedisCluster`]'s nodes.
//!
//! [`RedisCluster`]: super::RedisCluster

use std::ops::RangeInclusive;

use super::key_slot::SLOT_COUNT;

/// What a node is in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeRole {
    /// A master, serving the slots it owns (possibly none).
    Master,
    /// A replica of a master, which it may replace in a failover.
    Replica,
}

/// The cluster as one node saw it, its nodes named by their index in the
/// [`RedisCluster`](super::RedisCluster).
///
/// Nodes are gossiped about, so views differ for a while after a change; the cluster's waits
/// return once every live node's view agrees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    /// By node index; `None` for a node the viewer does not list.
    nodes: Vec<Option<NodeView>>,
}

/// One node as the viewer saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeView {
    /// Master or replica.
    role: NodeRole,
    /// The index of its master, for a replica whose master the viewer lists.
    master: Option<usize>,
    /// Whether the viewer suspects (`fail?`) or has agreed (`fail`) that it is down.
    failing: bool,
    /// The slots it owns, as written; slots being migrated are listed by their owner.
    slots: Vec<RangeInclusive<u16>>,
}

impl Topology {
    /// Reads the reply of `CLUSTER NODES`; `ports[i]` is node `i`'s port. Lines of nodes
    /// without one of these ports (a node in handshake, without an address yet) are left out.
    pub(crate) fn parse(cluster_nodes: &str, ports: &[u16]) -> Result<Self, String> {
        let lines: Vec<Line<'_>> = cluster_nodes
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(Line::parse)
            .collect::<Result<_, _>>()?;
        let index_of_id = |id: &str| {
            lines
                .iter()
                .find(|line| line.id == id)
                .and_then(|line| ports.iter().position(|&port| port == line.port))
        };
        let mut nodes = vec![None; ports.len()];
        for line in &lines {
            let Some(index) = ports.iter().position(|&port| port == line.port) else {
                continue;
            };
            nodes[index] = Some(NodeView {
                role: line.role,
                master: line.master_id.and_then(index_of_id),
                failing: line.failing,
                slots: line.slots.clone(),
            });
        }
        Ok(Self { nodes })
    }

    /// The node's role, `None` if the viewer does not list it.
    pub fn role(&self, node: usize) -> Option<NodeRole> {
        self.view(node).map(|view| view.role)
    }

    /// Whether the viewer suspects or has agreed that the node is down.
    pub fn is_failing(&self, node: usize) -> bool {
        self.view(node).is_some_and(|view| view.failing)
    }

    /// The masters not failing, in index order.
    pub fn masters(&self) -> Vec<usize> {
        self.indices()
            .filter(|&node| self.role(node) == Some(NodeRole::Master) && !self.is_failing(node))
            .collect()
    }

    /// The replicas of `master`, failing or not, in index order.
    pub fn replicas_of(&self, master: usize) -> Vec<usize> {
        self.indices()
            .filter(|&node| {
                self.view(node)
                    .is_some_and(|view| view.master == Some(master))
            })
            .collect()
    }

    /// The master that owns `slot`, failing or not.
    pub fn master_of_slot(&self, slot: u16) -> Option<usize> {
        self.indices().find(|&node| {
            self.view(node)
                .is_some_and(|view| view.slots.iter().any(|range| range.contains(&slot)))
        })
    }

    /// The slot ranges `node` owns.
    pub fn slots_of(&self, node: usize) -> &[RangeInclusive<u16>] {
        self.view(node).map_or(&[], |view| &view.slots)
    }

    /// The owner of every slot, by slot.
    pub(crate) fn slot_owners(&self) -> Vec<Option<usize>> {
        let mut owners = vec![None; usize::from(SLOT_COUNT)];
        for node in self.indices() {
            for range in self.slots_of(node) {
                for slot in range.clone() {
                    owners[usize::from(slot)] = Some(node);
                }
            }
        }
        owners
    }

    /// How many nodes the viewer lists.
    pub(crate) fn listed(&self) -> usize {
        self.nodes.iter().flatten().count()
    }

    /// Node `node`'s view entry.
    fn view(&self, node: usize) -> Option<&NodeView> {
        self.nodes.get(node).and_then(Option::as_ref)
    }

    /// Every node index.
    fn indices(&self) -> std::ops::Range<usize> {
        0..self.nodes.len()
    }
}

/// One line of `CLUSTER NODES`:
/// `ID IP:PORT@BUSPORT[,HOSTNAME] FLAGS MASTER PING PONG EPOCH LINK SLOT...`.
struct Line<'a> {
    /// The node's ID.
    id: &'a str,
    /// Its client port; 0 without an address.
    port: u16,
    /// From the `master` or `slave` flag.
    role: NodeRole,
    /// Its master's ID, for a replica.
    master_id: Option<&'a str>,
    /// From the `fail` or `fail?` flag.
    failing: bool,
    /// `0-5460`, `5461`; migration entries in brackets are left out.
    slots: Vec<RangeInclusive<u16>>,
}

impl<'a> Line<'a> {
    /// Parses one line.
    fn parse(line: &'a str) -> Result<Self, String> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [
            id,
            address,
            flags,
            master,
            _ping,
            _pong,
            _epoch,
            _link,
            slots @ ..,
        ] = &fields[..]
        else {
            return Err(format!("a CLUSTER NODES line of too few fields: {line}"));
        };
        let port = address
            .split(['@', ','])
            .next()
            .and_then(|host_port| host_port.rsplit(':').next())
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| format!("a CLUSTER NODES line without a port: {line}"))?;
        let flags: Vec<&str> = flags.split(',').collect();
        let role = if flags.contains(&"slave") {
            NodeRole::Replica
        } else {
            NodeRole::Master
        };
        let slots = slots
            .iter()
            .filter(|slot| !slot.starts_with('['))
            .map(|slot| parse_slot_range(slot).ok_or_else(|| format!("a bad slot {slot}: {line}")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id,
            port,
            role,
            master_id: (*master != "-").then_some(*master),
            failing: flags.iter().any(|&flag| flag == "fail" || flag == "fail?"),
            slots,
        })
    }
}

/// `0-5460` or `42`.
fn parse_slot_range(text: &str) -> Option<RangeInclusive<u16>> {
    let (start, end) = text.split_once('-').unwrap_or((text, text));
    Some(start.parse().ok()?..=end.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a failover: 7501 died, its replica 7506 took over its slots and migrates slot 42 to
    /// 7502.
    const AFTER_FAILOVER: &str = "\
f1acd5f5e7d209f00d7187f745825630706f8a88 127.0.0.1:7503@17503 master - 0 1796184144775 3 connected 10923-16383
a471bcdf930b9e02dbe955d91dce1eca85c96f38 127.0.0.1:7505@17505 slave f1acd5f5e7d209f00d7187f745825630706f8a88 0 1796184144578 5 connected
a9a9643f9a204f381361dd9cc28df1332fd7c0a4 127.0.0.1:7506@17506,node-6 master - 0 1796184144675 7 connected 0-5460 [42->-55119ae5d4db38eaf0326907eb8a96a6a5eaaa18]
05dce467dc1df3a053859545c4f13a1ff30f6fab 127.0.0.1:7504@17504 slave 55119ae5d4db38eaf0326907eb8a96a6a5eaaa18 0 1796184144675 4 connected
55119ae5d4db38eaf0326907eb8a96a6a5eaaa18 127.0.0.1:7502@17502 myself,master - 0 1796184144675 2 connected 5461-10922 [42-<-a9a9643f9a204f381361dd9cc28df1332fd7c0a4]
da70b6d8e5ba03766d4dda4de2b3a69e609dbe2c 127.0.0.1:7501@17501 master,fail - 1796184144000 1796184143000 1 disconnected
";

    const PORTS: [u16; 6] = [7501, 7502, 7503, 7504, 7505, 7506];

    #[test]
    fn roles_masters_and_replicas_by_index() {
        let topology = Topology::parse(AFTER_FAILOVER, &PORTS).unwrap();
        assert_eq!(topology.listed(), 6);
        assert_eq!(topology.role(0), Some(NodeRole::Master));
        assert!(topology.is_failing(0));
        assert_eq!(topology.role(3), Some(NodeRole::Replica));
        assert_eq!(topology.masters(), [1, 2, 5]);
        assert_eq!(topology.replicas_of(1), [3]);
        assert_eq!(topology.replicas_of(2), [4]);
        assert!(topology.replicas_of(0).is_empty());
    }

    #[test]
    fn slots_by_owner() {
        let topology = Topology::parse(AFTER_FAILOVER, &PORTS).unwrap();
        assert_eq!(topology.master_of_slot(0), Some(5));
        assert_eq!(
            topology.master_of_slot(42),
            Some(5),
            "until the migration ends"
        );
        assert_eq!(topology.master_of_slot(16383), Some(2));
        assert_eq!(topology.slots_of(5), [0..=5460]);
        assert!(topology.slots_of(0).is_empty());
        let owners = topology.slot_owners();
        assert!(owners.iter().all(Option::is_some));
    }

    #[test]
    fn nodes_of_other_ports_are_left_out() {
        let topology = Topology::parse(AFTER_FAILOVER, &[7501, 9999]).unwrap();
        assert_eq!(topology.listed(), 1);
        assert_eq!(topology.role(1), None);
        assert_eq!(topology.master_of_slot(0), None);
    }

    #[test]
    fn a_malformed_line_is_an_error() {
        assert!(Topology::parse("abc 127.0.0.1:1@2 master -", &PORTS).is_err());
        assert!(Topology::parse("a 127.0.0.1:x@2 master - 0 0 1 connected", &PORTS).is_err());
    }
}
