#!/usr/bin/env bash
# The one test command (README, CI): installs what the tests need, then runs every Rust test in the
# workspace and the binding tests. Works on a fresh Debian machine with the Rust toolchain.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
echo "== cargo test (workspace)"
cargo test --workspace --quiet
echo "== binding tests"
"$root/scripts/test-bindings.sh"
echo "== shell tests"
"$root/scripts/test-shells.sh"
echo "all tests: ok"
