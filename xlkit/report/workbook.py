"""The office's report workbook: 汇总 with charts, 问题清单, 未报送 and the reader's tables.

Built in memory with xlsxwriter and renamed into place, so an earlier report is replaced
whole or not at all. Every string that came from a unit, a file or a finding is written
as text: a name such as "=1+1" or "http://x" stays text, never a formula or a link.
Numbers are written as numbers and missing values as blank cells (``xlsxrows.cell_value``).
The list sheets' data rows are written by ``xlsxrows`` into the closed workbook (the same
cells, 15x faster at 10,000 projects); ``fast=False`` has xlsxwriter write every cell.

On paper: every sheet A4 landscape, fitted to one page wide, its header row repeated and a
footer naming the sheet and the page. People read Chinese: a finding's code is shown by its
title (the code in the 代码 column of 问题清单, outside the printed area), a field by its
label (``spec_field_label``), a file by its path under the inbox (``RoundResult.inbox``; the
workbook's custom property 收件目录 holds the inbox for scripts). A reader table with no
rows is left out; 问题清单 and 未报送 say in one line that there is nothing.
"""

from __future__ import annotations

import copy
import io
import itertools
import math
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlkit.core.atomic import write_atomic
from xlkit.core.display import display_path
from xlkit.core.spec import load_spec
from xlkit.findings import ERROR, HINT, InputError, title
from xlkit.read.tables import SCHEMA, TABLE_LABELS, Column
from xlkit.read.workbook import spec_field_label
from xlkit.report.rows import MAX_TEXT, SheetRows, cell_value, is_blank
from xlkit.round.result import MISSING_COLUMNS, RoundResult

FONT = "宋体"
WORKBOOK_OPTIONS = {
    "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_format_properties": {"font_name": FONT, "font_size": 10},
}

SUMMARY, ISSUES, MISSING = "汇总", "问题清单", "未报送"
READER_TABLES = ("projects", "funds", "header", "indicators", "files",
                 "scores", "survey")  # after 未报送, in order; an empty one is left out
SHEETS = (SUMMARY, ISSUES, MISSING, *(TABLE_LABELS[t] for t in READER_TABLES))

GRADES = ("优", "良", "中", "差")
NO_GRADE = "未评"
NOT_COMPUTED = "未计算"
UNKNOWN_UNIT = "（未识别单位）"
#: (label, upper bound, upper bound included); the last band takes everything above.
SCORE_BANDS = (("0–60", 60, False), ("60–70", 70, False), ("70–80", 80, False),
               ("80–90", 90, False), ("90–100", math.inf, True))
RATE_BANDS = (("<60%", 0.6, False), ("60–80%", 0.8, False), ("80–90%", 0.9, False),
              ("90–100%", 1.0, True), (">100%", math.inf, True))
FILE_STATUS = {"read": "读取", "rejected": "无法读取", "skipped": "跳过"}
ISSUE_FILL = {ERROR: "#FFC7CE", HINT: "#FFEB9C"}  # light red, light yellow
#: 问题清单 as printed: (column, header, width, wrapped). ``title`` and ``field_label`` are
#: made here from ``rule`` and ``field``. The widths add up to 129: LibreOffice fits that
#: to A4 landscape at ~93 % (about 6.65 pt a width unit), so 10 pt text prints at 9 pt.
ISSUE_PRINTED = (("severity", "级别", 5, False), ("title", "问题", 13, True),
                 ("unit_name", "单位名称", 10, True), ("project_name", "项目名称", 13, True),
                 ("field_label", "字段", 11, True), ("expected", "应为", 8, True),
                 ("actual", "实际", 8, True), ("diff", "差额", 9, False),
                 ("message", "说明", 28, True), ("file", "文件", 16, True),
                 ("where", "位置", 8, False))
#: right of the printed area, for filters and scripts: the codes
ISSUE_CODES = (("unit_code", "单位编码", 10), ("project_code", "项目编码", 16),
               ("rule", "代码", 24), ("field", "字段代码", 22))
#: reader-table columns for machines (digests, ids, codes): hidden, one click away
#: (grouped), never printed
MACHINE_COLUMNS = {"projects": {"file_sha256", "issued_digest", "file_id"},
                   "funds": {"row", "column"}, "header": {"key"},
                   "files": {"sha256", "code"}}
NOTHING = {ISSUES: "没有发现问题。", MISSING: "全部已报送。"}
LINE_HEIGHT = 13.5  # points per line of 10 pt 宋体
MONEY = "#,##0.00"
INBOX_PROPERTY = "收件目录"


