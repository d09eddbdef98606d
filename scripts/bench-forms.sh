#!/usr/bin/env bash
# Form benchmark through the FFI (issue #15 point 5): the core built with the bench profile (optimised, as on a
# phone), Kotlin bindings generated from that library, core/benches/forms/FormBench.kt compiled with kotlinc
# and run on the host JVM over JNA — the same path the Android shell takes. Prints medians of several rounds:
#   - a 51-question form with skip logic, one answer re-evaluated and the page returned (target ≤ 1 ms);
#   - a household roster grown to 100 members, one answer (target ≤ 16 ms);
#   - opening that saved draft in a restarted app (target ≤ 100 ms).
# A benchmark, not a test: it fails only if the code under it fails.
# Environment: BENCH_ROUNDS (default 5); BENCH_PROFILE (default bench; `dev` for a quick look, unoptimised).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" >/dev/null

target="${CARGO_TARGET_DIR:-$root/target}"
profile="${BENCH_PROFILE:-bench}"
rounds="${BENCH_ROUNDS:-5}"
kotlin_home="$root/.tools/node_modules/kotlin-compiler"
jna=/usr/share/java/jna.jar
coroutines="$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
out="$target/form-bench"

echo "== build the core ($profile profile) and bindgen"
cargo build -q -p linkage-core --lib --profile "$profile"
cargo build -q -p uniffi-bindgen
case "$profile" in
  dev) libdir="$target/debug" ;;
  bench | release) libdir="$target/release" ;;
  *) libdir="$target/$profile" ;;
esac
lib="$libdir/liblinkage_core.so"

echo "== kotlin bindings from that library, the bench compiled with kotlinc"
rm -rf "$out"
mkdir -p "$out"
"$target/debug/uniffi-bindgen" generate --no-format --library "$lib" --language kotlin --out-dir "$out/bindings" >/dev/null
"$kotlin_home/bin/kotlinc" -nowarn -cp "$jna:$coroutines" -d "$out/classes" "$out/bindings" core/benches/forms 2>&1 | grep -v '^warning:' || true
[ -f "$out/classes/FormBenchKt.class" ] || { echo "kotlinc failed"; exit 1; }

echo "== run (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
java -Djna.library.path="$libdir" -cp "$out/classes:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$coroutines" \
  FormBenchKt core/tests/fixtures/bundle.json "$rounds"
