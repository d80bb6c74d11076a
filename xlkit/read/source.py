"""Cell sources: one interface over a returned workbook, whatever saved it.

A source answers four questions: which sheets are there (and hidden how), what the ``_meta``
rows say, where the defined names point, and what one cell holds (value, formula, whether it
is formatted as a percentage). The reader never touches openpyxl or xlrd directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from xlkit.core.meta import META_SHEET
from xlkit.findings import InputError
from xlkit.ooxml.errors import damage_reason
from xlkit.ooxml.parts import NO_HIDDEN, HiddenLines, hidden_lines, sheet_parts
from xlkit.ooxml.safety import Precheck


class RawCell(NamedTuple):  # a tuple: made for every cell read, cheaply
    value: Any = None  # the value the file shows (a formula's cached result)
    formula: str | None = None  # "=..." when the cell holds a formula
    percent: bool = False  # number format shows a percentage


class CellSource(Protocol):
    kind: str
    has_formulas: bool

    def sheets(self) -> dict[str, str]: ...  # name -> visible | hidden | veryHidden
    def modified(self) -> str | None: ...
    def meta_rows(self) -> dict[str, str] | None: ...
    def names(self) -> dict[str, tuple[str, str]]: ...  # name -> (sheet, "A1")
    def cell(self, sheet: str, address: str) -> RawCell: ...
    def hidden_lines(self, sheet: str) -> HiddenLines: ...  # rows and columns it hides


_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def split_ref(ref: str) -> tuple[str, str] | None:
    """``'自评表'!$F$7`` → (自评表, F7); None for ranges or anything else."""
    if "!" not in ref:
        return None
    sheet, addr = ref.rsplit("!", 1)
    m = _A1.match(addr.strip())
    if not m:
        return None
    return sheet.strip().strip("'").replace("''", "'"), f"{m[1]}{m[2]}"


class OpenpyxlSource:
    """The thorough path: openpyxl in read-only mode, once for formulas, once for values.

    Only the rectangle that holds the requested cells is scanned, so a sheet that claims
    absurd dimensions costs nothing extra.
    """

    kind = "xlsx"
    has_formulas = True

    def __init__(self, path: Path):
        import warnings

        import openpyxl

        try:
            with warnings.catch_warnings():  # unknown extensions etc. are not the user's concern
                warnings.simplefilter("ignore")
                self.wb_f = openpyxl.load_workbook(path, read_only=True, data_only=False,
                                                   keep_links=False)
                self.wb_v = openpyxl.load_workbook(path, read_only=True, data_only=True,
                                                   keep_links=False)
        except Exception as exc:  # openpyxl raises many types on damaged files
            raise InputError("file.corrupt", f"文件损坏，无法打开（{damage_reason(exc)}）") from None
        self._cache: dict[str, dict[str, RawCell]] = {}
        self.path = path

    def close(self) -> None:
        self.wb_f.close()
        self.wb_v.close()

    def hidden_lines(self, sheet: str) -> HiddenLines:
        """Read-only openpyxl keeps no row or column dimensions: the sheet's part, parsed."""
        import zipfile

        from xlkit.ooxml.zip import read_bounded

        try:
            with zipfile.ZipFile(self.path) as z:
                part = sheet_parts(lambda name: read_bounded(z, z.getinfo(name)),
                                   set(z.namelist())).get(sheet)
                if part is None:
                    return NO_HIDDEN
                with z.open(part) as fh:
                    return hidden_lines(fh)
        except Exception as exc:  # noqa: BLE001 - a damaged part, whatever the parser raises
            raise InputError("file.corrupt", f"文件损坏，无法读取（工作表 {sheet}："
                                              f"{damage_reason(exc)}）") from None

    def sheets(self) -> dict[str, str]:
        return {ws.title: ws.sheet_state for ws in self.wb_f.worksheets}

    def modified(self) -> str | None:
        """When the workbook says it was last saved (docProps/core.xml), ISO format."""
        when = getattr(self.wb_f.properties, "modified", None)
        return when.isoformat(timespec="seconds") if when else None

    def meta_rows(self) -> dict[str, str] | None:
        if META_SHEET not in self.wb_v.sheetnames:
            return None
        ws = self.wb_v[META_SHEET]
        try:
            return {str(r[0]): "" if r[1] is None else str(r[1])
                    for r in ws.iter_rows(min_col=1, max_col=2, max_row=1000, values_only=True)
                    if r and r[0] is not None}
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged cells
            raise InputError("file.corrupt", f"文件损坏，无法读取（工作表 {META_SHEET}："
                                              f"{damage_reason(exc)}）") from None

    def names(self) -> dict[str, tuple[str, str]]:
        out = {}
        for name, dn in self.wb_f.defined_names.items():
            ref = split_ref(dn.attr_text or "")
            if ref:
                out[name] = ref
        return out

    def load(self, sheet: str, addresses: list[str]) -> None:
        """Scan once the rectangle of ``sheet`` that holds ``addresses``. openpyxl parses a
        read-only sheet here: what it raises on a damaged sheet becomes InputError."""
        try:
            self._load(sheet, addresses)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged cells
            raise InputError("file.corrupt", f"文件损坏，无法读取（工作表 {sheet}："
                                              f"{damage_reason(exc)}）") from None

    def _load(self, sheet: str, addresses: list[str]) -> None:
        from openpyxl.utils.cell import coordinate_to_tuple

        if sheet not in self.wb_f.sheetnames or not addresses:
            return
        spots = [coordinate_to_tuple(a) for a in addresses]
        max_row, max_col = max(r for r, _ in spots), max(c for _, c in spots)
        values = {}
        for row in self.wb_v[sheet].iter_rows(max_row=max_row, max_col=max_col):
            for c in row:
                if getattr(c, "value", None) is not None:
                    values[c.coordinate] = c.value
        cells = {}
        for row in self.wb_f[sheet].iter_rows(max_row=max_row, max_col=max_col):
            for c in row:
                v = getattr(c, "value", None)
                if v is None:
                    continue
                if isinstance(v, int) and len(str(abs(v))) > 300:  # as the fast path says
                    raise InputError("file.corrupt", f"文件损坏，无法读取（工作表 {sheet} 单元格 "
                                                      f"{c.coordinate}：数值「{str(v)[:60]}…」超出 Excel "
                                                      "能表示的范围）")
                formula = v if c.data_type == "f" or (isinstance(v, str) and v.startswith("=")) \
                    else None
                shown = values.get(c.coordinate) if formula else v
                cells[c.coordinate] = RawCell(shown, str(formula) if formula else None,
                                              "%" in (c.number_format or ""))
        self._cache.setdefault(sheet, {}).update(cells)

    def cell(self, sheet: str, address: str) -> RawCell:
        return self._cache.get(sheet, {}).get(address, RawCell())


