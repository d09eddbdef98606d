#!/usr/bin/env bash
# API conformance: the server against its own OpenAPI document. Starts a real linkage-server on a free loopback
# port with demo data in a temporary directory, then runs schemathesis (PyPI, pinned in setup.sh) with ALL
# checks, signed in as each role in turn (county staff, township staff, grid worker, liaison head; demo
# password linkage2026), with a fixed seed and a bounded number of cases per operation. Prints the seed and
# the counts; fails on any failure. The server is killed on exit.
#   API_SEED=<n> API_MAX_EXAMPLES=<n> scripts/test-api-conformance.sh   to explore other cases.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/rust-toolchain.sh"
seed="${API_SEED:-20261202}"
max_examples="${API_MAX_EXAMPLES:-12}"
st="$root/.tools/venv/bin/schemathesis"
[ -x "$st" ] || "$root/scripts/setup.sh"

echo "== API conformance: build linkage-server"
cargo build --quiet -p linkage-server
bin="$root/target/debug/linkage-server"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port="$("$root/.tools/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
# Generated sign-ins fail by the hundred from one address and the run sends far more than a phone's requests per
# minute: the sign-in delays and the per-device work cap are lifted here (they have their own tests in
# server/tests/api/security.rs), so every answer is the route's own.
"$bin" demo --data-dir "$work/data" --listen "127.0.0.1:$port" --households 2000 \
  --sign-in-free-failures 1000000 --address-free-failures 1000000 --lock-after 100 \
  --max-requests-per-minute 100000000 --max-ops-per-minute 100000000 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  if "$root/.tools/venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$url/openapi.json', timeout=2)" 2>/dev/null; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "linkage-server did not start"; exit 1; }
  sleep 0.2
done

export LINKAGE_URL="$url" LINKAGE_PASSWORD="linkage2026" PYTHONPATH="$root/scripts/conformance"
export SCHEMATHESIS_HOOKS=hooks
total_cases=0
status=0
for user in cs1 ts1 gw1-1 lh1-1-1; do
  echo "== schemathesis as $user: seed $seed, at most $max_examples generated cases per operation and phase, all checks"
  log="$work/st-$user.log"
  set +e
  LINKAGE_USER="$user" LINKAGE_HOOKS_REPORT="$work/hooks-$user.txt" "$st" --config-file "$root/scripts/conformance/schemathesis.toml" run "$url/openapi.json" \
    --checks all --seed "$seed" --max-examples "$max_examples" --workers 1 --no-color \
    --generation-database none --suppress-health-check all --request-timeout 30 >"$log" 2>&1
  rc=$?
  set -e
  # The summary: operations and phases, the test cases generated, passed and failed, the seed.
  sed -n '/^API Operations:/,/^Seed:/p' "$log" | grep -vE '^\s*$|run `st explain' | sed 's/^/   /' || true
  [ -f "$work/hooks-$user.txt" ] && echo "   as $user: $(cat "$work/hooks-$user.txt")"
  cases="$(grep -oE '[0-9]+ generated' "$log" | head -1 | grep -oE '[0-9]+' || echo 0)"
  total_cases=$((total_cases + cases))
  if [ "$rc" -ne 0 ]; then
    echo "-- schemathesis as $user FAILED (exit $rc):"
    cat "$log"
    status=1
  fi
done
echo "== API conformance: seed $seed, $total_cases generated cases over 4 roles: $([ $status = 0 ] && echo 'no failures' || echo FAILED)"
exit $status
