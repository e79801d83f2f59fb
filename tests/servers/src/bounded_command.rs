//! Running a short-lived command (`redis-cli`, `openssl`) for a bounded time, collecting what it
//! prints: `std::process` can only wait for a child without a bound.

use std::fmt;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What a finished command printed, and how it exited.
#[derive(Debug)]
pub struct CommandOutput {
    /// How it exited.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// A command that did not finish.
#[derive(Debug)]
#[non_exhaustive]
pub enum CommandError {
    /// It could not be spawned, or waited for.
    Spawn {
        /// The program and its arguments.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// It was still running after `timeout`, and was killed.
    TimedOut {
        /// The program and its arguments.
        command: String,
        /// How long it was given.
        timeout: Duration,
        /// What it printed before it was killed, standard error after standard output.
        output: String,
    },
}

/// Runs `command` with stdin from `/dev/null`, and waits for it to exit, at most `timeout`;
/// then kills it.
///
/// # Errors
///
/// [`CommandError::Spawn`], or [`CommandError::TimedOut`] once it has been killed.
pub fn run_bounded(
    command: &mut Command,
    timeout: Duration,
) -> Result<CommandOutput, CommandError> {
    let described = describe(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| CommandError::Spawn {
            command: described.clone(),
            source,
        })?;
    let (sender, texts_read) = mpsc::channel();
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
    let readers: Vec<_> = streams
        .into_iter()
        .enumerate()
        .filter_map(|(index, stream)| stream.map(|stream| (index, stream)))
        .map(|(index, mut stream)| {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut text = Vec::new();
                // A read error ends the text early; the exit status still tells what happened.
                let _ = stream.read_to_end(&mut text);
                let _ = sender.send((index, String::from_utf8_lossy(&text).into_owned()));
            })
        })
        .collect();
    drop(sender);

    // Both texts end when the process exits and the kernel closes its pipes.
    let deadline = Instant::now() + timeout;
    let mut texts = [String::new(), String::new()];
    let mut timed_out = false;
    loop {
        match texts_read.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((index, text)) => texts[index] = text,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                timed_out = true;
                // Killing it closes its pipes, so the readers finish.
                let _ = child.kill();
                for (index, text) in texts_read.iter() {
                    texts[index] = text;
                }
                break;
            }
        }
    }
    for reader in readers {
        // A reader only ends by returning.
        let _ = reader.join();
    }
    let status = child.wait();
    let [stdout, stderr] = texts;
    if timed_out {
        return Err(CommandError::TimedOut {
            command: described,
            timeout,
            output: format!("{stdout}{stderr}"),
        });
    }
    let status = status.map_err(|source| CommandError::Spawn {
        command: described,
        source,
    })?;
    Ok(CommandOutput {
        status,
        stdout,
        stderr,
    })
}

/// `program arg...`, for messages.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

impl CommandOutput {
    /// Standard output without the trailing newline, e.g. `PONG`.
    pub fn reply(&self) -> &str {
        self.stdout.trim_end()
    }

    /// The exit status and both outputs, for a failure message.
    pub fn transcript(&self) -> String {
        format!(
            "{}; stdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn { command, source } => write!(f, "cannot run {command}: {source}"),
            Self::TimedOut {
                command,
                timeout,
                output,
            } => write!(
                f,
                "{command} did not finish within {timeout:?}; its output:\n{output}"
            ),
        }
    }
}

impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spawn { source, .. } => Some(source),
            Self::TimedOut { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_both_outputs_and_the_status() {
        let output = run_bounded(
            Command::new("/bin/sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(output.status.code(), Some(3));
        assert_eq!((output.reply(), output.stderr.as_str()), ("out", "err\n"));
    }

    #[test]
    fn a_run_past_its_timeout_is_killed() {
        let started = Instant::now();
        let error = run_bounded(
            Command::new("/bin/sh").args(["-c", "echo begun; exec sleep 60"]),
            Duration::from_millis(300),
        )
        .unwrap_err();
        let CommandError::TimedOut { output, .. } = &error else {
            panic!("{error}");
        };
        assert_eq!(output, "begun\n");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let error = run_bounded(
            &mut Command::new("/nonexistent/program"),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(matches!(error, CommandError::Spawn { .. }), "{error}");
    }
}
