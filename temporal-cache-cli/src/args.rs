//! The command line, as clap parses it: the connection options every command shares, then one
//! subcommand with its own.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use temporal_cache_runtime::backend::DEFAULT_KEY_PREFIX;
use temporal_cache_runtime::{RedisCacheBackend, Storage};

/// What a Redis holds for temporal-cache, and clearing it. Keys are found with SCAN (never KEYS)
/// and removed with UNLINK in batches (never FLUSHDB); on a cluster every master is scanned.
#[derive(Debug, Parser)]
#[command(name = "temporal-cache", version)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the cache's Redis is and how to log in: the same forms a worker's backend takes.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// The Redis URL (redis://[user:password@]host:port/db, rediss:// for TLS); several separated
    /// by commas are the nodes of a cluster. Falls back to $REDIS_URL.
    #[arg(long, global = true, env = RedisCacheBackend::URL_ENV_VAR, hide_env_values = true)]
    pub(crate) url: Option<String>,

    /// The key prefix the workers use.
    #[arg(long, global = true, env = RedisCacheBackend::PREFIX_ENV_VAR, default_value = DEFAULT_KEY_PREFIX)]
    pub(crate) prefix: String,

    /// A PEM file of CA certificates to trust for rediss:// (instead of the system's roots).
    #[arg(long, global = true, value_name = "PEM", env = RedisCacheBackend::CA_FILE_ENV_VAR)]
    pub(crate) tls_ca: Option<PathBuf>,

    /// The client certificate (PEM) for mutual TLS; goes with --tls-key.
    #[arg(long, global = true, value_name = "PEM", requires = "tls_key",
          env = RedisCacheBackend::CLIENT_CERT_FILE_ENV_VAR)]
    pub(crate) tls_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM); goes with --tls-cert.
    #[arg(long, global = true, value_name = "PEM", requires = "tls_cert",
          env = RedisCacheBackend::CLIENT_KEY_FILE_ENV_VAR)]
    pub(crate) tls_key: Option<PathBuf>,

    /// The ACL user to log in as (instead of the URL's); goes with --password.
    #[arg(long, global = true, requires = "password")]
    pub(crate) user: Option<String>,

    /// The password of --user, or of the default user when --user is not given.
    #[arg(
        long,
        global = true,
        env = "TEMPORAL_CACHE_REDIS_PASSWORD",
        hide_env_values = true
    )]
    pub(crate) password: Option<String>,
}

/// One thing to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Entries, bytes, TTL spread and leases held, per namespace and activity type.
    Stats(StatsArgs),
    /// The keys of one activity type, with their size and TTL.
    Ls(LsArgs),
    /// One entry decoded: its header, its form and the JSON inside.
    Show(ShowArgs),
    /// Removes the entries of one activity type, or everything under the prefix.
    Purge(PurgeArgs),
}

/// `stats`: counts every key under the prefix, measures a sample of each activity's.
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Only this Temporal namespace (`*` for entries all namespaces share).
    #[arg(long)]
    pub(crate) namespace: Option<String>,
    /// At most this many entries per activity type are measured (size and TTL); every key is
    /// counted. The byte total is extrapolated from the sample when it is smaller.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) sample: usize,
    /// One JSON document on stdout, for scripts.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which namespace an activity's entries are taken from.
#[derive(Debug, Args)]
pub(crate) struct NamespaceArgs {
    /// The Temporal namespace (default: $TEMPORAL_NAMESPACE, else `default`, as
    /// `invalidate_activity!` takes it).
    #[arg(long, conflicts_with = "shared")]
    pub(crate) namespace: Option<String>,
    /// The entries all namespaces share (activities cached with shared namespaces).
    #[arg(long)]
    pub(crate) shared: bool,
}

impl NamespaceArgs {
    /// The namespace to pass to `activity_prefix`: `None` for the shared entries.
    pub(crate) fn namespace(&self) -> Option<String> {
        if self.shared {
            return None;
        }
        Some(
            self.namespace
                .clone()
                .unwrap_or_else(|| temporal_cache_runtime::default_namespace().to_owned()),
        )
    }
}

/// `ls`: the keys of one activity type.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// The registered Temporal activity type, as in the keys.
    pub(crate) activity_type: String,
    #[command(flatten)]
    pub(crate) namespace: NamespaceArgs,
    /// One JSON object per key and line (JSON Lines), for scripts.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `show`: one entry decoded.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The full key, as `ls` prints it.
    pub(crate) key: String,
    /// The cache's encryption keys, to decrypt an encrypted entry: base64 or hex keys separated
    /// by commas, as the workers take them.
    #[arg(long, value_name = "KEYS", env = Storage::ENCRYPTION_KEYS_ENV_VAR, hide_env_values = true)]
    pub(crate) encryption_keys: Option<String>,
    /// One JSON object on stdout, for scripts.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `purge`: removes entries with SCAN and UNLINK in batches.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["activity", "all"]))]
pub(crate) struct PurgeArgs {
    /// Every entry of this activity type (in one namespace: see --namespace and --shared).
    #[arg(long, value_name = "TYPE")]
    pub(crate) activity: Option<String>,
    /// Every key under the prefix, of every activity and namespace.
    #[arg(long, conflicts_with_all = ["namespace", "shared"])]
    pub(crate) all: bool,
    #[command(flatten)]
    pub(crate) namespace: NamespaceArgs,
    /// Counts what would be removed, and removes nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}
