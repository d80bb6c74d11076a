"""Make the CJK font the charts bundle: Noto Sans CJK SC subset to the characters charts need.

    python tools/make_cjk_font.py [--source NotoSansCJK-Regular.ttc] [--charset gbk|gb2312]

Reads Noto Sans CJK SC Regular (SIL OFL 1.1; Debian's fonts-noto-cjk puts it at
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, face 2 of the collection) and keeps
ASCII, Latin-1, general punctuation, the arrows and maths signs reports use, CJK punctuation,
full-width forms and every character of the chosen charset (GB2312 by default: 6,763 汉字,
3.0 MB; GBK's 21,000 would make it 9.4 MB — a character outside it falls back to an installed
CJK font, see xlkit/docs/charts.py). Hinting is dropped (charts are drawn at
150 dpi). The family is renamed "Xlkit Noto Sans SC" (a Modified Version under the OFL; it
also never collides with an installed Noto Sans CJK SC). Writes
xlkit/docs/fonts/XlkitNotoSansSC-Regular.otf and prints its size and character count.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = Path(__file__).resolve().parent.parent / "xlkit" / "docs" / "fonts" / \
    "XlkitNotoSansSC-Regular.otf"
FAMILY = "Xlkit Noto Sans SC"
FACE_SC = "Noto Sans CJK SC"
#: always kept, whatever the charset: (first, last) code points
RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x214F), (0x2190, 0x21FF),
          (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF),
          (0x3000, 0x303F), (0xFF00, 0xFFEF))


def charset(name: str) -> set[int]:
    """Every character the double-byte charset ``name`` (gbk or gb2312) encodes."""
    first, second = ((0x81, 0xFE), (0x40, 0xFE)) if name == "gbk" else ((0xA1, 0xF7), (0xA1, 0xFE))
    out: set[int] = set()
    for b1 in range(first[0], first[1] + 1):
        for b2 in range(second[0], second[1] + 1):
            if b2 == 0x7F:
                continue
            try:
                ch = bytes((b1, b2)).decode(name)
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.add(ord(ch))
    return out


def wanted(name: str) -> set[int]:
    chars = charset(name)
    for lo, hi in RANGES:
        chars.update(range(lo, hi + 1))
    return chars


def sc_face(source: Path):
    collection = TTCollection(str(source))
    for font in collection.fonts:
        if font["name"].getDebugName(1) == FACE_SC:
            return font
    raise SystemExit(f"{source} has no face {FACE_SC}")


def rename(font, family: str) -> None:
    """Family, full and PostScript names say it is the subset (OFL: a Modified Version)."""
    postscript = family.replace(" ", "") + "-Regular"
    names = {1: family, 3: f"{postscript};xlkit subset", 4: f"{family} Regular", 6: postscript,
             16: family, 17: "Regular"}
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.removeNames(nameID=record.nameID)
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)
        table.setName(text, name_id, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{family} Regular", family


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--charset", choices=("gbk", "gb2312"), default="gb2312")
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args()
    font = sc_face(args.source)
    available = set(font.getBestCmap())
    keep = wanted(args.charset) & available
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(keep))
    subsetter.subset(font)
    rename(font, FAMILY)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(args.out))
    size = args.out.stat().st_size
    print(f"{args.out}: {len(keep)} characters ({args.charset}), {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
