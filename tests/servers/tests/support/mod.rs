//! What the integration tests share: `redis-cli` and `openssl` runs that fail the test loudly
//! when the program is missing or hangs.

use std::process::Command;
use std::time::Duration;

use temporal_cache_servers::executable::find_in_path;
use temporal_cache_servers::{CommandOutput, RedisCli, run_bounded};

/// How long one command may take before the test fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `redis-cli args...`.
///
/// # Panics
///
/// If there is no `redis-cli` (with the install hint) or it does not finish in 10 seconds.
#[allow(dead_code, reason = "not every test file runs redis-cli")]
pub(crate) fn redis_cli<S: AsRef<str>>(args: &[S]) -> CommandOutput {
    let cli = RedisCli::locate().unwrap_or_else(|e| panic!("{e}"));
    cli.run(args, COMMAND_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `redis-cli -p PORT command...` and returns its reply.
///
/// # Panics
///
/// Like [`redis_cli`].
#[allow(dead_code, reason = "not every test file sends plain commands")]
pub(crate) fn command(port: u16, command: &[&str]) -> String {
    let port = port.to_string();
    let mut args = vec!["-p", &port];
    args.extend_from_slice(command);
    redis_cli(&args).reply().to_owned()
}

/// Runs `openssl args...`, the reference the TLS tests check the generated material with.
///
/// # Panics
///
/// If there is no `openssl` or it does not finish in 10 seconds.
#[allow(dead_code, reason = "not every test file runs openssl")]
pub(crate) fn openssl<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CommandOutput {
    let openssl = find_in_path("openssl")
        .unwrap_or_else(|| panic!("openssl not found: `apt-get install openssl`"));
    run_bounded(Command::new(openssl).args(args), COMMAND_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}