def write_report(path: str | Path, result: RoundResult, *, title: str | None = None,
                 fast: bool = True) -> None:
    """Write the round's report workbook to ``path`` (replaced atomically).

    ``fast=False``: xlsxwriter writes the list sheets' rows too (the reference path)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, copy.deepcopy(WORKBOOK_OPTIONS))  # xlsxwriter adds to it
    title = title or report_title(result.year)
    wb.set_properties({"title": title})
    if result.inbox:
        wb.set_custom_property(INBOX_PROPERTY, str(result.inbox))
    styles = Styles(wb, title)
    rows = SheetRows() if fast else None
    write_summary_sheet(wb, styles, result, title)
    write_issues_sheet(wb, styles, issue_sheet_frame(result), rows)
    write_missing_sheet(wb, styles, result.missing, rows)
    for table in READER_TABLES:
        df = getattr(result.tables, table)
        if len(df):  # a table with no rows has nothing to print: left out
            write_reader_table(wb, styles, table, shown_table(table, df, result.inbox), rows)
    wb.close()
    write_atomic(path, rows.splice(buf.getvalue()) if rows else buf.getvalue())


def report_title(year: int | None) -> str:
    return f"{year}年度绩效自评收集情况" if year else "绩效自评收集情况"


# ---------------------------------------------------------------- cells and styles

class Styles:
    """The report's formats, made once per workbook."""

    def __init__(self, wb: Workbook, report_title: str = "") -> None:
        def make(**props: Any) -> Format:
            return wb.add_format({"font_name": FONT, "font_size": 10, "valign": "vcenter", **props})

        self.report_title = report_title  # in every page's footer
        self.title = make(font_size=16, bold=True, valign="vcenter")
        self.section = make(font_size=12, bold=True, valign="bottom")
        self.header = make(bold=True, border=1, bg_color="#D9E1F2", text_wrap=True,
                           align="center", valign="vcenter")
        self.text = make(border=1)
        self.wrap = make(border=1, text_wrap=True)
        self.count = make(border=1, num_format="0")
        self.number = make(border=1, num_format="0.00")
        self.money = make(border=1, num_format=MONEY)
        self.percent = make(border=1, num_format="0.00%")
        self.total_text = make(border=1, bold=True, bg_color="#F2F2F2")
        self.total_count = make(border=1, bold=True, bg_color="#F2F2F2", num_format="0")
        self.total_number = make(border=1, bold=True, bg_color="#F2F2F2", num_format="0.00")
        self.total_money = make(border=1, bold=True, bg_color="#F2F2F2", num_format=MONEY)
        self.total_percent = make(border=1, bold=True, bg_color="#F2F2F2", num_format="0.00%")
        self.note = make(font_color="#595959")
        self.note_wrap = make(font_color="#595959", text_wrap=True, valign="top")
        self.wrap_top = make(border=1, text_wrap=True, valign="top")
        self.text_top = make(border=1, valign="top")
        self.money_top = make(border=1, valign="top", num_format=MONEY)
        # the reader's tables: no borders, so blank cells need not be written at all
        self.plain_text = make()
        self.plain_count = make(num_format="0")
        self.plain_number = make(num_format="0.00")
        self.plain_money = make(num_format=MONEY)
        self.plain_percent = make(num_format="0.00%")
        self.fill = {sev: wb.add_format({"bg_color": color})
                     for sev, color in ISSUE_FILL.items()}


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """One cell: blank, a number, or text (never a formula, never a link)."""
    v = cell_value(value)
    if v is None:
        ws.write_blank(row, col, None, fmt)
    elif v.__class__ is str:
        ws.write_string(row, col, v, fmt)
    else:
        ws.write_number(row, col, v, fmt)


def display_width(value: Any, shown: str = "0.00") -> int:
    """Columns a value takes on screen in number format ``shown`` (0.00, #,##0.00 or
    0.00%): Chinese characters count double."""
    if is_blank(value):
        return 0
    if isinstance(value, float | np.floating) and math.isfinite(value):
        text = {"0.00%": f"{value * 100:.2f}%", MONEY: f"{value:,.2f}"}.get(shown,
                                                                         f"{value:.2f}")
    else:
        text = str(value)
    return text_width(text[:200])


@lru_cache(maxsize=4096)
def text_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fitted_width(label: str, values: Iterable[Any], lo: int = 6, hi: int = 48,
                 shown: str = "0.00") -> int:
    """Wide enough for the values and for the label on at most two lines (headers wrap)."""
    widest = math.ceil(display_width(label) / 2) + 1
    for v in values:
        if widest + 2 >= hi:  # wide enough: the rest cannot change the width
            break
        widest = max(widest, display_width(v, shown))
    return max(lo, min(hi, widest + 2))


def column_values(df: pd.DataFrame, name: str) -> list[Any]:
    """A column's values as plain Python objects; blanks when the frame lacks the column."""
    if name not in df.columns:
        return [None] * len(df)
    return df[name].astype(object).tolist()


# ---------------------------------------------------------------- what people read

def relative_paths(paths: pd.Series, inbox: str | None) -> pd.Series:
    """Each path as under the inbox (``a/b.xlsx``); a file outside it (the office's 决算, its
    list) by its name alone; as given when the inbox is not known. Each distinct path once.
    A name that is not valid UTF-8 is shown with its bytes as ``\\xff`` (display_path)."""
    if not len(paths):
        return paths
    if not inbox:
        return paths.map(lambda p: p if is_blank(p) else display_path(str(p)))
    root = display_path(str(inbox)).rstrip("/\\")
    roots = tuple({root + "/", root + "\\", root + os.sep})
    codes, uniques = pd.factorize(paths, use_na_sentinel=True)

    def shown(p: str) -> str:
        p = display_path(p)  # a name that is not UTF-8: its bytes as \xff
        if p.startswith(roots):
            return p[len(root) + 1:]
        return PureWindowsPath(p).name if ("\\" in p or ":" in p[:3]) else PurePosixPath(p).name

    out = np.array([shown(str(p)) for p in uniques] + [None], dtype=object)[codes]
    return pd.Series(pd.array(out, dtype="string"), index=paths.index)


