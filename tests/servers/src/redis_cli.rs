//! `redis-cli`, found like the servers and run for a bounded time: how the cluster is created,
//! and how tests speak TLS and ACL to a server without a Redis client library of their own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::bounded_command::{CommandError, CommandOutput, run_bounded};
use crate::{LaunchError, executable};

/// The `redis-cli` binary: `$REDIS_CLI` if set, else `redis-cli` from `PATH`.
///
/// `redis-cli` exits with 0 on an error reply too (it prints `ERR ...` or `NOPERM ...` on
/// standard output), and with 1 when it cannot connect or complete a TLS handshake.
#[derive(Clone, Debug)]
pub struct RedisCli {
    /// The binary.
    binary: PathBuf,
}

impl RedisCli {
    /// The environment variable that names the `redis-cli` binary.
    pub const BINARY_ENV_VAR: &str = "REDIS_CLI";

    /// What to do when there is no `redis-cli`.
    pub const NOT_FOUND_HINT: &str = "redis-cli not found: `apt-get install redis-tools` (Debian's \
         redis-server package depends on it), or set REDIS_CLI to its path";

    /// Finds the binary.
    ///
    /// # Errors
    ///
    /// [`LaunchError::NotFound`] with [`Self::NOT_FOUND_HINT`], or
    /// [`LaunchError::NotExecutable`] if `$REDIS_CLI` names no executable file.
    pub fn locate() -> Result<Self, LaunchError> {
        let binary = executable::locate(Self::BINARY_ENV_VAR, "redis-cli", Self::NOT_FOUND_HINT)?;
        Ok(Self { binary })
    }

    /// The binary found.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Runs `redis-cli args...` and waits for it to exit, at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`CommandError::Spawn`], or [`CommandError::TimedOut`] once it has been killed.
    pub fn run<S: AsRef<str>>(
        &self,
        args: &[S],
        timeout: Duration,
    ) -> Result<CommandOutput, CommandError> {
        run_bounded(
            Command::new(&self.binary).args(args.iter().map(AsRef::as_ref)),
            timeout,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> RedisCli {
        RedisCli::locate().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn prints_its_version_and_exits() {
        let output = cli().run(&["--version"], Duration::from_secs(10)).unwrap();
        assert!(output.status.success(), "{}", output.transcript());
        assert!(
            output.reply().starts_with("redis-cli "),
            "{}",
            output.transcript()
        );
    }

    #[test]
    fn a_server_that_never_answers_ends_in_a_timeout() {
        // The connection is made (the kernel accepts it), the reply never comes.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port().to_string();
        let error = cli()
            .run(&["-p", &port, "PING"], Duration::from_millis(300))
            .unwrap_err();
        assert!(matches!(error, CommandError::TimedOut { .. }), "{error}");
    }
}
