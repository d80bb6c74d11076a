"""Big list sheets' data rows written as sheet XML into a workbook xlsxwriter has closed.

xlsxwriter spends ~10 µs on a cell: 20 s for the 1.9 million cells of 10,000 projects.
For a sheet registered with :meth:`SheetRows.add`, xlsxwriter writes everything but the
data (header, widths, panes, filter, page setup) and one placeholder row of blank cells
carrying each column's format. :meth:`SheetRows.splice` reads each column's style index
back from that row and puts the real rows in its place, generated here a distinct value at
a time. A cell is what :func:`cell_value` says, the rule the xlsxwriter path uses too:
blank, a finite number, or text (never a formula or a link). Text goes into the
shared-string table, escaped as xlsxwriter escapes it (``_xHHHH_``; an inline string
would read differently in openpyxl). Rows are deflated on a second thread while the next
are generated; the zip's other members are copied as they are.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from xlkit.core.display import display_text
from xlkit.ooxml.parts import MAIN_NS, sheet_parts
from xlkit.ooxml.xml import text_element
from xlkit.ooxml.zip import ZipMember, raw_member, write_zip

MAX_TEXT = 32767  # Excel's limit for one cell, in UTF-16 units
LEVEL = 2  # zlib level of the generated members: on a second thread, hidden behind the
# generating up to 3; 6 would add ~0.8 s at 10,000 projects (and save ~15 % of the size)
CHUNK = 2000  # rows generated (and handed to the deflating thread) at a time
SST = "xl/sharedStrings.xml"
DEFAULT_ROW_PX = 20  # xlsxwriter's default row height (15 pt)
_NUMBERS = (int, float, np.integer, np.floating)
_HASHED = ("float64", "Int64", "boolean", "string")  # dtypes whose equal values write alike


def is_blank(value: Any) -> bool:
    """None, NaN, pd.NA, NaT; lists and other non-scalars are not blank."""
    if value is None:
        return True
    if value.__class__ is str:
        return False
    if value.__class__ is float:
        return value != value
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell_value(value: Any) -> float | str | None:
    """What a cell holds for ``value``: None (blank), a finite number, or text (是 / 否 for
    booleans, cut to what a cell holds)."""
    if value.__class__ is str:
        return truncate(value)
    if is_blank(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, _NUMBERS):
        number = float(value)
        return number if math.isfinite(number) else None
    return truncate(str(value))


def truncate(text: str) -> str:
    """``text`` cut to MAX_TEXT UTF-16 units, never inside a character (as xlsxwriter), and
    shown safely (:func:`~xlkit.core.display.display_text`: a non-UTF-8 file name's bytes
    as ``\\xff``; the cell is a string cell either way, never a formula)."""
    text = display_text(text)
    if len(text) <= MAX_TEXT // 2:
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * MAX_TEXT:
        return text
    return units[:2 * MAX_TEXT].decode("utf-16-le", "ignore")


def si_xml(text: str) -> str:
    """The inside of a shared string's ``<si>``, as xlsxwriter writes it."""
    return text_element(text)


# ----------------------------------------------------------------------------- the sheets

@dataclass
class _Sheet:
    columns: list[pd.Series | None]  # None: a column the data lacks (all blank)
    rows: int
    sparse: bool  # blank cells are left out; otherwise written with the column's format
    heights: Sequence[float | None] | None  # points per data row; None: the default


class SheetRows:
    """The sheets whose data rows :meth:`splice` writes into the closed workbook."""

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self._sheets: dict[str, _Sheet] = {}

    def add(self, ws: Worksheet, columns: Sequence[tuple[pd.Series | None, Format]], rows: int,
            *, sparse: bool = False, heights: Sequence[float | None] | None = None) -> None:
        """Write the placeholder row (row 2) of ``ws``; keep ``rows`` rows of data for later.

        ``columns``: each column's values and format. The caller writes the header row and
        nothing below it."""
        for c, (_, fmt) in enumerate(columns):
            ws.write_blank(1, c, None, fmt)
        self._sheets[ws.name] = _Sheet([s for s, _ in columns], rows, sparse, heights)

    def splice(self, xlsx: bytes) -> bytes:
        """``xlsx`` with every registered sheet's data rows in place of its placeholder."""
        z = zipfile.ZipFile(io.BytesIO(xlsx))
        parts = sheet_parts(z.read, z.namelist())
        todo = {parts[name]: sheet for name, sheet in self._sheets.items()}
        strings = SharedStrings(z.read(SST).decode("utf-8"))
        members: list[ZipMember | Future[ZipMember]] = []
        with ThreadPoolExecutor(1) as pool:
            for info in z.infolist():
                if info.filename in todo:
                    out = Deflater(pool, self.level)
                    write_sheet(out, z.read(info).decode("utf-8"), todo[info.filename],
                                strings)
                    members.append(out.close(info.filename))
                elif info.filename != SST:
                    members.append(raw_member(xlsx, info))
            out = Deflater(pool, self.level)
            for piece in strings.xml():
                out.write(piece)
            members.append(out.close(SST))
            return write_zip([m.result() if isinstance(m, Future) else m for m in members])