def rule_titles(rules: pd.Series, own: dict[str, str]) -> pd.Series:
    """Each rule's Chinese title: the catalogue's, else the office rule's own title."""
    def of(code: Any) -> str | None:
        if is_blank(code):
            return None
        return title(str(code)) or own.get(str(code)) or "（未命名规则）"

    return rules.map({c: of(c) for c in pd.unique(rules)}).astype(object)


SCHEMA_LABELS = {c.name: c.label for cols in SCHEMA.values() for c in cols}


@lru_cache(maxsize=64)
def _spec(template_id: str) -> Any:
    try:
        return load_spec(template_id)
    except (InputError, OSError, ValueError):
        return None


def one_field_label(template_id: str | None, fld: str, name: str | None) -> str:
    """A field as people call it: the form's label (``spec_field_label``), else the tables'
    column label, else the field itself."""
    spec = _spec(template_id) if template_id else None
    label = fld
    if spec is not None:
        values = {f"ind.{fld.split('.')[1]}.name": name} if name else None
        try:
            label = spec_field_label(spec, fld, values)
        except (IndexError, ValueError, AttributeError, KeyError, TypeError):
            label = fld
    if label == fld:
        last = fld.rsplit(".", 1)[-1]
        label = SCHEMA_LABELS.get(fld) or SCHEMA_LABELS.get(last) or fld
    return label


def field_labels(issues: pd.DataFrame, tables: Any) -> pd.Series:
    """The 字段 of each issue by its return's form: 年度资金总额·全年执行数, 参保人数·得分 ...
    An indicator's field is named by the indicator's name (the 指标 table)."""
    if not len(issues):
        return pd.Series([], dtype=object)
    fields = [None if is_blank(f) or f == "" else str(f) for f in column_values(issues, "field")]
    files = [None if is_blank(f) else str(f) for f in column_values(issues, "file")]
    projects = tables.projects
    versions = (column_values(projects, "template_version")
                if "template_version" in projects.columns else [None] * len(projects))
    # a return is labelled by the version it was issued with ("project-2020@1")
    template = {f: (f"{t}@{int(v)}" if isinstance(t, str) and not is_blank(v) else t)
                for f, t, v in zip(column_values(projects, "source_file"),
                                   column_values(projects, "template_id"), versions,
                                   strict=True)}
    ids = projects["template_id"].dropna() if "template_id" in projects.columns else []
    usual = str(ids.mode().iloc[0]) if len(ids) else None  # for a file with no project row
    wanted = {(f, int(fld.split(".")[1])) for f, fld in zip(files, fields, strict=True)
              if fld and fld.startswith("ind.") and fld.split(".")[1].isdigit()}
    names: dict[tuple[str, int], str] = {}
    if wanted:
        ind = tables.indicators
        ind = ind[ind["source_file"].isin({f for f, _ in wanted})]
        for f, r, n in zip(column_values(ind, "source_file"), column_values(ind, "row"),
                           column_values(ind, "name"), strict=True):
            if not is_blank(r) and (f, int(r)) in wanted and not is_blank(n):
                names[(f, int(r))] = str(n)
    cache: dict[tuple, str] = {}
    out = []
    for f, fld in zip(files, fields, strict=True):
        if fld is None:
            out.append(None)
            continue
        tid = template.get(f, usual)
        parts = fld.split(".")
        name = names.get((f, int(parts[1]))) if parts[0] == "ind" and len(parts) > 2 and \
            parts[1].isdigit() else None
        key = (tid if isinstance(tid, str) else None, fld, name)
        label = cache.get(key)
        if label is None:
            label = cache[key] = one_field_label(*key)
        out.append(label)
    return pd.Series(out, index=issues.index, dtype=object)


def issue_sheet_frame(result: RoundResult) -> pd.DataFrame:
    """The issues as 问题清单 shows them: titles, field labels, paths under the inbox."""
    issues = result.issues
    return issues.assign(title=rule_titles(issues["rule"], result.titles),
                         field_label=field_labels(issues, result.tables),
                         file=relative_paths(issues["file"], result.inbox))


def shown_table(table: str, df: pd.DataFrame, inbox: str | None) -> pd.DataFrame:
    """A reader table as its sheet shows it: paths under the inbox, 序号 from 1, 状态 in
    Chinese. The DataFrame itself is not changed."""
    changes: dict[str, Any] = {}
    for col in ("source_file", "path", "superseded_by"):
        if col in df.columns:
            changes[col] = relative_paths(df[col], inbox)
    if table == "indicators" and "row" in df.columns:
        changes["row"] = pd.to_numeric(df["row"], errors="coerce") + 1
    if table == "files" and "status" in df.columns:
        changes["status"] = df["status"].astype(object).map(lambda s: FILE_STATUS.get(s, s))
    return df.assign(**changes) if changes else df


# ---------------------------------------------------------------- list sheets

@dataclass(frozen=True)
class ListColumn:
    name: str
    label: str
    fmt: Format
    width: int | None = None  # None: fitted to the content
    wrap: bool = False  # rows grow to show the whole text
    hidden: bool = False  # for machines: grouped and hidden, never printed


