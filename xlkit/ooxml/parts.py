"""A workbook's package parts: xl/workbook.xml and its relationships → each sheet's part.

One way for every caller (the reader, the fast builder, the report's row splicer), read as
openpyxl reads a package: relationship targets made absolute against the folder of the part
they belong to (``worksheets/sheet1.xml`` and ``/xl/worksheets/sheet1.xml`` both name
``xl/worksheets/sheet1.xml``), a sheet without a relationship id dropped, a sheet whose part
is missing or is a chart sheet skipped, the first sheet of a name kept. Parsed with the
safe expat parser of :mod:`xlkit.ooxml.xml` (no DOCTYPE, no entities).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Container, Iterable
from typing import IO, Any, NamedTuple

from xlkit.ooxml.xml import StopParsing, feed, local_name, parser

__all__ = ["MAIN_NS", "NO_HIDDEN", "RESERVED_NAMES", "WORKBOOK", "WORKBOOK_RELS", "HiddenLines",
           "SheetParts", "Workbook", "hidden_lines", "parse_rels", "parse_workbook",
           "resolve_sheets", "sheet_parts"]

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
REL_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: Defined names that are not a field: print titles and area, a filter's range.
RESERVED_NAMES = ("_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase")

Source = bytes | IO[bytes]


class Workbook(NamedTuple):
    date1904: bool
    sheets: tuple[tuple[Any, Any, Any], ...]  # (name, relationship id, state), in order
    defined: tuple[tuple[Any, str], ...]  # global defined names but RESERVED_NAMES: (name, text)


def parse_workbook(src: Source) -> Workbook:
    """xl/workbook.xml, read by local names as openpyxl reads it."""
    p = parser()
    depth = 0
    section = ""
    date1904 = False
    sheets: list[tuple[Any, Any, Any]] = []
    defined: dict[Any, list[str]] = {}
    text: list[str] | None = None

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, section, date1904, text
        depth += 1
        if text is not None:  # an element's text is what comes before its first child
            text = None
            p.CharacterDataHandler = None
        if depth == 2:
            section = local_name(name)
            if section == "workbookPr":
                v = attrs.get("date1904")
                date1904 = bool(v) and v not in ("false", "f", "0")
        elif depth == 3:
            local = local_name(name)
            if section == "sheets" and local == "sheet":
                sheets.append((attrs.get("name"), attrs.get(REL_ID),
                               attrs.get("state", "visible")))
            elif section == "definedNames" and local == "definedName":
                int(attrs.get("localSheetId") or 0)  # not a number: damaged (openpyxl too)
                if attrs.get("localSheetId") is None and \
                        attrs.get("name") not in RESERVED_NAMES:
                    text = defined[attrs.get("name")] = []
                    p.CharacterDataHandler = text.append

    def end(name: str) -> None:
        nonlocal depth, text
        if text is not None:
            text = None
            p.CharacterDataHandler = None
        depth -= 1

    p.StartElementHandler = start
    p.EndElementHandler = end
    feed(p, src)
    return Workbook(date1904, tuple(sheets),
                    tuple((name, "".join(parts)) for name, parts in defined.items()))


def parse_rels(src: Source, part: str) -> dict[Any, tuple[Any, Any]]:
    """Relationship id → (type, target part) of the relationships part ``part`` (such as
    ``xl/_rels/workbook.xml.rels``), targets made absolute as openpyxl does."""
    found: dict[Any, tuple[Any, Any]] = {}
    folder = posixpath.split(posixpath.dirname(part))[0]

    def start(name: str, attrs: dict[str, str]) -> None:
        if local_name(name) != "Relationship":
            return
        target = attrs.get("Target")
        if attrs.get("TargetMode") != "External" and target is not None:
            target = target[1:] if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
        found[attrs.get("Id")] = (attrs.get("Type"), target)

    p = parser()
    p.StartElementHandler = start
    feed(p, src)
    return found


class SheetParts(NamedTuple):
    parts: dict[Any, str]  # sheet name -> its part (the first sheet of a name)
    states: dict[Any, Any]  # sheet name -> visible | hidden | veryHidden


def resolve_sheets(sheets: Iterable[tuple[Any, Any, Any]], rels: dict[Any, tuple[Any, Any]],
                   present: Container[str]) -> SheetParts:
    """Each sheet's part, from the workbook's sheets and its relationships; ``present``: the
    package's part names. A relationship id that is not in ``rels`` raises KeyError (a
    damaged package)."""
    parts: dict[Any, str] = {}
    states: dict[Any, Any] = {}
    for name, rid, state in sheets:
        if not rid:
            continue  # openpyxl drops it with a warning
        typ, target = rels[rid]
        if target not in present or "chartsheet" in (typ or ""):
            continue  # openpyxl skips a missing part; a chart sheet has no cells
        parts.setdefault(name, target)
        states[name] = state
    return SheetParts(parts, states)


def sheet_parts(read: Callable[[str], bytes], present: Container[str]) -> dict[Any, str]:
    """Sheet name → its part, for a package whose parts ``read`` gives by name and whose
    part names are ``present`` (``sheet_parts(z.read, z.namelist())`` for a zip)."""
    book = parse_workbook(read(WORKBOOK))
    return resolve_sheets(book.sheets, parse_rels(read(WORKBOOK_RELS), WORKBOOK_RELS),
                          present).parts


class HiddenLines(NamedTuple):
    rows: tuple[int, ...]  # hidden row numbers, in order
    cols: tuple[tuple[int, int], ...]  # hidden column ranges (first, last), 1-based


NO_HIDDEN = HiddenLines((), ())
_TRUE = frozenset(("1", "true"))


def hidden_lines(src: Source) -> HiddenLines:
    """The rows and columns a worksheet part hides (``<row hidden="1">``, ``<col min max
    hidden="1">``), by local names, up to the end of its sheetData. A part whose bytes never
    say ``hidden`` hides nothing and is not parsed."""
    if isinstance(src, bytes):
        if b"hidden" not in src:
            return NO_HIDDEN
        quick = _hidden_tags(src)
        if quick is not None:
            return quick
    rows: list[int] = []
    cols: list[tuple[int, int]] = []
    last = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal last
        local = local_name(name)
        if local == "row":
            r = attrs.get("r")
            last = int(r) if r and r.isdigit() else last + 1
            if attrs.get("hidden") in _TRUE:
                rows.append(last)
        elif local == "col" and attrs.get("hidden") in _TRUE:
            try:
                first = int(attrs.get("min", "0"))
                cols.append((first, int(attrs.get("max", first))))
            except ValueError:
                pass  # a damaged range hides nothing we can name

    def end(name: str) -> None:
        if local_name(name) == "sheetData":
            raise StopParsing

    p = parser()
    p.StartElementHandler = start
    p.EndElementHandler = end
    feed(p, src)
    return HiddenLines(tuple(rows), tuple(cols))


_HIDDEN_ATTR = re.compile(rb"hidden\s*=\s*[\"'](?:1|true)[\"']")
_ATTR = re.compile(rb"([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_NAME = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?=[\s/>])")


def _hidden_tags(src: bytes) -> HiddenLines | None:
    """:func:`hidden_lines` by looking only at the tags that say ``hidden`` — what a form
    with hidden spare rows costs instead of parsing every cell. None when a hidden row does
    not carry its number (``r``) or a tag does not read plainly: the parser decides."""
    rows: list[int] = []
    cols: list[tuple[int, int]] = []
    at = src.find(b"hidden")
    while at >= 0:  # find() runs at memory speed where a regex would step through the part
        m = _HIDDEN_ATTR.match(src, at)
        at = src.find(b"hidden", at + 6)
        if m is None or not src[m.start() - 1:m.start()].isspace():
            continue
        start = src.rfind(b"<", 0, m.start())
        name = _NAME.match(src, start)
        if start < 0 or name is None:
            return None
        local = name.group(1)
        if local not in (b"row", b"col"):
            continue  # a text or another element that happens to say hidden
        attrs = {k: (a if a is not None else b) for k, a, b in
                 _ATTR.findall(src, name.end(), src.find(b">", m.end()))}
        try:
            if local == b"row":
                rows.append(int(attrs[b"r"]))
            else:
                first = int(attrs.get(b"min", b"0"))
                cols.append((first, int(attrs.get(b"max", first))))
        except (KeyError, ValueError):
            return None
    if rows != sorted(rows):
        return None
    return HiddenLines(tuple(rows), tuple(cols))
