"""The fast path: a returned .xlsx read straight from its zip with a streaming XML parser.

``ZipXmlSource`` answers the same questions as :class:`~xlkit.read.source.OpenpyxlSource`
and gives the same answers (the reader's tables and findings are identical; the tests compare
the two on every sample, a random corpus, LibreOffice saves and the hostile corpus), at a
fraction of the cost: the zip is opened once, only the parts a question needs are parsed, and
a worksheet is parsed once, for formulas and cached values together, up to its last needed row.

Where openpyxl's reading is followed on purpose, so that the two paths agree:

- a number is ``int`` when its text has no ``.``/``e``/``E``, else ``float``; a number in a
  date-formatted cell becomes a ``datetime`` (openpyxl's own conversion is used);
- shared strings are the concatenated text runs with ``x005F_`` removed; inline strings are
  the concatenated runs as written;
- a shared formula's dependent cells get the master formula translated to their position;
- a text cell whose text starts with ``=`` counts as a formula;
- rows numbered below a row already seen are skipped, the scan stops at the first row past
  the last one needed, every child of a row is a cell;
- workbook, relationships, styles and core properties are read by local name, sheet data and
  shared strings only in the SpreadsheetML namespace.

Where it differs on purpose: a number format counts as a percentage only when its ``%`` is
outside quotes and escapes (``0"%"`` shows a typed 95 as "95%" without scaling it); a
workbook without ``dcterms:modified`` has no save time (openpyxl invents "now"); parts that
openpyxl would choke on but that are not needed (a chart sheet, an unused style) are not read.

A worksheet written in the spellings every common writer uses (Excel, WPS, LibreOffice,
openpyxl, xlsxwriter: ``<row r=..>``, ``<c r="B7" s=".." t="..">`` with ``<f>``, ``<v>`` or
``<is><t>``, no whitespace between tags) is read by ``_quick_scan`` with one regular expression
that must cover its <sheetData> token by token, instead of expat with Python handlers (half the
time). What expat would check there is checked on the bytes: well-formed UTF-8, no control
character, carriage return, character reference, ``]]>``, U+FFFE/U+FFFF, valid row attribute
names with bound prefixes, no namespace declaration; everything before <sheetData> still goes
through expat. Anything else (prefixed or unknown elements, comments, shared formulas, cells
without ``r``, another encoding, rich inline text ...) makes the shortcut step aside and expat
reads the sheet, so the rows are always expat's (the tests hold the two against each other on
every sample and on randomly damaged sheets). It is stricter than it need be in one place:
it looks at the whole of <sheetData> for those characters, so such a character after the last
needed row sends the sheet to expat, which does not look there (the result is the same).

Every XML part goes through expat with any DOCTYPE refused, so no entity can be declared, let
alone expanded, and parameter entities off; anything damaged becomes ``InputError`` (code
``file.corrupt``, or ``file.xml_unsafe`` for a DOCTYPE). openpyxl's small helpers are used
(number format tests, Excel dates, cell references, formula translation), its reader is not.

``load`` keeps only the cells asked for (a label between them costs next to nothing), and the
parsed workbook, relationships, styles, content types, shared strings and core properties
parts are kept by content digest (a few dozen, each of a part under 256 KB): returns issued
from one template share them, so a batch parses each variant once.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.parsers import expat

from xlkit.core.cache import BoundedCache
from xlkit.core.meta import META_SHEET
from xlkit.findings import InputError
from xlkit.ooxml.errors import damage_reason
from xlkit.ooxml.parts import (
    MAIN_NS,
    NO_HIDDEN,
    WORKBOOK,
    WORKBOOK_RELS,
    HiddenLines,
    hidden_lines,
    parse_rels,
    parse_workbook,
    resolve_sheets,
)
from xlkit.ooxml.xml import StopParsing, UnsafeXML, feed, local_name, parser
from xlkit.ooxml.zip import read_bounded
from xlkit.read.source import RawCell, split_ref

SHARED_STRINGS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CORE = "docProps/core.xml"
STYLES = "xl/styles.xml"
CONTENT_TYPES = "[Content_Types].xml"
META_MAX_ROW = 1000  # as OpenpyxlSource.meta_rows
CACHE_PART_BYTES = 256 << 10  # larger parts are streamed and not kept
CACHE_ENTRIES = 64

_ROW = MAIN_NS + "}row"
_SHEET_DATA = MAIN_NS + "}sheetData"
_F = MAIN_NS + "}f"
_V = MAIN_NS + "}v"
_IS = MAIN_NS + "}is"
_SI = MAIN_NS + "}si"

_SIMPLE_COORD = re.compile(r"([A-Za-z]{1,3})([0-9]+)")
# "b7" -> (7, 2, "B7"), shared by every file
_COORDS: BoundedCache[str, tuple[int, int, str]] = BoundedCache(200_000)
_LETTERS: dict[int, str] = {}
# (what, digest of the part) -> parsed, immutable
_PARSED: BoundedCache[tuple[str, bytes], Any] = BoundedCache(CACHE_ENTRIES)
_LAST: dict[str, tuple[bytes, Any]] = {}  # what -> (the last such part, parsed)


def _column_letter(col: int) -> str:
    s = _LETTERS.get(col)
    if s is None:
        from openpyxl.utils.cell import get_column_letter

        s = _LETTERS[col] = get_column_letter(col)
    return s


def _coord(text: str) -> tuple[int, int, str]:
    """``"B7"`` → (7, 2, "B7"), read as openpyxl reads a cell reference (and failing where
    it fails)."""
    hit = _COORDS.get(text)
    if hit is not None:
        return hit
    m = _SIMPLE_COORD.fullmatch(text)
    if m:
        letters, digits = m.groups()
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - 64
        row = int(digits)
    else:  # anything unusual: exactly openpyxl's reading
        from openpyxl.utils.cell import coordinate_to_tuple

        row, col = coordinate_to_tuple(text)
    return _COORDS.put(text, (row, col, f"{_column_letter(col)}{row}"))


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        val = float(text)
        if val.is_integer():
            return int(val)
        raise ValueError(f"{text} is not a valid row number") from None


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        _number(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    if len(text) > 300:  # no spreadsheet number has this many digits (nor does a float)
        raise ValueError(text[:60])
    return int(text)


_LITERAL = re.compile(r'"[^"]*"?|\\.|_.|\*.', re.S)


def shows_percent(fmt: str | None) -> bool:
    """Whether a number format shows its number as a percentage (× 100): a ``%`` outside
    quoted text and escapes — ``0%``, ``0.00%``, ``#,##0.0%;[Red]-0.0%``; not ``0"%"`` or
    ``0\\%``, which show the number as it is followed by a percent sign."""
    return bool(fmt) and "%" in _LITERAL.sub("", fmt)


# ---------------------------------------------------------------------------- small parts


class _Book(NamedTuple):
    date1904: bool
    sheets: tuple[tuple[Any, Any, Any], ...]  # (name, relationship id, state), in order
    names: tuple[tuple[str, tuple[str, str]], ...]  # global defined names that are one cell


def _parse_workbook(src: bytes | IO[bytes]) -> _Book:
    """xl/workbook.xml (:func:`xlkit.ooxml.parts.parse_workbook`), its defined names that
    are one cell taken apart."""
    book = parse_workbook(src)
    names = []
    for name, text in book.defined:
        ref = split_ref(text)
        if ref:
            names.append((name, ref))
    return _Book(book.date1904, book.sheets, tuple(names))


class _Styles(NamedTuple):
    percent: frozenset[int]  # cellXfs indexes whose format shows a percentage
    dates: frozenset[int]  # ... a date or time (openpyxl turns their numbers into datetimes)
    spans: frozenset[int]  # ... a duration
    count: int


def _parse_styles(src: bytes | IO[bytes]) -> _Styles:
    """xl/styles.xml: custom number formats and cellXfs, nothing after cellXfs."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    custom: dict[int, Any] = {}
    xfs: list[int] = []
    depth = 0
    section = ""

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, section
        depth += 1
        if depth == 2:
            section = local_name(name)
        elif depth == 3:
            if section == "numFmts" and local_name(name) == "numFmt":
                custom[int(attrs["numFmtId"])] = attrs.get("formatCode")
            elif section == "cellXfs" and local_name(name) == "xf":
                xfs.append(int(attrs.get("numFmtId", 0)))

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        if depth == 1 and section == "cellXfs":
            raise StopParsing

    p = parser()
    p.StartElementHandler = start
    p.EndElementHandler = end
    feed(p, src)
    pct, dates, spans = set(), set(), set()
    for i, fid in enumerate(xfs):
        fmt = custom[fid] if fid in custom else BUILTIN_FORMATS.get(fid)
        if shows_percent(fmt):
            pct.add(i)
        if is_date_format(fmt):
            dates.add(i)
        if is_timedelta_format(fmt):
            spans.add(i)
    return _Styles(frozenset(pct), frozenset(dates), frozenset(spans), len(xfs))


