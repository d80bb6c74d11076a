"""Import budget (预算批复 / 项目库) and 决算 (final accounts) exports as they come.

The office's budget system and 决算 software export tables with titles, a "单位：元"
caption, headers over several rows (merged group titles, 栏次 and 类/款/项 rows), 合计 /
小计 / 其中 rows, thousands separators and codes stored as numbers. This module finds the
header from column synonyms, converts money to 万元 and returns the detail rows as a
DataFrame with findings (xlkit.findings.Finding) for what does not add up:

* a 合计 / 总计 row must equal the sum of the detail rows, a 小计 row the sum of its group,
  a 类 / 款 row of a 收入支出决算表 the sum of the 项 rows under it (``source.total_mismatch``);
* a 收入支出决算表 row must satisfy the 决算 identity (``source.identity``, see
  :func:`_identity`);
* an amount that is not a number (``source.bad_value``), a code twice
  (``source.duplicate``), a column that means nothing here (``source.unknown_column``).

A file that cannot be used at all raises :class:`xlkit.findings.InputError` (``input.export``,
or ``input.mapping`` for a bad mapping; Chinese, naming the file).
An unusual export is read with a mapping (:func:`load_mapping`) that names the sheet, the
header row, the money unit and the header text of any column.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from xlkit.findings import Finding, InputError, finding
from xlkit.inputs import sheet as sheetio
from xlkit.inputs.sheet import Header, HeaderColumn, Sheet, a1, blank, cell_text, compact

KINDS = ("budget", "final_projects", "final_functional")
MONEY_UNITS = ("元", "万元")
HEADER_SCAN = 20
#: Totals are compared in the file's own unit: a difference above one cent (of 元) or
#: 0.01 万元 is reported; float noise below it is not.
TOLERANCE = 0.01

_UNIT = {
    "unit_code": ("单位编码", ("单位编码", "预算单位编码", "单位代码")),
    "unit_name": ("单位名称", ("单位名称", "预算单位", "预算单位名称")),
}
_PROJECT = {
    "project_code": ("项目编码", ("项目编码", "项目代码", "项目编号")),
    "project_name": ("项目名称", ("项目名称", "项目")),
}
_FULL_YEAR = ("全年预算数", ("全年预算数", "调整后预算数", "预算数", "预算资金", "全年预算"))
_OPENING = ("年初结转和结余", ("年初结转和结余", "年初结转结余"))
_INCOME = ("本年收入", ("本年收入", "收入合计", "本年收入合计"))
_CLOSING = ("年末结转和结余", ("年末结转和结余", "年末结转结余"))
_FINAL_SPENT = ("本年支出", ("本年支出", "支出合计", "全年执行数", "实际支出", "本年支出合计",
                         "实际支出资金", "支出决算数", "决算数"))


@dataclass(frozen=True)
class _Schema:
    kind: str
    title: str  # what the user calls the table
    fields: dict[str, tuple[str, tuple[str, ...]]]  # key → (Chinese label, header synonyms)
    required: tuple[str, ...]
    money: tuple[str, ...]
    code_key: str  # the code every detail row has; duplicates are reported
    default_unit: str
    identity: tuple[str, str, str, str] | None = None  # opening, income, spent, closing

    @property
    def synonyms(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, (_, names) in self.fields.items():
            for name in names:
                out.setdefault(name, key)
                if key in self.money:  # "本年收入合计" written as one title
                    out.setdefault(name + "合计", key)
        return out

    def label(self, key: str) -> str:
        return self.fields[key][0]


BUDGET = _Schema(
    "budget", "预算批复表",
    {**_UNIT, **_PROJECT,
     "budget_initial": ("年初预算数", ("年初预算数", "年初预算")),
     "budget_full_year": _FULL_YEAR,
     "fiscal": ("当年财政拨款", ("当年财政拨款", "财政拨款", "本年财政拨款")),
     "carryover": ("上年结转资金", ("上年结转资金", "上年结转")),
     "other": ("其他资金", ("其他资金",))},
    required=("project_code", "project_name", "budget_full_year"),
    money=("budget_initial", "budget_full_year", "fiscal", "carryover", "other"),
    code_key="project_code", default_unit="万元")

FINAL_PROJECTS = _Schema(
    "final_projects", "项目支出决算表",
    {**_UNIT, **_PROJECT, "budget_full_year": _FULL_YEAR, "final_spent": _FINAL_SPENT,
     "final_balance": _CLOSING, "opening": _OPENING, "income": _INCOME},
    required=("project_code", "project_name", "final_spent", "final_balance"),
    money=("budget_full_year", "final_spent", "final_balance", "opening", "income"),
    code_key="project_code", default_unit="元",
    identity=("opening", "income", "final_spent", "final_balance"))

FINAL_FUNCTIONAL = _Schema(
    "final_functional", "收入支出决算表",
    {"func_code": ("功能分类科目编码", ("功能分类科目编码", "科目编码", "支出功能分类科目",
                                  "支出功能分类科目编码", "功能科目编码", "功能分类科目",
                                  "科目代码")),
     "func_name": ("科目名称", ("科目名称", "功能分类科目名称", "功能科目名称",
                            "支出功能分类科目名称")),
     "opening": _OPENING, "income": _INCOME,
     "spent": ("本年支出", ("本年支出", "支出合计", "本年支出合计")),
     "balance": ("收支结余", ("收支结余",)),
     "use_nonfiscal": ("使用非财政拨款结余", ("使用非财政拨款结余",)),
     "distribution": ("结余分配", ("结余分配",)),
     "closing": _CLOSING},
    required=("func_code", "func_name", "opening", "income", "spent", "closing"),
    money=("opening", "income", "spent", "balance", "use_nonfiscal", "distribution", "closing"),
    code_key="func_code", default_unit="元",
    identity=("opening", "income", "spent", "closing"))

_SCHEMAS = {s.kind: s for s in (BUDGET, FINAL_PROJECTS, FINAL_FUNCTIONAL)}
_ALL_KEYS = tuple(dict.fromkeys(k for s in _SCHEMAS.values() for k in s.fields))
MAPPING_KEYS = ("header_row", "money_unit", "sheet", "columns", "kind")

# Headers that carry nothing to import but are no surprise either.
_IGNORED = frozenset({"序号", "行号", "栏次", "行次", "备注", "说明", "主管部门", "部门",
                      "项目", "单位", "金额", "联系人", "联系电话"})
_DASHES = frozenset({"-", "--", "—", "——", "–", "/", "-/-"})
_MONEY_TEXT = re.compile(r"(.*?)(万元|元)")
_FOOTER = re.compile(r"(注|说明|备注|填表人|填报人|制表人?|审核人?|单位负责人|财务负责人|负责人|"
                     r"联系人|联系电话|填报日期|制表日期|日期)\d*:")
_LEVELS = {3: "类", 5: "款"}
_PART_WIDTH = {"类": 3, "款": 2, "项": 2}  # 功能科目 code length → the level a 类 / 款 row sums up


@dataclass
class Imported:
    kind: str  # budget | final_projects | final_functional
    rows: pd.DataFrame  # detail rows, money in 万元 (float), row = 1-based sheet row
    totals: pd.DataFrame  # 合计 / 小计 / 总计 / 其中 / 类 / 款 rows, same columns + row_type
    findings: list[Finding]
    money_unit: str  # the file's unit before conversion: 元 or 万元
    header_row: int  # first header row, 1-based
    columns: dict[str, str]  # key → header text matched ("年初结转和结余/合计")
    file: str = ""
    sheet: str = ""  # "" for CSV


# --------------------------------------------------------------------------- public


def read_budget(path: str | os.PathLike, *, money_unit: str | None = None,
                mapping: dict | str | os.PathLike | None = None) -> Imported:
    """A 预算批复 / 项目库 export: project_code, project_name, budget_full_year (required),
    unit_code, unit_name, budget_initial, fiscal, carryover, other (when present).

    Without a unit caption or header suffix the amounts are taken as 万元 (with a
    ``source.unit_assumed`` finding).
    """
    return _read(path, (BUDGET,), money_unit, mapping)


def read_final(path: str | os.PathLike, *, money_unit: str | None = None,
               mapping: dict | str | os.PathLike | None = None) -> Imported:
    """A 决算 export, either shape (told apart by its columns):

    * 项目支出决算表 (``final_projects``): project_code, project_name, final_spent
      (本年支出), final_balance (年末结转和结余); unit_code, unit_name, budget_full_year,
      opening, income when present;
    * 收入支出决算表 (``final_functional``): func_code (功能科目, one 7-digit code or split
      into 类 | 款 | 项 columns), func_name, opening, income, spent, closing (the 合计
      sub-columns), and balance, use_nonfiscal, distribution when present.

    Without a unit caption or header suffix the amounts are taken as 元 (with a
    ``source.unit_assumed`` finding).
    """
    return _read(path, (FINAL_PROJECTS, FINAL_FUNCTIONAL), money_unit, mapping)


def load_mapping(path: str | os.PathLike) -> dict:
    """A mapping YAML for an unusual export, checked; a mistake raises InputError (input.mapping) naming
    the key::

        sheet: Sheet3            # the worksheet (default: the first with a header)
        header_row: 5            # the (first) header row, 1-based
        money_unit: 元           # overrides the caption
        kind: final_projects     # read_final only: which 决算 shape
        columns:                 # key: header text as it appears in the file
          project_code: 代码
          final_spent: 金额（实际）
    """
    file = os.fspath(path)
    try:
        content = Path(file).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("input.mapping", f"找不到映射文件 {file}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("input.mapping", f"映射文件 {file} 无法读取（{e}）") from None
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as e:
        raise InputError("input.mapping", f"映射文件 {file} 不是有效的 YAML（{e}）") from None
    return _check_mapping(data, f"映射文件 {file}")


# --------------------------------------------------------------------------- mapping


def _check_mapping(data: Any, where: str) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("input.mapping", f"{where}：应为键值表（{'、'.join(MAPPING_KEYS)}）")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in MAPPING_KEYS:
            raise InputError("input.mapping", f"{where}：未知的键「{key}」；可用的键：{'、'.join(MAPPING_KEYS)}")
        if key == "header_row":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError("input.mapping", f"{where}：header_row 应为正整数（表头所在行号），"
                                  f"而不是 {value!r}")
        elif key == "money_unit":
            if value not in MONEY_UNITS:
                raise InputError("input.mapping", f"{where}：money_unit 应为 元 或 万元，而不是 {value!r}")
        elif key == "sheet":
            if isinstance(value, bool) or not isinstance(value, (str, int)) or \
                    not str(value).strip():
                raise InputError("input.mapping", f"{where}：sheet 应为工作表名称，而不是 {value!r}")
            value = str(value).strip()
        elif key == "kind":
            if value not in KINDS:
                raise InputError("input.mapping", f"{where}：kind 应为 {'、'.join(KINDS)} 之一，而不是 {value!r}")
        elif key == "columns":
            value = _check_columns(value, where)
        out[key] = value
    return out


def _check_columns(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InputError("input.mapping", f"{where}：columns 应为「列键: 表头文字」的键值表")
    out = {}
    for key, text in value.items():
        if key not in _ALL_KEYS:
            raise InputError("input.mapping", f"{where}：columns.{key} 不是可用的列键；可用的列键："
                              f"{'、'.join(_ALL_KEYS)}")
        if isinstance(text, bool) or not isinstance(text, (str, int, float)) or \
                not cell_text(text):
            raise InputError("input.mapping", f"{where}：columns.{key} 应为表头文字，而不是 {text!r}")
        out[key] = cell_text(text)
    return out


def _mapping(mapping: Any) -> dict:
    if mapping is None:
        return {}
    if isinstance(mapping, dict):
        return _check_mapping(mapping, "映射")
    if isinstance(mapping, (str, os.PathLike)):
        return load_mapping(mapping)
    raise InputError("input.mapping", f"映射应为字典或 YAML 文件路径，而不是 {type(mapping).__name__}")


# --------------------------------------------------------------------------- header


@dataclass
class _Attempt:
    sheet: Sheet
    schema: _Schema
    head: Header | None
    missing: list[str] = field(default_factory=list)  # required keys not found
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (key, text) not found

    @property
    def score(self) -> int:
        return len(self.missing) + len(self.unmapped) if self.head else 1000

    def seen(self) -> str:
        return "、".join(c.text for c in self.head.columns) if self.head else "（无）"


def _norm(text: str) -> str:
    return "/".join(sheetio.header_label(p, loose=False)[0] for p in str(text).split("/"))


def _attempt(sheet: Sheet, schema: _Schema, m: dict) -> _Attempt:
    synonyms = schema.synonyms
    mapped = {k: t for k, t in m.get("columns", {}).items() if k in schema.fields}
    for key, text in mapped.items():
        if "/" not in text:
            synonyms[_norm(text)] = key

    def accept(labels: set[str]) -> bool:
        return len({synonyms[lb] for lb in labels if lb in synonyms}) >= 2

    head = sheetio.find_header(sheet, synonyms, accept, scan=HEADER_SCAN,
                               row=m.get("header_row"), loose=False)
    out = _Attempt(sheet, schema, head)
    if head is None:
        return out
    for key, text in mapped.items():
        col = _mapped_column(head, text)
        if col is None:
            out.unmapped.append((key, text))
            continue
        for other in head.columns:  # the mapping wins over a synonym
            if other.key == key and other is not col:
                other.key = None
        if col.key and col.key != key:
            head.cols.pop(col.key, None)
            head.parts.pop(col.key, None)
        col.key, col.cell = key, col.last
        head.cols[key] = col.index
        head.parts.pop(key, None)
        head.duplicates = [d for d in head.duplicates if d is not col]
    out.missing = [k for k in schema.required if k not in head.cols]
    return out


def _mapped_column(head: Header, text: str) -> HeaderColumn | None:
    want = _norm(text)
    last = want.rsplit("/", 1)[-1]
    best, best_score = None, 0
    for col in head.columns:
        labels = [c.label for c in col.path]
        score = 3 if "/".join(labels) == want else 2 if labels[-1] == last and "/" not in want \
            else 1 if last in labels and "/" not in want else 0
        if score > best_score:
            best, best_score = col, score
    return best


def _choose(file: str, sheets: list[Sheet], schemas: tuple[_Schema, ...], m: dict) -> _Attempt:
    attempts = []
    for sheet in sheets:
        for schema in schemas:
            a = _attempt(sheet, schema, m)
            if a.head is not None and a.score == 0:
                return a
            attempts.append(a)
    found = [a for a in attempts if a.head is not None]
    if not found:
        if "header_row" in m:
            raise InputError("input.export", f"{file}：映射 header_row 指定的第 {m['header_row']} 行是空行"
                              f"{_where(sheets[0])}")
        examples = "".join(f"「{s.label(k)}」" for s in schemas for k in s.required[:2])
        seen = []
        for sheet in sheets:
            like = sheetio.header_like_rows(sheet, HEADER_SCAN)
            if like:
                texts = [t if len(t) <= 40 else t[:40] + "…" for t in like[1][:15]]
                more = "等" if len(like[1]) > 15 else ""
                seen.append(f"{_sheet_name(sheet)}第 {like[0]} 行：{'、'.join(texts)}{more}")
        raise InputError("input.export", f"{file}：前 {HEADER_SCAN} 行中找不到表头（应有一行包含至少两个可识别的"
                          f"列名，如{examples}）；看到的内容：{'；'.join(seen) or '（空表）'}")
    best = min(found, key=lambda a: a.score)
    where = f"{file}{_where(best.sheet)}第 {best.head.start} 行的表头"
    if best.unmapped:
        key, text = best.unmapped[0]
        raise InputError("input.export", f"{where}中找不到映射 columns.{key} 指定的列「{text}」；"
                          f"找到的列：{best.seen()}")
    names = "".join(f"「{best.schema.label(k)}」" for k in best.missing)
    raise InputError("input.export", f"{where}缺少{best.schema.title}必需的列{names}；找到的列：{best.seen()}"
                      "（可用映射文件指定列名）")


def _sheet_name(sheet: Sheet) -> str:
    return f"工作表「{sheet.sheet}」" if sheet.sheet else ""


def _where(sheet: Sheet) -> str:
    return f" {_sheet_name(sheet)}" if sheet.sheet else " "


# --------------------------------------------------------------------------- reading


@dataclass
class _Entry:
    row: int
    type: str | None  # None for a detail row; 合计 / 小计 / 总计 / 其中 / 类 / 款
    values: dict[str, Any]  # key → text (codes folded) or amount in the file's unit
    cells: dict[str, str]  # money key → A1


def _read(path: Any, schemas: tuple[_Schema, ...], money_unit: str | None,
          mapping: Any) -> Imported:
    if money_unit is not None and money_unit not in MONEY_UNITS:
        raise InputError("input.export", f"金额单位应为 元 或 万元，而不是 {money_unit!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise InputError("input.export", f"文件路径无效：{path!r}")
    m = _mapping(mapping)
    if "kind" in m:
        schemas = tuple(s for s in schemas if s.kind == m["kind"])
        if not schemas:
            raise InputError("input.export", f"映射 kind「{m['kind']}」不是这个函数能读的表")
    file = os.fspath(path)
    sheets = sheetio.load_book(path, code="input.export", sheet=m.get("sheet"))
    chosen = _choose(file, sheets, schemas, m)
    return _import(chosen, money_unit or m.get("money_unit"))


def _import(attempt: _Attempt, override: str | None) -> Imported:
    sheet, schema, head = attempt.sheet, attempt.schema, attempt.head
    assert head is not None
    file, sheet_name = sheet.file, sheet.sheet or ""
    findings: list[Finding] = []

    def add(code: str, variant: str = "", /, **values: Any) -> None:
        findings.append(finding(code, variant=variant, file=file, sheet=sheet_name, **values))

    for col in head.columns:
        if col.key is None and col.parent_key is None and \
                not ({c.label for c in col.path} & _IGNORED) and \
                sheetio.caption_in(col.last.raw) is None:
            add("source.unknown_column", header=col.text, cell=col.last.cell, actual=col.text)
    for col in head.duplicates:
        first = head.column(col.key).last.cell
        add("source.unknown_column", "duplicate", header=col.text, first=first,
            column=schema.label(col.key), cell=col.last.cell, field=col.key, actual=col.text)

    unit = _money_unit(attempt, override, add)
    divisor = 10000.0 if unit == "元" else 1.0

    text_cols = {i for k, i in head.cols.items() if k not in schema.money and k not in head.parts}
    sheetio.fill_merged(sheet, head.end, text_cols)
    entries = list(_entries(sheet, schema, head, unit, add))
    _levels(entries, schema)
    details = [e for e in entries if e.type is None]
    _check_totals(entries, details, schema, head, unit, add)
    if schema.identity and all(k in head.cols for k in schema.identity):
        for e in entries:
            _identity(e, schema, unit, add)
    _check_codes(details, schema, head, add)

    keys = list(schema.fields)

    def record(e: _Entry) -> dict:
        out = {}
        for k in keys:
            v = e.values.get(k)
            out[k] = v / divisor if k in schema.money and v is not None else v
        return {**out, "row": e.row}

    rows = _frame([record(e) for e in details], keys, schema, ["row"])
    totals = _frame([{**record(e), "row_type": e.type} for e in entries if e.type is not None],
                    keys, schema, ["row", "row_type"])
    columns = {}
    for key, i in head.cols.items():
        col = next(c for c in head.columns if c.index == i)
        parts = head.parts.get(key, [])
        columns[key] = col.text + (f"（{'+'.join(c.part for c in head.columns if c.index in parts)}）"
                                   if len(parts) > 1 else "")
    return Imported(schema.kind, rows, totals, findings, unit, head.start, columns, file,
                    sheet_name)


def _frame(records: list[dict], keys: list[str], schema: _Schema, extra: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records, columns=[*keys, *extra])
    for k in keys:
        if k in schema.money:
            df[k] = df[k].astype("float64")
        else:
            df[k] = df[k].astype("object")
    df["row"] = df["row"].astype("int64")
    return df


def _money_unit(attempt: _Attempt, override: str | None, add) -> str:
    sheet, schema, head = attempt.sheet, attempt.schema, attempt.head
    suffixes = {}
    for key in head.cols:
        if key in schema.money:  # "本年支出（元）", or "金额（元）" over 预算数 | 决算数
            for cell in head.column(key).path:
                if cell.unit:
                    suffixes.setdefault(cell.unit, cell)
    if override:
        return override
    found = sheetio.money_unit_said(sheet, head.end,
                                    [(u, c.cell, c.raw) for u, c in suffixes.items()])
    units = {u for u, _, _ in found}
    if len(units) > 1:
        said = "、".join(f"{cell}「{text}」" for _, cell, text in found)
        raise InputError("input.export", f"{sheet.file}{_where(sheet)}金额单位不一致：{said}；"
                          "请核对后用 money_unit 指定")
    if units:
        (unit,) = units
        if unit not in MONEY_UNITS:
            raise InputError("input.export", f"{sheet.file}{_where(sheet)}的金额单位是{unit}，只支持元和万元；"
                              "请换算后再导入")
        return unit
    unit = schema.default_unit
    add("source.unit_assumed", unit=unit)
    return unit


def _entries(sheet: Sheet, schema: _Schema, head: Header, unit: str, add):
    code_key = schema.code_key
    text_keys = [k for k in schema.fields if k not in schema.money]
    for n in sorted(r for r in sheet.rows if r > head.end):
        values = sheet.rows[n]

        def at(i: int, values: list = values) -> Any:
            return values[i] if i < len(values) else None

        cells = {k: at(i) for k, i in head.cols.items()}
        parts = head.parts.get(code_key, [])
        if len(parts) > 1:  # 类 | 款 | 项 in three columns: "210" "15" "01" → 2101501
            cells[code_key] = "".join(_code_part(at(i), head.column_at(i).part)
                                      for i in parts) or None
        if all(blank(v) for v in cells.values()):
            continue  # spacer row, or a row with nothing under our columns
        money_blank = all(blank(cells.get(k)) for k in schema.money if k in cells)
        first = next((v for v in values if not blank(v)), None)
        if money_blank and (_FOOTER.match(compact(first)) or blank(cells.get(code_key))):
            continue  # 注：… / 单位负责人：… under the table; a heading such as "一、基本支出"
        kind = sheetio.total_kind(cells.get(code_key), cells.get(_name_key(schema)), first)
        out: dict[str, Any] = {}
        for k in text_keys:
            s = sheetio.text(cells.get(k), code=k.endswith("_code"))
            out[k] = s or None
        addresses = {}
        for k in schema.money:
            if k not in head.cols:
                continue
            i = head.cols[k]
            addresses[k] = a1(n, i)
            x, bad = _amount(cells[k], unit)
            if bad:
                add("source.bad_value", row=n, column=schema.label(k), raw=cell_text(cells[k]),
                    cell=addresses[k], field=k, actual=cell_text(cells[k]))
            out[k] = x
        yield _Entry(n, kind, out, addresses)


def _code_part(v: Any, part: str | None) -> str:
    """One of 类 | 款 | 项, zero-padded when Excel kept it as a number (款 5 → "05")."""
    s = sheetio.text(v, code=True)
    width = _PART_WIDTH.get(part or "", 0)
    return s.zfill(width) if s.isdigit() else s


def _name_key(schema: _Schema) -> str:
    return "func_name" if schema.kind == "final_functional" else "project_name"


def _amount(v: Any, unit: str) -> tuple[float | None, bool]:
    """(amount in the file's unit or None, whether the cell is not a readable amount)."""
    if blank(v):
        return None, False
    if isinstance(v, bool) or isinstance(v, (datetime, date, time, timedelta)):
        return None, True
    if isinstance(v, (int, float)):
        x = sheetio.number(v)
        return x, x is None
    s = sheetio.plain(v)
    if s in _DASHES:
        return None, False  # "-" is how many exports print an empty amount
    sign = 1.0
    if len(s) > 2 and s[0] == "(" and s[-1] == ")":  # accounting negative "(1,234.00)"
        s, sign = s[1:-1], -1.0
    m = _MONEY_TEXT.fullmatch(s)
    if m:
        if m.group(2) != unit:
            return None, True
        s = m.group(1)
    x = sheetio.number(s)
    return (None, True) if x is None else (sign * x + 0.0, False)


def _levels(entries: list[_Entry], schema: _Schema) -> None:
    """In a 收入支出决算表 a 类 (3-digit) or 款 (5-digit) row sums the 项 rows under it."""
    if schema.kind != "final_functional":
        return
    codes = [e.values.get("func_code") or "" for e in entries if e.type is None]
    for e in entries:
        code = e.values.get("func_code") or ""
        if e.type is None and code.isdigit() and \
                any(len(c) > len(code) and c.startswith(code) for c in codes):
            e.type = _LEVELS.get(len(code), "小计")


def _segment(entries: list[_Entry], i: int) -> list[_Entry]:
    """The detail rows a 小计 at ``entries[i]`` sums: those since the previous total, or
    (a 小计 written above its group) those up to the next one."""
    def walk(indices) -> list[_Entry]:
        out = []
        for j in indices:
            e = entries[j]
            if e.type in ("合计", "小计", "总计"):
                break
            if e.type is None:
                out.append(e)
        return out

    return walk(range(i - 1, -1, -1)) or walk(range(i + 1, len(entries)))


def _check_totals(entries, details, schema: _Schema, head: Header, unit: str, add) -> None:
    money = [k for k in schema.money if k in head.cols]
    for i, t in enumerate(entries):
        if t.type in ("合计", "总计"):
            group = details
        elif t.type == "小计":
            group = _segment(entries, i)
        elif t.type in ("类", "款"):
            prefix = t.values["func_code"]
            group = [d for d in details if (d.values.get("func_code") or "").startswith(prefix)]
        else:
            continue  # 其中: a part of the row above, in no sum
        if not group:
            continue
        for k in money:
            actual = t.values.get(k)
            if actual is None:
                continue  # a blank 合计 cell states nothing
            expected = math.fsum(d.values.get(k) or 0.0 for d in group)
            if _differs(expected, actual):
                what = f"{t.type}行" if t.type not in ("类", "款") else \
                    f"{t.type}级科目 {t.values['func_code']} 行"
                add("source.total_mismatch", row=t.row, what=what, column=schema.label(k),
                    total=_fmt(actual), unit=unit, sum=_fmt(expected),
                    diff=_fmt(actual - expected), cell=t.cells[k], field=k,
                    expected=_round(expected), actual=_round(actual))


def _identity(e: _Entry, schema: _Schema, unit: str, add) -> None:
    """年初结转和结余 + 本年收入 + 使用非财政拨款结余 − 本年支出 − 结余分配 = 年末结转和结余.

    Assumed from the 部门决算 收入支出决算表: 结余分配 (缴纳所得税, 提取专用结余, 转入事业基金)
    takes money out of the 结转和结余, 使用非财政拨款结余 (spending covered from the 事业基金)
    brings it in. Where the file has no such columns or leaves them blank / 0 this is the
    plain 年初 + 收入 − 支出 = 年末. 收支结余 is not part of it. Blank cells count as 0; a row
    with all four main cells blank is not checked.
    """
    opening, income, spent, closing = schema.identity
    v = e.values
    if all(v.get(k) is None for k in schema.identity):
        return
    extra_in = v.get("use_nonfiscal") or 0.0
    extra_out = v.get("distribution") or 0.0
    expected = math.fsum([v.get(opening) or 0.0, v.get(income) or 0.0, extra_in,
                          -(v.get(spent) or 0.0), -extra_out])
    actual = v.get(closing) or 0.0
    if _differs(expected, actual):
        terms = "年初结转和结余 + 本年收入 − 本年支出"
        if extra_in or extra_out:
            terms += "（含使用非财政拨款结余、结余分配）"
        add("source.identity", row=e.row, terms=terms, computed=_fmt(expected), unit=unit,
            closing=_fmt(actual), cell=e.cells[closing], field=closing,
            expected=_round(expected), actual=_round(actual))


def _check_codes(details: list[_Entry], schema: _Schema, head: Header, add) -> None:
    key = schema.code_key
    col = head.cols.get(key)
    first: dict[str, int] = {}
    for e in details:
        code = e.values.get(key)
        cell = a1(e.row, col) if col is not None else ""
        if not code:
            add("source.missing_code", row=e.row, column=schema.label(key), cell=cell, field=key)
        elif code in first:
            add("source.duplicate", column=schema.label(key), code=code, first=first[code],
                cell=cell, field=key, actual=code)
        else:
            first[code] = e.row


def _differs(expected: float, actual: float) -> bool:
    return abs(actual - expected) > TOLERANCE + 1e-9 * max(1.0, abs(expected))


def _round(x: float) -> float:
    return round(x, 6) + 0.0


def _fmt(x: float) -> str:
    return f"{x:,.2f}"
