#!/usr/bin/env bash
# Benchmarks the photo evidence pipeline against libvips on a 12 MP camera-like JPEG.
#
# Measures, for one 4000x3000 q90 JPEG -> 1600px q80 JPEG + 320px q80 thumbnail:
#   1. ours      : the `evidence` example, in-process median over N iterations
#                  (start-up excluded; includes hashing, atomic write and fsync)
#   2. pyvips    : libvips in-process (PyPI pyvips + pyvips-binary), median over N
#   3. vipsthumbnail CLI (Debian libvips-tools), one process per photo (start-up included)
# and prints ms/photo, peak RSS and output bytes, plus the ratio ours/pyvips.
# Targets: ratio <= 0.8, our peak RSS <= 40 MB.
#
# Environment:
#   EVIDENCE_CMD      command prefix running the example, args appended
#                     (default: cargo run --release -q -p linkage-core --example evidence --)
#   BENCH_ITERATIONS  in-process iterations per round (default 10)
#   BENCH_ROUNDS      rounds; ours and pyvips alternate and the best median per
#                     pipeline is kept, so a noisy neighbour on the CPU hurts less (default 3)
#   BENCH_TOOLS_DIR   where the Python venv lives (default: <repo>/.tools)
#   BENCH_WORK_DIR    scratch dir for the input and outputs (default: a fresh temp dir)
#   BENCH_INSTALL     set to 0 to never apt-get/pip install anything
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="${BENCH_TOOLS_DIR:-$root/.tools}"
venv="$tools/bench-venv"
iterations="${BENCH_ITERATIONS:-10}"
rounds="${BENCH_ROUNDS:-3}"
install="${BENCH_INSTALL:-1}"
read -r -a evidence_cmd <<< "${EVIDENCE_CMD:-cargo run --release -q -p linkage-core --example evidence --}"
work="${BENCH_WORK_DIR:-$(mktemp -d)}"
mkdir -p "$work"
py="$venv/bin/python"

# --- tools ---------------------------------------------------------------
if ! "$py" -c "import numpy, PIL, pyvips" 2>/dev/null; then
  [ "$install" = 1 ] || { echo "bench: missing $venv with numpy/pillow/pyvips" >&2; exit 1; }
  echo "bench: installing numpy pillow pyvips pyvips-binary into $venv"
  mkdir -p "$tools"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy pillow pyvips pyvips-binary
fi
if ! command -v vipsthumbnail >/dev/null && [ "$install" = 1 ] && [ "$(id -u)" = 0 ]; then
  echo "bench: apt-get install libvips-tools"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools >/dev/null) \
    || echo "bench: could not install libvips-tools"
fi

# --- input: deterministic 12 MP camera-like JPEG at q90 ---------------------
input="$work/camera-12mp.jpg"
"$py" - "$input" <<'PY'
import sys
import numpy as np
from PIL import Image

w, h = 4000, 3000
rng = np.random.default_rng(20261123)
y, x = np.mgrid[0:h, 0:w].astype(np.float32)
# Sky-to-ground gradient, soft low-frequency "objects", mid-frequency texture, sensor noise.
base = np.stack([
    90 + 80 * (y / h) + 30 * np.sin(x / 310.0),
    120 + 60 * np.cos(y / 420.0) * np.sin(x / 530.0),
    170 - 90 * (y / h) + 25 * np.cos((x + y) / 260.0),
], axis=-1)
for _ in range(40):
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = rng.uniform(80, 600)
    col = rng.uniform(-70, 70, size=3).astype(np.float32)
    blob = np.exp(-(((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r)))
    base += blob[..., None] * col
texture = 12 * np.sin(x / 3.7) * np.sin(y / 5.3) * (y > h * 0.55)
base += texture[..., None]
base += rng.normal(0, 6, size=(h, w, 1)).astype(np.float32)  # luma noise
base += rng.normal(0, 3, size=(h, w, 3)).astype(np.float32)  # chroma noise
img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
img.save(sys.argv[1], "JPEG", quality=90)
PY
in_bytes=$(stat -c %s "$input")
echo "bench: input $input (4000x3000, q90, $in_bytes bytes); iterations=$iterations, rounds=$rounds"

# --- ours -------------------------------------------------------------------
echo "bench: building/running ours: ${evidence_cmd[*]}"
ours_out="$work/ours"
ours_log="$work/ours.txt"
ours_round() {
  rm -rf "$ours_out"
  "${evidence_cmd[@]}" "$input" "$ours_out" --iterations "$iterations" > "$ours_log"
  awk '/^elapsed_ms:/ {print $2}' "$ours_log"
}
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (b == "" || a + 0 < b + 0) ? a : b}'; }
ours_round >/dev/null # build + warm-up
ours_ms=""
ours_rss_multi_kb=$(awk '/^peak_rss_kb:/ {print $2}' "$ours_log")
# Peak RSS of a fresh process handling one photo (the first photo of a session).
rm -rf "$ours_out"
"${evidence_cmd[@]}" "$input" "$ours_out" > "$work/ours-single.txt"
ours_rss_kb=$(awk '/^peak_rss_kb:/ {print $2}' "$work/ours-single.txt")
ours_bytes=$(awk '/^bytes:/ {print $2}' "$ours_log")
ours_thumb_bytes=$(awk '/^thumb_bytes:/ {print $2}' "$ours_log")
ours_dims=$(awk '/^dimensions:/ {print $2}' "$ours_log")

