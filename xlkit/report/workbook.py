"""The office's report workbook: 汇总 with charts, 问题清单, 未报送 and the reader's tables.

Built in memory with xlsxwriter and renamed into place, so an earlier report is replaced
whole or not at all. Every string that came from a unit, a file or a finding is written
as text: a name such as "=1+1" or "http://x" stays text, never a formula or a link.
Numbers are written as numbers and missing values as blank cells (``xlsxrows.cell_value``).
The list sheets' data rows are written by ``xlsxrows`` into the closed workbook (the same
cells, 15x faster at 10,000 projects); ``fast=False`` has xlsxwriter write every cell.
"""

from __future__ import annotations

import copy
import io
import itertools
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlkit.core.atomic import write_atomic
from xlkit.findings import ERROR, HINT, title
from xlkit.read.tables import SCHEMA, TABLE_LABELS
from xlkit.report.rows import MAX_TEXT, SheetRows, cell_value, is_blank
from xlkit.round.result import ISSUE_COLUMNS, MISSING_COLUMNS, RoundResult

FONT = "宋体"
WORKBOOK_OPTIONS = {
    "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_format_properties": {"font_name": FONT, "font_size": 10},
}

SUMMARY, ISSUES, MISSING = "汇总", "问题清单", "未报送"
READER_TABLES = ("projects", "funds", "indicators", "files", "scores")  # after 未报送, in order
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
#: fixed widths of 问题清单; the other columns are fitted to their content
ISSUE_WIDTHS = {"severity": 6, "unit_name": 22, "project_name": 28, "expected": 12,
                "actual": 12, "diff": 10, "file": 36, "message": 60}
CHART_COL = 10  # charts stand right of the 汇总 tables (column K)
LINE_HEIGHT = 13.5  # points per line of 10 pt 宋体


def write_report(path: str | Path, result: RoundResult, *, title: str | None = None,
                 fast: bool = True) -> None:
    """Write the round's report workbook to ``path`` (replaced atomically).

    ``fast=False``: xlsxwriter writes the list sheets' rows too (the reference path)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, copy.deepcopy(WORKBOOK_OPTIONS))  # xlsxwriter adds to it
    title = title or report_title(result.year)
    wb.set_properties({"title": title})
    styles = Styles(wb)
    rows = SheetRows() if fast else None
    write_summary_sheet(wb, styles, result, title)
    write_issues_sheet(wb, styles, result.issues, rows)
    write_missing_sheet(wb, styles, result.missing, rows)
    for table in READER_TABLES:
        write_reader_table(wb, styles, table, getattr(result.tables, table), rows)
    wb.close()
    write_atomic(path, rows.splice(buf.getvalue()) if rows else buf.getvalue())


def report_title(year: int | None) -> str:
    return f"{year}年度绩效自评收集情况" if year else "绩效自评收集情况"


# ---------------------------------------------------------------- cells and styles

class Styles:
    """The report's formats, made once per workbook."""

    def __init__(self, wb: Workbook) -> None:
        def make(**props: Any) -> Format:
            return wb.add_format({"font_name": FONT, "font_size": 10, "valign": "vcenter", **props})

        self.title = make(font_size=16, bold=True, valign="vcenter")
        self.section = make(font_size=12, bold=True, valign="bottom")
        self.header = make(bold=True, border=1, bg_color="#D9E1F2", text_wrap=True,
                           align="center", valign="vcenter")
        self.text = make(border=1)
        self.wrap = make(border=1, text_wrap=True)
        self.count = make(border=1, num_format="0")
        self.number = make(border=1, num_format="0.00")
        self.percent = make(border=1, num_format="0.00%")
        self.total_text = make(border=1, bold=True, bg_color="#F2F2F2")
        self.total_count = make(border=1, bold=True, bg_color="#F2F2F2", num_format="0")
        self.total_number = make(border=1, bold=True, bg_color="#F2F2F2", num_format="0.00")
        self.total_percent = make(border=1, bold=True, bg_color="#F2F2F2", num_format="0.00%")
        self.note = make(font_color="#595959")
        # the reader's tables: no borders, so blank cells need not be written at all
        self.plain_text = make()
        self.plain_count = make(num_format="0")
        self.plain_number = make(num_format="0.00")
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


