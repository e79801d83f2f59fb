//! A `MONITOR` connection: every command Redis runs, with where it came from.
//!
//! Redis prints each command as a status line such as
//! `+1700000000.123456 [0 127.0.0.1:54321] "get" "key"`; a command a Lua script ran reads
//! `[0 lua]` instead of a client address. Lines arrive asynchronously, so a batch is delimited by
//! an `ECHO` of a unique marker sent on another connection: once the marker shows up, every
//! command Redis ran before it has been seen.

use std::net::SocketAddr;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::commandstats::CommandCounts;
use crate::error::BenchResult;

/// How long a marker may take to come back through the monitor.
const MARKER_TIMEOUT: Duration = Duration::from_secs(10);

/// Commands counted apart by origin.
#[derive(Debug, Default, Clone)]
pub(crate) struct Origins {
    /// Sent by a client.
    pub(crate) top_level: CommandCounts,
    /// Run by a Lua script (`EVAL`, `EVALSHA`, `FCALL`).
    pub(crate) in_scripts: CommandCounts,
}

/// An open `MONITOR` stream.
pub(crate) struct Monitor {
    lines: BufReader<TcpStream>,
    markers_sent: u64,
}

impl Monitor {
    /// Connects to Redis at `addr` and turns the connection into a monitor.
    pub(crate) async fn start(addr: SocketAddr) -> BenchResult<Self> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"MONITOR\r\n").await?;
        let mut monitor = Self {
            lines: BufReader::new(stream),
            markers_sent: 0,
        };
        let reply = monitor.next_line().await?;
        if reply != "+OK" {
            return Err(format!("MONITOR answered {reply:?}").into());
        }
        Ok(monitor)
    }

    /// Sends a marker through `redis` and collects every command Redis ran before it, leaving
    /// out the commands named in `ignored`.
    pub(crate) async fn collect(
        &mut self,
        redis: &mut ConnectionManager,
        ignored: &[&str],
    ) -> BenchResult<Origins> {
        self.markers_sent += 1;
        let marker = format!("temporal-cache-bench-marker-{}", self.markers_sent);
        let _: String = redis::cmd("ECHO").arg(&marker).query_async(redis).await?;
        let quoted_marker = format!("\"{marker}\"");
        let mut origins = Origins::default();
        tokio::time::timeout(MARKER_TIMEOUT, async {
            loop {
                let line = self.next_line().await?;
                if line.ends_with(&quoted_marker) {
                    return BenchResult::Ok(());
                }
                let Some(command) = parse(&line) else {
                    continue;
                };
                if ignored.contains(&command.name.as_str()) {
                    continue;
                }
                let counts = if command.from_script {
                    &mut origins.in_scripts
                } else {
                    &mut origins.top_level
                };
                *counts.entry(command.name).or_default() += 1;
            }
        })
        .await
        .map_err(|_| format!("the monitor did not show the marker within {MARKER_TIMEOUT:?}"))??;
        Ok(origins)
    }

    async fn next_line(&mut self) -> BenchResult<String> {
        let mut line = String::new();
        if self.lines.read_line(&mut line).await? == 0 {
            return Err("Redis closed the MONITOR connection".into());
        }
        Ok(line.trim_end().to_owned())
    }
}

/// One command seen by the monitor.
#[derive(Debug, PartialEq, Eq)]
struct Command {
    /// Lower case, as Redis prints it.
    name: String,
    from_script: bool,
}

/// Reads a monitor line; `None` for anything that is not a command line.
fn parse(line: &str) -> Option<Command> {
    let (origin, rest) = line
        .strip_prefix('+')?
        .split_once(" [")?
        .1
        .split_once("] \"")?;
    let name = rest.split_once('"')?.0.to_ascii_lowercase();
    let from_script = origin.split_whitespace().nth(1) == Some("lua");
    Some(Command { name, from_script })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_client_commands_from_script_commands() {
        assert_eq!(
            parse(r#"+1700000000.123456 [0 127.0.0.1:54321] "get" "a:{b}""#),
            Some(Command {
                name: "get".to_owned(),
                from_script: false
            })
        );
        assert_eq!(
            parse(r#"+1700000000.123456 [0 lua] "SET" "k" "v" "PX" "100""#),
            Some(Command {
                name: "set".to_owned(),
                from_script: true
            })
        );
        assert_eq!(parse("+OK"), None);
    }
}
