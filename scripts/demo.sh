#!/usr/bin/env bash
# The main job in one command on a fresh Debian machine: installs the Rust toolchain if missing, then builds
# and runs the sync server with its embedded database and a demo county on 127.0.0.1:8080.
# Extra arguments go to `linkage-server demo` (e.g. --listen 0.0.0.0:8080, --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/rust-toolchain.sh
need=()
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
perl -MFindBin -MIPC::Cmd -e1 2>/dev/null || need+=(perl)
# SQLite (SQLCipher), its OpenSSL and zstd are built from source.
[ ${#need[@]} -eq 0 ] || { echo "demo: installing ${need[*]}"; as_root apt-get update -qq && as_root apt-get install -y -qq "${need[@]}"; }
exec cargo run --release -p linkage-server -- demo "$@"
