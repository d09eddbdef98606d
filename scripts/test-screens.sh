#!/usr/bin/env bash
# The Android Compose screens on the host JVM (no Android SDK, no display):
#   1. build the core cdylib and generate its Kotlin bindings (as scripts/test-shells.sh does);
#   2. compile the bindings + android/shell with kotlinc, then android/app/src/screens (the app's stateless
#      screens, unchanged) + android/host (the harness) with kotlinc and its Compose compiler plugin against
#      Compose for desktop (jars resolved by scripts/setup.sh from android/host/pom.xml into .tools/compose/);
#      both jars are cached in target/screens-build/ under a hash of their inputs;
#   3. check the shell and the generated bindings (and the screens) against the Android API-24 signature
#      (minSdk) with Animal Sniffer: a reference to anything newer fails (the java.time crash on Android 7);
#   4. run the harness: every screen of every role, with the real presenters over the real core and the
#      fixture county, at font scale 1.0, 1.3 and 2.0 in zh-CN (Noto CJK), into target/screens/*.png, with the
#      checks (clipping, touch targets, text size, contrast, the core's actions on screen, one dialog per
#      action kind against the core). Any failed check fails this script.
# Usage: scripts/test-screens.sh [OUT_DIR]   (default target/screens)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" >/dev/null

target="${CARGO_TARGET_DIR:-$root/target}"
build="$target/screens-build"
out="${1:-$target/screens}"
kotlin_home="$root/.tools/node_modules/kotlin-compiler"
kotlinc="$kotlin_home/bin/kotlinc"
jna=/usr/share/java/jna.jar
compose_dir="$root/.tools/compose/$(sha256sum android/host/pom.xml | cut -c1-12)"
# Compose's jars without its older Kotlin stdlib (kotlinc's own comes first on every path below).
compose_cp="$(find "$compose_dir" -name '*.jar' ! -name 'kotlin-stdlib*' | sort | tr '\n' ':')"
stdlib="$kotlin_home/lib/kotlin-stdlib.jar"

echo "== build the core and bindgen"
cargo build -q -p linkage-core
cargo build -q -p uniffi-bindgen
lib="$target/debug/liblinkage_core.so"

echo "== generate kotlin bindings from the built library"
mkdir -p "$build"
rm -rf "$build/bindings"
"$target/debug/uniffi-bindgen" generate --no-format --library "$lib" --language kotlin --out-dir "$build/bindings" >/dev/null

# A hash of the files (and tool versions) a jar is compiled from.
hash_of() { { "$kotlinc" -version 2>&1; find "$@" -type f -name '*.kt' -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16; }

shell_jar="$build/shell-$(hash_of "$build/bindings" android/shell/src/main/kotlin).jar"
if [ ! -f "$shell_jar" ]; then
  echo "== kotlin: compile bindings + shell"
  rm -f "$build"/shell-*.jar
  "$kotlinc" -nowarn -jvm-target 17 -cp "$jna:$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar" -d "$shell_jar.tmp.jar" \
    "$build/bindings" android/shell/src/main/kotlin 2>&1 | grep -v '^warning:' || true
  [ -f "$shell_jar.tmp.jar" ] || { echo "kotlinc failed (shell)"; exit 1; }
  mv "$shell_jar.tmp.jar" "$shell_jar"
else
  echo "== kotlin: bindings + shell unchanged ($(basename "$shell_jar"))"
fi

screens_jar="$build/screens-$( { basename "$shell_jar"; basename "$compose_dir"; hash_of android/app/src/screens/kotlin android/host/src/kotlin; } | sha256sum | cut -c1-16).jar"
if [ ! -f "$screens_jar" ]; then
  echo "== kotlin + Compose plugin: compile android/app/src/screens + android/host for the desktop JVM"
  rm -f "$build"/screens-*.jar
  "$kotlinc" -nowarn -jvm-target 17 -Xplugin="$kotlin_home/lib/compose-compiler-plugin.jar" \
    -cp "$stdlib:$shell_jar:$jna:$compose_cp" -d "$screens_jar.tmp.jar" \
    android/app/src/screens/kotlin android/host/src/kotlin 2>&1 | grep -v '^warning:' || true
  [ -f "$screens_jar.tmp.jar" ] || { echo "kotlinc failed (screens)"; exit 1; }
  mv "$screens_jar.tmp.jar" "$screens_jar"
else
  echo "== kotlin: screens + harness unchanged ($(basename "$screens_jar"))"
fi

echo "== Android API 24 (minSdk): Animal Sniffer on the shell + generated bindings, and on the screens"
api24_dir="$root/.tools/api24/$(sha256sum android/host/api24/pom.xml | cut -c1-12)"
api24_cp="$(find "$api24_dir" -name '*.jar' | sort | tr '\n' ':')"
signature="$(find "$api24_dir" -name 'android-api-level-24-*.signature')"
# Libraries the APK ships are not the platform's business; everything else must be in API 24, except:
#  - Integer.compareUnsigned (Kotlin's UInt comparisons): D8 backports it for minSdk < 26 in every build;
#  - the bindings' JavaLangRefCleaner(able): UniFFI loads it only after Class.forName("java.lang.ref.Cleaner")
#    succeeds (API 33+), and uses JNA's cleaner below that.
api_check() {
  java -cp "$api24_cp" android/host/api24/ApiCheck.java "$signature" "$1" \
    --allow 'Undefined reference: int Integer\.compareUnsigned\(int, int\)$' \
    --allow '^[^:]*:cn/linkage/core/JavaLangRefClean(er|able)\.class:' \
    'kotlin.*' 'kotlinx.*' 'com.sun.jna.*' 'cn.linkage.*' 'org.jetbrains.annotations.*' 'androidx.*'
}
api_check "$shell_jar"
rm -rf "$build/api24-screens"
mkdir -p "$build/api24-screens"
(cd "$build/api24-screens" && jar xf "$screens_jar" cn/linkage/app/ui)
api_check "$build/api24-screens"

echo "== render every screen of every role at font scale 1.0 / 1.3 / 2.0 (zh-CN), with the checks"
rm -rf "$out"
mkdir -p "$out"
java -Djava.awt.headless=true -Djna.library.path="$target/debug" -Dfile.encoding=UTF-8 \
  -cp "$stdlib:$screens_jar:$shell_jar:$jna:$compose_cp" \
  cn.linkage.host.ScreensHostKt core/tests/fixtures/bundle.json "$out"
echo "screen tests: ok"
