//! The `probe` binary (`src/bin/probe.rs`) as a child process of a test: a second worker, or
//! callers of cached activities in another process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A running `probe`. Dropping it closes its standard input (which stops a worker) and kills it.
pub struct Probe {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Probe {
    /// Starts the probe binary at `binary` (an integration test's `env!("CARGO_BIN_EXE_probe")`).
    ///
    /// # Panics
    ///
    /// If the binary cannot be started.
    pub fn start(binary: &str, args: &[&str]) -> Self {
        Self::start_with_env(binary, args, &[])
    }

    /// Starts the probe with the environment variables `env` set.
    ///
    /// # Panics
    ///
    /// If the binary cannot be started.
    pub fn start_with_env(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the probe binary {binary}: {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// Starts the probe and waits until it prints a line starting with `ready`.
    ///
    /// # Panics
    ///
    /// If the probe prints anything else first, or exits.
    pub fn start_ready(binary: &str, args: &[&str], ready: &str) -> Self {
        let mut probe = Self::start(binary, args);
        let line = probe.line();
        assert!(
            line.starts_with(ready),
            "the probe did not get ready: {line:?}"
        );
        probe
    }

    /// The next line the probe prints, without its line end (blocking until it comes).
    ///
    /// # Panics
    ///
    /// If the probe exits first.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("the probe reports");
        assert!(!line.is_empty(), "the probe exited early");
        line.trim_end().to_owned()
    }

    /// Sends the probe the line it waits for before it starts its calls.
    pub fn go(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "go").expect("the probe reads its go signal");
        stdin.flush().expect("flush");
    }

    /// The next line, parsed as JSON.
    pub fn report(&mut self) -> serde_json::Value {
        serde_json::from_str(&self.line()).expect("the probe prints JSON")
    }

    /// The probe's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the probe with `SIGKILL` at once and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        drop(self.stdin.take());
        self.kill();
    }
}