def display_width(value: Any) -> int:
    """Columns a value takes on screen: Chinese characters count double."""
    if is_blank(value):
        return 0
    text = f"{value:.2f}" if isinstance(value, float | np.floating) else str(value)
    return text_width(text[:200])


@lru_cache(maxsize=4096)
def text_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fitted_width(label: str, values: Iterable[Any], lo: int = 6, hi: int = 48) -> int:
    widest = display_width(label)
    for v in values:
        if widest + 2 >= hi:  # wide enough: the rest cannot change the width
            break
        widest = max(widest, display_width(v))
    return max(lo, min(hi, widest + 2))


def column_values(df: pd.DataFrame, name: str) -> list[Any]:
    """A column's values as plain Python objects; blanks when the frame lacks the column."""
    if name not in df.columns:
        return [None] * len(df)
    return df[name].astype(object).tolist()


# ---------------------------------------------------------------- list sheets

@dataclass(frozen=True)
class ListColumn:
    name: str
    label: str
    fmt: Format
    width: int | None = None  # None: fitted to the content
    wrap: bool = False  # rows grow to show the whole text


def write_list_sheet(wb: Workbook, styles: Styles, sheet: str, df: pd.DataFrame,
                     columns: Sequence[ListColumn], *, fit_width: bool = True,
                     sparse: bool = False, rows: SheetRows | None = None) -> Worksheet:
    """Header row, one row per record, frozen header, autofilter, printable.

    ``sparse``: blank values are not written (for borderless formats: much faster).
    ``rows``: it writes the data rows, once the workbook is closed."""
    ws = wb.add_worksheet(sheet)
    head = df.iloc[:500]
    widths = [col.width or fitted_width(col.label, column_values(head, col.name))
              for col in columns]
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.label, styles.header)
        ws.set_column(c, c, widths[c])
    heights = row_heights([(column_values(df, col.name), widths[c])
                           for c, col in enumerate(columns) if col.wrap])
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
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(df), len(columns) - 1)
    page_setup(ws, fit_width)
    ws.repeat_rows(0)
    return ws


def row_heights(wrapped: Sequence[tuple[list[Any], float]]) -> list[float | None]:
    """Per data row the height its wrapped text needs (column values with widths); None:
    one line, the default height."""
    heights: list[float | None] = []
    for values in zip(*(values for values, _ in wrapped), strict=True):
        lines = max(text_lines(v, width) for v, (_, width) in zip(values, wrapped, strict=True))
        heights.append(min(409, 2 + LINE_HEIGHT * lines) if lines > 1 else None)
    return heights


def text_lines(value: Any, width: float) -> int:
    """Lines a wrapped cell needs (Excel and LibreOffice do not grow the row on opening)."""
    if is_blank(value):
        return 1
    per_line = max(1, int(width) - 1)
    return sum(max(1, math.ceil(display_width(part) / per_line))
               for part in str(value)[:MAX_TEXT].split("\n"))


def page_setup(ws: Worksheet, fit_width: bool = True) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if fit_width:
        ws.fit_to_pages(1, 0)


def write_issues_sheet(wb: Workbook, styles: Styles, issues: pd.DataFrame,
                       rows: SheetRows | None = None) -> None:
    """问题清单: one row per issue, coloured by 级别 (错误 red, 提示 yellow)."""
    columns = [ListColumn(name, label, issue_format(styles, name), ISSUE_WIDTHS.get(name),
                          wrap=name == "message") for name, label in ISSUE_COLUMNS.items()]
    ws = write_list_sheet(wb, styles, ISSUES, issues, columns, rows=rows)
    if len(issues):
        colour_issue_rows(ws, styles, len(issues), len(columns) - 1)


