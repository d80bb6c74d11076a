"""Spreadsheet input shared by the importers (distribution list, budget and 决算 exports).

One place for what every office file needs: cell text as the user reads it, numbers as
people type them, loading .xlsx / .csv safely (with merged ranges), header rows found from
column names (several header rows, merged group titles, 栏次 and 类/款/项 rows), merged
cells filled down, 合计 rows recognised and the money-unit caption ("单位：元") found.

Nothing here knows which columns a particular file has: callers pass their synonyms.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from defusedxml.ElementTree import iterparse
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from xlkit.findings import InputError

HEADER_SCAN = 10
MAX_ROWS = 200_000  # rows read per sheet; a sheet claiming more is not an office export
TOTAL_PREFIXES = ("合计", "小计", "总计")
#: Labels under a group title that mean "the group's total" (年初结转和结余 → 合计).
TOTAL_CHILDREN = frozenset({"合计", "小计", "总计", "金额", "合计数", "小计数"})
#: Header decoration: 类 / 款 / 项 split a 功能科目 code; 栏次 rows number the columns.
CODE_PARTS = ("类", "款", "项")
DECORATION = frozenset({*CODE_PARTS, "栏次", "行次", "甲", "乙", "丙", "丁"})
MONEY_UNITS = ("万元", "元")

_INVISIBLE = "\u200b\ufeff"  # zero-width space, BOM: spaces to the user, not to isspace()
_EDGE_SPACE = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")
_ANY_SPACE = re.compile(r"[\s\u200b\ufeff]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Thousands separators only in their places: "9,787,783.26" yes, "1,5" (a decimal comma?) no.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_SUFFIX = re.compile(r"(.+?)\(([^()]*)\)")
_SUFFIX_UNIT = re.compile(r"(?:(?:金额)?单位:?)?(万元|元|千元|亿元)")
# "单位：元", "金额单位:万元", "(单位：万元)"; not "编制单位：元谋县医保局".
_CAPTION = re.compile(r"(?<!编制)(?<!预算)(?<!填报)(?:金额)?单位:?(千元|万元|亿元|元)(?![\u4e00-\u9fff])")


# --------------------------------------------------------------------------- cells


def strip(s: str) -> str:
    # the usual case without the regex: str.strip() strips what isspace() is true for (and
    # hands back the very string when there is nothing to strip)
    if s and s.strip() is s and s[0] not in _INVISIBLE and s[-1] not in _INVISIBLE:
        return s
    return _EDGE_SPACE.sub("", s)


def cell_text(v: Any) -> str:
    """Cell as the user reads it; numbers never in scientific notation, 101001.0 → 101001."""
    if v is None:
        return ""
    if v.__class__ is str:
        return strip(v)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v.is_integer():
            return str(int(v))
        return format(Decimal(repr(v)), "f")
    return strip(str(v))


def text(v: Any, code: bool = False) -> str:
    """Cell text; ``code=True`` also folds full-width characters (codes must match)."""
    s = strip(v) if v.__class__ is str else cell_text(v)
    if code:
        s = strip(unicodedata.normalize("NFKC", s))
    # A leading apostrophe is how users force Excel/CSV to keep a code as text.
    if s.startswith("'"):
        s = strip(s[1:])
    return s


def raw(v: Any) -> str | None:
    s = cell_text(v)
    return s if s else None


def blank(v: Any) -> bool:
    if v is None:
        return True
    cls = v.__class__
    if cls is str:  # text(v) == "", without building it
        s = strip(v)
        return not s or (s[0] == "'" and not strip(s[1:]))
    if cls is float or cls is int or cls is bool:  # a number's text is never empty
        return False
    return text(v) == ""


def plain(v: Any) -> str:
    """Text folded for parsing: full-width → half-width, no spaces, no leading apostrophe."""
    s = _ANY_SPACE.sub("", unicodedata.normalize("NFKC", cell_text(v)))
    return s.lstrip("'")


def number(v: Any) -> float | None:
    """A finite number from a numeric cell or plain-number text ("1,488.78", "１５００")."""
    if v.__class__ is float or v.__class__ is int:  # the usual case first (bool is not int)
        x = float(v)
    elif isinstance(v, bool) or isinstance(v, (datetime, date, time, timedelta)):
        return None
    elif isinstance(v, (int, float, Decimal)):
        x = float(v)
    else:
        s = plain(v)
        if "," in s:
            if not _GROUPED.fullmatch(s):
                return None
            s = s.replace(",", "")
        if not _NUMBER.fullmatch(s):
            return None
        x = float(s)
    return x + 0.0 if math.isfinite(x) else None  # + 0.0 turns -0.0 into 0.0


def nice(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 1e15 else x


def a1(row: int, col: int) -> str:
    """A1 address of 1-based ``row`` and 0-based ``col``."""
    return f"{get_column_letter(col + 1)}{row}"


def compact(v: Any) -> str:
    """Text with every space removed (全角 folded): "合  计" → "合计"."""
    return _ANY_SPACE.sub("", unicodedata.normalize("NFKC", cell_text(v)))


# --------------------------------------------------------------------------- files


@dataclass
class Sheet:
    file: str
    sheet: str | None  # None for CSV
    rows: dict[int, list]  # 1-based row number → cell values; blank rows left out
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # c0, r0, c1, r1

    def value(self, row: int, col: int) -> Any:
        """Value at 1-based ``row`` and 0-based ``col`` (None outside the data)."""
        values = self.rows.get(row)
        return values[col] if values is not None and col < len(values) else None


def check_file(path: str | os.PathLike, code: str = "input.sheet",
               extensions: tuple[str, ...] = (".xlsx", ".xlsm", ".csv")) -> str:
    """The file's name if it exists and has a supported extension; raises InputError(code) if not."""
    file = os.fspath(path)
    p = Path(file)
    if not p.is_file():
        raise InputError(code, f"找不到文件 {file}")
    ext = p.suffix.lower()
    if ext not in extensions:
        raise InputError(code, f"不支持的文件类型 {file}（{ext or '无扩展名'}），请另存为 .xlsx 或 .csv")
    return file


