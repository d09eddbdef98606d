#!/usr/bin/env bash
# Measures benchmark (issue #5): a 20,000-household demo county with 100k issues seeded through the server's
# op path, then the county's quarter and one township timed. LINKAGE_BENCH_ISSUES=10000 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p linkage-server --bench measures "$@"