_NO_STYLES = _Styles(frozenset(), frozenset(), frozenset(), 0)
_EMPTY = RawCell()
_tuple = tuple.__new__
_NO_CELLS: dict[str, Any] = {}


def _parse_core(src: bytes | IO[bytes]) -> str | None:
    """docProps/core.xml: when the workbook says it was last saved, ISO format."""
    p = parser()
    depth = 0
    found: list[list[str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        p.CharacterDataHandler = None
        if depth == 2 and local_name(name) == "modified":
            found.append([])
            p.CharacterDataHandler = found[-1].append

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        p.CharacterDataHandler = None

    p.StartElementHandler = start
    p.EndElementHandler = end
    feed(p, src)
    text = "".join(found[-1]) if found else ""
    if not text:
        return None
    from openpyxl.utils.datetime import from_ISO8601

    when = from_ISO8601(text)
    if not isinstance(when, datetime.datetime):
        return None  # a bare date or time is no save time
    return when.isoformat(timespec="seconds")


def _parse_content_types(src: bytes | IO[bytes]) -> str | None:
    """The shared strings part named in [Content_Types].xml (the first), as openpyxl finds it."""
    found: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if local_name(name) == "Override" and attrs.get("ContentType") == SHARED_STRINGS_CT \
                and attrs.get("PartName"):
            found.append(attrs["PartName"][1:])
            raise StopParsing

    p = parser()
    p.StartElementHandler = start
    feed(p, src)
    return found[0] if found else None


def _parse_strings(src: bytes | IO[bytes]) -> list[str]:
    """The shared strings: each ``<si>``'s text and runs, ``x005F_`` removed (openpyxl)."""
    strings: list[str] = []
    depth = si_depth = run_depth = 0
    plain: list[str] = []
    runs: list[list[str]] = []
    p = parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, si_depth, run_depth, plain
        depth += 1
        p.CharacterDataHandler = None
        if not si_depth:
            if name == _SI:
                si_depth = depth
                plain = []
                runs.clear()
            return
        local = local_name(name)
        if depth == si_depth + 1:
            if local == "t":
                plain = []
                p.CharacterDataHandler = plain.append
            elif local == "r":
                run_depth = depth
                runs.append([])
        elif run_depth and depth == run_depth + 1 and local == "t":
            runs[-1].clear()
            p.CharacterDataHandler = runs[-1].append

    def end(name: str) -> None:
        nonlocal depth, si_depth, run_depth
        p.CharacterDataHandler = None
        if depth == run_depth:
            run_depth = 0
        elif depth == si_depth:
            si_depth = 0
            text = "".join(plain) + "".join("".join(r) for r in runs)
            strings.append(text.replace("x005F_", ""))
        depth -= 1

    p.StartElementHandler = start
    p.EndElementHandler = end
    feed(p, src)
    return strings


# ---------------------------------------------------------------------------- sheets


class _Cell(NamedTuple):
    """One ``<c>`` as read (only cells with a ``<v>``, ``<f>`` or ``<is>`` are kept)."""

    key: str  # normalised address, "B7"
    t: str  # the t attribute, "n" when absent
    s: str | None  # the s attribute as written
    v: str | None  # text of the first <v>, None when there is none
    f: str | None  # "=..." when the cell has an <f>
    shared: tuple[Any, int, Any] | None  # a shared formula: si, cell number, reference
    inline: str | None  # the content of the first <is>, None when there is none


class _Master(NamedTuple):
    number: int  # the cell's number in document order
    formula: str
    ref: Any


def _scan(src: bytes | IO[bytes], max_row: int, max_col: int,
          wanted: frozenset[str] | None = None,
          masters: dict[Any, _Master] | None = None) -> list[dict[int, _Cell]]:
    """``_expat_scan``, by way of ``_quick_scan`` when the sheet is written as usual."""
    if masters is None and isinstance(src, bytes):
        rows = _quick_scan(src, max_row, max_col, wanted)
        if rows is not None:
            return rows
    return _expat_scan(src, max_row, max_col, wanted, masters)


def _expat_scan(src: bytes | IO[bytes], max_row: int, max_col: int,
                wanted: frozenset[str] | None = None,
                masters: dict[Any, _Master] | None = None) -> list[dict[int, _Cell]]:
    """The rows openpyxl gives for rows 1..max_row and columns 1..max_col of a worksheet,
    each a column → cell map in order, holding the cells in ``wanted`` (all when None) that
    have a value or a formula. As openpyxl reads: a row numbered below one already seen is
    skipped, the scan ends at the first row past ``max_row``, every child of a row is a cell
    (numbered in document order), an element's text is what comes before its first child.

    With ``masters``, nothing is kept: the first cell of each shared formula group that has
    the formula text is recorded there, as openpyxl remembers it to translate the others.

    The handlers change with where the parser is (between rows, in a row, in a cell), so
    each event does little, and a cell that is not wanted has its content passed over
    without a call: most cells of a form are labels or empty styled cells."""
    rows: list[dict[int, _Cell]] = []
    level = is_level = run_level = 0  # depth inside the current cell (the cell is 1)
    row_counter = since = col = number = 0
    last_col = 0  # the column of the last cell with a reference in this row
    key = ""
    next_row = 1
    current: dict[int, _Cell] | None = None
    cell_name = ""
    cell_attrs: dict[str, str] = {}
    f_attrs: dict[str, str] = {}
    f_buf: list[str] = []
    v_buf: list[str] = []
    plain: list[str] | None = None
    runs: list[list[str]] = []
    capturing = seen_f = seen_v = False
    everything = masters is not None
    coords = _COORDS.get  # what _coord answers for a reference seen before
    p = parser()

    def top_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_counter, last_col, since, next_row, current
        if name != _ROW:
            return
        r = attrs.get("r")
        row_counter = _row_number(r) if r is not None else row_counter + 1
        last_col = since = 0
        if row_counter > max_row:
            raise StopParsing
        current, next_row = _open_row(rows, row_counter, next_row)
        p.StartElementHandler = row_start
        p.EndElementHandler = row_end

    def top_end(name: str) -> None:
        if name == _SHEET_DATA:
            raise StopParsing

    def row_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal level, last_col, since, col, key, number, cell_name, cell_attrs
        nonlocal seen_f, seen_v, is_level
        number += 1
        r = attrs.get("r")
        if r:
            _, col, key = coords(r) or _coord(r)
            last_col, since = col, 0
        else:
            since += 1
            col = last_col + since
            key = ""
        if not everything and (current is None or col > max_col or (
                wanted is not None and (key or _key(col, row_counter)) not in wanted)):
            cell_name = name  # pass over its content: no calls until it ends
            p.StartElementHandler = None
            p.EndElementHandler = skip_end
            return
        cell_attrs = attrs
        level = 1
        seen_f = seen_v = False
        is_level = 0
        p.StartElementHandler = cell_start
        p.EndElementHandler = cell_end

    def skip_end(name: str) -> None:
        if name == cell_name:
            p.StartElementHandler = row_start
            p.EndElementHandler = row_end

    def row_end(name: str) -> None:
        p.StartElementHandler = top_start
        p.EndElementHandler = top_end

    def cell_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal level, is_level, run_level, f_attrs, plain, capturing, seen_f, seen_v
        level += 1
        if capturing:
            capturing = False
            p.CharacterDataHandler = None
        if level == 2:
            if name == _V:
                if not seen_v and not everything:
                    seen_v = capturing = True
                    v_buf.clear()
                    p.CharacterDataHandler = v_buf.append
            elif name == _F:
                if not seen_f:
                    seen_f = capturing = True
                    f_attrs = attrs
                    f_buf.clear()
                    p.CharacterDataHandler = f_buf.append
            elif name == _IS and not is_level and not everything:
                is_level = 2
                plain = None
                runs.clear()
        elif is_level == 2:
            local = local_name(name)
            if level == 3:
                if local == "t":
                    plain = []
                    capturing = True
                    p.CharacterDataHandler = plain.append
                elif local == "r":
                    run_level = 3
                    runs.append([])
            elif run_level and level == 4 and local == "t":
                runs[-1].clear()
                capturing = True
                p.CharacterDataHandler = runs[-1].append

    def cell_end(name: str) -> None:
        nonlocal level, is_level, run_level, capturing
        if capturing:
            capturing = False
            p.CharacterDataHandler = None
        if level == 1:
            if seen_v or seen_f or is_level:
                finish()
            p.StartElementHandler = row_start
            p.EndElementHandler = row_end
        elif level == run_level:
            run_level = 0
        elif level == is_level:
            is_level = -1  # read; a second <is> is ignored, as by openpyxl
        level -= 1

    def finish() -> None:
        r = cell_attrs.get("r")
        formula = shared = None
        if seen_f:
            formula = "=" + "".join(f_buf)
            if f_attrs.get("t") == "shared":
                si = f_attrs.get("si")
                if everything:
                    if si not in masters and formula != "=":
                        masters[si] = _Master(number, formula, r)
                    return
                shared = (si, number, r)
        if everything:
            return
        current[col] = _Cell(
            key or _key(col, row_counter), cell_attrs.get("t", "n"), cell_attrs.get("s"),
            "".join(v_buf) if seen_v else None, formula, shared,
            (("" if plain is None else "".join(plain)) +
             ("".join(["".join(x) for x in runs]) if runs else "")) if is_level else None)

    p.StartElementHandler = top_start
    p.EndElementHandler = top_end
    feed(p, src)
    return rows


# ---------------------------------------------------------------------------- the shortcut
# (see the module docstring: the usual spellings by regular expression, all else by expat)

_QREF = r"[A-Z]{1,3}[1-9][0-9]{0,6}"  # as _coord writes it
_QEMPTY = rf'<c r="{_QREF}"(?: s="[0-9]{{1,5}}")?(?: t="[a-zA-Z]{{1,9}}")? ?/>'
_QTOKEN = re.compile(  # a cell with content or a row start, then empty cells, then </row>
    # (possessive: what a repeat took is never needed by what follows it)
    rf'<(?:c r="({_QREF})"(?: s="([0-9]{{1,5}})")?(?: t="([a-zA-Z]{{1,9}})")?>'
    r'(?:<f(?: aca="(?:false|true)")?>([^<]*+)</f>)?'
    r'(?:<v>([^<]*+)</v>|<v ?/>())?'
    r'(?:(<is>)(?:<t(?: xml:space="preserve")?>([^<]*+)</t>)?</is>)?'
    r'</c>'
    r'|row r="([0-9]{1,7})"((?: [^\s="<>/]+="[^"<&]*+")*+)( ?/)?>'
    rf')(?:{_QEMPTY})*+(</row>)?')
_QATTR = re.compile(r' ([^\s="<>/]+)="')
_QNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?")
# every byte but the C0 controls (tab and line feed aside), "&" and "]"
_QPLAIN = bytes(b for b in range(256) if b in (9, 10) or (b >= 32 and b not in b"&]"))
_QBAD_AMP = re.compile(rb"&(?!(?:lt|gt|amp|quot|apos);)")  # a character reference, or worse
_XML_NS = "http://www.w3.org/XML/1998/namespace"
# the head of a sheet -> the prefixes bound where its sheetData opens
_CONTEXTS: BoundedCache[bytes, frozenset[tuple[str, str]] | None] = BoundedCache(CACHE_ENTRIES)
_ROW_ATTRS: BoundedCache[tuple[str, frozenset[tuple[str, str]]], bool] = BoundedCache(4096)


def _quick_scan(data: bytes, max_row: int, max_col: int,
                wanted: frozenset[str] | None) -> list[dict[int, _Cell]] | None:
    """``_scan``'s rows for a sheet written in the usual spellings, or None for any other."""
    start = data.find(b"<sheetData>") + 11
    end = data.find(b"</sheetData>", start)
    if start == 10 or end < 0 or data.find(b"sheetData") != start - 10:
        return None
    bound = _context(data, start)
    text = None if bound is None else _plain_text(data, start, end)
    if text is None:
        return None
    rows: list[dict[int, _Cell]] = []
    next_row = 1
    current: dict[int, _Cell] | None = None
    in_row = False
    coords = _COORDS.get
    make = tuple.__new__  # _Cell's own __new__ is a Python function
    m = None
    for m in iter(_QTOKEN.scanner(text).match, None):
        ref, s, t, f, v, v0, inline, it, row, rattrs, slash, row_end = m.groups()
        if ref is not None:
            if not in_row:
                return None  # a cell outside a row
            # the reference is written as _coord writes it: it is the key
            if current is not None and (wanted is None or ref in wanted) and (
                    v is not None or f is not None or inline is not None or v0 is not None):
                _, col, _ = coords(ref) or _coord(ref)
                if col <= max_col:
                    if v is not None and "&" in v:
                        v = _unescape(v)
                    if f is not None:
                        f = "=" + _unescape_formula(f) if "&" in f else "=" + f
                    if inline is not None:
                        inline = _unescape(it) if it and "&" in it else it or ""
                    current[col] = make(_Cell, (ref, t or "n", s, v if v0 is None else v0, f,
                                                None, inline))
        else:
            if in_row or (rattrs and not _row_attrs_ok(rattrs, bound)):
                return None
            number = int(row)
            if number > max_row:
                return rows  # as _scan: nothing after this row is looked at
            current, next_row = _open_row(rows, number, next_row)
            in_row = slash is None
        if row_end is not None:
            if not in_row:
                return None
            in_row = False
    if in_row or (m.end() if m else 0) != len(text):
        return None
    return rows


#: formula texts as written -> as expat gives them: returns of one template repeat the same
#: formulas, and a 校验 formula runs to some 1,400 escaped characters
_FORMULAS: BoundedCache[str, str] = BoundedCache(4096)


def _unescape_formula(text: str) -> str:
    """:func:`_unescape` of a formula's text, kept."""
    hit = _FORMULAS.get(text)
    if hit is None:
        hit = _FORMULAS.put(text, _unescape(text))
    return hit


def _unescape(text: str) -> str:
    """Text as expat gives it, for text whose only references are the five predefined."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
        .replace("&apos;", "'").replace("&amp;", "&")


_REF_BODY = re.compile(rb"[0-9]{1,7}|x[0-9A-Fa-f]{1,6}")
#: the characters of markup, which a character reference stands for in text: written back
#: as the predefined entity, so the text scans as if it had been written so
_MARKUP_REFS = {ord("&"): b"&amp;", ord("<"): b"&lt;", ord(">"): b"&gt;", ord('"'): b"&quot;",
                ord("'"): b"&apos;"}
#: a reference's body (``24180``, ``x5EA6``) → what the shortcut reads for it (b"": refused);
#: a plain dict (looked up some 1,500 times a sheet), emptied when it grows past REF_CACHE
_REFS: dict[bytes, bytes] = {}
REF_CACHE = 8192


#: a row with references → the row resolved (or b"\0": refused): the returns of one form
#: share their label rows, written alike by one writer
_ROWS: dict[bytes, bytes] = {}
ROW_CACHE = 4096


def _char_refs_resolved(region: bytes) -> bytes | None:
    """``region`` with its character references (``&#24180;``, as openpyxl writes text when
    lxml is installed) written as the characters expat gives for them; None when one stands
    for a character the shortcut leaves to expat (controls, tab, line ends, "]", U+FFFE,
    U+FFFF, surrogates, beyond U+10FFFF) or is not a reference at all. Worked out a row at a
    time, each row once."""
    rows = region.split(b"</row>")
    cache = _ROWS
    for i, row in enumerate(rows):
        if b"&#" not in row:
            continue
        hit = cache.get(row)
        if hit is None:
            if len(cache) >= ROW_CACHE:
                cache.clear()
            hit = cache[row] = _refs_in(row) or b"\0"
        if hit == b"\0":
            return None
        rows[i] = hit
    return b"</row>".join(rows)


def _refs_in(region: bytes) -> bytes | None:
    """:func:`_char_refs_resolved` of a stretch of a sheet, each reference worked out once."""
    parts = region.split(b"&#")
    refs = _REFS
    out = [parts[0]]
    append = out.append
    for part in parts[1:]:
        end = part.find(b";", 0, 9)
        if end < 1:
            return None
        body = part[:end]
        hit = refs.get(body)
        if hit is None:
            if len(refs) >= REF_CACHE:
                refs.clear()
            hit = refs[body] = _ref_text(body)
        if not hit:
            return None
        append(hit)
        append(part[end + 1:])
    return b"".join(out)


def _ref_text(body: bytes) -> bytes:
    """What a reference's body stands for, as the shortcut reads it; b"" when refused."""
    if not _REF_BODY.fullmatch(body):
        return b""
    n = int(body[1:], 16) if body[:1] == b"x" else int(body)
    if n in _MARKUP_REFS:
        return _MARKUP_REFS[n]
    if n < 32 or n == 0x5D or n in (0xFFFE, 0xFFFF) or 0xD800 <= n <= 0xDFFF or n > 0x10FFFF:
        return b""
    return chr(n).encode()


def _plain_text(data: bytes, start: int, end: int) -> str | None:
    """``data[start:end]`` decoded, when expat would take every character and reference in
    it as they stand (character references resolved): no control character, carriage
    return, other reference, ``]]>``, U+FFFE or U+FFFF, and valid UTF-8. None otherwise."""
    region = data[start:end]
    odd = region.translate(None, _QPLAIN)
    if odd:
        if odd.translate(None, b"&]"):
            return None
        if b"&" in odd and _QBAD_AMP.search(region):
            resolved = _char_refs_resolved(region)
            if resolved is None or _QBAD_AMP.search(resolved):
                return None
            region = resolved
        if b"]" in odd and b"]]>" in region:
            return None
    try:
        text = region.decode()
    except UnicodeDecodeError:
        return None
    if "\ufffe" in text or "\uffff" in text:
        return None
    return text


def _context(data: bytes, start: int) -> frozenset[tuple[str, str]] | None:
    """The namespace prefixes bound where ``data``'s sheetData opens (at ``start``), when all
    before it is well-formed UTF-8 with no row and the sheetData is SpreadsheetML's; None
    otherwise. Kept by the bytes (returns of one template share them)."""
    head = data[:start]
    hit = _CONTEXTS.get(head, False)
    if hit is False:
        hit = _CONTEXTS.put(head, _read_context(head))
    return hit


def _read_context(head: bytes) -> frozenset[tuple[str, str]] | None:
    p = parser()
    names: list[str] = []
    scopes: dict[str, list[str]] = {}
    utf8 = [True]

    def decl(version: str, encoding: str | None, standalone: int) -> None:
        utf8[0] = encoding is None or encoding.lower() == "utf-8"

    p.XmlDeclHandler = decl
    p.StartElementHandler = lambda name, attrs: names.append(name)
    p.StartNamespaceDeclHandler = lambda prefix, uri: scopes.setdefault(prefix, []).append(uri)
    p.EndNamespaceDeclHandler = lambda prefix: scopes[prefix].pop()
    try:
        p.Parse(head, False)
    except Exception:  # noqa: BLE001 - whatever it is, the full scan meets it and says so
        return None
    if not utf8[0] or _ROW in names or names.count(_SHEET_DATA) != 1 or names[-1] != _SHEET_DATA:
        return None
    return frozenset((k, v[-1]) for k, v in scopes.items() if k and v)


def _row_attrs_ok(attrs: str, bound: frozenset[tuple[str, str]]) -> bool:
    """Whether a row's attributes after ``r`` are as expat takes them: names it accepts, no
    namespace declaration, prefixes bound, none twice."""
    key = (attrs, bound)
    hit = _ROW_ATTRS.get(key)
    if hit is None:
        hit = True
        uris = dict(bound, xml=_XML_NS)
        seen = {("", "r")}
        for name in _QATTR.findall(attrs):
            prefix, _, local = name.rpartition(":")
            if not _QNAME.fullmatch(name) or name == "xmlns" or prefix == "xmlns" or (
                    prefix and prefix not in uris):
                hit = False
                break
            full = (uris[prefix] if prefix else "", local)
            if full in seen:
                hit = False
                break
            seen.add(full)
        _ROW_ATTRS.put(key, hit)
    return hit


_EXTENTS: BoundedCache[tuple[str, ...], tuple[int, int, frozenset[str]]] = \
    BoundedCache(CACHE_ENTRIES)


def _extent(addresses: tuple[str, ...]) -> tuple[int, int, frozenset[str]]:
    """The last row and column of ``addresses``, and the addresses as keys; kept (returns of
    one shape ask for the same cells)."""
    hit = _EXTENTS.get(addresses)
    if hit is None:
        spots = [_coord(a.replace("$", "")) for a in addresses]
        hit = _EXTENTS.put(addresses, (max(r for r, _, _ in spots), max(c for _, c, _ in spots),
                                       frozenset(k for _, _, k in spots)))
    return hit


def _open_row(rows: list[dict[int, _Cell]], number: int,
              next_row: int) -> tuple[dict[int, _Cell] | None, int]:
    """A row starts, as openpyxl takes it: numbered at or past ``next_row`` it gets a new
    column map in ``rows``; numbered below a row already seen it is skipped (None).
    Returns the map and the next row number expected."""
    if number >= next_row:
        current: dict[int, _Cell] = {}
        rows.append(current)
        return current, number + 1
    return None, next_row


def _key(col: int, row: int) -> str:
    return f"{_column_letter(col)}{row}"


def _translate(master: str, origin: Any, dest: Any) -> str:
    """A shared formula's text at ``dest``, as openpyxl gives it."""
    from openpyxl.formula.translate import Translator

    try:
        return Translator(master, origin).translate_formula(dest)
    except Exception:  # noqa: BLE001 - a formula that cannot be moved is still a formula
        return master


# ---------------------------------------------------------------------------- the source


class ZipXmlSource:
    """A returned .xlsx read with zipfile + expat (see the module docstring)."""

    kind = "xlsx"
    has_formulas = True

    def __init__(self, path: Path, *, archive: zipfile.ZipFile | None = None,
                 parts: dict[str, bytes] | None = None):
        """``archive``: the file already opened (precheck's, over its bytes); ``parts``:
        parts already decompressed whole, by name (precheck's), not decompressed again."""
        self.path = Path(path)
        self._part = ""  # the part being read, for messages
        self._parts = parts or {}
        try:
            self._zip = zipfile.ZipFile(self.path) if archive is None else archive
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise InputError("file.corrupt", f"文件损坏，无法打开（{damage_reason(exc)}）") from None
        self._styles: _Styles | None = None
        self._strings: list[str] | None = None
        self._cache: dict[str, dict[str, _Cell]] = {}
        self._cells: dict[tuple[str, str], RawCell] = {}
        self._masters: dict[str, dict[Any, _Master]] = {}
        self._max_rows: dict[str, int] = {}
        try:
            self._names = set(self._zip.namelist())
            self._book: _Book = self._guard(self._kept, WORKBOOK, "workbook", _parse_workbook)
            rels = self._guard(self._kept, WORKBOOK_RELS, "rels",
                               lambda src: parse_rels(src, WORKBOOK_RELS))
            # name -> part (the first of a name); name -> visible | hidden | veryHidden
            self._sheet_parts, self._states = self._guard(
                resolve_sheets, self._book.sheets, rels, self._names)
            self._modified = self._guard(self._kept, CORE, "core", _parse_core) \
                if CORE in self._names else None
        except BaseException:
            self._zip.close()
            raise

    # ----------------------------------------------------------------------- protocol

    def close(self) -> None:
        self._zip.close()

    def sheets(self) -> dict[str, str]:
        return dict(self._states)

    def modified(self) -> str | None:
        return self._modified

    def names(self) -> dict[str, tuple[str, str]]:
        return dict(self._book.names)

    def meta_rows(self) -> dict[str, str] | None:
        part = self._sheet_parts.get(META_SHEET)
        if part is None:
            return None
        rows = self._guard(self._rows, part, META_MAX_ROW, 2)
        out = {}
        for cols in rows:
            a, b = cols.get(1), cols.get(2)
            a = None if a is None else self._guard(self._value, a, META_SHEET)
            if a is None:
                continue
            b = None if b is None else self._guard(self._value, b, META_SHEET)
            out[str(a)] = "" if b is None else str(b)
        return out

    def load(self, sheet: str, addresses: list[str]) -> None:
        """Scan ``sheet`` once, up to the last row that ``addresses`` need, keeping the cells at
        ``addresses`` (``cell`` answers an empty cell for any other address)."""
        part = self._sheet_parts.get(sheet)
        if part is None or not addresses:
            return
        max_row, max_col, wanted = self._guard(_extent, tuple(addresses))
        self._max_rows[sheet] = max_row
        rows = self._guard(self._rows, part, max_row, max_col, wanted)
        cache = self._cache.setdefault(sheet, {})
        for cols in rows:
            for c in cols.values():
                if c.f is not None or (c.inline is not None if c.t == "inlineStr" else c.v):
                    cache[c.key] = c  # what openpyxl reads as a value or a formula
        for key in [k for k in self._cells if k[0] == sheet]:
            del self._cells[key]

    def cell(self, sheet: str, address: str) -> RawCell:
        hit = self._cells.get((sheet, address))
        if hit is None:
            c = self._cache.get(sheet, _NO_CELLS).get(address)
            hit = _EMPTY if c is None else self._guard(self._raw, sheet, c)
            self._cells[(sheet, address)] = hit
        return hit

    def hidden_lines(self, sheet: str) -> HiddenLines:
        """The rows and columns ``sheet`` hides (a sheet that never says ``hidden``, as
        issued, is not parsed for it)."""
        part = self._sheet_parts.get(sheet)
        return NO_HIDDEN if part is None else self._guard(self._read, part, hidden_lines)

    def cells(self, spots: list[tuple[str, str]]) -> list[RawCell]:
        """``[cell(sheet, address) for sheet, address in spots]``, in one call."""
        return self._guard(self._cells_at, spots)

    def _cells_at(self, spots: list[tuple[str, str]]) -> list[RawCell]:
        out = []
        memo, cache = self._cells, self._cache
        for spot in spots:
            hit = memo.get(spot)
            if hit is None:
                c = cache.get(spot[0], _NO_CELLS).get(spot[1])
                if c is None:
                    hit = _EMPTY
                else:
                    self._part = ""  # as cell(): a message names only this cell's part
                    hit = self._raw(spot[0], c)
                memo[spot] = hit
            out.append(hit)
        return out

    # ----------------------------------------------------------------------- reading parts

    def _guard(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn``; whatever a damaged part raises becomes InputError."""
        try:
            return fn(*args)
        except InputError:
            raise
        except UnsafeXML:
            raise InputError("file.xml_unsafe", f"部件 {self._part} 含有 DOCTYPE / 实体声明"
                                                 "（可能是 XML 炸弹或外部实体攻击），拒绝读取") from None
        except (expat.ExpatError, ValueError, TypeError, KeyError, IndexError, OverflowError,
                AttributeError, zipfile.BadZipFile, zlib.error, EOFError, OSError,
                RuntimeError, NotImplementedError) as exc:
            where = f"部件 {self._part}：" if self._part else ""
            raise InputError("file.corrupt",
                             f"文件损坏，无法读取（{where}{damage_reason(exc)}）") from None
        finally:
            self._part = ""

    def _read(self, part: str, parse: Callable[[bytes | IO[bytes]], Any]) -> Any:
        self._part = part
        data = self._parts.get(part)
        if data is not None:
            return parse(data)
        with self._zip.open(part) as fh:
            return parse(fh)

    def _rows(self, part: str, max_row: int, max_col: int,
              wanted: frozenset[str] | None = None) -> list[dict[int, _Cell]]:
        return self._read(part, lambda src: _scan(src, max_row, max_col, wanted))

    def _kept(self, part: str, what: str, parse: Callable[[Any], Any]) -> Any:
        """``parse`` of a small part, kept by content digest for the next file that has the
        very same part (returns of one template share workbook, relationships and styles)."""
        self._part = part
        data = self._parts.get(part)
        if data is None:
            info = self._zip.getinfo(part)
            if info.file_size > CACHE_PART_BYTES:
                with self._zip.open(info) as fh:
                    return parse(fh)
            data = read_bounded(self._zip, info)
        elif len(data) > CACHE_PART_BYTES:
            return parse(data)
        last = _LAST.get(what)
        if last is not None and last[0] == data:  # as the file before (a compare, no digest)
            return last[1]
        key = (what, hashlib.blake2b(data, digest_size=20).digest())
        hit = _PARSED.get(key)
        if hit is None:
            hit = _PARSED.put(key, parse(data))
        _LAST[what] = (data, hit)
        return hit

    def _masters_of(self, sheet: str) -> dict[Any, _Master]:
        """The shared formula groups of ``sheet``: one more pass, only when a cell needs it."""
        masters = self._masters.get(sheet)
        if masters is None:
            masters = {}
            self._read(self._sheet_parts[sheet],
                       lambda src: _scan(src, self._max_rows[sheet], 0, masters=masters))
            self._masters[sheet] = masters
        return masters

    def _styles_now(self) -> _Styles:
        if self._styles is None:
            self._styles = _NO_STYLES if STYLES not in self._names else \
                self._kept(STYLES, "styles", _parse_styles)
        return self._styles

    def _strings_now(self) -> list[str]:
        if self._strings is None:
            part = None
            if CONTENT_TYPES in self._names:
                part = self._kept(CONTENT_TYPES, "types", _parse_content_types)
            elif "xl/sharedStrings.xml" in self._names:
                part = "xl/sharedStrings.xml"
            self._strings = self._kept(part, "strings", _parse_strings) if part else []
        return self._strings

    # ----------------------------------------------------------------------- values

    def _value(self, c: _Cell, sheet: str) -> Any:
        """The value openpyxl gives with ``data_only=True``; InputError naming the sheet, the
        cell and its raw text when the text cannot be what its type says."""
        try:
            return self._value_of(c)
        except (ValueError, IndexError, TypeError, OverflowError) as exc:
            raise self._bad_cell(sheet, c, exc) from None

    def _bad_cell(self, sheet: str, c: _Cell, exc: BaseException) -> InputError:
        """Why cell ``c`` of ``sheet`` cannot be read, in Chinese, with its raw text."""
        v, t = c.v, c.t
        if c.s and not _is_int(c.s):
            what = f"样式编号「{c.s[:60]}」不是整数"
        elif t == "s" and v is not None and not _is_int(v):
            what = f"共享字符串编号「{v[:60]}」不是整数"
        elif t == "s":
            n = len(self._strings_now())
            what = (f"引用共享字符串第 {v} 项，但文件中没有共享字符串表（sharedStrings）" if n == 0
                    else f"引用共享字符串第 {v} 项，但共享字符串表只有 {n} 项")
        elif t == "b":
            what = f"逻辑值「{(v or '')[:60]}」不是 0 或 1"
        elif t == "d":
            what = f"日期「{(v or '')[:60]}」无法识别"
        elif t == "n" and v and not _is_number(v):
            what = f"数值「{v[:60]}…」超出 Excel 能表示的范围" if v.lstrip("+-").isdigit() \
                else f"数值「{v[:60]}」不是数字"
        else:
            what = damage_reason(exc)
        return InputError("file.corrupt", f"文件损坏，无法读取（工作表 {sheet} 单元格 {c.key}：{what}）")

    def _value_of(self, c: _Cell) -> Any:
        t = c.t
        if t == "inlineStr":
            return c.inline
        v = c.v or None
        if v is None:
            return None
        if t == "n":
            num = _number(v)
            styles = self._styles_now()
            style = int(c.s) if c.s else 0
            return self._date(num, style, styles) if style in styles.dates else num
        if t == "s":
            return self._strings_now()[int(v)]
        if t == "b":
            return bool(int(v))
        if t == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(v)
        return v  # str, e and anything else: the text as written

    def _date(self, num: int | float, style: int, styles: _Styles) -> Any:
        """A number in a date or time format, as openpyxl converts it."""
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel

        try:
            return from_excel(num, CALENDAR_MAC_1904 if self._book.date1904 else WINDOWS_EPOCH,
                              timedelta=style in styles.spans)
        except (OverflowError, ValueError):
            return "#VALUE!"

    def _raw(self, sheet: str, c: _Cell) -> RawCell:
        try:
            return self._raw_of(sheet, c)
        except (ValueError, IndexError, TypeError, OverflowError) as exc:
            raise self._bad_cell(sheet, c, exc) from None

    def _raw_of(self, sheet: str, c: _Cell) -> RawCell:
        if c.t == "n" and c.shared is None:  # most cells: _value's and the rest's work, once
            styles = self._styles_now()
            style = int(c.s) if c.s else 0
            if c.v:
                shown = _number(c.v)
                if style in styles.dates:
                    shown = self._date(shown, style, styles)
            else:
                shown = None
            if style < 0:
                style += styles.count
            # no text, so no "=" text; a tuple made directly (RawCell's __new__ is Python)
            return _tuple(RawCell, (shown, c.f, style in styles.percent))
        shown = self._value_of(c)
        formula = c.f
        if c.shared is not None:  # openpyxl moves the group's first formula to this cell
            si, number, ref = c.shared
            master = self._masters_of(sheet).get(si)
            if master is not None and master.number < number:
                formula = _translate(master.formula, master.ref, ref)
        if formula is None and isinstance(shown, str) and shown.startswith("="):
            formula = shown  # openpyxl reads such text as a formula (and shows the text)
        styles = self._styles_now()
        style = int(c.s) if c.s else 0
        if style < 0:
            style += styles.count  # openpyxl indexes its list of styles
        return _tuple(RawCell, (shown, formula, style in styles.percent))
