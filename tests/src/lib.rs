//! Test harness for `temporal-cache` integration tests.
//!
//! It starts real servers as child processes, each on a free loopback port:
//!
//! - [`redis_server::RedisServer`]: a throwaway `redis-server` (no persistence) per test, which
//!   can be killed and restarted on the same port to simulate outages;
//! - [`temporal_server::TemporalServer`]: a Temporal dev server (`temporal server start-dev`,
//!   in-memory), usually one per test process via [`temporal_server::TemporalServer::shared`].
//!
//! Every server runs under a small `sh` supervisor that holds the read end of a pipe whose write
//! end stays in this process. When the write end closes — because the harness stops the server,
//! or because the test process exits or dies, even without running destructors (as happens to
//! statics) — the supervisor `SIGKILL`s the server. So no server outlives its test process.
//!
//! [`init_tracing`] installs a log subscriber; the servers' own output is forwarded to it at
//! `debug` level under the target `temporal_cache_tests::process`.

pub mod redis_server;
pub mod temporal_server;

use std::net::{Ipv4Addr, TcpListener};

/// Installs a `tracing` subscriber that writes through the test harness's capture.
///
/// The filter comes from `RUST_LOG` and defaults to `warn`. Calling it more than once (from many
/// tests in one process) is harmless: only the first call installs a subscriber.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // An error only means a global subscriber is already installed, which is what we want.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Picks a loopback port that was free a moment ago by binding port 0 and releasing it.
///
/// Another process may grab the port before the server binds it; callers detect that and retry
/// with a new port.
pub(crate) fn free_loopback_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("cannot bind a loopback socket to pick a free port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("cannot read the address of a loopback socket: {e}"))
        .port()
}

/// Finds an executable named `name` in the directories of `PATH`.
pub(crate) fn find_in_path(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file with an execute bit set.
pub(crate) fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub(crate) mod supervisor {
    //! Runs a server process under an `sh` supervisor tied to a pipe from this process.

    use std::collections::VecDeque;
    use std::io::{BufRead, BufReader, Read};
    use std::path::Path;
    use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
    use std::sync::mpsc::Sender;
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;

    /// How many of the latest output lines are kept for error messages.
    const KEPT_LINES: usize = 200;

    /// The supervisor, run as `sh -c SCRIPT NAME PROGRAM ARGS...`.
    ///
    /// It moves its stdin (the pipe from this process) to fd 3, starts the server in the
    /// background with stdin from `/dev/null`, and starts a watcher that blocks reading fd 3: once
    /// every write end of the pipe is closed, the read returns and the watcher `SIGKILL`s the
    /// server. The supervisor waits for the server, so it exits exactly when the server is gone
    /// (killed or exited on its own), after which it ends the watcher and exits with the server's
    /// status.
    const SCRIPT: &str = r#"exec 3<&0 </dev/null
"$@" 3<&- &
server=$!
{ read -r _ <&3; kill -KILL "$server"; } >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$server"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

    /// A server process running under the supervisor. Dropping it kills the server and waits.
    #[derive(Debug)]
    pub(crate) struct Supervised {
        /// Short name of the server, for messages.
        name: String,
        /// The `sh` supervisor; it exits once the server is gone.
        child: Child,
        /// Write end of the pipe the supervisor watches; closing it kills the server.
        stdin: Option<ChildStdin>,
        /// The latest lines of the server's stdout and stderr.
        output: Arc<Mutex<VecDeque<String>>>,
        /// The threads reading the server's stdout and stderr.
        readers: Vec<JoinHandle<()>>,
    }

    impl Supervised {
        /// Starts `program args...` under the supervisor.
        ///
        /// Every line the server prints on stdout or stderr is kept (the latest
        /// [`KEPT_LINES`]), logged at `debug` level, and sent to `lines` while its receiver
        /// lives. When the server is gone, both output pipes close and `lines` disconnects.
        pub(crate) fn spawn(
            name: &str,
            program: &Path,
            args: &[String],
            lines: Option<Sender<String>>,
        ) -> std::io::Result<Self> {
            let mut child = Command::new("/bin/sh")
                .arg("-c")
                .arg(SCRIPT)
                .arg(format!("{name}-supervisor"))
                .arg(program)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?;
            let output = Arc::new(Mutex::new(VecDeque::with_capacity(KEPT_LINES)));
            let streams: [Option<Box<dyn Read + Send>>; 2] = [
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn Read + Send>),
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn Read + Send>),
            ];
            let mut readers = Vec::with_capacity(streams.len());
            for stream in streams.into_iter().flatten() {
                let name = name.to_owned();
                let output = Arc::clone(&output);
                let lines = lines.clone();
                readers.push(
                    std::thread::Builder::new()
                        .name(format!("{name}-output"))
                        .spawn(move || drain(&name, stream, &output, lines))?,
                );
            }
            Ok(Self {
                name: name.to_owned(),
                stdin: child.stdin.take(),
                child,
                output,
                readers,
            })
        }

        /// The supervisor's exit status if it has exited, i.e. if the server is gone.
        pub(crate) fn exit_status(&mut self) -> Option<ExitStatus> {
            self.child.try_wait().ok().flatten()
        }

        /// The latest output lines of the server, one per line, for error messages.
        pub(crate) fn recent_output(&self) -> String {
            let output = self.output.lock().unwrap_or_else(|e| e.into_inner());
            if output.is_empty() {
                return format!("({} printed nothing)", self.name);
            }
            output
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        }

        /// Kills the server (`SIGKILL`) and waits until it is gone and all its output has been
        /// read. Idempotent.
        pub(crate) fn stop(&mut self) {
            drop(self.stdin.take());
            if let Err(e) = self.child.wait() {
                tracing::warn!(server = %self.name, "cannot wait for the server supervisor: {e}");
            }
            for reader in self.readers.drain(..) {
                // A reader only ends by returning; a panic there has been reported already.
                let _ = reader.join();
            }
        }
    }

    impl Drop for Supervised {
        fn drop(&mut self) {
            self.stop();
        }
    }

    /// Reads `stream` line by line until end of file, see [`Supervised::spawn`].
    fn drain(
        name: &str,
        stream: Box<dyn Read + Send>,
        output: &Mutex<VecDeque<String>>,
        mut lines: Option<Sender<String>>,
    ) {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
            tracing::debug!(target: "temporal_cache_tests::process", server = %name, "{line}");
            {
                let mut output = output.lock().unwrap_or_else(|e| e.into_inner());
                if output.len() == KEPT_LINES {
                    output.pop_front();
                }
                output.push_back(line.clone());
            }
            if let Some(sender) = &lines
                && sender.send(line).is_err()
            {
                // Nobody listens any more.
                lines = None;
            }
        }
    }
}

pub mod activities;
pub mod environment;
pub mod probe;
pub mod runtime;
pub mod workflows;