def issue_format(styles: Styles, name: str) -> Format:
    return {"diff": styles.number, "message": styles.wrap}.get(name, styles.text)


def colour_issue_rows(ws: Worksheet, styles: Styles, rows: int, last_col: int) -> None:
    severity_col = list(ISSUE_COLUMNS).index("severity")
    letter = xlsxwriter.utility.xl_col_to_name(severity_col)
    for sev, fill in styles.fill.items():
        ws.conditional_format(1, 0, rows, last_col, {
            "type": "formula", "criteria": f'=${letter}2="{sev}"', "format": fill})


def write_missing_sheet(wb: Workbook, styles: Styles, missing: pd.DataFrame,
                        rows: SheetRows | None = None) -> None:
    """未报送: the list's projects with no return."""
    columns = [ListColumn(name, label, styles.text) for name, label in MISSING_COLUMNS.items()]
    write_list_sheet(wb, styles, MISSING, missing, columns, rows=rows)


def write_reader_table(wb: Workbook, styles: Styles, table: str, df: pd.DataFrame,
                       rows: SheetRows | None = None) -> None:
    """项目 / 资金 / 指标 / 文件: the reader's table with its Chinese headers."""
    if table == "files" and "status" in df.columns:
        df = df.assign(status=df["status"].astype(object).map(
            lambda s: FILE_STATUS.get(s, s)))
    columns = [ListColumn(c.name, c.label, table_format(styles, c.name, c.dtype))
               for c in SCHEMA[table]]
    write_list_sheet(wb, styles, TABLE_LABELS[table], df, columns, fit_width=False, sparse=True,
                     rows=rows)


def table_format(styles: Styles, name: str, dtype: str) -> Format:
    if name.endswith("_rate"):
        return styles.plain_percent
    return {"float64": styles.plain_number, "Int64": styles.plain_count}.get(dtype,
                                                                          styles.plain_text)


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
    rates: list[float] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.returned + self.missing


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
    for unit, score, rate in zip(lines(projects), column_values(projects, "total_score"),
                                 column_values(projects, "execution_rate"), strict=True):
        unit.returned += 1
        if not is_blank(score):
            unit.scores.append(float(score))
        if not is_blank(rate):
            unit.rates.append(float(rate))
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
        ("收到文件", "= 读取 + 无法读取"),
        ("读取", "读取成功的文件"),
        ("无法读取", "被拒收的文件，原因见「文件」表"),
        ("跳过", "Office 临时文件等，不计入收到"),
        ("错误", "必须改正，见「问题清单」"),
        ("提示", "请核实，见「问题清单」"),
    )
    return [(label, int(summary.get(label, 0)), meaning) for label, meaning in explained]


# ---------------------------------------------------------------- 汇总: the sheet

@dataclass(frozen=True)
class Block:
    """Where a table of 汇总 landed: its data rows (inclusive; empty when last < first)."""

    first: int
    last: int

    @property
    def next_row(self) -> int:
        return max(self.first, self.last + 1) + 1

    @property
    def empty(self) -> bool:
        return self.last < self.first


def write_block(ws: Worksheet, styles: Styles, row: int, heading: str, headers: Sequence[str],
                rows: Sequence[Sequence[Any]], formats: Sequence[Format]) -> Block:
    """A heading, a header row and the rows below, from column A."""
    ws.write_string(row, 0, heading, styles.section)
    ws.set_row(row, 22)
    for c, label in enumerate(headers):
        ws.write_string(row + 1, c, label, styles.header)
    first = row + 2
    for r, values in enumerate(rows, start=first):
        for c, value in enumerate(values):
            put(ws, r, c, value, formats[c])
    return Block(first, first + len(rows) - 1)


