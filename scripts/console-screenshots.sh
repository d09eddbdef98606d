#!/usr/bin/env bash
# The web console's gallery (docs/console.md): builds the server and the console, starts a demo county with
# 20,000 households on a free loopback port, and has headless Chromium (Debian's) save the dashboard, the map and
# the ledger at 1366×768 into docs/ (console-dashboard.png, console-map.png, console-dashboard-township.png,
# console-households.png, console-household.png); then the directive's page (console-directive.png) from the
# directive spec on the specs' smaller demo county (it needs the test phone: integration-tests' `phone`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/rust-toolchain.sh"
command -v chromium >/dev/null || "$root/scripts/setup.sh"
cargo build --quiet -p linkage-server
cargo build --quiet -p integration-tests --bin phone
cd console
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent build >/dev/null
SCREENSHOTS="$root/docs" E2E_HOUSEHOLDS="${E2E_HOUSEHOLDS:-20000}" npx playwright test e2e/screenshots.spec.ts
SCREENSHOTS="$root/docs" npx playwright test e2e/directives.spec.ts -g 'issue a directive'
ls -l "$root"/docs/console-*.png