def write_list_sheet(wb: Workbook, styles: Styles, sheet: str, df: pd.DataFrame,
                     columns: Sequence[ListColumn], *, printed: int | None = None,
                     sparse: bool = False, rows: SheetRows | None = None,
                     nothing: str | None = None) -> Worksheet:
    """Header row, one row per record, frozen header, autofilter, printable.

    ``printed``: how many columns from the left print (the rest are for the screen).
    ``sparse``: blank values are not written (for borderless formats: much faster).
    ``rows``: it writes the data rows, once the workbook is closed.
    ``nothing``: the line written under the header when there are no rows."""
    ws = wb.add_worksheet(sheet)
    head = df.iloc[:500]
    widths = [col.width or fitted_width(col.label, column_values(head, col.name), hi=30,
                                        shown=col.fmt.num_format or "0.00")
              for col in columns]
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.label, styles.header)
        options = {"hidden": True, "level": 1} if col.hidden else None
        ws.set_column(c, c, widths[c], None, options)
    ws.set_row(0, 2 + LINE_HEIGHT * max(
        (text_lines(col.label, widths[c]) for c, col in enumerate(columns) if not col.hidden),
        default=1))
    heights = row_heights([(column_values(df, col.name), widths[c])
                           for c, col in enumerate(columns) if col.wrap and not col.hidden])
    if rows is not None and len(df):
        rows.add(ws, [(df[col.name] if col.name in df.columns else None, col.fmt)
                      for col in columns], len(df), sparse=sparse, heights=heights)
    else:
        for c, col in enumerate(columns):
            for r, value in enumerate(column_values(df, col.name), start=1):
                if not (sparse and is_blank(value)):
                    put(ws, r, c, value, col.fmt)
        for r, height in enumerate(heights, start=1):
            if height is not None:
                ws.set_row(r, height)
    if not len(df) and nothing:
        ws.write_string(1, 0, nothing, styles.note)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(df), len(columns) - 1)
    page_setup(ws, styles)
    if printed is not None and printed < len(columns):
        ws.print_area(0, 0, max(len(df), 1), printed - 1)
    ws.repeat_rows(0)
    return ws


def row_heights(wrapped: Sequence[tuple[list[Any], float]]) -> list[float | None]:
    """Per data row the height its wrapped text needs (column values with widths); None:
    one line, the default height."""
    if not wrapped:
        return []
    most = np.ones(len(wrapped[0][0]), dtype=np.int64)
    for values, width in wrapped:
        known: dict[str, int] = {}  # names and titles repeat: each distinct text once
        lines = []
        for v in values:
            if v.__class__ is str:
                n = known.get(v)
                if n is None:
                    n = known[v] = text_lines(v, width)
            else:
                n = text_lines(v, width)
            lines.append(n)
        np.maximum(most, np.array(lines, dtype=np.int64), out=most)
    return [min(409, 2 + LINE_HEIGHT * n) if n > 1 else None for n in most.tolist()]


def text_lines(value: Any, width: float) -> int:
    """Lines a wrapped cell needs (Excel and LibreOffice do not grow the row on opening)."""
    if is_blank(value):
        return 1
    per_line = max(1, int(width) - 1)
    return sum(max(1, math.ceil(display_width(part) / per_line))
               for part in str(value)[:MAX_TEXT].split("\n"))


def page_setup(ws: Worksheet, styles: Styles) -> None:
    """A4 landscape, one page wide, a footer naming the sheet and the page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.3, right=0.3, top=0.5, bottom=0.6)
    report = styles.report_title.replace("&", "&&")
    ws.set_footer(f"&L工作表：&A&C第 &P 页，共 &N 页&R{report}", {"margin": 0.25})


def write_issues_sheet(wb: Workbook, styles: Styles, issues: pd.DataFrame,
                       rows: SheetRows | None = None) -> None:
    """问题清单: one row per issue, coloured by 级别 (错误 red, 提示 yellow); the codes
    right of the printed columns."""
    columns = [ListColumn(name, label, issue_format(styles, name, wrap), width, wrap)
               for name, label, width, wrap in ISSUE_PRINTED]
    columns += [ListColumn(name, label, styles.text, width)
                for name, label, width in ISSUE_CODES]
    ws = write_list_sheet(wb, styles, ISSUES, issues, columns, printed=len(ISSUE_PRINTED),
                          rows=rows, nothing=NOTHING[ISSUES])
    if len(issues):
        colour_issue_rows(ws, styles, len(issues), len(columns) - 1)


def issue_format(styles: Styles, name: str, wrap: bool = False) -> Format:
    if name == "diff":
        return styles.money_top
    return styles.wrap_top if wrap else styles.text_top


def colour_issue_rows(ws: Worksheet, styles: Styles, rows: int, last_col: int) -> None:
    severity_col = [c[0] for c in ISSUE_PRINTED].index("severity")
    letter = xlsxwriter.utility.xl_col_to_name(severity_col)
    for sev, fill in styles.fill.items():
        ws.conditional_format(1, 0, rows, last_col, {
            "type": "formula", "criteria": f'=${letter}2="{sev}"', "format": fill})


def write_missing_sheet(wb: Workbook, styles: Styles, missing: pd.DataFrame,
                        rows: SheetRows | None = None) -> None:
    """未报送: the list's projects with no return."""
    columns = [ListColumn(name, label, styles.text) for name, label in MISSING_COLUMNS.items()]
    write_list_sheet(wb, styles, MISSING, missing, columns, rows=rows, nothing=NOTHING[MISSING])


