#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent):
#   - JNA (Debian libjna-java) for the Kotlin binding tests on the host JVM
#   - kotlinc from the npm package `kotlin-compiler` (into .tools/node_modules)
#   - tree-sitter + tree-sitter-swift from PyPI (into .tools/venv) for the Swift syntax check
#   - schemathesis (pinned) from PyPI (into .tools/venv) for the API conformance test
#   - openapi-typescript, openapi-fetch, typescript, @types/node (pinned) from npm (into .tools/node_modules)
#     for the TypeScript client generated from the OpenAPI document
#   - a JDK and gcc if missing
#   - Maven (Debian) and the Compose desktop jars of android/host/pom.xml from Maven Central (into
#     .tools/compose/<hash of the pom>/), plus Debian's fonts-noto-cjk, for the host screen harness
#     (scripts/test-screens.sh), and Animal Sniffer with the Android API-24 signature (android/host/api24/pom.xml,
#     into .tools/api24/<hash>/) for its API-level check
#   - PostgreSQL (Debian `postgresql`) for the server tests' second run against it (scripts/pg.sh)
#   - Debian's chromium for the web console's Playwright e2e tests (scripts/test-console.sh)
#   - nasm for the x86 SIMD of libjpeg-turbo in mozjpeg-sys (photo pipeline; the
#     build falls back to portable C without it, with a cargo warning)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
[ -f /usr/share/java/jna.jar ] || need_apt+=(libjna-java)
command -v java >/dev/null || need_apt+=(default-jdk-headless)
command -v gcc >/dev/null || need_apt+=(gcc)
command -v make >/dev/null || need_apt+=(make)                      # SQLCipher's OpenSSL, built from source
perl -MFindBin -MIPC::Cmd -e1 2>/dev/null || need_apt+=(perl)     # (its Configure needs more than perl-base)
command -v nasm >/dev/null || need_apt+=(nasm)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
command -v npm >/dev/null || need_apt+=(npm)
command -v mvn >/dev/null || need_apt+=(maven)
command -v fc-match >/dev/null || need_apt+=(fontconfig)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
# PostgreSQL server binaries for the second run of the server tests (scripts/pg.sh starts a throwaway
# cluster; the Debian package's own service is not used).
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
command -v chromium >/dev/null || need_apt+=(chromium)                 # the console's e2e tests (Playwright)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$tools/node_modules/kotlin-compiler/bin/kotlinc" ]; then
  echo "setup: npm install kotlin-compiler"
  (cd "$tools" && npm install --silent --no-audit --no-fund --prefix "$tools" kotlin-compiler@2 >/dev/null)
fi

if [ ! -x "$tools/venv/bin/python" ]; then
  python3 -m venv "$tools/venv"
fi
if ! "$tools/venv/bin/python" -c "import tree_sitter, tree_sitter_swift" 2>/dev/null; then
  echo "setup: pip install tree-sitter tree-sitter-swift"
  "$tools/venv/bin/pip" install -q tree-sitter tree-sitter-swift
fi
schemathesis_version=4.32.5
if [ "$("$tools/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" != "$schemathesis_version" ]; then
  echo "setup: pip install schemathesis==$schemathesis_version"
  "$tools/venv/bin/pip" install -q "schemathesis==$schemathesis_version"
fi

ts_packages=(openapi-typescript@7.13.0 openapi-fetch@0.17.0 typescript@5.9.3 @types/node@20.19.25)
ts_ok=1
for p in "${ts_packages[@]}"; do
  name="${p%@*}" version="${p##*@}"
  [ "$(node -p "require('$tools/node_modules/$name/package.json').version" 2>/dev/null)" = "$version" ] || ts_ok=0
done
if [ "$ts_ok" = 0 ]; then
  echo "setup: npm install ${ts_packages[*]}"
  (cd "$tools" && npm install --silent --no-audit --no-fund --prefix "$tools" "${ts_packages[@]}" >/dev/null)
fi
# Compose desktop for the host screen harness: one folder per version of the pom, filled once.
compose_pom="$root/android/host/pom.xml"
compose_dir="$tools/compose/$(sha256sum "$compose_pom" | cut -c1-12)"
if [ ! -f "$compose_dir/.complete" ]; then
  echo "setup: mvn dependency:copy-dependencies (Compose desktop, android/host/pom.xml)"
  rm -rf "$compose_dir"
  mkdir -p "$tools/compose"
  mvn -B -f "$compose_pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$compose_dir" \
    >"$tools/compose/mvn.log" 2>&1 || { tail -40 "$tools/compose/mvn.log"; echo "setup: Compose desktop jars not resolved"; exit 1; }
  touch "$compose_dir/.complete"
fi
# Animal Sniffer and the Android API-24 signature for the API-level check (android/host/api24/pom.xml).
api24_pom="$root/android/host/api24/pom.xml"
api24_dir="$tools/api24/$(sha256sum "$api24_pom" | cut -c1-12)"
if [ ! -f "$api24_dir/.complete" ]; then
  echo "setup: mvn dependency:copy-dependencies (Animal Sniffer, android-api-level-24)"
  rm -rf "$api24_dir"
  mkdir -p "$tools/api24"
  mvn -B -f "$api24_pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$api24_dir" \
    >"$tools/api24/mvn.log" 2>&1 || { tail -40 "$tools/api24/mvn.log"; echo "setup: Animal Sniffer not resolved"; exit 1; }
  touch "$api24_dir/.complete"
fi
echo "setup: ok"
