//! A throwaway `redis-server` child process on a free loopback port, without persistence, that
//! can be killed and restarted on the same port to simulate an outage; plain or TLS.

mod args;
mod launch;
mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub use tls::{ClientCerts, ServerCertificate, TlsSettings};

use crate::supervisor::Supervised;
use crate::{LaunchError, TlsMaterial, executable, port};

/// The server's short name, in messages and in the supervisor's process name.
const NAME: &str = "redis-server";

/// A `redis-server` process listening on `127.0.0.1`, without persistence.
///
/// The server is killed when this value is dropped, and when this process exits, even
/// abnormally. It can be [killed](Self::kill) and [restarted](Self::restart) on the same port to
/// simulate an outage. Each start waits until Redis logs that it accepts connections.
///
/// The binary is `$REDIS_SERVER` if set, else `redis-server` from `PATH`.
#[derive(Debug)]
pub struct RedisServer {
    /// The `redis-server` binary.
    binary: PathBuf,
    /// The loopback port the server listens on, TLS or plain.
    port: u16,
    /// How the server speaks TLS; `None` for a plain server.
    tls: Option<TlsSettings>,
    /// Every argument after the binary, reused by [`Self::restart`].
    args: Vec<String>,
    /// The running server, `None` after [`Self::kill`].
    process: Option<Supervised>,
}

impl RedisServer {
    /// How long a start may take, from spawning the process to "Ready to accept connections".
    pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

    /// How many free ports a start tries when the one it picked is taken before Redis binds it.
    pub const PORT_ATTEMPTS: usize = 10;

    /// The environment variable that names the `redis-server` binary.
    pub const BINARY_ENV_VAR: &str = "REDIS_SERVER";

    /// What to do when there is no `redis-server`.
    pub const NOT_FOUND_HINT: &str = "redis-server not found: run scripts/test or scripts/bench \
         (as root they install Debian's redis-server) or `apt-get install redis-server`, or set \
         REDIS_SERVER to its path";

    /// Starts a server on a free loopback port and waits until it accepts connections.
    ///
    /// # Errors
    ///
    /// If `redis-server` cannot be found ([`LaunchError::NotFound`], with an install hint), or
    /// does not become ready within [`Self::READY_TIMEOUT`].
    pub fn start() -> Result<Self, LaunchError> {
        Self::start_with(&[])
    }

    /// Like [`Self::start`], passing `extra_args` to `redis-server` after the launcher's own
    /// arguments (`--port P --bind 127.0.0.1 --save "" --appendonly no`), e.g.
    /// `&["--requirepass", "secret"]`.
    ///
    /// An ACL user may be given with its whole rule in one argument,
    /// `&["--user", "cache on >secret ~tc:* +get"]`, and the `default` user turned off with
    /// `&["--user", "default off"]`: the launcher splits what follows `--user` at whitespace,
    /// as Redis needs it.
    ///
    /// # Errors
    ///
    /// Like [`Self::start`]; a server that rejects its arguments is [`LaunchError::Exited`],
    /// with its complaint in the message.
    pub fn start_with(extra_args: &[&str]) -> Result<Self, LaunchError> {
        Self::start_on(port::free_loopback_port, None, |_| owned(extra_args))
    }

    /// Starts a server that speaks TLS only, presenting [`TlsMaterial::server`], and waits until
    /// it accepts connections. Its [URL](Self::url) is `rediss://127.0.0.1:PORT/`.
    ///
    /// A client trusts [`TlsMaterial::ca`]; with [`ClientCerts::Required`] it also presents
    /// [`TlsMaterial::client`].
    ///
    /// # Errors
    ///
    /// Like [`Self::start`]; a `redis-server` built without TLS is [`LaunchError::Exited`].
    pub fn start_tls(
        material: &TlsMaterial,
        client_certs: ClientCerts,
    ) -> Result<Self, LaunchError> {
        Self::start_tls_with(TlsSettings::new(material, client_certs), &[])
    }

    /// Like [`Self::start_tls`] with any [`TlsSettings`], e.g. presenting an expired
    /// certificate, and `extra_args` as for [`Self::start_with`].
    ///
    /// # Errors
    ///
    /// Like [`Self::start_tls`].
    pub fn start_tls_with(tls: TlsSettings, extra_args: &[&str]) -> Result<Self, LaunchError> {
        Self::start_on(port::free_loopback_port, Some(tls), |_| owned(extra_args))
    }

    /// Starts a server (TLS if `tls` says so) on a port from `pick_port`, with the extra
    /// arguments for that port, retrying with another port when the one picked is taken before
    /// Redis binds it. The cluster's nodes need both: a free bus port beside theirs, and a
    /// state file named after their port.
    pub(crate) fn start_on(
        mut pick_port: impl FnMut() -> Result<u16, LaunchError>,
        tls: Option<TlsSettings>,
        extra_args_for_port: impl Fn(u16) -> Vec<String>,
    ) -> Result<Self, LaunchError> {
        let binary = executable::locate(Self::BINARY_ENV_VAR, NAME, Self::NOT_FOUND_HINT)?;
        port::on_a_picked_port(NAME, Self::PORT_ATTEMPTS, &mut pick_port, |port| {
            let args = args::server_args(port, tls.as_ref(), &extra_args_for_port(port));
            let process = launch::launch(&binary, port, &args)?;
            Ok(Self {
                binary: binary.clone(),
                port,
                tls: tls.clone(),
                args,
                process: Some(process),
            })
        })
    }

    /// The loopback port the server listens on (the same across [restarts](Self::restart)); its
    /// TLS port for a TLS server.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the server listens on, `127.0.0.1:PORT`.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The server's URL (without any user or password): `redis://127.0.0.1:PORT/`, or
    /// `rediss://127.0.0.1:PORT/` for a TLS server.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    /// How the server speaks TLS, `None` for a plain server.
    pub fn tls(&self) -> Option<&TlsSettings> {
        self.tls.as_ref()
    }

    /// Kills the server with `SIGKILL`, as a crash would, and waits until it is gone. Does
    /// nothing if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    /// Starts the server again on the same port, with the same arguments, and waits until it
    /// accepts connections. A running server is [killed](Self::kill) first. The data set starts
    /// empty.
    ///
    /// # Errors
    ///
    /// [`LaunchError::PortTaken`] if another process took the port meanwhile, or any error of
    /// [`Self::start`] but a missing binary.
    pub fn restart(&mut self) -> Result<(), LaunchError> {
        self.kill();
        self.process = Some(launch::launch(&self.binary, self.port, &self.args)?);
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `args` as owned strings.
fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|&a| a.to_owned()).collect()
}
