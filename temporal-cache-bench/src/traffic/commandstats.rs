//! Redis's per-command call counters (`INFO commandstats`).

use std::collections::BTreeMap;

use redis::aio::ConnectionManager;

use crate::error::BenchResult;

/// Calls per command name (`get`, `set`, `evalsha`, `client|setinfo`, ...).
pub(crate) type CommandCounts = BTreeMap<String, u64>;

/// The current counters.
pub(crate) async fn snapshot(redis: &mut ConnectionManager) -> BenchResult<CommandCounts> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(redis)
        .await?;
    Ok(parse(&info))
}

/// What grew from `before` to `after`, leaving out the commands in `ignored` and those that did
/// not change.
pub(crate) fn delta(
    before: &CommandCounts,
    after: &CommandCounts,
    ignored: &[&str],
) -> CommandCounts {
    after
        .iter()
        .filter(|(name, _)| !ignored.contains(&name.as_str()))
        .filter_map(|(name, &calls)| {
            let grown = calls.saturating_sub(before.get(name).copied().unwrap_or(0));
            (grown > 0).then(|| (name.clone(), grown))
        })
        .collect()
}

/// Reads lines such as `cmdstat_get:calls=21,usec=48,usec_per_call=2.29,...`.
fn parse(info: &str) -> CommandCounts {
    info.lines()
        .filter_map(|line| {
            let (name, fields) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = fields
                .split(',')
                .find_map(|field| field.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_subtracts_counters() {
        let before = parse("# Commandstats\r\ncmdstat_get:calls=2,usec=4,usec_per_call=2.00\r\n");
        let after = parse(
            "# Commandstats\r\ncmdstat_get:calls=5,usec=9,usec_per_call=1.80,rejected_calls=0\r\n\
             cmdstat_client|setinfo:calls=2,usec=1\r\ncmdstat_info:calls=9,usec=1\r\n",
        );
        let grown = delta(&before, &after, &["info"]);
        assert_eq!(
            grown.into_iter().collect::<Vec<_>>(),
            [("client|setinfo".to_owned(), 2), ("get".to_owned(), 3)]
        );
    }
}
