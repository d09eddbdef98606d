#!/usr/bin/env bash
# Web console benchmark (issue #14 point 9), reported, not asserted: a `linkage-server demo` with the
# 20,000-household demo county on a free loopback port (optimised build: `--profile bench`, or
# LINKAGE_SERVER_BIN), then console/e2e/bench.mjs: the dashboard's first load in headless Chromium (fresh
# profile and cache each round; ROUNDS, default 5; median and spread) as county staff (the county's quarter:
# the heaviest dashboard), and the JavaScript bytes of that first load as sent (gzip). CONSOLE_DIST: serve that
# already built console instead of building console/dist. CONSOLE_REF: a reference build (e.g. a copy of main's
# console/dist) measured in the same run, its rounds interleaved with the console's (the server serves a symlink
# switched before each round, one server and data for both): both medians and their ratio (the machine is
# shared; blocks of rounds measured one after the other drift with its load).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/rust-toolchain.sh"
command -v chromium >/dev/null || "$root/scripts/setup.sh"
bin="${LINKAGE_SERVER_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet --profile bench -p linkage-server
  bin="$root/target/release/linkage-server"
  [ -x "$bin" ] || bin="$root/target/bench/linkage-server"
fi
dist="${CONSOLE_DIST:-}"
if [ -z "$dist" ]; then
  (cd console && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build >/dev/null)
  dist="$root/console/dist"
fi
work="$(mktemp -d)"
served="$dist"
if [ -n "${CONSOLE_REF:-}" ]; then
  served="$work/console"
  ln -s "$(cd "$dist" && pwd)" "$served"
fi
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$bin" demo --data-dir "$work/data" --listen "127.0.0.1:$port" --households "${HOUSEHOLDS:-20000}" --console-dir "$served" \
  --max-requests-per-minute 100000 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 1200); do
  if python3 -c "import urllib.request; urllib.request.urlopen('$url/openapi.json', timeout=2)" 2>/dev/null; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "linkage-server did not start"; exit 1; }
  sleep 0.25
done
grep -m1 '数据 Data' "$work/server.log" || true
echo "server: $bin; console: $dist${CONSOLE_REF:+; reference: $CONSOLE_REF}"
if [ -n "${CONSOLE_REF:-}" ]; then
  export BENCH_LINK="$served" BENCH_DIST="$(cd "$dist" && pwd)" BENCH_REF="$(cd "$CONSOLE_REF" && pwd)"
fi
cd console && LINKAGE_URL="$url" node e2e/bench.mjs
