"""Read and validate the office's inputs: the distribution list and the approved targets.

Bad rows become :class:`ListProblem` entries (in Chinese, with the row number the user sees)
and are skipped; only a file that cannot be read at all raises :class:`ListError`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from defusedxml.ElementTree import iterparse
from openpyxl.utils.cell import range_boundaries

MONEY_UNITS = ("万元", "元")
LEVELS = ("project", "unit")
HEADER_SCAN = 10
TOTAL_PREFIXES = ("合计", "小计", "总计")

#: Distribution-list header → row key.
LIST_COLUMNS = {
    "单位编码": "unit_code",
    "单位名称": "unit_name",
    "主管部门": "department",
    "项目编码": "project_code",
    "项目名称": "project_name",
    "年初预算数": "initial",
    "全年预算数": "full_year",
    "当年财政拨款": "fiscal",
    "上年结转资金": "carryover",
    "其他资金": "other",
    "联系人": "contact",
    "联系电话": "phone",
}
#: Money column key → (funds row, funds column) in the form spec.
FUND_CELLS = {
    "initial": ("total", "initial"),
    "full_year": ("total", "full_year"),
    "fiscal": ("fiscal", "full_year"),
    "carryover": ("carryover", "full_year"),
    "other": ("other", "full_year"),
}
TEXT_KEYS = ("unit_code", "unit_name", "department", "project_code", "project_name",
             "contact", "phone")
# Codes and phone numbers are identifiers: full-width digits must match half-width ones.
CODE_KEYS = ("unit_code", "project_code", "phone")

TARGET_COLUMNS = {
    "项目编码": "project_code",
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "name",
    "指标方向": "direction",
    "年度指标值": "target",
    "计量单位": "unit",
    "分值": "weight",
}
DIRECTION_ALIASES = {
    "≥": "≥", ">=": "≥", "≧": "≥", "=>": "≥", "正向": "≥", "大于等于": "≥",
    "≤": "≤", "<=": "≤", "≦": "≤", "=<": "≤", "反向": "≤", "小于等于": "≤",
    "=": "=", "==": "=", "等于": "=",
    "定性": "定性",
}
QUANTITATIVE = ("≥", "≤", "=")

_LABELS = {v: k for k, v in {**LIST_COLUMNS, **TARGET_COLUMNS}.items()}
_EDGE_SPACE = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")
_ANY_SPACE = re.compile(r"[\s\u200b\ufeff]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_SUFFIX = re.compile(r"(.+?)\(([^()]*)\)")
_SUFFIX_UNIT = re.compile(r"(?:单位:)?(万元|元|千元|亿元)")
_MONEY_TEXT_UNIT = re.compile(r"(.*?)(万元|元)")


class ListError(Exception):
    """The file cannot be read at all; the message (Chinese) names the file."""


@dataclass
class ListProblem:
    """One problem in an input file, reported in Chinese."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        text = self.file
        if self.row is not None:
            text += f" 第 {self.row} 行"
        if self.column:
            text += f"「{self.column}」"
        text += f": {self.message}"
        if self.value is not None:
            text += f"（原值：{self.value!r}）"
        return text


@dataclass
class ListResult:
    rows: list[dict]
    problems: list[ListProblem]
    total_rows: int


# --------------------------------------------------------------------------- cells


def _strip(s: str) -> str:
    return _EDGE_SPACE.sub("", s)


def _cell_text(v: Any) -> str:
    """Cell as the user reads it; numbers never in scientific notation, 101001.0 → 101001."""
    if v is None:
        return ""
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
    return _strip(str(v))


def _text(v: Any, code: bool = False) -> str:
    s = _cell_text(v)
    if code:
        s = _strip(unicodedata.normalize("NFKC", s))
    # A leading apostrophe is how users force Excel/CSV to keep a code as text.
    if s.startswith("'"):
        s = _strip(s[1:])
    return s


def _raw(v: Any) -> str | None:
    s = _cell_text(v)
    return s if s else None


def _blank(v: Any) -> bool:
    return _text(v) == ""


def _number(v: Any) -> float | None:
    """A finite number from a numeric cell or plain-number text ("1,488.78", "１５００")."""
    if isinstance(v, bool) or isinstance(v, (datetime, date, time, timedelta)):
        return None
    if isinstance(v, (int, float)):
        x = float(v)
    else:
        s = _plain(v)
        if not _NUMBER.fullmatch(s):
            return None
        x = float(s)
    return x + 0.0 if math.isfinite(x) else None  # + 0.0 turns -0.0 into 0.0


