//! `ls <activity type>`: the keys of one activity type in one namespace, with their size and
//! TTL, found with `SCAN` on the activity's key prefix.

use std::time::Duration;

use serde::Serialize;

use crate::CliResult;
use crate::args::LsArgs;
use crate::connect::Target;
use crate::key_layout::KeyKind;
use crate::measure::Ttl;
use crate::progress::Progress;
use crate::table::{self, Table};

/// One key, as `ls --json` prints it (one object per line).
#[derive(Debug, Serialize)]
struct Listed {
    key: String,
    /// The lease of a call running now, rather than a stored result.
    lease: bool,
    bytes: Option<u64>,
    /// `null`: it never expires.
    ttl_ms: Option<u64>,
}

pub(crate) async fn run(target: &Target, args: LsArgs) -> CliResult {
    let probe = target.probe().await?;
    let head = target
        .backend
        .activity_prefix(args.namespace.namespace().as_deref(), &args.activity_type);
    let progress = Progress::start("scanning");
    let mut scan = target.backend.scan_prefix(&head);
    let mut listed = Vec::new();
    while let Some(keys) = scan.next_batch().await? {
        progress.advance(keys.len());
        let facts = probe.measure(&keys).await?;
        for (key, facts) in keys.into_iter().zip(facts) {
            let ttl_ms = match facts.ttl {
                Ttl::Gone => continue,
                Ttl::Never => None,
                Ttl::Expires(ttl) => Some(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
            };
            let item = Listed {
                lease: matches!(target.layout.kind(&key), KeyKind::Lease(_)),
                key,
                bytes: facts.bytes,
                ttl_ms,
            };
            if args.json {
                // Streamed: a script can start on the first keys of a large listing.
                println!("{}", serde_json::to_string(&item)?);
            } else {
                listed.push(item);
            }
        }
    }
    drop(progress);
    if !args.json {
        print!("{}", render(listed));
    }
    Ok(())
}

fn render(mut listed: Vec<Listed>) -> String {
    listed.sort_by(|a, b| a.key.cmp(&b.key));
    let leases = listed.iter().filter(|item| item.lease).count();
    let mut table = Table::new(&[">BYTES", ">TTL", "KEY"]);
    for item in &listed {
        table.row(vec![
            item.bytes.map_or_else(|| "-".to_owned(), table::bytes),
            item.ttl_ms.map_or_else(
                || "never".to_owned(),
                |ms| table::duration(Duration::from_millis(ms)),
            ),
            item.key.clone(),
        ]);
    }
    format!(
        "{}{} entries, {leases} leases\n",
        table.render(),
        listed.len() - leases
    )
}
