#!/usr/bin/env bash
# Builds the Rust core for iOS and packages it for LinkageKit (macOS with Xcode and rustup):
#   1. cargo build --release -p linkage-core for aarch64-apple-ios, aarch64-apple-ios-sim, x86_64-apple-ios
#      (the staticlib, liblinkage_core.a);
#   2. generates the Swift bindings (LinkageCore.swift, LinkageCoreFFI.h, LinkageCoreFFI.modulemap) with the
#      workspace's own uniffi-bindgen, so the UniFFI version always matches the core;
#   3. merges the two simulator slices with lipo and creates LinkageKit/LinkageCoreFFI.xcframework with
#      xcodebuild -create-xcframework (headers + module.modulemap);
#   4. copies LinkageCore.swift into LinkageKit/Sources/LinkageKit.
# Usage: ios/build-xcframework.sh [--debug]
set -euo pipefail

ios_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$ios_dir/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out="$ios_dir/build"
kit="$ios_dir/LinkageKit"
profile=release
cargo_profile=(--release)
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  cargo_profile=()
fi

device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)

for tool in cargo rustup xcodebuild lipo; do
  command -v "$tool" >/dev/null || { echo "build-xcframework: $tool not found (needs macOS with Xcode and rustup)" >&2; exit 1; }
done

echo "== rustup targets"
rustup target add "$device" "${simulators[@]}"

echo "== cargo build ($profile)"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.0}"
for t in "$device" "${simulators[@]}"; do
  # ${a[@]+"${a[@]}"}: an empty array under set -u on macOS bash 3.2
  (cd "$root" && cargo build ${cargo_profile[@]+"${cargo_profile[@]}"} -p linkage-core --target "$t")
done

echo "== swift bindings (workspace uniffi-bindgen)"
rm -rf "$out"
mkdir -p "$out/bindings" "$out/headers" "$out/sim"
device_lib="$target_dir/$device/$profile/liblinkage_core.a"
(cd "$root" && cargo run -q -p uniffi-bindgen -- generate --library "$device_lib" --language swift --out-dir "$out/bindings")
for f in LinkageCore.swift LinkageCoreFFI.h LinkageCoreFFI.modulemap; do
  [ -f "$out/bindings/$f" ] || { echo "build-xcframework: bindgen did not write $f" >&2; exit 1; }
done
cp "$out/bindings/LinkageCoreFFI.h" "$out/headers/"
# An xcframework's headers directory needs the module map under the name module.modulemap.
cp "$out/bindings/LinkageCoreFFI.modulemap" "$out/headers/module.modulemap"

echo "== lipo simulator slices"
sim_libs=()
for t in "${simulators[@]}"; do
  sim_libs+=("$target_dir/$t/$profile/liblinkage_core.a")
done
lipo -create "${sim_libs[@]}" -output "$out/sim/liblinkage_core.a"

echo "== xcodebuild -create-xcframework"
rm -rf "$kit/LinkageCoreFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$device_lib" -headers "$out/headers" \
  -library "$out/sim/liblinkage_core.a" -headers "$out/headers" \
  -output "$kit/LinkageCoreFFI.xcframework"

echo "== copy LinkageCore.swift into LinkageKit"
cp "$out/bindings/LinkageCore.swift" "$kit/Sources/LinkageKit/LinkageCore.swift"

echo "build-xcframework: ok ($kit/LinkageCoreFFI.xcframework)"
