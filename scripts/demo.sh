#!/usr/bin/env bash
# The main job in one command on a fresh Debian machine: installs the Rust toolchain if missing, then builds
# and runs the sync server with its embedded database and a demo county on 127.0.0.1:8080, with the web console
# (built here with npm) at http://127.0.0.1:8080/console/.
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
# The web console (served at /console/): built first so the one command shows it (npm ci when node_modules is
# missing or older than the lock file). Without npm the server still runs and /console/ says how to build it.
if command -v npm >/dev/null; then
  if [ ! -d console/node_modules ] || [ console/package-lock.json -nt console/node_modules ]; then
    echo "demo: npm ci (console)"; (cd console && npm ci --no-audit --no-fund --loglevel=error) && touch console/node_modules
  fi
  echo "demo: building the web console (console/dist)"
  (cd console && npm run --silent build >/dev/null) || echo "demo: console build failed; /console/ will say it is not built"
else
  echo "demo: npm not found: the web console is not built (apt-get install npm, then run this again)"
fi
exec cargo run --release -p linkage-server -- demo --console-dir console/dist "$@"
