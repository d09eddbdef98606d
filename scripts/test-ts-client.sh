#!/usr/bin/env bash
# The TypeScript client (clients/ts) is generated from the OpenAPI document and works against a real server:
#   1. regenerates clients/ts/src/schema.d.ts from clients/ts/openapi.json with openapi-typescript and fails if
#      it differs from the checked-in file (the Rust test `api_docs_and_ts_copy_are_generated_from_the_document`
#      keeps openapi.json equal to the server's document);
#   2. type-checks and compiles the client and the smoke script with tsc (strict);
#   3. starts a real linkage-server on a free loopback port (demo data in a temporary directory) and runs the
#      smoke script: sign in as a grid worker, push one visit, pull it back. The server is killed on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/rust-toolchain.sh"
bin_dir="$root/.tools/node_modules/.bin"
[ -x "$bin_dir/openapi-typescript" ] && [ -x "$bin_dir/tsc" ] || "$root/scripts/setup.sh"
ts="$root/clients/ts"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== TypeScript client: regenerate from the OpenAPI document and compare"
"$bin_dir/openapi-typescript" "$ts/openapi.json" -o "$work/schema.d.ts" >/dev/null 2>&1
if ! diff -u "$ts/src/schema.d.ts" "$work/schema.d.ts" >"$work/schema.diff"; then
  head -40 "$work/schema.diff"
  echo "clients/ts/src/schema.d.ts is out of date: run .tools/node_modules/.bin/openapi-typescript clients/ts/openapi.json -o clients/ts/src/schema.d.ts"
  exit 1
fi

echo "== TypeScript client: type-check and compile (tsc --strict)"
ln -sfn ../../.tools/node_modules "$ts/node_modules"
rm -rf "$ts/out"
"$bin_dir/tsc" -p "$ts"

echo "== TypeScript client: sign in, push a visit, pull it back against a real server"
cargo build --quiet -p linkage-server
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$root/target/debug/linkage-server" demo --data-dir "$work/data" --listen "127.0.0.1:$port" --households 500 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  if python3 -c "import urllib.request; urllib.request.urlopen('$url/openapi.json', timeout=2)" 2>/dev/null; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "linkage-server did not start"; exit 1; }
  sleep 0.2
done
node "$ts/out/smoke.js" "$url"
echo "TypeScript client: ok"
