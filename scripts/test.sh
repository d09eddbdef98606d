#!/usr/bin/env bash
# The one test command (README, CI): installs what the tests need, then runs every Rust test in the
# workspace, the server API tests and the phone ↔ server tests a second time on PostgreSQL (scripts/pg.sh), the
# binding tests, the shell tests, the Android screens rendered and checked on the host JVM, the API
# conformance test (schemathesis against a real
# server, every role) and the TypeScript client test (generated from the OpenAPI document, against a real
# server) and the web console's tests (Vitest, Playwright with headless Chromium). Works on a fresh Debian machine (installs the Rust
# toolchain too when it is missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/rust-toolchain.sh"
"$root/scripts/setup.sh"
echo "== cargo test (workspace)"
cargo test --workspace --quiet
echo "== the server API tests again, on PostgreSQL (a throwaway cluster)"
pgdir="$(mktemp -d)"
trap '"$root/scripts/pg.sh" stop "$pgdir/pg"; rm -rf "$pgdir"' EXIT
pg_url="$("$root/scripts/pg.sh" start "$pgdir/pg")"
export LINKAGE_TEST_DATABASE="$pg_url"
# Every API test, the console's included (its reads are portable: ADR 0016).
cargo test --quiet -p linkage-server --test api
echo "== the phone ↔ server tests again, on PostgreSQL (each server on a database of its own; several servers)"
# The modules without a server (the phone alone on its file) ran above; they would only repeat themselves.
cargo test --quiet -p integration-tests --test integration -- --skip drafts:: --skip households:: --skip issues:: --skip robustness::
unset LINKAGE_TEST_DATABASE
"$root/scripts/pg.sh" stop "$pgdir/pg"
echo "== binding tests"
"$root/scripts/test-bindings.sh"
echo "== shell tests"
"$root/scripts/test-shells.sh"
echo "== Android screens rendered on the host JVM (Compose desktop), with the checks"
"$root/scripts/test-screens.sh"
echo "== Swift: swiftc -typecheck where a toolchain exists, else the tree-sitter syntax check"
"$root/scripts/check-swift.sh"
echo "== API conformance (schemathesis, every role)"
"$root/scripts/test-api-conformance.sh"
echo "== TypeScript client generated from the OpenAPI document"
"$root/scripts/test-ts-client.sh"
echo "== web console: Vitest and Playwright e2e (headless Chromium against a real server)"
"$root/scripts/test-console.sh"
echo "all tests: ok"
