#!/usr/bin/env bash
# Shell tests on a Linux host (no Android SDK, no Swift toolchain needed):
#   1. build the core cdylib and uniffi-bindgen, and generate Kotlin bindings from that very library into
#      target/shell/bindings (a private copy: never stale against the library, and no clash with
#      scripts/test-bindings.sh, which owns and wipes target/bindings);
#   2. compile the bindings + android/shell/src/main/kotlin + android/shell/src/test/kotlin with kotlinc;
#   3. run the shell's host tests on the JVM against the real core through JNA (fixture county), and, against a
#      small demo county served by `linkage-server demo` on a loopback port, phones that sync with each other
#      (a colleague's photo opened after sync, a throwing sync observer);
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

echo "== build core, bindgen and the server"
cargo build -q -p linkage-core
cargo build -q -p uniffi-bindgen
cargo build -q -p linkage-server
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

echo "== demo server on loopback (a small synthetic county) for the phone-to-phone host tests"
demo_dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$target/debug/linkage-server" demo --data-dir "$demo_dir" --listen "127.0.0.1:$port" --households 300 >"$demo_dir/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$demo_dir"' EXIT
for _ in $(seq 1 300); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/openapi.json', timeout=1)" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$demo_dir/server.log"; echo "demo server failed to start"; exit 1; }
  sleep 0.2
done

# A newcomer with an initial password (must be changed at the first sign-in), added while the server runs.
printf 'initial-Pass-1\n' | "$target/debug/linkage-server" user add --data-dir "$demo_dir" --id gw-new --name 新网格员 \
  --role grid_worker --node hl-t1-b1 --password-stdin >/dev/null

# The fixture county (core/tests/fixtures/bundle.json, the county of the Rust phone <-> server tests) as a server
# data directory: its nodes and households imported from CSV, its users (and a branch secretary `bs` at b1) added
# with an initial password. The day tests copy it and start `linkage-server serve` on it, one server per day.
county_dir="$demo_dir/fixture-county"
mkdir -p "$county_dir"
python3 - core/tests/fixtures/bundle.json "$county_dir" <<'PY'
import csv, json, sys
bundle, out = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2]
with open(f"{out}/nodes.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "parent_id", "level", "name", "code", "boundary"])
    for n in bundle["nodes"]:
        w.writerow([n["id"], n.get("parent_id") or "", n["level"], n["name"], n["code"],
                    ";".join(f"{lat} {lon}" for lat, lon in n.get("boundary", []))])
with open(f"{out}/households.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "group_id", "head_name", "members", "phone", "id_number", "address", "lat", "lon", "tags",
                "risk_level", "county_contact"])
    for h in bundle["households"]:
        w.writerow([h["id"], h["group_id"], h["head_name"], h["members"], h.get("phone") or "", h.get("id_number") or "",
                    h["address"], h.get("lat", ""), h.get("lon", ""), ";".join(h.get("tags", [])), h["risk_level"],
                    "1" if h.get("county_contact") else "0"])
users = bundle["users"] + [{"id": "bs", "name": "村支书", "role": "branch_secretary", "node_id": "b1"}]
with open(f"{out}/users.tsv", "w", encoding="utf-8") as f:
    f.writelines(f"{u['id']}\t{u['name']}\t{u['role']}\t{u['node_id']}\n" for u in users)
PY
"$target/debug/linkage-server" import --data-dir "$county_dir/data" --nodes "$county_dir/nodes.csv" \
  --households "$county_dir/households.csv" >/dev/null
while IFS=$'\t' read -r id name role node; do
  printf '初始口令-2026a\n' | "$target/debug/linkage-server" user add --data-dir "$county_dir/data" --id "$id" --name "$name" \
    --role "$role" --node "$node" --password-stdin >/dev/null
done <"$county_dir/users.tsv"

echo "== kotlin: shell host tests on the JVM (real core, fixture county, demo server, a server per day)"
java -Djna.library.path="$target/debug" -Dlinkage.server="http://127.0.0.1:$port" \
  -Dlinkage.serverBin="$target/debug/linkage-server" -Dlinkage.countyData="$county_dir/data" \
  -cp "$classes:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlin-test.jar:$coroutines" \
  cn.linkage.shell.ShellHostTestsKt core/tests/fixtures/bundle.json "http://127.0.0.1:$port"

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
