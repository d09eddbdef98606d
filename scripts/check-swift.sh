#!/usr/bin/env bash
# Swift check of ios/LinkageKit and the Swift bindings generated from the built core:
#   - where a Swift toolchain exists (swiftc on PATH): `swiftc -typecheck` of the generated bindings (with
#     their C module) + ios/LinkageKit/Sources; without Combine (Linux) the small shim in ios/LinkageKit/Linux
#     is added, and files importing an Apple-only framework (Security) are left out and named;
#   - elsewhere (this project's Debian CI has no Swift toolchain): the tree-sitter-swift syntax check of the
#     same files and of ios/ (core/tests/bindings/swift/check_swift_syntax.py).
# It prints which of the two ran.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" >/dev/null

target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/swift-check"
cargo build -q -p linkage-core
cargo build -q -p uniffi-bindgen
rm -rf "$out"
mkdir -p "$out"
"$target/debug/uniffi-bindgen" generate --no-format --library "$target/debug/liblinkage_core.so" --language swift \
  --out-dir "$out/bindings" >/dev/null

if command -v swiftc >/dev/null; then
  echo "== swift: swiftc -typecheck ($(swiftc --version 2>&1 | head -1))"
  sources=()
  for f in ios/LinkageKit/Sources/LinkageKit/*.swift; do
    if grep -qE '^import (Security|UIKit|SwiftUI)$' "$f" && ! echo 'import Security' | swiftc -typecheck - 2>/dev/null; then
      echo "   left out (Apple-only framework): $f"
      continue
    fi
    sources+=("$f")
  done
  if ! echo 'import Combine' | swiftc -typecheck - 2>/dev/null; then
    echo "   no Combine here: with ios/LinkageKit/Linux/CombineShim.swift"
    sources+=(ios/LinkageKit/Linux/CombineShim.swift)
  fi
  modulemap="$(find "$out/bindings" -name '*.modulemap' | head -1)"
  swiftc -typecheck -module-name LinkageKit -I "$out/bindings" -Xcc -fmodule-map-file="$modulemap" \
    "$out"/bindings/*.swift "${sources[@]}"
  echo "swift check: swiftc -typecheck passed (${#sources[@]} LinkageKit files + the generated bindings)"
else
  echo "== swift: no Swift toolchain on this machine — tree-sitter-swift syntax check instead (not a type check)"
  "$root/.tools/venv/bin/python" core/tests/bindings/swift/check_swift_syntax.py "$out/bindings" ios
  echo "swift check: syntax only (tree-sitter-swift), swiftc not found"
fi
