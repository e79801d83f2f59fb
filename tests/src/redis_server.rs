//! The integration tests' `redis-server`: the launcher of `temporal-cache-servers`, with a
//! panic for every failure (a test cannot go on without its server) and redis-rs clients.

/// A `redis-server` process listening on `127.0.0.1`, without persistence.
///
/// The server is killed when this value is dropped (and when the test process exits, even
/// abnormally). It can be [killed](Self::kill) and [restarted](Self::restart) on the same port to
/// simulate an outage. Each start waits until Redis logs that it accepts connections.
///
/// The binary is `$REDIS_SERVER` if set, else `redis-server` from `PATH`; without one, every
/// test that starts a server fails with a hint on how to install it.
#[derive(Debug)]
pub struct RedisServer {
    /// The launcher's server, whose errors this type turns into panics.
    server: temporal_cache_servers::RedisServer,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// If `redis-server` cannot be found or does not become ready within 20 seconds.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`Self::start`], passing `extra_args` to `redis-server` after the harness's own
    /// arguments (`--port P --bind 127.0.0.1 --save "" --appendonly no`), e.g.
    /// `&["--requirepass", "secret"]`.
    ///
    /// # Panics
    ///
    /// If `redis-server` cannot be found or does not become ready within 20 seconds.
    pub fn start_with(extra_args: &[&str]) -> Self {
        let server = temporal_cache_servers::RedisServer::start_with(extra_args)
            .unwrap_or_else(|e| panic!("{e}"));
        Self { server }
    }

    /// The loopback port the server listens on (the same across [restarts](Self::restart)).
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The server's URL, `redis://127.0.0.1:PORT/` (without any password).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A client for [`Self::url`]. Opening it makes no connection yet.
    ///
    /// # Panics
    ///
    /// Never in practice: the URL is always valid.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url())
            .unwrap_or_else(|e| panic!("invalid redis URL {}: {e}", self.url()))
    }

    /// A multiplexed async connection to the server, for tests that inspect or prepare its data.
    ///
    /// # Panics
    ///
    /// If the server does not accept the connection.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        self.client()
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test Redis at {}: {e}", self.url()))
    }

    /// How many times the server has answered `command` (lower case, as `INFO commandstats`
    /// names it: `get`, `mget`) since it started or since `CONFIG RESETSTAT`.
    ///
    /// # Panics
    ///
    /// If the server does not answer `INFO`.
    pub async fn calls(&self, command: &str) -> u64 {
        self.stat(command, "calls").await
    }

    /// One figure of `command`'s line in `INFO commandstats` (`calls`, `rejected_calls`,
    /// `failed_calls`); 0 for a command the server has not seen.
    ///
    /// # Panics
    ///
    /// If the server does not answer `INFO`.
    pub async fn stat(&self, command: &str, field: &str) -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut self.connection().await)
            .await
            .unwrap_or_else(|e| panic!("INFO commandstats on {}: {e}", self.url()));
        let line = format!("cmdstat_{command}:");
        let field = format!("{field}=");
        info.lines()
            .find_map(|stats| stats.strip_prefix(&line))
            .and_then(|stats| {
                stats
                    .split(',')
                    .find_map(|pair| pair.strip_prefix(&field)?.parse().ok())
            })
            .unwrap_or(0)
    }

    /// Kills the server with `SIGKILL` and waits until it is gone. Does nothing if it is not
    /// running.
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// Starts the server again on the same port and waits until it accepts connections. A running
    /// server is [killed](Self::kill) first. The data set starts empty.
    ///
    /// # Panics
    ///
    /// If the server does not become ready within 20 seconds, e.g. because another process took
    /// the port meanwhile.
    pub fn restart(&mut self) {
        self.server
            .restart()
            .unwrap_or_else(|e| panic!("cannot restart redis-server: {e}"));
    }
}

/// The two Redis servers of a test process that shares them between its tests: `global`, made
/// the process's global cache backend, and `second`, whose URL goes into `second_url` (the
/// per-activity backend of some test activities reads it).
#[derive(Debug)]
pub struct SharedServers {
    /// Behind the global backend.
    pub global: RedisServer,
    /// Behind a per-activity backend.
    pub second: RedisServer,
}

impl SharedServers {
    /// Starts both servers, sets the global backend and `second_url`, and installs tracing.
    ///
    /// # Panics
    ///
    /// If a server cannot start, or `second_url` was already set.
    pub fn start(second_url: &std::sync::OnceLock<String>) -> Self {
        crate::init_tracing();
        let servers = Self {
            global: RedisServer::start(),
            second: RedisServer::start(),
        };
        temporal_cache_runtime::set_cache_backend(
            temporal_cache_runtime::RedisCacheBackend::new(&servers.global.url())
                .expect("a Redis URL"),
        );
        second_url
            .set(servers.second.url())
            .expect("the second server's URL is set once");
        servers
    }
}

/// The Redis behind the global backend of this test process, started (with tracing installed and
/// the global backend set to it) on first use.
pub fn global() -> &'static RedisServer {
    static GLOBAL: std::sync::OnceLock<RedisServer> = std::sync::OnceLock::new();
    GLOBAL.get_or_init(|| {
        crate::init_tracing();
        let server = RedisServer::start();
        temporal_cache_runtime::set_cache_backend(
            temporal_cache_runtime::RedisCacheBackend::new(&server.url()).expect("a Redis URL"),
        );
        server
    })
}