def write_summary_sheet(wb: Workbook, styles: Styles, result: RoundResult, title: str) -> None:
    """汇总: the figures of the round, tables from column A, charts on the right."""
    ws = new_summary_sheet(wb, styles, title)
    summary = result.summary()
    projects = returned_projects(result.tables.projects)
    grades = grade_counts(projects)
    scores = band_counts(column_values(projects, "total_score"), SCORE_BANDS)
    rates = band_counts(column_values(projects, "execution_rate"), RATE_BANDS, NOT_COMPUTED)
    units, unknown = unit_lines(result)
    text, count, percent = styles.text, styles.count, styles.percent

    row = write_collection(ws, styles, 2, summary)
    grade_block = write_block(ws, styles, row, "等次分布", ["等次", "数量", "占比"],
                              share_rows(grades), [text, count, percent])
    row = write_score_stats(ws, styles, grade_block.next_row, projects)
    score_block = write_block(ws, styles, row, "总分分布", ["总分", "数量"], scores,
                              [text, count])
    rate_block = write_block(ws, styles, score_block.next_row, "执行率分布",
                             ["执行率", "数量", "占比"], share_rows(rates), [text, count, percent])
    rules = write_top_rules(ws, styles, rate_block.next_row, summary["主要问题"])
    unit_block = write_units(ws, styles, rules.next_row, units, unknown)

    charts = [count_chart(wb, grade_block, grades, "等次分布", "#4472C4"),
              count_chart(wb, score_block, scores, "总分分布", "#70AD47", gap=15),
              rate_chart(wb, unit_block, units)]
    place_charts(ws, [c for c in charts if c is not None])


def new_summary_sheet(wb: Workbook, styles: Styles, title: str) -> Worksheet:
    ws = wb.add_worksheet(SUMMARY)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 24)
    ws.set_column(2, CHART_COL - 2, 9)
    ws.set_column(CHART_COL - 1, CHART_COL - 1, 3)
    ws.merge_range(0, 0, 0, CHART_COL - 2, "", styles.title)
    ws.write_string(0, 0, title, styles.title)
    ws.set_row(0, 30)
    page_setup(ws)
    return ws


def share_rows(counts: Sequence[tuple[str, int]]) -> list[tuple[str, int, float | None]]:
    total = sum(n for _, n in counts)
    return [(label, n, n / total if total else None) for label, n in counts]


def write_collection(ws: Worksheet, styles: Styles, row: int, summary: dict[str, Any]) -> int:
    """收集情况 and the line that shows 收到 = 读取 + 无法读取; returns the next free row."""
    counts = collection_counts(summary)
    block = write_block(ws, styles, row, "收集情况", ["项目", "数量"],
                        [(label, n) for label, n, _ in counts], [styles.text, styles.count])
    write_wide_column(ws, block, 2, "说明", [meaning for _, _, meaning in counts], styles)
    check = (f"收到文件 {summary['收到文件']} = 读取 {summary['读取']} + "
             f"无法读取 {summary['无法读取']}")
    ws.write_string(block.last + 1, 0, check, styles.note)
    return block.last + 3


def write_score_stats(ws: Worksheet, styles: Styles, row: int, projects: pd.DataFrame) -> int:
    """平均总分 and 中位数; returns the next free row."""
    scores = pd.to_numeric(pd.Series(column_values(projects, "total_score"), dtype=object),
                           errors="coerce").dropna()
    rows = [("平均总分", scores.mean() if len(scores) else None),
            ("总分中位数", scores.median() if len(scores) else None)]
    block = write_block(ws, styles, row, "总分", ["项目", "数值"], rows,
                        [styles.text, styles.number])
    ws.write_string(block.last + 1, 0, "已评分项目数", styles.text)
    ws.write_number(block.last + 1, 1, len(scores), styles.count)
    return block.next_row + 1


def write_top_rules(ws: Worksheet, styles: Styles, row: int,
                    top: Sequence[dict[str, Any]]) -> Block:
    """主要问题: the most frequent rules (RoundResult.summary) with what each means."""
    rows = [(t["规则"], t["级别"], t["数量"]) for t in top]
    block = write_block(ws, styles, row, "主要问题（前 10 条规则）", ["规则", "级别", "数量"],
                        rows, [styles.text, styles.text, styles.count])
    write_wide_column(ws, block, 3, "含义", [title(str(t["规则"])) or None for t in top], styles)
    if block.empty:
        ws.write_string(block.first, 0, "没有发现问题", styles.note)
    return block


