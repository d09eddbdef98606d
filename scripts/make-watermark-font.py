#!/usr/bin/env python3
"""Regenerates core/src/photo/unifont-gb2312.bin, the CJK bitmap font of the evidence watermark.

Source: GNU Unifont's glyphs, /usr/share/unifont/unifont.hex from the Debian package `unifont`
(`apt-get install unifont`; 15.0.01 when this file was made). Subset: printable ASCII plus every character of
GB 2312 (6,763 hanzi and the 682 symbols: the characters of Chinese names, villages and record kinds), 7,540
glyphs. A character outside the subset is drawn as a box (□).

Format (little endian): b"LKUF", u32 count, then `count` u32 entries sorted by code point, each
`code_point | (width_px << 24)` (width 8 or 16), then `count` bitmaps of 32 bytes: 16 rows of 2 bytes, most
significant bit leftmost (8-wide glyphs use the first byte of each row).

Licence: GNU Unifont 15 is dual-licensed: GNU GPL v2 or later with the GNU font embedding exception, or
the SIL Open Font License 1.1 (see core/src/photo/UNIFONT-LICENSE.md).

Usage: scripts/make-watermark-font.py [path/to/unifont.hex]
"""
import struct
import sys
from pathlib import Path

HEX = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unifont/unifont.hex")
OUT = Path(__file__).resolve().parent.parent / "core/src/photo/unifont-gb2312.bin"


def gb2312_chars():
    chars = set(chr(c) for c in range(0x20, 0x7F))
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def main():
    wanted = {ord(c) for c in gb2312_chars()}
    glyphs = {}
    for line in HEX.read_text().splitlines():
        cp_hex, bits = line.split(":")
        cp = int(cp_hex, 16)
        if cp not in wanted:
            continue
        raw = bytes.fromhex(bits)
        if len(raw) == 16:  # 8 x 16
            bitmap = b"".join(bytes([b, 0]) for b in raw)
            width = 8
        elif len(raw) == 32:  # 16 x 16
            bitmap = raw
            width = 16
        else:
            continue
        glyphs[cp] = (width, bitmap)
    missing = wanted - glyphs.keys()
    if missing:
        print(f"note: {len(missing)} characters have no Unifont glyph (drawn as a box)", file=sys.stderr)
    cps = sorted(glyphs)
    out = bytearray(b"LKUF")
    out += struct.pack("<I", len(cps))
    for cp in cps:
        out += struct.pack("<I", cp | (glyphs[cp][0] << 24))
    for cp in cps:
        out += glyphs[cp][1]
    OUT.write_bytes(bytes(out))
    print(f"{OUT}: {len(cps)} glyphs, {len(out)} bytes")


if __name__ == "__main__":
    main()