def write_sheet(out: Deflater, xml: str, sheet: _Sheet, strings: SharedStrings) -> None:
    """The sheet's XML with the data rows in place of the placeholder row."""
    m = re.search(r'<row r="2"[^>]*>(.*?)</row>(</sheetData>)', xml)
    if m is None:
        raise ValueError("no placeholder row before </sheetData>")
    styles = dict(re.findall(r'<c r="([A-Z]+)2"(?: s="(\d+)")?/>', m.group(1)))
    n = sheet.rows
    columns: list[_Column] = []
    used = np.zeros(n, bool)
    for c, series in enumerate(sheet.columns):
        letter = xl_col_to_name(c)
        s = f' s="{styles[letter]}"' if styles.get(letter) else ""
        ends, filled = cell_ends(series, n, s, "" if sheet.sparse else f'"{s}/>', strings)
        if filled.any():
            used |= filled
            columns.append(_Column(f'<c r="{letter}', ends, None if filled.all() else filled))
    opens = [""] * n
    for i, height in enumerate(sheet.heights or ()):  # in whole pixels, as xlsxwriter
        if height is not None and (px := int(height * 4 / 3 + 0.5)) != DEFAULT_ROW_PX:
            opens[i] = f' ht="{px * 0.75:.16g}" customHeight="1"'
            used[i] = True
    rows = np.flatnonzero(used)
    last = int(rows[-1]) + 2 if len(rows) else 1
    ref = f"A1:{xl_col_to_name(len(sheet.columns) - 1)}{last}"
    out.write(re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>',
                     xml[:m.start()], count=1))
    for a in range(0, n, CHUNK):
        out.write(rows_xml(a, min(n, a + CHUNK), columns, opens, used))
    out.write(xml[m.start(2):])


@dataclass
class _Column:
    start: str  # '<c r="B'
    ends: np.ndarray  # per row the cell after its row number ("" for none)
    filled: np.ndarray | None  # per row whether it has the cell; None: every row has


def rows_xml(a: int, b: int, columns: list[_Column], opens: list[str], used: np.ndarray) -> str:
    """Data rows ``a`` to ``b`` (0-based, end excluded) as ``<row>`` elements.

    The pieces are laid out in an object array and joined once: no string per cell."""
    nums = np.array([str(r) for r in range(a + 2, b + 2)], dtype=object)
    pieces = np.empty((b - a, 3 * len(columns) + 2), dtype=object)
    pieces[:, 0] = [f'<row r="{r}"{o}>' for r, o in zip(nums, opens[a:b], strict=True)]
    for k, col in enumerate(columns):
        pieces[:, 3 * k + 1] = col.start
        pieces[:, 3 * k + 2] = nums
        pieces[:, 3 * k + 3] = col.ends[a:b]
        if col.filled is not None:
            pieces[~col.filled[a:b], 3 * k + 1:3 * k + 3] = ""
    pieces[:, -1] = "</row>"
    pieces[~used[a:b]] = ""
    return "".join(pieces.ravel().tolist())