def load(path: str | os.PathLike, *, code: str = "input.sheet") -> Sheet:
    """The first sheet of an .xlsx/.xlsm, or a .csv (UTF-8 with or without BOM, GBK)."""
    return load_book(path, code=code, first_only=True)[0]


def load_book(path: str | os.PathLike, *, code: str = "input.sheet",
              sheet: str | None = None, first_only: bool = False) -> list[Sheet]:
    """Every worksheet (or just ``sheet``, or the first) of an .xlsx/.xlsm, or a .csv.

    The file is looked at before openpyxl parses it (xlkit.read.safety): encrypted, strict
    OOXML, zip or XML bombs and parts with a DOCTYPE are refused with an InputError of ``code``.
    """
    file = check_file(path, code)
    if Path(file).suffix.lower() == ".csv":
        return [_load_csv(file, code)]
    return _load_xlsx(file, code, sheet, first_only)


def _precheck(file: str, code: str) -> None:
    from xlkit.ooxml.safety import OFFICE_INPUT_LIMITS, precheck  # before any XML is parsed

    try:
        result = precheck(Path(file), OFFICE_INPUT_LIMITS)
    except Exception as e:  # pragma: no cover - precheck handles its own errors
        raise InputError(code, f"{file} 无法打开（文件损坏或已加密）") from e
    if result.rejected is not None:
        f = result.rejected
        damaged = f.code in ("file.corrupt", "file.encrypted", "file.not_spreadsheet")
        reason = "（文件损坏或已加密）" if damaged else ""
        raise InputError(code, f"{file} 无法打开{reason}：{f.message}")


def _load_xlsx(file: str, code: str, name: str | None,
               first_only: bool) -> list[Sheet]:
    """Values through calamine (Rust; some 15× faster than openpyxl on a 10,000-row list).
    A workbook with an error cell (#N/A, #DIV/0!) goes through openpyxl instead, because
    calamine reads errors as blank and the user must be told the raw value; so does one
    calamine cannot parse, and openpyxl's verdict is reported."""
    _precheck(file, code)
    try:
        if not _has_error_cells(file):
            return _load_calamine(file, code, name, first_only)
    except InputError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: B036 - a Rust panic is a BaseException
        pass
    return _load_xlsx_openpyxl(file, code, name, first_only)


