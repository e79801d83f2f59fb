//! How the figures were measured, last in the report: what the bench starts, calls and compares,
//! so that a reader can judge (or redo) every figure above.

use std::fmt::Write as _;

use crate::machine::Machine;
use crate::scenarios::{ROUNDS, TASKS};

pub(super) fn section(out: &mut String, machine: &Machine) {
    let _ = write!(
        out,
        "### How it was measured\n\n\
         - **Redis**: the bench starts its own `redis-server --port <free port> --bind 127.0.0.1 \
         --save \"\" --appendonly no` and stops it at the end.\n\
         - **Calls**: each benchmarked method is a real `#[cached_activity]` inside the SDK's \
         `#[activities]`. The bench runs a helper activity once through the SDK's \
         `ActivityEnvironment`, with the benchmarked activity's registered type, keeps the \
         `ActivityContext` it gets, and then calls the method `#[activities]` generated, e.g. \
         `BenchActivities::__fetch_small(ctx.clone(), id)`: the code a worker runs for each task, \
         without the SDK's payload conversion around it.\n\
         - **Results**: 233 B is a `Profile {{ id, name, email, tags: Vec<String>, score: f64, \
         bio }}` whose `bio` is padded so that the stored entry (JSON behind the 4-byte header) \
         is 233 bytes; 100 KB is a `Document {{ id, title, mime_type, revision, text }}` with \
         100,000 characters of pseudo-random words and numbers broken into lines (so JSON escapes are \
         decoded too, and it compresses about as much as real text: a few times, not a hundredfold).\n\
         - **Floor**: a redis-rs `ConnectionManager` (one connection, like the backend's) sending \
         `GET` for the very key the hit reads, so both move the same bytes.\n\
         - **Rounds**: {ROUNDS} rounds; in each, for each size, bare GETs and hits alternate call \
         by call in one task (so both meet the same moments of a noisy machine), then the \
         uncached call and the decode run, then the {TASKS}-task runs. Misses alternate the same \
         way between the two settings. Figures are medians of the per-round figures; ratios are \
         ratios of those medians, except the {TASKS}-task ratios: those are medians of each \
         round's own ratio, since a round's runs take turns and so see the same moments, while \
         the rates of different rounds drift apart by as much as the gap measured. Percentiles \
         are nearest-rank over every timed call after an untimed warm-up.\n\
         - **Tasks**: everything runs in tasks of one multi-thread Tokio runtime ({} worker \
         threads), as a worker runs activities. On this machine the round trip itself is bimodal \
         from one run to the next (the floor reads about 8 µs in some runs and about 70 µs in \
         others, most likely depending on whether the caller's task and the connection's task \
         end up on the same worker thread); ratios measured call by call hold in both states, \
         absolute figures do not.\n\
         - **Concurrency**: {TASKS} tasks sharing one connection, for the floor and the backend \
         alike.\n\n",
        machine.cpus
    );
}