def _plain(v: Any) -> str:
    s = _ANY_SPACE.sub("", unicodedata.normalize("NFKC", _cell_text(v)))
    return s.lstrip("'").replace(",", "")


def _nice(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 1e15 else x


# --------------------------------------------------------------------------- files


@dataclass
class _Sheet:
    file: str
    sheet: str | None
    rows: dict[int, list]  # 1-based row number → cell values; blank rows left out
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # c0, r0, c1, r1


def _load(path: str | os.PathLike) -> _Sheet:
    file = os.fspath(path)
    p = Path(file)
    if not p.is_file():
        raise ListError(f"找不到文件 {file}")
    ext = p.suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        return _load_xlsx(file)
    if ext == ".csv":
        return _load_csv(file)
    raise ListError(f"不支持的文件类型 {file}（{ext or '无扩展名'}），请另存为 .xlsx 或 .csv")


def _load_xlsx(file: str) -> _Sheet:
    broken = f"{file} 无法打开（文件损坏或已加密）"
    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as e:  # zip, XML and key errors all mean the same thing to the user
        raise ListError(broken) from e
    try:
        if not wb.worksheets:
            raise ListError(f"{file} 中没有工作表")
        ws = wb.worksheets[0]
        # Some generators write a wrong <dimension>; trusting it would drop rows.
        ws.reset_dimensions()
        rows = {}
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if not all(_blank(v) for v in values):
                rows[n] = list(values)
        return _Sheet(file, ws.title, rows, _merged_ranges(ws))
    except ListError:
        raise
    except Exception as e:
        raise ListError(broken) from e
    finally:
        wb.close()


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet, which openpyxl does not expose; [] if unreadable."""
    out = []
    try:
        with ws._get_source() as src:
            for _, el in iterparse(src, events=("end",)):
                if el.tag.rsplit("}", 1)[-1] == "mergeCell" and el.get("ref"):
                    out.append(range_boundaries(el.get("ref")))
                el.clear()
    except Exception:
        return []
    return out


def _load_csv(file: str) -> _Sheet:
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        raise ListError(f"{file} 无法打开（{e.strerror or e}）") from e
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ListError(f"{file} 无法识别文件编码（支持 UTF-8 和 GBK），请另存为 .xlsx")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise ListError(f"{file} 不是有效的 CSV 文件（{e}）") from e
    rows = {n: r for n, r in enumerate(records, start=1) if not all(_blank(v) for v in r)}
    return _Sheet(file, None, rows)


# --------------------------------------------------------------------------- header


def _header_label(v: Any) -> tuple[str, str | None]:
    """Canonical header and its money-unit suffix: "全年预算数（万元）" → (全年预算数, 万元)."""
    s = _ANY_SPACE.sub("", unicodedata.normalize("NFKC", _cell_text(v))).lstrip("*★")
    unit = None
    m = _SUFFIX.fullmatch(s)
    if m:
        s = m.group(1)
        u = _SUFFIX_UNIT.fullmatch(m.group(2))
        unit = u.group(1) if u else None
    s = s.removeprefix("其中:").rstrip(":")
    return s, unit


@dataclass
class _Header:
    end: int  # last header row; data starts below it
    cols: dict[str, int]  # key → 0-based column index
    units: dict[str, tuple[int, str, str]]  # key → (row, raw header, unit in suffix)
    seen: list[str]
    problems: list[ListProblem]


def _find_header(sheet: _Sheet, known: dict[str, str], anchor: str) -> _Header:
    where = f"{sheet.file}" + (f" 第一个工作表「{sheet.sheet}」" if sheet.sheet else "")
    for n in sorted(r for r in sheet.rows if r <= HEADER_SCAN):
        labels = {_header_label(v)[0] for v in sheet.rows[n]}
        if anchor in labels and len(labels & known.keys()) >= 2:
            break
    else:
        raise ListError(f"{where} 前 {HEADER_SCAN} 行中找不到表头"
                        f"（应有一行包含「{anchor}」等列名）")

    cells = [(n, v) for v in sheet.rows[n]]
    end = n
    # Two-row header: a merged group title ("资金来源") above the fund columns.
    below = sheet.rows.get(n + 1)
    if below is not None:
        below_labels = {_header_label(v)[0] for v in below}
        if (below_labels - labels) & known.keys():
            end = n + 1
            width = max(len(cells), len(below))
            cells += [(n, None)] * (width - len(cells))
            cells = [(n + 1, below[i]) if i < len(below) and not _blank(below[i]) else c
                     for i, c in enumerate(cells)]

    head = _Header(end, {}, {}, [], [])
    for i, (row, v) in enumerate(cells):
        raw = _cell_text(v)
        if not raw:
            continue
        head.seen.append(raw)
        label, unit = _header_label(v)
        key = known.get(label)
        if key is None or key in head.cols:
            message = "未知列，已忽略" if key is None else "重复的列，已忽略"
            head.problems.append(ListProblem(sheet.file, sheet.sheet, row, raw, None, message))
            continue
        head.cols[key] = i
        if unit:
            head.units[key] = (row, raw, unit)
    return head


def _require(sheet: _Sheet, head: _Header, keys: tuple[str, ...]) -> None:
    missing = [_LABELS[k] for k in keys if k not in head.cols]
    if missing:
        names = "".join(f"「{m}」" for m in missing)
        seen = "、".join(head.seen) or "（无）"
        raise ListError(f"{sheet.file} 缺少必需的列{names}；找到的列：{seen}")


def _fill_merged(sheet: _Sheet, head: _Header, keys: tuple[str, ...]) -> None:
    """Copy a merged cell's value into the rows it covers (openpyxl leaves them empty).

    Only grouping text columns: a merged amount or score must not be counted twice.
    """
    cols = {head.cols[k] + 1 for k in keys if k in head.cols}
    for c0, r0, c1, r1 in sheet.merges:
        top = sheet.rows.get(r0)
        if r0 <= head.end or top is None or c0 > len(top) or _blank(top[c0 - 1]):
            continue
        for r in range(r0, r1 + 1):
            row = sheet.rows.get(r)
            if row is None:  # a fully blank row stays a spacer
                continue
            for c in range(c0, c1 + 1):
                if (r, c) == (r0, c0) or c not in cols:
                    continue
                row.extend([None] * (c - len(row)))
                if _blank(row[c - 1]):
                    row[c - 1] = top[c0 - 1]


def _data_rows(sheet: _Sheet, head: _Header):
    """(row number, cell values, {key: value}) for rows below the header with a known cell."""
    for n in sorted(r for r in sheet.rows if r > head.end):
        values = sheet.rows[n]
        cells = {k: values[i] if i < len(values) else None for k, i in head.cols.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        yield n, values, cells


def _is_total(values: list, code: Any) -> bool:
    # The 合计 label sits in the code column, or in the first filled cell when that is blank.
    first = code if not _blank(code) else next((v for v in values if not _blank(v)), None)
    return _ANY_SPACE.sub("", _cell_text(first)).startswith(TOTAL_PREFIXES)


# --------------------------------------------------------------------------- public


def read_list(path: str | os.PathLike, *, money_unit: str = "万元",
              level: str = "project") -> ListResult:
    """Read the distribution list (first sheet of .xlsx/.xlsm, or .csv in UTF-8/GBK).

    Amounts come back in 万元; ``money_unit="元"`` divides them by 10000.
    """
    if money_unit not in MONEY_UNITS:
        raise ValueError(f"money_unit must be one of {MONEY_UNITS}, not {money_unit!r}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    sheet = _load(path)
    head = _find_header(sheet, LIST_COLUMNS, "单位编码")
    required = ("unit_code", "unit_name", "full_year")
    if level == "project":
        required = ("unit_code", "unit_name", "project_code", "project_name", "full_year")
    _require(sheet, head, required)
    for key, (row, raw, unit) in head.units.items():
        # A 元 list read as 万元 would put amounts 10000 times too large on every form.
        if key in FUND_CELLS and unit != money_unit:
            raise ListError(f"{sheet.file} 第 {row} 行「{raw}」的单位是{unit}，"
                            f"但指定的金额单位是{money_unit}；请核对后按正确的金额单位读取")
    _fill_merged(sheet, head, TEXT_KEYS)

    required_text = [k for k in required if k != "full_year"]
    dup_key = "project_code" if level == "project" else "unit_code"
    first_seen: dict[str, int] = {}
    rows: list[dict] = []
    problems = list(head.problems)
    total = 0
    for n, values, cells in _data_rows(sheet, head):
        if _is_total(values, cells.get("unit_code")):
            continue
        total += 1
        found: list[ListProblem] = []

        def problem(key: str, value: Any, message: str, n: int = n,
                    found: list = found) -> None:
            found.append(ListProblem(sheet.file, sheet.sheet, n, _LABELS[key], _raw(value),
                                     message))

        out: dict[str, Any] = {k: _text(cells.get(k), k in CODE_KEYS) for k in TEXT_KEYS}
        for key in required_text:
            if not out[key]:
                problem(key, None, f"缺少{_LABELS[key]}")
        funds = {}
        for key, cell in FUND_CELLS.items():
            if key not in cells:
                continue
            amount, message = _money(cells[key], _LABELS[key], money_unit)
            if message:
                problem(key, cells[key], message)
            elif amount is not None:
                funds[cell] = amount
            elif key == "full_year":
                problem(key, None, "缺少全年预算数")
        code = out[dup_key]
        if code:
            if code in first_seen:
                problem(dup_key, cells[dup_key],
                        f"{_LABELS[dup_key]} {code} 与第 {first_seen[code]} 行重复")
            else:
                first_seen[code] = n
        if found:
            problems += found
            continue
        rows.append({**out, "funds": funds, "row": n, "source": sheet.file})
    return ListResult(rows, problems, total)


def _money(v: Any, label: str, money_unit: str) -> tuple[float | None, str | None]:
    """(amount in 万元 or None if blank, problem message or None)."""
    if _blank(v):
        return None, None
    if isinstance(v, str):
        m = _MONEY_TEXT_UNIT.fullmatch(_plain(v))
        if m:
            if m.group(2) != money_unit:
                return None, f"{label}的单位是{m.group(2)}，与金额单位（{money_unit}）不一致"
            v = m.group(1)
    x = _number(v)
    if x is None:
        return None, f"{label}不是数字"
    if x < 0:
        return None, f"{label}不能为负数"
    return (x / 10000 if money_unit == "元" else x), None


def read_targets(path: str | os.PathLike) -> tuple[dict[str, list[dict]], list[ListProblem]]:
    """Read approved performance targets: project_code → indicator rows in file order."""
    sheet = _load(path)
    head = _find_header(sheet, TARGET_COLUMNS, "项目编码")
    _require(sheet, head, ("project_code", "level1", "level2", "name", "weight"))
    _fill_merged(sheet, head, ("project_code", "level1", "level2"))

    targets: dict[str, list[dict]] = {}
    problems = list(head.problems)
    for n, values, cells in _data_rows(sheet, head):
        if _is_total(values, cells.get("project_code")):
            continue
        found: list[ListProblem] = []

        def problem(key: str, value: Any, message: str, n: int = n,
                    found: list = found) -> None:
            found.append(ListProblem(sheet.file, sheet.sheet, n, _LABELS[key], _raw(value),
                                     message))

        code = _text(cells.get("project_code"), code=True)
        texts = {k: _text(cells.get(k)) for k in ("level1", "level2", "name", "unit")}
        if not code:
            problem("project_code", None, "缺少项目编码")
        for key in ("level1", "level2", "name"):
            if not texts[key]:
                problem(key, None, f"缺少{_LABELS[key]}")

        direction = None
        raw_dir = cells.get("direction")
        if not _blank(raw_dir):
            direction = DIRECTION_ALIASES.get(_plain(raw_dir))
            if direction is None:
                problem("direction", raw_dir,
                        f"指标方向「{_cell_text(raw_dir)}」无法识别，应为 ≥、≤、= 或 定性")

        raw_target = cells.get("target")
        x = _number(raw_target)
        target: Any = _nice(x) if x is not None else (_text(raw_target) or None)
        if direction in QUANTITATIVE and x is None:
            problem("target", raw_target, "定量指标的年度指标值应为数字")

        raw_weight = cells.get("weight")
        weight = _number(raw_weight)
        if _blank(raw_weight):
            problem("weight", None, "缺少分值")
        elif weight is None:
            problem("weight", raw_weight, "分值不是数字")
        elif not 0 <= weight <= 100:
            problem("weight", raw_weight, "分值应在 0 到 100 之间")

        if found:
            problems += found
            continue
        targets.setdefault(code, []).append({
            "level1": texts["level1"], "level2": texts["level2"], "name": texts["name"],
            "direction": direction, "target": target, "unit": texts["unit"],
            "weight": _nice(weight), "row": n,
        })
    return targets, problems