def write_reader_table(wb: Workbook, styles: Styles, table: str, df: pd.DataFrame,
                       rows: SheetRows | None = None) -> None:
    """项目 / 资金 / 指标 / 文件 / 评分表: the reader's table with its Chinese headers (as
    ``shown_table`` gives it)."""
    machine = MACHINE_COLUMNS.get(table, set())
    columns = [ListColumn(c.name, c.label, table_format(styles, c), hidden=c.name in machine,
                          width=path_width(df[c.name]) if (table, c.name) == ("files", "path")
                          else None)
               for c in SCHEMA[table]]
    write_list_sheet(wb, styles, TABLE_LABELS[table], df, columns, sparse=True, rows=rows)


def path_width(paths: pd.Series) -> int:
    """文件's own subject, the path, printed whole: up to 60 wide (others stop at 30)."""
    return fitted_width("文件", paths.iloc[:500].tolist(), hi=60)


def table_format(styles: Styles, column: Column) -> Format:
    if column.name.endswith("_rate"):
        return styles.plain_percent
    if column.money:
        return styles.plain_money
    return {"float64": styles.plain_number, "Int64": styles.plain_count}.get(
        column.dtype, styles.plain_text)


# ---------------------------------------------------------------- 汇总: the figures

@dataclass
class UnitLine:
    """One row of the by-unit table."""

    code: str | None
    name: str | None = None
    returned: int = 0
    missing: int = 0
    errors: int = 0
    hints: int = 0
    scores: list[float] = field(default_factory=list)
    budget: float = 0.0  # Σ全年预算数 of the projects whose 执行率 is computed
    executed: float = 0.0  # Σ全年执行数 of the same projects
    rated: int = 0  # how many those are

    @property
    def expected(self) -> int:
        return self.returned + self.missing

    @property
    def rate(self) -> float | None:
        """执行率 = Σ全年执行数 / Σ全年预算数 (weighted by the budget)."""
        return self.executed / self.budget if self.rated and self.budget > 0 else None


def returned_projects(projects: pd.DataFrame) -> pd.DataFrame:
    """One row per returned project (a project sent twice counts once, its last file)."""
    keys = [k for k in ("unit_code", "project_code") if k in projects.columns]
    return projects.drop_duplicates(keys, keep="last") if keys else projects


def text_key(value: Any) -> str | None:
    return None if is_blank(value) else str(value)


def unit_lines(result: RoundResult) -> tuple[list[UnitLine], UnitLine | None]:
    """The units in code order, and the issues no unit could be told for (or None)."""
    units: dict[str | None, UnitLine] = {}

    def lines(df: pd.DataFrame) -> list[UnitLine]:
        """Each row's unit; a unit's name is the first one given for its code."""
        out = []
        for code, name in zip(column_values(df, "unit_code"), column_values(df, "unit_name"),
                              strict=True):
            key = code if code.__class__ is str else text_key(code)
            unit = units.get(key)
            if unit is None:
                unit = units[key] = UnitLine(key)
            if not unit.name:
                unit.name = text_key(name)
            out.append(unit)
        return out

    projects = returned_projects(result.tables.projects)
    for unit, score, rate, budget, executed in zip(
            lines(projects), column_values(projects, "total_score"),
            column_values(projects, "execution_rate"),
            column_values(projects, "budget_full_year"), column_values(projects, "executed"),
            strict=True):
        unit.returned += 1
        if not is_blank(score):
            unit.scores.append(float(score))
        if not (is_blank(rate) or is_blank(budget) or is_blank(executed)):
            unit.rated += 1
            unit.budget += float(budget)
            unit.executed += float(executed)
    for unit in lines(result.missing):
        unit.missing += 1
    for unit, sev in zip(lines(result.issues), column_values(result.issues, "severity"),
                         strict=True):
        unit.errors += sev == ERROR
        unit.hints += sev == HINT
    unknown = units.pop(None, None)
    if unknown is not None:
        unknown.name = UNKNOWN_UNIT
    return sorted(units.values(), key=lambda u: u.code or ""), unknown


def total_line(units: Sequence[UnitLine]) -> UnitLine:
    """合计 of the by-unit table: the units' counts, scores and amounts summed (执行率 =
    Σ全年执行数 ÷ Σ全年预算数 over every unit); errors and hints are the units' own."""
    return UnitLine(None, "合计", returned=sum(u.returned for u in units),
                    missing=sum(u.missing for u in units),
                    errors=sum(u.errors for u in units), hints=sum(u.hints for u in units),
                    scores=[s for u in units for s in u.scores],
                    budget=sum(u.budget for u in units),
                    executed=sum(u.executed for u in units), rated=sum(u.rated for u in units))


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def grade_counts(projects: pd.DataFrame) -> list[tuple[str, int]]:
    """优 / 良 / 中 / 差, any other grade a spec defines, then 未评 (no grade)."""
    grades = [text_key(g) for g in column_values(projects, "grade")]
    others = [g for g in dict.fromkeys(grades) if g is not None and g not in GRADES]
    order = [*GRADES, *others]
    counts = [(g, grades.count(g)) for g in order]
    return counts + [(NO_GRADE, grades.count(None))]


def band_of(value: float, bands: Sequence[tuple[str, float, bool]]) -> str:
    value = round(value, 9)
    for label, upper, included in bands:
        if value < upper or (included and value == upper):
            return label
    return bands[-1][0]


