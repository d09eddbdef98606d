#!/usr/bin/env bash
# Sync throughput and wire size over loopback, ours against a raw axum + SQLite insert loop of the same
# records measured in the same run (see tests/benches/sync.rs for what each side does).
#   LINKAGE_BENCH_OPS     operations to push and changes to pull (default 100000)
#   LINKAGE_BENCH_ROUNDS  rounds of raw then ours on fresh databases; medians and spread reported (default 5)
# Prints ops/s for push and pull, the ratio ours/raw (target >= 0.5) and wire bytes per op, compressed vs
# raw JSON (target <= 1/6).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p integration-tests --bench sync
