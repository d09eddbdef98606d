#!/usr/bin/env bash
# The web console's tests: `npm ci` when needed, the type-checked production build (console/dist), Vitest for
# the client's logic, then the Playwright end-to-end specs (console/e2e/): Debian's Chromium, headless, against
# a real `linkage-server demo` on a free loopback port with a temporary data dir (console/e2e/global-setup.ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/rust-toolchain.sh"
command -v chromium >/dev/null && command -v npm >/dev/null || "$root/scripts/setup.sh"
echo "== console: build linkage-server and the test phone (a real phone core for the specs, console/e2e/README.md)"
cargo build --quiet -p linkage-server
cargo build --quiet -p integration-tests --bin phone
cd "$root/console"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "== console: npm ci"
  npm ci --no-audit --no-fund --loglevel=error && touch node_modules
fi
echo "== console: vue-tsc + vite build"
npm run --silent build >/dev/null
echo "== console: vitest"
npx vitest run
echo "== console: Playwright e2e (Chromium $(chromium --version 2>/dev/null | awk '{print $2}'), headless)"
npx playwright test
echo "console tests: ok"
