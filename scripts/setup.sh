#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent):
#   - JNA (Debian libjna-java) for the Kotlin binding tests on the host JVM
#   - kotlinc from the npm package `kotlin-compiler` (into .tools/node_modules)
#   - tree-sitter + tree-sitter-swift from PyPI (into .tools/venv) for the Swift syntax check
#   - a JDK and gcc if missing
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
command -v nasm >/dev/null || need_apt+=(nasm)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
command -v npm >/dev/null || need_apt+=(npm)
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
echo "setup: ok"
