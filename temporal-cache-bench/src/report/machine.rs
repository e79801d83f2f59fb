//! The machine and command behind the figures, first in the report: absolute figures mean little
//! without them.

use std::fmt::Write as _;
use std::time::Duration;

use crate::machine::Machine;

pub(super) fn section(out: &mut String, machine: &Machine, run_time: Duration) {
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| CPUs (`nproc`) | {} |", machine.cpus);
    let _ = writeln!(out, "| CPU model | {} |", machine.cpu_model);
    let _ = writeln!(
        out,
        "| Redis | `redis-server` {}, on 127.0.0.1, sharing the CPUs with the bench |",
        machine.redis_version
    );
    let _ = writeln!(out, "| command | `{}` |", machine.command);
    let _ = writeln!(out, "| run time | {:.0} s |", run_time.as_secs_f64());
    out.push('\n');
}
