//! The states the cluster's waits wait for, each checked against every live node's own view:
//! a client may ask any node, so a state counts only once all of them agree on it.

use std::ops::RangeInclusive;

use super::ClusterError;
use super::links::NodeLinks;
use super::poll::Verdict;
use super::topology::{NodeRole, Topology};

/// What every live node said in one round of checks.
struct Observation {
    /// The live nodes, in index order, with their views; never empty.
    views: Vec<(usize, Topology)>,
}

impl Observation {
    /// Asks each of the `live` nodes for its state and its view. A node whose
    /// `cluster_state` is not `ok` makes the round fall short at once, as does no live node.
    fn take(links: &mut NodeLinks, live: &[usize]) -> Result<Verdict<Self>, ClusterError> {
        if live.is_empty() {
            return Ok(Verdict::NotYet("no node is alive".to_owned()));
        }
        let mut views = Vec::with_capacity(live.len());
        for &node in live {
            if !links.cluster_state_ok(node)? {
                return Ok(Verdict::NotYet(format!(
                    "node {node} (port {}) reports a cluster_state other than ok",
                    links.ports()[node]
                )));
            }
            views.push((node, links.topology_seen_by(node)?));
        }
        Ok(Verdict::Reached(Self { views }))
    }

    /// The first live node and its view, which stands for all once they agree.
    fn first(&self) -> (usize, &Topology) {
        let (node, view) = &self.views[0];
        (*node, view)
    }

    /// The first node whose view of `aspect` differs from the first node's.
    fn disagreement<T: PartialEq>(&self, aspect: impl Fn(&Topology) -> T) -> Option<usize> {
        let expected = aspect(self.first().1);
        self.views
            .iter()
            .find(|(_, view)| aspect(view) != expected)
            .map(|&(node, _)| node)
    }
}

/// Whether a new cluster is usable: all `node_count` nodes listed, none failing, every view
/// alike, the expected number of masters each with its replicas, and every replica in sync.
pub(crate) fn formed(
    links: &mut NodeLinks,
    masters: usize,
    replicas_per_master: usize,
) -> Result<Verdict<()>, ClusterError> {
    let all: Vec<usize> = (0..links.ports().len()).collect();
    let observation = match Observation::take(links, &all)? {
        Verdict::Reached(observation) => observation,
        Verdict::NotYet(why) => return Ok(Verdict::NotYet(why)),
    };
    let (first_node, first) = observation.first();
    if let Some(&(node, ref view)) = observation
        .views
        .iter()
        .find(|(_, view)| view.listed() < all.len() || all.iter().any(|&n| view.is_failing(n)))
    {
        return Ok(Verdict::NotYet(format!(
            "node {node} lists {} of {} nodes, or one as failing",
            view.listed(),
            all.len()
        )));
    }
    if let Some(node) = observation.disagreement(Topology::clone) {
        return Ok(Verdict::NotYet(format!(
            "node {node} sees another topology than node {first_node}"
        )));
    }
    let found_masters = first.masters();
    if found_masters.len() != masters
        || found_masters
            .iter()
            .any(|&master| first.replicas_of(master).len() != replicas_per_master)
    {
        return Ok(Verdict::NotYet(format!(
            "masters {found_masters:?}, not yet {masters} with {replicas_per_master} replicas each: {first:?}"
        )));
    }
    for &node in &all {
        if first.role(node) == Some(NodeRole::Replica) && !links.replica_link_up(node)? {
            return Ok(Verdict::NotYet(format!(
                "replica {node} is not in sync with its master yet"
            )));
        }
    }
    Ok(Verdict::Reached(()))
}

/// Whether every live node agrees that one live master owns `slot`; that master, if so.
pub(crate) fn slot_served(
    links: &mut NodeLinks,
    live: &[usize],
    slot: u16,
) -> Result<Verdict<usize>, ClusterError> {
    let observation = match Observation::take(links, live)? {
        Verdict::Reached(observation) => observation,
        Verdict::NotYet(why) => return Ok(Verdict::NotYet(why)),
    };
    if let Some(node) = observation.disagreement(|view| view.master_of_slot(slot)) {
        return Ok(Verdict::NotYet(format!(
            "node {node} sees another master of slot {slot}"
        )));
    }
    Ok(match observation.first().1.master_of_slot(slot) {
        Some(master) if live.contains(&master) => Verdict::Reached(master),
        Some(master) => Verdict::NotYet(format!("slot {slot} is still on dead node {master}")),
        None => Verdict::NotYet(format!("no master owns slot {slot}")),
    })
}

/// Whether every live node agrees that live masters own every slot: after a master died, one
/// of its replicas has taken over its slots.
pub(crate) fn every_slot_on_live_masters(
    links: &mut NodeLinks,
    live: &[usize],
) -> Result<Verdict<()>, ClusterError> {
    let observation = match Observation::take(links, live)? {
        Verdict::Reached(observation) => observation,
        Verdict::NotYet(why) => return Ok(Verdict::NotYet(why)),
    };
    if let Some(node) = observation.disagreement(Topology::slot_owners) {
        return Ok(Verdict::NotYet(format!(
            "node {node} sees other slot owners than node {}",
            observation.first().0
        )));
    }
    let owners = observation.first().1.slot_owners();
    let stranded = owners
        .iter()
        .position(|owner| !owner.is_some_and(|owner| live.contains(&owner)));
    Ok(match stranded {
        None => Verdict::Reached(()),
        Some(slot) => Verdict::NotYet(format!(
            "slot {slot} is on {:?}, not on a live master",
            owners[slot]
        )),
    })
}

/// Whether every live node agrees that `to` owns every slot of `slots`.
pub(crate) fn slots_owned_by(
    links: &mut NodeLinks,
    live: &[usize],
    slots: &RangeInclusive<u16>,
    to: usize,
) -> Result<Verdict<()>, ClusterError> {
    for &node in live {
        let view = links.topology_seen_by(node)?;
        if let Some(slot) = slots
            .clone()
            .find(|&slot| view.master_of_slot(slot) != Some(to))
        {
            return Ok(Verdict::NotYet(format!(
                "node {node} sees slot {slot} on {:?}, not yet on node {to}",
                view.master_of_slot(slot)
            )));
        }
    }
    Ok(Verdict::Reached(()))
}
