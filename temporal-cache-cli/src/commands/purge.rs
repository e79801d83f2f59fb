//! `purge`: removes the entries of one activity type, or every key under the prefix, with the
//! backend's own `delete_prefix` (`SCAN` and `UNLINK` in batches, twice, so that no call running
//! during the purge stores its result after it: the guarantee `invalidate_activity!` gives). A dry
//! run scans the same keys and counts them instead.

use crate::CliResult;
use crate::args::PurgeArgs;
use crate::connect::Target;
use crate::key_layout::{KeyKind, SHARED_NAMESPACE};
use crate::progress::Progress;
use temporal_cache_runtime::CacheBackend;

pub(crate) async fn run(target: &Target, args: PurgeArgs) -> CliResult {
    let (head, what) = match &args.activity {
        Some(activity_type) if !args.all => {
            let namespace = args.namespace.namespace();
            let head = target
                .backend
                .activity_prefix(namespace.as_deref(), activity_type);
            let shown = namespace.as_deref().unwrap_or(SHARED_NAMESPACE);
            (head, format!("of `{activity_type}` in namespace `{shown}`"))
        }
        _ => (
            target.layout.prefix_head().to_owned(),
            format!("under prefix `{}`", target.prefix),
        ),
    };
    if args.dry_run {
        let (entries, leases) = count(target, &head).await?;
        println!(
            "dry run: would remove {entries} entries and {leases} leases {what}; nothing was removed"
        );
        return Ok(());
    }
    let removed = target.backend.delete_prefix(&head).await?;
    println!("removed {removed} entries {what}");
    Ok(())
}

/// How many entries (any key not a lease) and leases start with `head`.
async fn count(target: &Target, head: &str) -> CliResult<(u64, u64)> {
    let progress = Progress::start("counting");
    let mut scan = target.backend.scan_prefix(head);
    let (mut entries, mut leases) = (0, 0);
    while let Some(keys) = scan.next_batch().await? {
        progress.advance(keys.len());
        for key in keys {
            match target.layout.kind(&key) {
                KeyKind::Lease(_) => leases += 1,
                KeyKind::Entry(_) | KeyKind::Other => entries += 1,
            }
        }
    }
    Ok((entries, leases))
}