def band_counts(values: Iterable[Any], bands: Sequence[tuple[str, float, bool]],
                blank_label: str | None = None) -> list[tuple[str, int]]:
    """How many values fall in each band; blanks counted under ``blank_label`` if given."""
    labels = [None if is_blank(v) else band_of(float(v), bands) for v in values]
    counts = [(label, labels.count(label)) for label, _, _ in bands]
    return counts + ([(blank_label, labels.count(None))] if blank_label else [])


def collection_counts(summary: dict[str, Any]) -> list[tuple[str, int, str]]:
    """收集情况: (label, count, what it means)."""
    explained = (
        ("应报", "下发名单中应报送的表数"),
        ("已报", "应报 − 未报"),
        ("未报", "见「未报送」表"),
        ("收到文件", "收件目录中的全部条目 = 读取 + 无法读取 + 跳过"),
        ("读取", "读取成功的文件"),
        ("无法读取", "被拒收的文件，原因见「文件」表"),
        ("跳过", "不是报回的工作簿（临时文件、其他格式、链接等），原因见「文件」表"),
        ("错误", "必须改正，见「问题清单」"),
        ("提示", "请核实，见「问题清单」"),
    )
    return [(label, int(summary.get(label, 0)), meaning) for label, meaning in explained]


# ---------------------------------------------------------------- 汇总: the sheet

#: 汇总's columns A..K: the by-unit table is the widest (11 columns); charts go below
SUMMARY_WIDTHS = (13, 28, 7, 7, 7, 7, 7, 9, 13, 13, 10)
LAST_COL = len(SUMMARY_WIDTHS) - 1
UNIT_HEADERS = ("单位编码", "单位名称", "应报", "已报", "未报", "错误", "提示", "平均总分",
                "全年预算数", "全年执行数", "执行率")
RATE_COL = UNIT_HEADERS.index("执行率")
SIDE_COL = 7  # H: the second table of a pair
RATE_NOTE = ("执行率 = Σ全年执行数 ÷ Σ全年预算数（单位已报项目中能算出执行率的，按金额加权，"
             "不是各项目执行率的平均；金额单位：万元）。平均总分 = 已评分项目总分的算术平均。")


@dataclass(frozen=True)
class Block:
    """Where a table of 汇总 landed: its data rows (inclusive; empty when last < first)."""

    first: int
    last: int
    col: int = 0  # its first column

    @property
    def next_row(self) -> int:
        return max(self.first, self.last + 1) + 1

    @property
    def empty(self) -> bool:
        return self.last < self.first


def write_block(ws: Worksheet, styles: Styles, row: int, heading: str, headers: Sequence[str],
                rows: Sequence[Sequence[Any]], formats: Sequence[Format], col: int = 0) -> Block:
    """A heading, a header row and the rows below, from column ``col`` (A)."""
    ws.write_string(row, col, heading, styles.section)
    ws.set_row(row, 22)
    for c, label in enumerate(headers, start=col):
        ws.write_string(row + 1, c, label, styles.header)
    first = row + 2
    for r, values in enumerate(rows, start=first):
        for c, value in enumerate(values):
            put(ws, r, col + c, value, formats[c])
    return Block(first, first + len(rows) - 1, col)


def write_summary_sheet(wb: Workbook, styles: Styles, result: RoundResult, title: str) -> None:
    """汇总: the round's key figures, the units, the distributions and the main problems
    from column A, one page wide; the charts below them."""
    ws = new_summary_sheet(wb, styles, title)
    summary = result.summary()
    projects = returned_projects(result.tables.projects)
    grades = grade_counts(projects)
    scores = band_counts(column_values(projects, "total_score"), SCORE_BANDS)
    rates = band_counts(column_values(projects, "execution_rate"), RATE_BANDS, NOT_COMPUTED)
    units, unknown = unit_lines(result)
    text, count, percent = styles.text, styles.count, styles.percent

    row = write_collection(ws, styles, 2, summary)
    unit_block, row = write_units(ws, styles, row, units, unknown)
    breaks = [row - 1]  # page 1: the key figures and the units; then the distributions
    # two tables side by side: A..C and H..J
    grade_block = write_block(ws, styles, row, "等次分布", ["等次", "数量", "占比"],
                              share_rows(grades), [text, count, percent])
    rate_block = write_block(ws, styles, row, "执行率分布（按项目）", ["执行率", "数量", "占比"],
                             share_rows(rates), [text, count, percent], col=SIDE_COL)
    row = max(grade_block.next_row, rate_block.next_row)
    stats_row = write_score_stats(ws, styles, row, projects)
    score_block = write_block(ws, styles, row, "总分分布", ["总分", "数量"], scores,
                              [text, count], col=SIDE_COL)
    rules = write_top_rules(ws, styles, max(stats_row, score_block.next_row),
                            summary["主要问题"], result.titles)

    charts = [count_chart(wb, grade_block, grades, "等次分布", "#4472C4"),
              count_chart(wb, score_block, scores, "总分分布", "#70AD47", gap=15),
              rate_chart(wb, unit_block, units)]
    if any(c is not None for c in charts):
        breaks.append(rules.next_row)  # the charts on a page of their own
    ws.set_h_pagebreaks(breaks)
    place_charts(ws, rules.next_row + 1, charts)


