"""Workbook structure protection, which xlsxwriter cannot write, patched into workbook.xml."""

from __future__ import annotations

import io
import re
import zipfile


def legacy_password_hash(password: str) -> str:
    """The 16-bit hash Excel 2010, WPS and LibreOffice all accept (ECMA-376-4 §18.2.29)."""
    digest = 0
    for char in password[::-1]:
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    digest ^= len(password)
    digest ^= 0xCE4B
    return f"{digest:X}"


_ANCHOR = re.compile(rb"<workbookPr[^>]*/>|<workbookPr[^>]*>.*?</workbookPr>", re.S)


def lock_structure(xlsx: bytes, password: str) -> bytes:
    """Return ``xlsx`` with ``<workbookProtection lockStructure="1">`` added.

    CT_Workbook orders its children fileVersion, fileSharing, workbookPr, workbookProtection,
    bookViews, ...; the element goes right after workbookPr.
    """
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    book = src.read("xl/workbook.xml")
    attrs = f'workbookPassword="{legacy_password_hash(password)}" ' if password else ""
    element = f'<workbookProtection {attrs}lockStructure="1"/>'.encode()
    m = _ANCHOR.search(book)
    if not m:
        raise ValueError("workbook.xml has no workbookPr element to anchor protection")
    book = book[:m.end()] + element + book[m.end():]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = book if info.filename == "xl/workbook.xml" else src.read(info)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
