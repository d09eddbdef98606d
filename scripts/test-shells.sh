#!/usr/bin/env bash
# Shell tests on a Linux host (no Android SDK, no Swift toolchain needed):
#   1. build the core cdylib and uniffi-bindgen, and generate Kotlin bindings from that very library into
#      target/shell/bindings (a private copy: never stale against the library, and no clash with
#      scripts/test-bindings.sh, which owns and wipes target/bindings);
#   2. compile the bindings + android/shell/src/main/kotlin + android/shell/src/test/kotlin with kotlinc;
#   3. run the shell's host tests on the JVM against the real core through JNA (fixture county);
#   4. check what else can be checked without the SDKs: the iOS Swift sources parse (tree-sitter-swift),
#      ios/build-xcframework.sh passes bash -n (and shellcheck when installed), the Android XML resources
#      are well-formed and the Gradle version catalog is valid TOML.
# Not covered here (needs the SDKs): Gradle/AGP, Compose, cargo-ndk, Xcode, the SwiftUI app. See the
# READMEs in android/ and ios/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" >/dev/null

target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/shell"
kotlin_home="$root/.tools/node_modules/kotlin-compiler"
jna=/usr/share/java/jna.jar
coroutines="$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
python="$root/.tools/venv/bin/python"

echo "== build core and bindgen"
cargo build -q -p linkage-core
cargo build -q -p uniffi-bindgen
lib="$target/debug/liblinkage_core.so"

echo "== generate kotlin bindings from the built library"
rm -rf "$out"
mkdir -p "$out"
"$target/debug/uniffi-bindgen" generate --no-format --library "$lib" --language kotlin --out-dir "$out/bindings" >/dev/null

echo "== kotlin: compile bindings + shell + shell tests"
classes="$out/classes"
"$kotlin_home/bin/kotlinc" -nowarn -cp "$jna:$kotlin_home/lib/kotlin-test.jar:$coroutines" -d "$classes" \
  "$out/bindings" android/shell/src/main/kotlin android/shell/src/test/kotlin 2>&1 | grep -v '^warning:' || true
[ -f "$classes/cn/linkage/shell/ShellHostTestsKt.class" ] || { echo "kotlinc failed"; exit 1; }

echo "== kotlin: shell host tests on the JVM (real core, fixture county)"
java -Djna.library.path="$target/debug" \
  -cp "$classes:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlin-test.jar:$coroutines" \
  cn.linkage.shell.ShellHostTestsKt core/tests/fixtures/bundle.json

echo "== swift: syntax check of ios/ (tree-sitter-swift)"
"$python" core/tests/bindings/swift/check_swift_syntax.py ios

echo "== scripts: bash -n (and shellcheck if installed)"
bash -n ios/build-xcframework.sh scripts/test-shells.sh
if command -v shellcheck >/dev/null; then
  shellcheck ios/build-xcframework.sh scripts/test-shells.sh
else
  echo "(shellcheck not installed: skipped)"
fi

echo "== android: XML resources well-formed, version catalog is TOML"
"$python" - <<'PY'
import pathlib, sys, tomllib, xml.dom.minidom
root = pathlib.Path("android")
xml_files = sorted(p for p in root.rglob("*.xml") if "build" not in p.parts)
for p in xml_files:
    xml.dom.minidom.parse(str(p))
catalog = tomllib.loads((root / "gradle/libs.versions.toml").read_text())
for section in ("versions", "libraries", "plugins"):
    if section not in catalog:
        sys.exit(f"libs.versions.toml: no [{section}]")
print(f"{len(xml_files)} XML files, {len(catalog['libraries'])} catalog libraries: ok")
PY
echo "shell tests: ok"
