//! One module per subcommand; each takes the [`Target`](crate::connect::Target) and its own
//! arguments, and prints its answer on stdout.

pub(crate) mod ls;
pub(crate) mod purge;
pub(crate) mod show;
pub(crate) mod stats;
