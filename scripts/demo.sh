#!/usr/bin/env bash
# The main job in one command on a fresh Debian machine: installs the Rust toolchain if missing, then builds
# and runs the sync server with its embedded database and a demo county on 127.0.0.1:8080.
# Extra arguments go to `linkage-server demo` (e.g. --listen 0.0.0.0:8080, --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/rust-toolchain.sh
command -v cc >/dev/null || { echo "demo: installing gcc (SQLite and zstd are built from source)"; as_root apt-get update -qq && as_root apt-get install -y -qq gcc; }
exec cargo run --release -p linkage-server -- demo "$@"
