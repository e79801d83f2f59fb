//! What the figures were measured on, and how.

use redis::aio::ConnectionManager;

use crate::error::BenchResult;

/// The environment variable `scripts/bench` sets to the command it runs, for the report.
pub(crate) const COMMAND_ENV_VAR: &str = "TEMPORAL_CACHE_BENCH_COMMAND";

/// The machine and the command behind a report.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    /// CPUs this process may run on (what `nproc` prints).
    pub(crate) cpus: usize,
    pub(crate) cpu_model: String,
    pub(crate) redis_version: String,
    /// The command that produced the report.
    pub(crate) command: String,
}

impl Machine {
    /// Describes this machine; the Redis version is asked of the running server.
    pub(crate) async fn describe(redis: &mut ConnectionManager) -> BenchResult<Self> {
        let info: String = redis::cmd("INFO").arg("server").query_async(redis).await?;
        let redis_version = info_field(&info, "redis_version")
            .unwrap_or("unknown")
            .to_owned();
        Ok(Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".to_owned()),
            redis_version,
            command: std::env::var(COMMAND_ENV_VAR).unwrap_or_else(|_| invocation()),
        })
    }
}

/// The value of `name:` in the text of a Redis `INFO` reply.
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

/// The first `model name` of `/proc/cpuinfo`.
fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// This process's command line, as a fallback when `scripts/bench` did not name its command.
fn invocation() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_field_of_an_info_reply() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n";
        assert_eq!(info_field(info, "redis_version"), Some("7.0.15"));
        assert_eq!(info_field(info, "redis"), None);
    }
}