def _load_calamine(file: str, code: str, name: str | None,
                   first_only: bool) -> list[Sheet]:
    wb = python_calamine.CalamineWorkbook.from_path(file)
    try:
        sheets = [m.name for m in wb.sheets_metadata
                  if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
        if not sheets:
            raise InputError(code, f"{file} 中没有工作表")
        if name is not None:
            if name not in sheets:
                titles = "".join(f"「{t}」" for t in sheets)
                raise InputError(code, f"{file} 中找不到工作表「{name}」；工作簿中的工作表：{titles}")
            sheets = [name]
        elif first_only:
            sheets = sheets[:1]
        out = []
        for title in sheets:
            ws = wb.get_sheet_by_name(title)
            rows = {}
            for n, values in enumerate(ws.to_python(skip_empty_area=False, nrows=MAX_ROWS),
                                       start=1):
                values = [_calamine_value(v) for v in values]
                if not all(blank(v) for v in values):
                    rows[n] = values
            merges = [(c0 + 1, r0 + 1, c1 + 1, r1 + 1)
                      for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ()]
            out.append(Sheet(file, title, rows, merges))
        return out
    finally:
        wb.close()


def _calamine_value(v: Any) -> Any:
    """calamine's value as openpyxl gives it: blank None, 400000.0 → 400000, a date as a
    datetime (what the rest of the importers were written and tested against)."""
    if type(v) is float:
        return int(v) if v.is_integer() and abs(v) < 2 ** 53 else v
    if v == "":
        return None
    if type(v) is date:
        return datetime(v.year, v.month, v.day)
    return v


def _has_error_cells(file: str) -> bool:
    """Whether any worksheet part of the workbook has a cell of type error (``t="e"``)."""
    import zipfile

    with zipfile.ZipFile(file) as z:
        for info in z.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with z.open(info) as fh:
                    tail = b""
                    for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        data = tail + chunk
                        # the regex only where its quoted e can be (a plain search is 10× faster)
                        if any(q in data for q in _QUOTED_E) and _ERROR_CELL.search(data):
                            return True
                        tail = chunk[-256:]  # a start tag cut in two
    return False


_ERROR_CELL = re.compile(rb"""<(?:\w+:)?c\s[^>]*\bt\s*=\s*["']e["']""")
_QUOTED_E = (b'"e"', b"'e'", b'"e\'', b"'e\"")  # what _ERROR_CELL's ["']e["'] can be


def _load_xlsx_openpyxl(file: str, code: str, name: str | None,
                        first_only: bool) -> list[Sheet]:
    """The thorough path: used for sheets with error cells, which calamine reads as blank."""
    broken = f"{file} 无法打开（文件损坏或已加密）"
    try:
        with warnings.catch_warnings():  # unknown extensions etc. are not the user's concern
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except Exception as e:  # zip, XML and key errors all mean the same thing to the user
        raise InputError(code, broken) from e
    try:
        sheets = wb.worksheets
        if not sheets:
            raise InputError(code, f"{file} 中没有工作表")
        if name is not None:
            sheets = [ws for ws in sheets if ws.title == name]
            if not sheets:
                titles = "".join(f"「{ws.title}」" for ws in wb.worksheets)
                raise InputError(code, f"{file} 中找不到工作表「{name}」；工作簿中的工作表：{titles}")
        elif first_only:
            sheets = sheets[:1]
        out = []
        for ws in sheets:
            # Some generators write a wrong <dimension>; trusting it would drop rows.
            ws.reset_dimensions()
            rows = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for n, values in enumerate(ws.iter_rows(values_only=True, max_row=MAX_ROWS),
                                           start=1):
                    if not all(blank(v) for v in values):
                        rows[n] = list(values)
            out.append(Sheet(file, ws.title, rows, _merged_ranges(ws)))
        return out
    except InputError:
        raise
    except Exception as e:
        raise InputError(code, broken) from e
    finally:
        wb.close()


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet, which openpyxl does not expose; [] if unreadable."""
    out = []
    try:
        with ws._get_source() as src:
            for _, el in iterparse(src, events=("end",)):
                if el.tag.rsplit("}", 1)[-1] == "mergeCell" and el.get("ref"):
                    c0, r0, c1, r1 = range_boundaries(el.get("ref"))
                    if None not in (c0, r0, c1, r1):
                        out.append((c0, r0, c1, r1))
                el.clear()
    except Exception:
        return []
    return out


def _load_csv(file: str, code: str) -> Sheet:
    from xlkit.ooxml.safety import DEFAULT_LIMITS

    try:
        if Path(file).stat().st_size > DEFAULT_LIMITS.max_file_bytes:
            raise InputError(code, f"{file} 过大（超过 {DEFAULT_LIMITS.max_file_bytes // 1048576} MB）")
        data = Path(file).read_bytes()
    except OSError as e:
        raise InputError(code, f"{file} 无法打开（{e.strerror or e}）") from e
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(code, f"{file} 无法识别文件编码（支持 UTF-8 和 GBK），请另存为 .xlsx")
    if "\x00" in content:
        raise InputError(code, f"{file} 不是文本格式的 CSV 文件")
    try:
        records = list(csv.reader(io.StringIO(content, newline="")))
    except csv.Error as e:
        raise InputError(code, f"{file} 不是有效的 CSV 文件（{e}）") from e
    rows = {n: r for n, r in enumerate(records, start=1)
            if n <= MAX_ROWS and not all(blank(v) for v in r)}
    return Sheet(file, None, rows)


# --------------------------------------------------------------------------- header


def header_label(v: Any, *, loose: bool = True) -> tuple[str, str | None]:
    """Canonical header and its money-unit suffix: "全年预算数（万元）" → (全年预算数, 万元).

    ``loose`` drops any bracketed suffix ("联系电话（手机）" → 联系电话); otherwise only a
    unit suffix goes, so "本年支出（基本支出）" stays what it says.
    """
    s = compact(v).lstrip("*★")
    unit = None
    m = _SUFFIX.fullmatch(s)
    if m:
        u = _SUFFIX_UNIT.fullmatch(m.group(2))
        if u or loose:
            s = m.group(1)
            unit = u.group(1) if u else None
    s = s.removeprefix("其中:").rstrip(":")
    return s, unit


@dataclass
class HeaderCell:
    row: int  # 1-based
    col: int  # 0-based
    raw: str  # as the user reads it
    label: str  # header_label
    unit: str | None  # unit from a "(万元)" suffix

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)


@dataclass
class HeaderColumn:
    index: int  # 0-based
    path: list[HeaderCell]  # group title → sub-column, top to bottom, decoration left out
    part: str | None = None  # 类 / 款 / 项 when a decoration row splits a code column
    key: str | None = None
    cell: HeaderCell | None = None  # the header cell that matched ``key``
    parent_key: str | None = None  # a part of key's group (年初结转和结余 / 基本支出结转)

    @property
    def text(self) -> str:
        return "/".join(c.raw for c in self.path)

    @property
    def last(self) -> HeaderCell | None:
        return self.path[-1] if self.path else None


@dataclass
class Header:
    start: int  # first header row, 1-based
    end: int  # last header row; data starts below it
    columns: list[HeaderColumn]  # columns with any header text, left to right
    cols: dict[str, int] = field(default_factory=dict)  # key → 0-based column
    parts: dict[str, list[int]] = field(default_factory=dict)  # key → 类/款/项 columns
    duplicates: list[HeaderColumn] = field(default_factory=list)  # same key again: ignored

    @property
    def seen(self) -> list[str]:
        """The header texts the user sees, one per column (the lowest title)."""
        return [c.last.raw for c in self.columns if c.last is not None]

    def column(self, key: str) -> HeaderColumn | None:
        i = self.cols.get(key)
        return self.column_at(i) if i is not None else None

    def column_at(self, index: int) -> HeaderColumn | None:
        return next((c for c in self.columns if c.index == index), None)


def _is_integer_run(xs: list[float]) -> bool:
    return bool(xs) and all(x.is_integer() for x in xs) and \
        all(b - a == 1 for a, b in zip(xs, xs[1:], strict=False))


def is_decoration(values: list) -> bool:
    """A 栏次 row ("栏次 1 2 3 …") or a 类 / 款 / 项 row under a header."""
    labels, numbers = [], []
    for v in values:
        if blank(v):
            continue
        x = number(v)
        if x is not None:
            numbers.append(x)
        else:
            labels.append(compact(v))
    if any(lb not in DECORATION for lb in labels):
        return False
    if numbers and not _is_integer_run(numbers):
        return False
    return bool(labels) or (len(numbers) >= 3 and numbers[0] in (0, 1))


def _numeric_cells(values: list) -> bool:
    return any(not blank(v) and number(v) is not None for v in values)


def find_header(sheet: Sheet, synonyms: dict[str, str], accept: Callable[[set[str]], bool], *,
                scan: int = HEADER_SCAN, row: int | None = None, loose: bool = True,
                max_depth: int = 6) -> Header | None:
    """The header block: its first row is the first of the top ``scan`` rows whose labels
    ``accept`` (or ``row``); rows below belong to it while they are sub-titles, 栏次 or
    类/款/项 rows; a row above joins when a merged title reaches down into it.

    Every column gets its title path (merged group titles filled in, also for CSV where a
    group title stands only above its first sub-column) and the key its lowest title
    matching ``synonyms`` names. A group title over sub-columns matches only the sub-column
    named 合计 (or the title alone when it has no sub-columns); the other sub-columns get
    ``parent_key``. ``None`` when no row is accepted.
    """
    def labels_of(n: int) -> set[str]:
        return {header_label(v, loose=loose)[0] for v in sheet.rows.get(n, ())} - {""}

    if row is None:
        start = next((n for n in sorted(r for r in sheet.rows if r <= scan)
                      if accept(labels_of(n))), None)
        if start is None:
            return None
    else:
        start = row
        if start not in sheet.rows:
            return None

    def spans(a: int, b: int) -> bool:  # a merged range covers rows a and b
        return any(r0 <= a and b <= r1 for _, r0, _, r1 in sheet.merges)

    while start - 1 in sheet.rows and spans(start - 1, start) and \
            not _numeric_cells(sheet.rows[start - 1]) and row is None:
        start -= 1
    end = start
    while end - start + 1 < max_depth and end + 1 in sheet.rows:
        below = sheet.rows[end + 1]
        if is_decoration(below):
            end += 1
            continue
        if _numeric_cells(below):
            break
        known = labels_of(end + 1) & (synonyms.keys() | TOTAL_CHILDREN)
        if known or spans(end, end + 1):
            end += 1
            continue
        break

    block = range(start, end + 1)
    width = max(len(sheet.rows.get(n, ())) for n in block)
    grid = {n: [sheet.value(n, c) for c in range(width)] for n in block}
    covered = set()
    for c0, r0, c1, r1 in sheet.merges:
        if r1 < start or r0 > end or c0 > width:
            continue
        top = sheet.value(r0, c0 - 1) if r0 >= start else None
        for n in range(max(r0, start), min(r1, end) + 1):
            for c in range(c0 - 1, min(c1, width)):
                covered.add((n, c))
                if blank(grid[n][c]) and r0 >= start:
                    grid[n][c] = top
    decor = {n for n in block if is_decoration(grid[n])}
    titled = [n for n in block if n not in decor]
    # CSV-style group titles: a blank title above a sub-title inherits from its left.
    for upper, lower in reversed(list(zip(titled, titled[1:], strict=False))):
        for c in range(1, width):
            if blank(grid[upper][c]) and (upper, c) not in covered and \
                    not blank(grid[lower][c]) and not blank(grid[upper][c - 1]) and \
                    not blank(grid[lower][c - 1]):
                grid[upper][c] = grid[upper][c - 1]

    head = Header(start, end, [])
    for c in range(width):
        path: list[HeaderCell] = []
        part = None
        for n in block:
            v = grid[n][c]
            if blank(v):
                continue
            label, unit = header_label(v, loose=loose)
            if n in decor:
                if label in CODE_PARTS:
                    part = label
                continue
            if path and path[-1].label == label:
                continue
            path.append(HeaderCell(n, c, cell_text(v), label, unit))
        if not path and part and head.columns and head.columns[-1].index == c - 1 and \
                head.columns[-1].part:
            path = list(head.columns[-1].path)  # CSV: 款 | 项 under a title written once
        if path:
            head.columns.append(HeaderColumn(c, path, part))
    for col in head.columns:
        _match(col, synonyms)
        if col.key is None:
            continue
        if col.key not in head.cols:
            head.cols[col.key] = col.index
            if col.part:
                head.parts[col.key] = [col.index]
        elif col.part and col.key in head.parts and \
                [c.label for c in col.path] == [c.label for c in head.column(col.key).path]:
            head.parts[col.key].append(col.index)  # 类 | 款 | 项 under one code title
        else:
            head.duplicates.append(col)
    return head


def _match(col: HeaderColumn, synonyms: dict[str, str]) -> None:
    for j in range(len(col.path) - 1, -1, -1):
        key = synonyms.get(col.path[j].label)
        if key is None:
            continue
        below = [c.label for c in col.path[j + 1:]]
        if all(b in TOTAL_CHILDREN for b in below):
            col.key, col.cell = key, col.path[j]
        else:
            col.parent_key = key
        return


def header_like_rows(sheet: Sheet, scan: int = HEADER_SCAN) -> tuple[int, list[str]] | None:
    """The row of the top ``scan`` with the most text cells (what looks like a header)."""
    best = None
    for n in sorted(r for r in sheet.rows if r <= scan):
        texts = [cell_text(v) for v in sheet.rows[n] if not blank(v) and number(v) is None]
        if texts and (best is None or len(texts) > len(best[1])):
            best = (n, texts)
    return best


def caption_in(v: Any) -> str | None:
    """The unit a caption such as "单位：元" / "金额单位:万元" names, else None."""
    if not isinstance(v, str):
        return None
    m = _CAPTION.search(compact(v))
    return m.group(1) if m else None


def caption_unit(sheet: Sheet, upto: int) -> tuple[str, int, int, str] | None:
    """(unit, row, 0-based col, raw text) of a "单位：元" caption in rows ≤ ``upto``."""
    for n in sorted(r for r in sheet.rows if r <= upto):
        for c, v in enumerate(sheet.rows[n]):
            unit = caption_in(v)
            if unit:
                return unit, n, c, cell_text(v)
    return None


def money_unit_said(sheet: Sheet, upto: int,
                    suffixes: list[tuple[str, str, str]] = ()) -> list[tuple[str, str, str]]:
    """Where a table says its money unit, as (unit, cell, raw text): the money columns'
    header suffixes (``suffixes``: "全年预算数（元）", found by the caller's header) and a
    "单位：元" caption in the title rows (≤ ``upto``). The 决算 importer and the budget list
    decide by this one routine; several units named is the caller's error to report."""
    found = list(suffixes)
    caption = caption_unit(sheet, upto)
    if caption:
        found.append((caption[0], a1(caption[1], caption[2]), caption[3]))
    return found


# --------------------------------------------------------------------------- data rows


def fill_merged(sheet: Sheet, header_end: int, cols: set[int]) -> None:
    """Copy a merged cell's value down into the rows it covers (openpyxl leaves them empty).

    Only for the 0-based columns ``cols`` (grouping text such as a unit code: a merged amount
    must not be counted twice), and only down the merged range's first column: a code merged
    across 类 | 款 | 项 is one code, not three.
    """
    for c0, r0, _c1, r1 in sheet.merges:
        top = sheet.rows.get(r0)
        if r0 <= header_end or top is None or c0 > len(top) or blank(top[c0 - 1]) or \
                c0 - 1 not in cols:
            continue
        for r in range(r0 + 1, r1 + 1):
            row = sheet.rows.get(r)
            if row is None:  # a fully blank row stays a spacer
                continue
            row.extend([None] * (c0 - len(row)))
            if blank(row[c0 - 1]):
                row[c0 - 1] = top[c0 - 1]


def total_kind(*cells: Any) -> str | None:
    """合计 / 小计 / 总计 / 其中 when one of ``cells`` labels the row so, else None.

    "合计", "合  计", "项目支出合计", "其中：财政拨款" count; a code or a name does not.
    """
    for v in cells:
        if blank(v) or not isinstance(v, str):
            continue
        s = compact(v).lstrip("'")
        if s.startswith("其中"):
            return "其中"
        for p in TOTAL_PREFIXES:
            if s.startswith(p) or s.endswith(p):
                return p
    return None


def is_total(values: list, code: Any) -> bool:
    """The 合计 label sits in the code column, or in the first filled cell when that is blank."""
    first = code if not blank(code) else next((v for v in values if not blank(v)), None)
    return compact(first).startswith(TOTAL_PREFIXES)
