#!/usr/bin/env bash
# Figures of the PostgreSQL backend (issue #16), on a throwaway durable cluster (scripts/pg.sh, fsync on):
#
#   scripts/bench-postgres.sh [--scale "N ..."] [--database URL] [--resume-from seed|push|feed|measures] [--no-demo]
#
# 1. Scale (tests/benches/pg_scale.rs): a province of N households (default 100000; 20,000 a county, so
#    1000000 makes 50 counties), one database per county on one cluster (ADR 0015), two issues per household
#    with their history, seeded with COPY; then push through the server's rules vs a raw insert loop of the
#    same rows in the same run (ratio), a township's feed pulled whole, the measures of one county and of
#    every county. Several sizes (--scale "100000 1000000") grow one province on one cluster: each size seeds
#    only the counties it adds, then measures again (how each figure grows). --database URL runs it on an
#    existing cluster (county databases NAME_cNN next to URL's database NAME, kept afterwards, so
#    --resume-from can continue a run that stopped: seeding resumes at the first county missing, or start at
#    a later step).
# 2. Demo county (skipped with --no-demo or --database): for each size (households; default "2000 20000",
#    LINKAGE_BENCH_SIZES to change):
#    a. seed the demo county through the sync rules (`linkage-server demo --seed-only`: every op judged and
#       stored through Storage::apply_op, one transaction each) on PostgreSQL and on SQLite, timed: ops/s;
#    b. a raw insert loop of the same feed rows (their op_json) into a bare table, one row per transaction
#       (autocommit, as the seeder commits), in the same run: push throughput ratio = (a) / (b);
#    c. a township's whole feed pulled over HTTP from `linkage-server serve --database …` (pages of 500), timed.
#    Prints one table row per size.
# Release build (the bench profile); run it under `nice -n 10` on a shared machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scale=100000 database="" resume=() demo=1
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --database) database="$2"; demo=0; shift 2 ;;
    --resume-from) resume=(--resume-from "$2"); shift 2 ;;
    --no-demo) demo=0; shift ;;
    *) echo "usage: $0 [--scale N] [--database URL] [--resume-from seed|push|feed|measures] [--no-demo]" >&2; exit 2 ;;
  esac
done
. "$root/scripts/rust-toolchain.sh"
cargo bench -q -p integration-tests --bench pg_scale --no-run
# The demo seeding runs the shipping binary (release profile: LTO, slow to build): built only for it.
[ "$demo" = 0 ] || cargo build --release -q -p linkage-server
bin="$root/target/release/linkage-server"
work="$(mktemp -d)"
psql_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql"
if [ -n "$database" ]; then
  trap 'rm -rf "$work"' EXIT
  url="$database"
else
  trap '"$root/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
  admin="$("$root/scripts/pg.sh" start "$work/pg" --durable)"
  "$psql_bin" -q "$admin" -c "CREATE DATABASE scale" >/dev/null
  url="${admin%/*}/scale"
fi
first=1
for n in $scale; do
  echo "## Scale: $n households"
  [ "$first" = 1 ] || resume=(--resume-from seed)
  cargo bench -q -p integration-tests --bench pg_scale -- --database "$url" --scale "$n" --data-dir "$work/scale" "${resume[@]}"
  first=0
done
[ "$demo" = 1 ] || exit 0
echo
echo "## Demo county seeded through the rules"
now_ms() { date +%s%3N; }
printf '| households | ops | rules on PostgreSQL | raw insert loop | ratio | rules on SQLite | township feed pull |\n|---|---|---|---|---|---|---|\n'
for n in ${LINKAGE_BENCH_SIZES:-2000 20000}; do
  db="bench_$n"
  "$psql_bin" -q "$admin" -c "CREATE DATABASE $db" >/dev/null
  url="${admin%/*}/$db"
  t0=$(now_ms); "$bin" demo --seed-only --households "$n" --database "$url" --data-dir "$work/pg-$n" >/dev/null; t1=$(now_ms)
  ops=$("$psql_bin" -tA "$url" -c "SELECT count(*) FROM changes")
  t2=$(now_ms); "$bin" demo --seed-only --households "$n" --data-dir "$work/sqlite-$n" >/dev/null; t3=$(now_ms)
  # The raw loop: the same rows, plain INSERTs each committed, no rules, one index (the key).
  "$psql_bin" -q "$url" -c "CREATE TABLE raw_feed (seq BIGSERIAL PRIMARY KEY, op_json TEXT NOT NULL)" >/dev/null
  "$psql_bin" -tA "$url" -c "COPY (SELECT op_json FROM changes ORDER BY seq) TO STDOUT" >"$work/rows-$n.txt"
  python3 - "$work/rows-$n.txt" >"$work/raw-$n.sql" <<'PY'
import sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
for r in rows:
    print("INSERT INTO raw_feed (op_json) VALUES ('" + r.replace("\\\\", "\\").replace("'", "''") + "');")
PY
  t4=$(now_ms); "$psql_bin" -q "$url" -f "$work/raw-$n.sql" >/dev/null; t5=$(now_ms)
  # A township's feed over HTTP.
  "$bin" serve --database "$url" --data-dir "$work/pg-$n" --listen 127.0.0.1:0 2>"$work/serve-$n.log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/serve-$n.log" && break; sleep 0.1; done
  base="$(sed -n 's/.*listening on //p' "$work/serve-$n.log" | head -1)"
  user="$("$psql_bin" -tA "$url" -c "SELECT id FROM users WHERE role = 'township_staff' ORDER BY id LIMIT 1")"
  token="$(curl -s "$base/v1/auth/sign-in" -H 'content-type: application/json' \
    -d "{\"user_id\":\"$user\",\"password\":\"linkage2026\",\"device_id\":\"bench\",\"device_name\":\"bench\",\"device_secret\":\"\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
  t6=$(now_ms)
  pulled=$(python3 - "$base" "$token" <<'PY'
import json, sys, urllib.request
base, token, after, n = sys.argv[1], sys.argv[2], 0, 0
while True:
    req = urllib.request.Request(f"{base}/v1/changes?after={after}&limit=500", headers={"authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    n += len(page["changes"])
    if page["changes"]:
        after = page["changes"][-1]["seq"]
    if not page["has_more"]:
        break
print(n)
PY
)
  t7=$(now_ms)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rules=$(( ops * 1000 / (t1 - t0 + 1) )); raw=$(( ops * 1000 / (t5 - t4 + 1) )); lite=$(( ops * 1000 / (t3 - t2 + 1) ))
  ratio=$(python3 -c "print(f'{$rules / max($raw, 1):.2f}')")
  printf '| %s | %s | %s ops/s (%s ms) | %s rows/s (%s ms) | %s | %s ops/s (%s ms) | %s changes in %s ms |\n' \
    "$n" "$ops" "$rules" "$((t1 - t0))" "$raw" "$((t5 - t4))" "$ratio" "$lite" "$((t3 - t2))" "$pulled" "$((t7 - t6))"
done