def write_wide_column(ws: Worksheet, block: Block, col: int, label: str, values: Sequence[Any],
                      styles: Styles) -> None:
    """A text column of a 汇总 table merged across to the table's right edge."""
    ws.merge_range(block.first - 1, col, block.first - 1, CHART_COL - 2, "", styles.header)
    ws.write_string(block.first - 1, col, label, styles.header)
    for r, value in enumerate(values, start=block.first):
        ws.merge_range(r, col, r, CHART_COL - 2, "", styles.text)
        put(ws, r, col, value, styles.text)


def write_units(ws: Worksheet, styles: Styles, row: int, units: Sequence[UnitLine],
                unknown: UnitLine | None) -> Block:
    """分单位情况; the returned block covers the unit rows only (the chart's data)."""
    headers = ["单位编码", "单位名称", "应报", "已报", "未报", "错误", "提示", "平均总分",
               "平均执行率"]
    formats = [styles.text, styles.text, *[styles.count] * 5, styles.number, styles.percent]
    block = write_block(ws, styles, row, "分单位情况", headers,
                        [unit_row(u) for u in units], formats)
    below = max(block.first, block.last + 1)
    if unknown is not None:
        values = [None, unknown.name, None, None, None, unknown.errors, unknown.hints, None, None]
        for c, value in enumerate(values):
            put(ws, below, c, value, formats[c])
        below += 1
    write_units_total(ws, styles, below, units, unknown)
    return block


def unit_row(unit: UnitLine) -> list[Any]:
    return [unit.code, unit.name, unit.expected, unit.returned, unit.missing, unit.errors,
            unit.hints, mean(unit.scores), mean(unit.rates)]


def write_units_total(ws: Worksheet, styles: Styles, row: int, units: Sequence[UnitLine],
                      unknown: UnitLine | None) -> None:
    everyone = [*units, *([unknown] if unknown else [])]
    values = ["合计", None, *(sum(getattr(u, a) for u in units) for a in (
        "expected", "returned", "missing")),
              *(sum(getattr(u, a) for u in everyone) for a in ("errors", "hints")),
              mean([s for u in units for s in u.scores]),
              mean([r for u in units for r in u.rates])]
    formats = [styles.total_text, styles.total_text, *[styles.total_count] * 5,
               styles.total_number, styles.total_percent]
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
        "categories": [SUMMARY, block.first, 0, block.last, 0],
        "values": [SUMMARY, block.first, 1, block.last, 1],
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
    """Average 执行率 by unit as bars; None when no unit has one."""
    if not any(u.rates for u in units):
        return None
    chart = new_chart(wb, "bar", "各单位平均执行率")
    chart.add_series({
        "name": "平均执行率",
        "categories": [SUMMARY, block.first, 1, block.last, 1],
        "values": [SUMMARY, block.first, 8, block.last, 8],
        "fill": {"color": "#ED7D31"},
        "data_labels": {"value": True, "num_format": "0.0%", "font": chart_font()},
    })
    chart.set_x_axis({"num_format": "0%", "num_font": chart_font(), "min": 0})
    chart.set_y_axis({"num_font": chart_font(), "reverse": True, "crossing": "max"})
    bars = block.last - block.first + 1
    chart.set_size({"width": 480, "height": min(4000, max(288, 80 + 24 * bars))})
    return chart


def place_charts(ws: Worksheet, charts: Sequence[Any]) -> None:
    """Stack the charts right of the tables, from the first table down."""
    y = 0
    for chart in charts:
        ws.insert_chart(2, CHART_COL, chart, {"y_offset": y, "object_position": 3})
        y += chart.height + 16
