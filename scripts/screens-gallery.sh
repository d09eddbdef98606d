#!/usr/bin/env bash
# Regenerates the images of docs/screens.md: renders every screen with scripts/test-screens.sh (checks
# included), then copies a handful at half size (360 px wide, cut at 900 px) into docs/screens/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
renders="${CARGO_TARGET_DIR:-$root/target}/screens"
"$root/scripts/test-screens.sh" "$renders"
rm -f docs/screens/*.png
java android/host/Gallery.java "$renders" docs/screens 900 \
  gw-home@1.0 lh-home@1.0 ts-home@1.0 cs-home@1.0 \
  gw-visit@1.0 ts-issue@1.0 cs-issue@2.0 lh-directive@1.0 dialog-supervise@1.0 lights@1.0 \
  bs-home@1.0 bs-verify@1.0
