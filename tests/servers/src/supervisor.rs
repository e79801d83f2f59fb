//! Runs a server process under an `sh` supervisor tied to a pipe from this process, so that the
//! server dies with this process however it ends.
//!
//! A `Drop` that kills the child is not enough: statics are never dropped, and a process killed
//! by a signal runs no destructors. The kernel closes a dead process's pipes though, and the
//! supervisor waits on one.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The `tracing` target the servers' output lines are logged under, at `debug` level.
pub const OUTPUT_LOG_TARGET: &str = "temporal_cache_servers::process";

/// How many of the latest output lines are kept for error messages.
const KEPT_LINES: usize = 200;

/// The supervisor, run as `sh -c SCRIPT NAME PROGRAM ARGS...`.
///
/// It moves its stdin (the pipe from this process) to fd 3, starts the server in the background
/// with stdin from `/dev/null`, and starts a watcher that blocks reading fd 3: once every write
/// end of the pipe is closed, the read returns and the watcher `SIGKILL`s the server. The
/// supervisor waits for the server, so it exits exactly when the server is gone (killed or
/// exited on its own), after which it ends the watcher and exits with the server's status.
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
pub struct Supervised {
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
    /// Every line the server prints on stdout or stderr is kept (the latest 200), logged under
    /// [`OUTPUT_LOG_TARGET`], and sent to `lines` while its receiver lives. When the server is
    /// gone, both output pipes close and `lines` disconnects.
    ///
    /// # Errors
    ///
    /// If `/bin/sh` cannot be spawned, or a thread to read its output cannot be started.
    pub fn spawn(
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
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The latest output lines of the server, one per line, for error messages.
    pub fn recent_output(&self) -> String {
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

    /// Kills the server (`SIGKILL`) and waits until it is gone and all its output has been read.
    /// Idempotent.
    pub fn stop(&mut self) {
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
        tracing::debug!(target: OUTPUT_LOG_TARGET, server = %name, "{line}");
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    fn args(args: &[&str]) -> Vec<String> {
        args.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn output_lines_reach_the_channel_and_the_error_messages() {
        let (sender, lines) = mpsc::channel();
        let mut process = Supervised::spawn(
            "echoer",
            Path::new("/bin/sh"),
            &args(&["-c", "echo one; echo two >&2"]),
            Some(sender),
        )
        .unwrap();
        let mut received: Vec<String> = lines.iter().collect();
        received.sort();
        assert_eq!(received, ["one", "two"]);
        process.stop();
        let recent = process.recent_output();
        let mut recent: Vec<&str> = recent.lines().collect();
        recent.sort_unstable();
        assert_eq!(recent, ["one", "two"]);
        assert!(process.exit_status().is_some_and(|status| status.success()));
    }

    #[test]
    fn stopping_kills_a_server_that_would_run_on() {
        let started = Instant::now();
        let mut process =
            Supervised::spawn("sleeper", Path::new("sleep"), &args(&["60"]), None).unwrap();
        assert!(process.exit_status().is_none(), "sleep is still running");
        process.stop();
        assert!(process.exit_status().is_some());
        assert!(started.elapsed() < Duration::from_secs(30), "it was killed");
    }
}
