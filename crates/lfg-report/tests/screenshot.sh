#!/usr/bin/env bash
# Render the fixture report, screenshot index.html with headless Chromium (Debian package
# `chromium`), and check that the screenshot is not blank.
#
#   crates/lfg-report/tests/screenshot.sh [out-dir]
#
# Needs: cargo, chromium (apt-get install -y chromium), python3 (standard library only).
# Exit status: 0 ok, 1 check failed, 77 chromium missing (skip; fails instead when CI=true).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../../.." && pwd)"
out="${1:-${CARGO_TARGET_DIR:-$repo/target}/lfg-report-screenshot}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "screenshot.sh: chromium not found (apt-get install -y chromium)" >&2
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  exit 77
fi

cd "$repo"
cargo run --quiet -p lfg-report --example render_fixture -- "$out/report" >/dev/null

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
shot="$out/screenshot.png"
rm -f "$shot"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$shot" --window-size=1280,2000 "file://$out/report/index.html" >/dev/null 2>&1 || true

python3 - "$shot" <<'PY'
import struct, sys, zlib

path = sys.argv[1]
try:
    data = open(path, "rb").read()
except OSError as e:
    sys.exit(f"screenshot.sh: no screenshot written: {e}")
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("screenshot.sh: not a PNG")
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        if depth != 8 or ctype not in (2, 6):
            sys.exit(f"screenshot.sh: unexpected PNG format depth={depth} color={ctype}")
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
values = []
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        values.extend(line[0:stride:bpp * 4])
n = len(values)
mean = sum(values) / n
var = sum((v - mean) ** 2 for v in values) / n
dark = sum(1 for v in values if v < 128) / n
print(f"screenshot {width}x{height}: mean {mean:.1f}, variance {var:.1f}, dark fraction {dark:.3f}")
if width != 1280 or height != 2000:
    sys.exit("screenshot.sh: unexpected screenshot size")
if var < 200 or dark < 0.005:
    sys.exit("screenshot.sh: screenshot looks blank")
PY
echo "screenshot.sh: ok ($shot)"