def new_summary_sheet(wb: Workbook, styles: Styles, title: str) -> Worksheet:
    ws = wb.add_worksheet(SUMMARY)
    for c, width in enumerate(SUMMARY_WIDTHS):
        ws.set_column(c, c, width)
    ws.merge_range(0, 0, 0, LAST_COL, "", styles.title)
    ws.write_string(0, 0, title, styles.title)
    ws.set_row(0, 30)
    page_setup(ws, styles)
    ws.repeat_rows(0)  # the report's title on every page
    return ws


def share_rows(counts: Sequence[tuple[str, int]]) -> list[tuple[str, int, float | None]]:
    total = sum(n for _, n in counts)
    return [(label, n, n / total if total else None) for label, n in counts]


def write_collection(ws: Worksheet, styles: Styles, row: int, summary: dict[str, Any]) -> int:
    """收集情况 and the line that shows 收到 = 读取 + 无法读取 + 跳过; returns the next free row."""
    counts = collection_counts(summary)
    block = write_block(ws, styles, row, "收集情况", ["项目", "数量"],
                        [(label, n) for label, n, _ in counts], [styles.text, styles.count])
    write_wide_column(ws, block, 2, "说明", [meaning for _, _, meaning in counts], styles)
    check = (f"收到文件 {summary['收到文件']} = 读取 {summary['读取']} + "
             f"无法读取 {summary['无法读取']} + 跳过 {summary.get('跳过', 0)}")
    ws.write_string(block.last + 1, 0, check, styles.note)
    return block.last + 3


def write_score_stats(ws: Worksheet, styles: Styles, row: int, projects: pd.DataFrame) -> int:
    """平均总分 and 中位数; returns the next free row."""
    average, median, scored = score_stats(projects)
    rows = [("平均总分", average), ("总分中位数", median)]
    block = write_block(ws, styles, row, "总分", ["项目", "数值"], rows,
                        [styles.text, styles.number])
    ws.write_string(block.last + 1, 0, "已评分项目数", styles.text)
    ws.write_number(block.last + 1, 1, scored, styles.count)
    return block.next_row + 1


def score_stats(projects: pd.DataFrame) -> tuple[float | None, float | None, int]:
    """平均总分, 总分中位数 (None without scores) and how many projects have a 总分."""
    scores = pd.to_numeric(pd.Series(column_values(projects, "total_score"), dtype=object),
                           errors="coerce").dropna()
    if not len(scores):
        return None, None, 0
    return float(scores.mean()), float(scores.median()), len(scores)


def write_top_rules(ws: Worksheet, styles: Styles, row: int,
                    top: Sequence[dict[str, Any]], own: dict[str, str]) -> Block:
    """主要问题: the most frequent rules (RoundResult.summary) by their Chinese titles; the
    codes are in 问题清单's 代码 column."""
    titles = rule_titles(pd.Series([t["规则"] for t in top], dtype=object), own).tolist()
    ws.write_string(row, 0, "主要问题（出现最多的 10 类）", styles.section)
    ws.set_row(row, 22)
    ws.merge_range(row + 1, 0, row + 1, 1, "", styles.header)
    ws.write_string(row + 1, 0, "问题", styles.header)
    ws.write_string(row + 1, 2, "级别", styles.header)
    ws.write_string(row + 1, 3, "数量", styles.header)
    first = row + 2
    width = SUMMARY_WIDTHS[0] + SUMMARY_WIDTHS[1]
    for r, (t, name) in enumerate(zip(top, titles, strict=True), start=first):
        ws.merge_range(r, 0, r, 1, "", styles.wrap)
        put(ws, r, 0, name, styles.wrap)
        put(ws, r, 2, t["级别"], styles.text)
        put(ws, r, 3, t["数量"], styles.count)
        if (lines := text_lines(name, width)) > 1:
            ws.set_row(r, 2 + LINE_HEIGHT * lines)
    block = Block(first, first + len(top) - 1)
    if block.empty:
        ws.write_string(block.first, 0, "没有发现问题", styles.note)
    return block


def write_wide_column(ws: Worksheet, block: Block, col: int, label: str, values: Sequence[Any],
                      styles: Styles) -> None:
    """A text column of a 汇总 table merged across to the table's right edge."""
    ws.merge_range(block.first - 1, col, block.first - 1, LAST_COL, "", styles.header)
    ws.write_string(block.first - 1, col, label, styles.header)
    for r, value in enumerate(values, start=block.first):
        ws.merge_range(r, col, r, LAST_COL, "", styles.text)
        put(ws, r, col, value, styles.text)


def write_units(ws: Worksheet, styles: Styles, row: int, units: Sequence[UnitLine],
                unknown: UnitLine | None) -> tuple[Block, int]:
    """分单位情况 with its 合计 and the note defining 执行率; the block covers the unit rows
    only (the chart's data); returns it and the next free row."""
    formats = [styles.text, styles.wrap, *[styles.count] * 5, styles.number, styles.money,
               styles.money, styles.percent]
    block = write_block(ws, styles, row, "分单位情况", UNIT_HEADERS,
                        [unit_row(u) for u in units], formats)
    for r, unit in enumerate(units, start=block.first):
        if (lines := text_lines(unit.name, SUMMARY_WIDTHS[1])) > 1:
            ws.set_row(r, 2 + LINE_HEIGHT * lines)
    below = max(block.first, block.last + 1)
    if unknown is not None:
        values = [None, unknown.name, None, None, None, unknown.errors, unknown.hints,
                  None, None, None, None]
        for c, value in enumerate(values):
            put(ws, below, c, value, formats[c])
        below += 1
    write_units_total(ws, styles, below, units, unknown)
    ws.merge_range(below + 1, 0, below + 1, LAST_COL, "", styles.note_wrap)
    ws.write_string(below + 1, 0, RATE_NOTE, styles.note_wrap)
    width = sum(SUMMARY_WIDTHS)
    ws.set_row(below + 1, 2 + LINE_HEIGHT * text_lines(RATE_NOTE, width))
    return block, below + 3


