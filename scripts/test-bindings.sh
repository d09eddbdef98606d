#!/usr/bin/env bash
# Binding tests on a Linux host (no Android/iOS SDK needed):
#   1. build the core cdylib and the uniffi-bindgen binary (separate builds, one shared target dir);
#   2. generate Kotlin and Swift bindings from the built library;
#   3. compile the Kotlin bindings + core/tests/bindings/kotlin with kotlinc and run them on the host JVM
#      against the real core through JNA;
#   4. syntax-check the generated Swift and the iOS shell sources with tree-sitter-swift;
#   5. check the generated C header with gcc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" >/dev/null

target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/bindings"
kotlin_home="$root/.tools/node_modules/kotlin-compiler"
jna=/usr/share/java/jna.jar

echo "== build core and bindgen"
cargo build -q -p linkage-core
cargo build -q -p uniffi-bindgen
lib="$target/debug/liblinkage_core.so"

echo "== generate bindings"
rm -rf "$out"
"$target/debug/uniffi-bindgen" generate --no-format --library "$lib" --language kotlin --out-dir "$out/kotlin" >/dev/null
"$target/debug/uniffi-bindgen" generate --no-format --library "$lib" --language swift --out-dir "$out/swift" >/dev/null

echo "== kotlin: compile and run on the host JVM"
classes="$out/kotlin-classes"
coroutines="$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
"$kotlin_home/bin/kotlinc" -nowarn -cp "$jna:$kotlin_home/lib/kotlin-test.jar:$coroutines" -d "$classes" \
  "$out/kotlin" core/tests/bindings/kotlin 2>&1 | grep -v '^warning:' || true
[ -f "$classes/BindingStoryTestKt.class" ] || { echo "kotlinc failed"; exit 1; }
java -Djna.library.path="$target/debug" \
  -cp "$classes:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlin-test.jar:$coroutines" \
  BindingStoryTestKt core/tests/fixtures/bundle.json

echo "== swift: syntax check (tree-sitter-swift)"
swift_sources=("$out/swift")
[ -d ios ] && swift_sources+=(ios)
check_swift() { "$root/.tools/venv/bin/python" core/tests/bindings/swift/check_swift_syntax.py "$@"; }
check_swift "${swift_sources[@]}"
# The checker must be able to fail: a broken file is refused.
printf 'struct Broken {\n    func f( -> Int { 1 }\n' > "$out/broken.swift"
if check_swift "$out/broken.swift" >/dev/null; then echo "swift checker accepted a broken file"; exit 1; fi

echo "== C header: gcc"
gcc -fsyntax-only -Wall -Werror -D_Nonnull= -D_Nullable= -D_Null_unspecified= \
  -I "$out/swift" core/tests/bindings/header_check.c
echo "binding tests: ok"