def _xlrd_reason(text: str) -> str:
    """xlrd's complaint about a file, in Chinese."""
    low = text.lower()
    if "expected bof" in low or "unsupported format" in low:
        return "不是 Excel 97-2003 格式，或文件已损坏"
    if "xlsx" in low:
        return "文件实为 .xlsx，扩展名不符"
    return "文件结构损坏"


class XlsSource:
    """Workbooks re-saved as .xls by old Excel / WPS: values only, through xlrd."""

    kind = "xls"
    has_formulas = False

    def __init__(self, path: Path):
        import os

        import xlrd

        try:
            with open(os.devnull, "w") as devnull:  # xlrd reports damage on stdout otherwise
                # formats: a percentage typed as Excel stores it (0.97, shown 97%) counts
                self.book = xlrd.open_workbook(str(path), formatting_info=True,
                                               on_demand=False, logfile=devnull, verbosity=0)
        except xlrd.biffh.XLRDError as exc:
            text = str(exc)
            if "encrypt" in text.lower():
                raise InputError("file.encrypted", "文件设置了打开密码（已加密），"
                                                    "请取消密码后重新报送") from None
            raise InputError("file.corrupt", f".xls 文件无法读取（{_xlrd_reason(text)}）") from None
        except Exception as exc:  # damaged BIFF raises anything from struct to IndexError
            raise InputError("file.corrupt", f".xls 文件损坏，无法读取（{damage_reason(exc)}）") from None

    def modified(self) -> str | None:
        return None  # BIFF keeps it in a property stream xlrd does not read

    def hidden_lines(self, sheet: str) -> HiddenLines:
        return NO_HIDDEN  # read from values only

    def sheets(self) -> dict[str, str]:
        states = {0: "visible", 1: "hidden", 2: "veryHidden"}
        return {s.name: states.get(s.visibility, "visible") for s in self.book.sheets()}

    def meta_rows(self) -> dict[str, str] | None:
        if META_SHEET not in self.book.sheet_names():
            return None
        ws = self.book.sheet_by_name(META_SHEET)
        out = {}
        for r in range(ws.nrows):
            if ws.ncols >= 2 and ws.cell_value(r, 0) != "":
                out[str(ws.cell_value(r, 0))] = str(ws.cell_value(r, 1))
        return out

    def names(self) -> dict[str, tuple[str, str]]:
        return {}  # xlrd's name formulas are not dependable; _meta's field map is used

    def load(self, sheet: str, addresses: list[str]) -> None:
        pass  # xlrd has read the whole book already

    def cell(self, sheet: str, address: str) -> RawCell:
        import xlrd
        from openpyxl.utils.cell import coordinate_to_tuple

        if sheet not in self.book.sheet_names():
            return RawCell()
        ws = self.book.sheet_by_name(sheet)
        r, c = coordinate_to_tuple(address)
        if r - 1 >= ws.nrows or c - 1 >= ws.ncols:
            return RawCell()
        x = ws.cell(r - 1, c - 1)
        if x.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return RawCell()
        if x.ctype == xlrd.XL_CELL_ERROR:
            return RawCell(xlrd.error_text_from_code.get(x.value, "#VALUE!"))
        if x.ctype == xlrd.XL_CELL_BOOLEAN:
            return RawCell(bool(x.value))
        return RawCell(x.value, None, self._percent(x.xf_index))

    def _percent(self, xf: int) -> bool:
        from xlkit.read.fastsource import shows_percent

        try:
            fmt = self.book.format_map.get(self.book.xf_list[xf].format_key)
        except (IndexError, AttributeError):  # no formatting records
            return False
        return fmt is not None and shows_percent(fmt.format_str)


ENGINES = ("fast", "openpyxl")


def open_source(path: Path, kind: str, engine: str = "fast",
                pre: Precheck | None = None) -> CellSource:
    """The source for a prechecked file: .xls through xlrd; .xlsx through zip + expat
    (``engine="fast"``, :class:`xlkit.read.fastsource.ZipXmlSource`, which reuses what
    ``pre`` read) or openpyxl."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if kind == "xls":
        return XlsSource(path)
    if engine == "fast":
        from xlkit.read.fastsource import ZipXmlSource

        if pre is not None and pre.zip is not None:
            return ZipXmlSource(path, archive=pre.zip, parts=pre.parts)
        return ZipXmlSource(path)
    return OpenpyxlSource(path)