def unit_row(unit: UnitLine) -> list[Any]:
    return [unit.code, unit.name, unit.expected, unit.returned, unit.missing, unit.errors,
            unit.hints, mean(unit.scores), unit.budget if unit.rated else None,
            unit.executed if unit.rated else None, unit.rate]


def write_units_total(ws: Worksheet, styles: Styles, row: int, units: Sequence[UnitLine],
                      unknown: UnitLine | None) -> None:
    everyone = [*units, *([unknown] if unknown else [])]
    total = total_line(units)
    values = ["合计", None, total.expected, total.returned, total.missing,
              *(sum(getattr(u, a) for u in everyone) for a in ("errors", "hints")),
              mean(total.scores), total.budget if total.rated else None,
              total.executed if total.rated else None, total.rate]
    formats = [styles.total_text, styles.total_text, *[styles.total_count] * 5,
               styles.total_number, styles.total_money, styles.total_money,
               styles.total_percent]
    for c, value in enumerate(values):
        put(ws, row, c, value, formats[c])


# ---------------------------------------------------------------- 汇总: the charts

def chart_font(size: int = 9, **extra: Any) -> dict[str, Any]:
    return {"name": FONT, "size": size, **extra}


def new_chart(wb: Workbook, kind: str, title: str) -> Any:
    chart = wb.add_chart({"type": kind})
    chart.set_title({"name": title, "name_font": chart_font(11, bold=True)})
    chart.set_legend({"none": True})
    chart.set_size({"width": 480, "height": 288})
    return chart


def count_chart(wb: Workbook, block: Block, counts: Sequence[tuple[str, int]], title: str,
                color: str, gap: int = 80) -> Any | None:
    """Columns of the counts in ``block`` (label in A, count in B); None when all are 0."""
    most = max((n for _, n in counts), default=0)
    if most == 0:
        return None
    chart = new_chart(wb, "column", title)
    chart.add_series({
        "name": "项目数",
        "categories": [SUMMARY, block.first, block.col, block.last, block.col],
        "values": [SUMMARY, block.first, block.col + 1, block.last, block.col + 1],
        "fill": {"color": color}, "gap": gap,
        "data_labels": {"value": True, "font": chart_font()},
    })
    chart.set_x_axis({"num_font": chart_font()})
    chart.set_y_axis({"num_font": chart_font(), "min": 0, "num_format": "0",
                      "major_unit": count_step(most)})
    return chart


def count_step(most: int) -> int:
    """A round gridline step for a count axis up to ``most``: 1, 2, 5, 10, 20, 50 ..."""
    step, factors = 1.0, itertools.cycle((2, 2.5, 2))  # 1 → 2 → 5 → 10 → 20 → 50 ...
    while most / step > 6:
        step *= next(factors)
    return int(step)


def rate_chart(wb: Workbook, block: Block, units: Sequence[UnitLine]) -> Any | None:
    """执行率 by unit (Σ执行数 / Σ预算数) as bars; None when no unit has one."""
    if not any(u.rate is not None for u in units):
        return None
    chart = new_chart(wb, "bar", "各单位执行率（Σ执行数 ÷ Σ预算数）")
    chart.add_series({
        "name": "执行率",
        "categories": [SUMMARY, block.first, 1, block.last, 1],
        "values": [SUMMARY, block.first, RATE_COL, block.last, RATE_COL],
        "fill": {"color": "#ED7D31"},
        "data_labels": {"value": True, "num_format": "0.0%", "font": chart_font()},
    })
    chart.set_x_axis({"num_format": "0%", "num_font": chart_font(), "min": 0})
    chart.set_y_axis({"num_font": chart_font(), "reverse": True, "crossing": "max"})
    bars = block.last - block.first + 1
    chart.set_size({"width": CHART_WIDE, "height": min(4000, max(288, 80 + 24 * bars))})
    return chart


#: the charts below the tables: two side by side, then the by-unit one across both
CHART_HALF, CHART_WIDE, CHART_GAP = 440, 890, 16


def place_charts(ws: Worksheet, row: int, charts: Sequence[Any | None]) -> None:
    """The two count charts side by side from ``row``, the rate chart under them."""
    grade, score, rate = charts
    half_col = 5  # column F starts about half-way across A..K
    y = 0
    if grade is not None or score is not None:
        for chart, col in ((grade, 0), (score, half_col)):
            if chart is not None:
                chart.set_size({"width": CHART_HALF, "height": 288})
                ws.insert_chart(row, col, chart, {"object_position": 3})
        y = 288 + CHART_GAP
    if rate is not None:
        ws.insert_chart(row, 0, rate, {"y_offset": y, "object_position": 3})