# --- pyvips (in-process) ----------------------------------------------------
pyvips_run() { # $1 = VIPS_CONCURRENCY ("" = libvips default)
  VIPS_CONCURRENCY="$1" "$py" - "$input" "$work/pyvips" "$iterations" <<'PY'
import os, resource, statistics, sys, time, warnings
warnings.simplefilter("ignore")
import pyvips

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
pyvips.cache_set_max(0)  # no operation cache: every iteration really decodes
main, thumb = os.path.join(out, "main.jpg"), os.path.join(out, "thumb.jpg")
times = []
for _ in range(n):
    t0 = time.perf_counter()
    im = pyvips.Image.thumbnail(src, 1600).copy_memory()  # shrink-on-load, decoded once
    im.jpegsave(main, Q=80, strip=True)
    im.thumbnail_image(320).jpegsave(thumb, Q=80, strip=True)
    times.append((time.perf_counter() - t0) * 1000)
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{statistics.median(times):.1f} {rss_kb} {os.path.getsize(main)} {os.path.getsize(thumb)} {im.width}x{im.height} {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}")
PY
}
vips_ms=""; vips1_ms=""
for round in $(seq "$rounds"); do
  ours_ms=$(min "$(ours_round)" "$ours_ms")
  read -r ms vips_rss_kb vips_bytes vips_thumb_bytes vips_dims vips_version <<< "$(pyvips_run "")"
  vips_ms=$(min "$ms" "$vips_ms")
  read -r ms vips1_rss_kb _ _ _ _ <<< "$(pyvips_run 1)"
  vips1_ms=$(min "$ms" "$vips1_ms")
  echo "bench: round $round/$rounds: ours $ours_ms ms, pyvips $vips_ms ms, pyvips(1 thread) $vips1_ms ms (best so far)"
done
py_base_kb=$("$py" -c "import resource, pyvips; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")

# --- vipsthumbnail CLI ------------------------------------------------------
cli_line="vipsthumbnail: not available (install Debian libvips-tools)"
if command -v vipsthumbnail >/dev/null; then
  cli_out="$work/cli"
  mkdir -p "$cli_out"
  cli_runs=$(( iterations < 5 ? iterations : 5 ))
  max_rss=0
  start=$(date +%s%N)
  for _ in $(seq "$cli_runs"); do
    for step in "$input:1600:main" "$cli_out/main.jpg:320:thumb"; do
      IFS=: read -r src size name <<< "$step"
      rss=$(/usr/bin/time -f %M vipsthumbnail "$src" -s "$size" -o "$cli_out/$name.jpg[Q=80,strip]" 2>&1 >/dev/null | tail -1)
      [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    done
  done
  end=$(date +%s%N)
  cli_ms=$(awk -v a="$start" -v b="$end" -v n="$cli_runs" 'BEGIN {printf "%.1f", (b - a) / 1e6 / n}')
  cli_line=$(printf "%-28s %9s ms %9s MB %9s B %9s B  (%s, 2 processes/photo, start-up included)" \
    "vipsthumbnail CLI" "$cli_ms" "$(awk -v k="$max_rss" 'BEGIN {printf "%.1f", k / 1024}')" \
    "$(stat -c %s "$cli_out/main.jpg")" "$(stat -c %s "$cli_out/thumb.jpg")" "$(vipsthumbnail --vips-version 2>/dev/null | head -1)")
fi

# --- report -----------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo
printf "%-28s %12s %12s %11s %11s\n" "pipeline" "ms/photo" "peak RSS" "main" "thumb"
printf "%-28s %9s ms %9s MB %9s B %9s B  (%s, libjpeg-turbo decode + resize/encode helper threads)\n" "ours (in-process)" "$ours_ms" "$(mb "$ours_rss_kb")" "$ours_bytes" "$ours_thumb_bytes" "$ours_dims"
printf "%-28s %9s ms %9s MB %9s B %9s B  (%s, libvips %s, default threads; python+pyvips alone %s MB)\n" "pyvips (in-process)" "$vips_ms" "$(mb "$vips_rss_kb")" "$vips_bytes" "$vips_thumb_bytes" "$vips_dims" "$vips_version" "$(mb "$py_base_kb")"
printf "%-28s %9s ms %9s MB\n" "pyvips VIPS_CONCURRENCY=1" "$vips1_ms" "$(mb "$vips1_rss_kb")"
echo "$cli_line"
echo
ratio=$(awk -v a="$ours_ms" -v b="$vips_ms" 'BEGIN {printf "%.2f", a / b}')
ratio1=$(awk -v a="$ours_ms" -v b="$vips1_ms" 'BEGIN {printf "%.2f", a / b}')
echo "ratio ours/pyvips: $ratio (target <= 0.80); vs single-threaded libvips: $ratio1"
echo "ours peak RSS: $(mb "$ours_rss_kb") MB for one photo in a fresh process, $(mb "$ours_rss_multi_kb") MB over $iterations photos in one process (target <= 40 MB)"
verdict=ok
awk -v r="$ratio" 'BEGIN {exit !(r <= 0.8)}' || verdict="MISSED speed target"
[ "$ours_rss_multi_kb" -le $((40 * 1024)) ] || verdict="$verdict; MISSED memory target"
echo "bench: $verdict"
