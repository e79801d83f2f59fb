//! Moving hash slots, keys and all, from their masters to another while the cluster serves
//! them: Redis's own procedure (`SETSLOT IMPORTING` / `MIGRATING`, `MIGRATE`, `SETSLOT NODE`),
//! slot by slot, as `redis-cli --cluster reshard` does, but for the slots chosen.

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use super::ClusterError;
use super::links::NodeLinks;
use crate::resp::Reply;

/// How many keys one `MIGRATE` moves.
const KEYS_PER_MIGRATE: usize = 100;

/// How long one `MIGRATE` may take, in milliseconds, as Redis wants it.
const MIGRATE_TIMEOUT_MS: &str = "5000";

/// The plan of a move: who the nodes are and which may be told.
pub(crate) struct Move<'a> {
    /// Node `i`'s cluster ID.
    pub(crate) ids: &'a [String],
    /// The live masters, told of each slot's new owner.
    pub(crate) live_masters: &'a [usize],
    /// The master receiving the slots.
    pub(crate) to: usize,
    /// When to give up, between slots.
    pub(crate) deadline: Instant,
    /// How long the whole move was given, for the message.
    pub(crate) timeout: Duration,
}

impl Move<'_> {
    /// Moves every slot of `slots` that `to` does not own already, with its keys. `owner_of`
    /// names each slot's current master (as one node saw it before the move).
    ///
    /// # Errors
    ///
    /// The first command a node refuses or does not answer, or [`ClusterError::TimedOut`] if
    /// the deadline passed between two slots. A slot left half-moved stays so: a test cluster
    /// is not reused after a failure.
    pub(crate) fn run(
        &self,
        links: &mut NodeLinks,
        slots: RangeInclusive<u16>,
        owner_of: impl Fn(u16) -> Option<usize>,
    ) -> Result<(), ClusterError> {
        for slot in slots {
            if Instant::now() >= self.deadline {
                return Err(ClusterError::TimedOut {
                    waiting_for: format!("move of slot {slot} to node {}", self.to),
                    timeout: self.timeout,
                    last_seen: "the slots before it moved".to_owned(),
                });
            }
            let Some(from) = owner_of(slot) else {
                return Err(ClusterError::Unknown {
                    what: format!("the master of slot {slot}"),
                });
            };
            if from != self.to {
                self.move_slot(links, slot, from)?;
            }
        }
        Ok(())
    }

    /// Moves `slot` from `from` to `self.to`.
    fn move_slot(&self, links: &mut NodeLinks, slot: u16, from: usize) -> Result<(), ClusterError> {
        let slot_arg = slot.to_string();
        let to_port = links.ports()[self.to].to_string();
        links.expect_ok(
            self.to,
            &[
                "CLUSTER",
                "SETSLOT",
                &slot_arg,
                "IMPORTING",
                &self.ids[from],
            ],
        )?;
        links.expect_ok(
            from,
            &[
                "CLUSTER",
                "SETSLOT",
                &slot_arg,
                "MIGRATING",
                &self.ids[self.to],
            ],
        )?;
        loop {
            let batch = KEYS_PER_MIGRATE.to_string();
            let keys = match links.call(from, &["CLUSTER", "GETKEYSINSLOT", &slot_arg, &batch])? {
                Reply::Array(keys) => keys,
                other => {
                    return Err(ClusterError::Refused {
                        port: links.ports()[from],
                        command: format!("CLUSTER GETKEYSINSLOT {slot}"),
                        reply: format!("{other:?}"),
                    });
                }
            };
            if keys.is_empty() {
                break;
            }
            let mut migrate: Vec<Vec<u8>> = [
                "MIGRATE",
                "127.0.0.1",
                &to_port,
                "",
                "0",
                MIGRATE_TIMEOUT_MS,
                "REPLACE",
                "KEYS",
            ]
            .iter()
            .map(|arg| arg.as_bytes().to_vec())
            .collect();
            for key in keys {
                match key {
                    Reply::Bulk(key) => migrate.push(key),
                    other => {
                        return Err(ClusterError::Refused {
                            port: links.ports()[from],
                            command: format!("CLUSTER GETKEYSINSLOT {slot}"),
                            reply: format!("a key {other:?}"),
                        });
                    }
                }
            }
            links.call(from, &migrate)?;
        }
        // The new owner first, so that it bumps its epoch and its claim wins; then the old one,
        // which stops redirecting with ASK; then the others, rather than waiting for gossip.
        let new_owner = ["CLUSTER", "SETSLOT", &slot_arg, "NODE", &self.ids[self.to]];
        links.expect_ok(self.to, &new_owner)?;
        links.expect_ok(from, &new_owner)?;
        for &master in self.live_masters {
            if master != self.to && master != from {
                links.expect_ok(master, &new_owner)?;
            }
        }
        Ok(())
    }
}