def cell_ends(series: pd.Series | None, n: int, s: str, blank: str,
              strings: SharedStrings) -> tuple[np.ndarray, np.ndarray]:
    """Per value its cell element after ``<c r="A2`` (``blank`` for a blank cell), and
    whether that is not empty."""
    if series is None:
        return np.full(n, blank, dtype=object), np.full(n, blank != "")
    dtype = str(series.dtype)
    if dtype in _HASHED and not (dtype == "float64" and negative_zero(series)):
        # equal values write alike: each distinct value is made once
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        if dtype == "string":
            ends = [f'"{s} t="s"><v>{i}</v></c>'
                    for i in strings.indices(np.asarray(uniques, dtype=object).tolist())]
            strings.refs += int((codes >= 0).sum())
        elif dtype != "boolean":
            numbers = np.asarray(uniques, dtype=np.float64)
            ends = [f'"{s}><v>{v:.16G}</v></c>' if math.isfinite(v) else f'"{s}/>'
                    for v in numbers.tolist()]
        else:
            ends = [cell_end(v, s, blank, strings) for v in uniques]
            strings.refs += int((codes >= 0).sum())
        table = np.array([*ends, blank], dtype=object)  # -1 (NA): the last, blank
        return table[codes], np.array([e != "" for e in table.tolist()])[codes]
    cache: dict[str, str] = {}  # text only: 0.0 == -0.0 == False, and lists do not hash
    out = []
    for value in series.astype(object).tolist():
        text = value.__class__ is str
        e = cache.get(value) if text else None
        if e is None:
            e = cell_end(value, s, blank, strings)
            if text:
                cache[value] = e
        out.append(e)
    strings.refs += sum(' t="s">' in e for e in out)
    ends = np.empty(n, dtype=object)
    ends[:] = out
    return ends, np.array([e != "" for e in out], dtype=bool)


def cell_end(value: Any, s: str, blank: str, strings: SharedStrings) -> str:
    """One value's cell element after ``<c r="A2``: ``blank`` when blank, a cell with no
    value when not a finite number (as xlsxwriter's path writes them)."""
    v = cell_value(value)
    if v is None:
        return blank if is_blank(value) else f'"{s}/>'
    if v.__class__ is str:
        return f'"{s} t="s"><v>{strings.indices([v])[0]}</v></c>'
    return f'"{s}><v>{v:.16G}</v></c>'


def negative_zero(series: pd.Series) -> bool:
    """-0.0 would be written as 0 after factorize (it equals 0.0)."""
    values = series.to_numpy()
    return bool(np.signbit(values[values == 0]).any())


# ----------------------------------------------------------------------------- shared strings

class SharedStrings:
    """xlsxwriter's shared-string table, extended with the data rows' text."""

    def __init__(self, xml: str) -> None:
        m = re.search(r'<sst\b[^>]*\scount="(\d+)"[^>]*>', xml)
        if m is None:
            raise ValueError("not a shared-string table")
        self._head = xml[:m.start()]
        self._xmlns = MAIN_NS
        self.refs = int(m.group(1))
        self.items: list[str] = re.findall(r"<si>(.*?)</si>", xml, re.S)
        self._index: dict[str, int] = {}  # by <si> content
        self._known: dict[str, int] = {}  # by text
        for i, item in enumerate(self.items):
            self._index.setdefault(item, i)

    def indices(self, texts: list[str]) -> list[int]:
        """The index of each text (added when new; callers count the references)."""
        out = list(map(self._known.get, texts))
        for j in [j for j, i in enumerate(out) if i is None]:
            text = texts[j]
            key = si_xml(truncate(text))
            i = self._index.get(key)
            if i is None:
                i = self._index[key] = len(self.items)
                self.items.append(key)
            out[j] = self._known[text] = i
        return out

    def xml(self) -> Iterator[str]:
        yield (f'{self._head}<sst xmlns="{self._xmlns}" count="{self.refs}" '
               f'uniqueCount="{len(self.items)}">')
        for a in range(0, len(self.items), 4 * CHUNK):
            yield "".join(f"<si>{x}</si>" for x in self.items[a:a + 4 * CHUNK])
        yield "</sst>"


# ----------------------------------------------------------------------------- the zip

class Deflater:
    """One zip member deflated on ``pool``'s single thread while the caller goes on."""

    def __init__(self, pool: ThreadPoolExecutor, level: int) -> None:
        self._pool = pool
        self._z = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._crc = self._size = 0
        self._pending: deque[Future[bytes]] = deque()
        self._done: list[bytes] = []

    def _deflate(self, data: bytes) -> bytes:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        return self._z.compress(data)

    def write(self, text: str) -> None:
        self._pending.append(self._pool.submit(self._deflate, text.encode("utf-8")))
        while len(self._pending) > 4:  # bounds the memory when deflating falls behind
            self._done.append(self._pending.popleft().result())

    def close(self, name: str) -> Future[ZipMember]:
        """The member, once deflated (the caller goes on meanwhile)."""

        def finish() -> ZipMember:  # runs after every write: the thread takes them in order
            data = [*self._done, *(f.result() for f in self._pending), self._z.flush()]
            return ZipMember(name, self._crc, self._size, b"".join(data))

        return self._pool.submit(finish)
