"""Feedback per unit (退回意见 + 催报): one workbook a unit can be mailed, under 反馈/.

Every unit with findings on its returns (错误 or 提示) or projects not returned gets
``<单位编码>_<单位名称>_反馈.xlsx``: 说明 (the unit, the year, its counts, what to do and by
when), 问题清单 (one row per finding: where it is, the raw value, what it should be, the
rule in Chinese and 怎么改) and 催报 (its projects not returned). A unit with nothing to fix
gets no file, only a line in the index. Findings no unit can be told for (a file that could
not be read, its unit unknown) go to the office's own ``未识别单位_反馈.xlsx``: every
finding ends up in exactly one file.

The figures are the report's (``unit_lines``: 应报 / 已报 / 未报 / 错误 / 提示 per unit;
``issue_sheet_frame``: titles, field labels, paths under the inbox); 怎么改 is the
catalogue's ``REMEDIES`` (``OWN_RULE_REMEDY`` for an office's own rules). Each workbook is
small, built in memory and renamed into place, one unit at a time.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlkit.core.atomic import write_atomic
from xlkit.core.spec import load_spec
from xlkit.docs.common import (
    FEEDBACK_DIR,
    OnStart,
    Progress,
    Written,
    safe_file_name,
    unique_file_name,
)
from xlkit.findings import ERROR, HINT, InputError
from xlkit.findings.catalogue import OWN_RULE_REMEDY, REMEDIES
from xlkit.report.workbook import (
    ISSUE_FILL,
    LINE_HEIGHT,
    UnitLine,
    column_values,
    issue_sheet_frame,
    put,
    row_heights,
    text_key,
    text_lines,
    unit_lines,
)
from xlkit.round.result import RoundResult

KIND = "feedback"
PASSED = "无需反馈：已全部报送，未发现问题（通过）"
UNKNOWN_NAME = "未识别单位"
UNKNOWN_FILE = safe_file_name(UNKNOWN_NAME, "反馈", suffix=".xlsx")
FONT = "宋体"
OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False,
           "default_format_properties": {"font_name": FONT, "font_size": 10}}
GUIDE, ISSUES, CHASE = "说明", "问题清单", "催报"
DEADLINE = "请于______年____月____日前"
SEVERITY_ORDER = {ERROR: 0, HINT: 1}

#: 问题清单 as printed: (column, header, width, wrapped). The widths add to 144: one page
#: wide on A4 landscape at ~90 % (10 pt prints at 9); the rule's code stands right of it.
ISSUE_COLUMNS = (("seq", "序号", 4, False), ("severity", "级别", 5, False),
                 ("project_code", "项目编码", 15, True), ("project_name", "项目名称", 12, True),
                 ("file", "文件", 16, True), ("sheet", "工作表", 6, True),
                 ("cell", "单元格", 6, False), ("field_label", "字段", 10, True),
                 ("actual", "填写的内容", 9, True), ("expected", "应为", 8, True),
                 ("title", "规则", 11, True), ("message", "说明", 20, True),
                 ("todo", "怎么改", 22, True))
#: a wrapped cell's lines are counted as if it were this much narrower: LibreOffice's CJK
#: fallback fonts run wider than the width estimate, and a row cut short hides text
SLACK = 0.85
CODE_COLUMN = ("rule", "规则代码", 24)
#: 催报: (column, header, width)
CHASE_COLUMNS = (("project_code", "项目编码", 18), ("project_name", "项目名称", 34),
                 ("contact", "联系人", 10), ("phone", "联系电话", 16),
                 ("form", "应报送的文件", 56))


def what_to_do(rule: str | None) -> str:
    """怎么改 for a finding of ``rule``: the catalogue's line, or the generic one for an
    office's own rule."""
    return REMEDIES.get(str(rule), OWN_RULE_REMEDY) if rule else OWN_RULE_REMEDY


#: rows as columns of plain values (column → values), cheaper per unit than DataFrames
Columns = dict[str, list[Any]]
ISSUE_FIELDS = ("unit_code", "rule", *(c[0] for c in ISSUE_COLUMNS if c[0] != "seq"))
MISSING_FIELDS = ("unit_code", "project_code", "project_name", "contact", "phone")


def size(columns: Columns) -> int:
    return len(columns["unit_code"])


@dataclass(frozen=True)
class UnitShare:
    """One feedback workbook's content: a unit (or the unknown one) and its rows."""

    line: UnitLine
    issues: Columns  # ISSUE_FIELDS of feedback_frame's rows, errors first
    missing: Columns  # MISSING_FIELDS of result.missing's rows
    known: bool = True  # False: the office's file of findings no unit can be told for

    @property
    def empty(self) -> bool:
        return not size(self.issues) and not size(self.missing)


def write_feedback(result: RoundResult, out: str | Path, progress: Progress | None = None,
                   on_start: OnStart | None = None, *,
                   today: dt.date | None = None) -> list[Written]:
    """One workbook per unit with something to act on under ``out``/反馈/; a unit with
    nothing gets a Written without a path (the index's 通过 line)."""
    folder = Path(out) / FEEDBACK_DIR
    shares = unit_shares(result)
    total = sum(not s.empty for s in shares)
    if on_start is not None:
        on_start(KIND, total)
    context = Context(result.year, today or dt.date.today(), form_title(result))
    written: list[Written] = []
    names: set[str] = set()
    for share in shares:
        code, name = share.line.code, share.line.name
        if share.empty:
            written.append(Written(KIND, None, code, name, note=PASSED))
            continue
        path = folder / unique_name(share, names)
        write_atomic(path, unit_workbook(share, context))
        written.append(Written(KIND, path, code, name, note=feedback_note(share)))
        if progress is not None:
            progress(1)
    return written


def unit_shares(result: RoundResult) -> list[UnitShare]:
    """The units in code order (unit_lines), each with its findings and missing projects;
    then the unknown unit when some finding or missing project has no unit code."""
    units, unknown = unit_lines(result)
    by_unit = group(feedback_frame(result), ISSUE_FIELDS)
    missing = group(result.missing, MISSING_FIELDS)
    no_issues, no_missing = dict.fromkeys(ISSUE_FIELDS, []), dict.fromkeys(MISSING_FIELDS, [])
    shares = [UnitShare(u, by_unit.get(u.code, no_issues), missing.get(u.code, no_missing))
              for u in units]
    if None in by_unit or None in missing:
        line = unknown or UnitLine(None)
        line.name = UNKNOWN_NAME
        line.missing = size(missing.get(None, no_missing))
        shares.append(UnitShare(line, by_unit.get(None, no_issues),
                                missing.get(None, no_missing), known=False))
    return shares


def group(df: pd.DataFrame, fields: tuple[str, ...]) -> dict[str | None, Columns]:
    """The ``fields`` of the rows by unit code (text_key: a blank code is None), each unit's
    rows in the frame's order."""
    columns = {name: column_values(df, name) for name in fields}
    rows: dict[str | None, list[int]] = {}
    for i, code in enumerate(columns["unit_code"]):
        rows.setdefault(text_key(code), []).append(i)
    return {unit: {name: [values[i] for i in mine] for name, values in columns.items()}
            for unit, mine in rows.items()}


def feedback_frame(result: RoundResult) -> pd.DataFrame:
    """The issues as 问题清单 shows them (the report's titles, field labels, paths under
    the inbox), with 工作表 / 单元格 apart and 怎么改; errors first, then by project."""
    frame = issue_sheet_frame(result)
    if not len(frame):
        return frame.assign(sheet=[], cell=[], todo=[])
    wheres = [split_where(w) for w in column_values(frame, "where")]
    frame = frame.assign(sheet=[s for s, _ in wheres], cell=[c for _, c in wheres],
                         todo=[what_to_do(text_key(r)) for r in column_values(frame, "rule")])
    order = frame["severity"].map(SEVERITY_ORDER).fillna(len(SEVERITY_ORDER))
    projects = frame["project_code"].map(lambda c: text_key(c) or "")
    return frame.assign(_order=order, _project=projects).sort_values(
        ["_order", "_project"], kind="stable").drop(columns=["_order", "_project"])


def split_where(where: Any) -> tuple[str | None, str | None]:
    """``自评表!H13`` → (自评表, H13); a sheet alone → (sheet, None)."""
    text = text_key(where)
    if not text:
        return None, None
    sheet, bang, cell = text.rpartition("!")
    return (sheet, cell) if bang else (text, None)


def unique_name(share: UnitShare, taken: set[str]) -> str:
    """``<单位编码>_<单位名称>_反馈.xlsx`` (the unknown unit's file by its own name), made
    unique should two units' names come out the same once made safe."""
    parts = (UNKNOWN_NAME,) if not share.known else (share.line.code, share.line.name)
    return unique_file_name(*parts, "反馈", suffix=".xlsx", taken=taken)


def feedback_note(share: UnitShare) -> str:
    """The index's 说明 for a unit's file: its counts."""
    errors, hints = severity_counts(share.issues)
    parts = [f"错误 {errors} 条", f"提示 {hints} 条", f"未报送 {size(share.missing)} 个项目"]
    if not share.known:
        parts.append("无法确定所属单位，由收表单位核实后转交")
    return "；".join(parts)


def severity_counts(issues: Columns) -> tuple[int, int]:
    severities = issues["severity"]
    return severities.count(ERROR), severities.count(HINT)


# ---------------------------------------------------------------- one unit's workbook

@dataclass(frozen=True)
class Context:
    """What every unit's workbook shares."""

    year: int | None
    today: dt.date
    form: str  # the form's title, for 应报送的文件

    @property
    def title(self) -> str:
        year = f"{self.year}年度" if self.year else ""
        return f"{year}绩效自评反馈意见（退回修改及催报）"


def form_title(result: RoundResult) -> str:
    """The title of the form most returns were made on (项目支出绩效自评表); 绩效自评表
    when none was read."""
    projects = result.tables.projects
    ids = projects["template_id"].dropna() if "template_id" in projects.columns else []
    return _form_title(str(ids.mode().iloc[0])) if len(ids) else "绩效自评表"


@lru_cache(maxsize=16)
def _form_title(template_id: str) -> str:
    try:
        return load_spec(template_id).title
    except (InputError, OSError, ValueError):
        return "绩效自评表"


class Styles:
    """The formats of one feedback workbook."""

    def __init__(self, wb: Workbook) -> None:
        def make(**props: Any) -> Format:
            return wb.add_format({"font_name": FONT, "font_size": 10, "valign": "vcenter",
                                  **props})

        self.title = make(font_size=16, bold=True)
        self.section = make(font_size=12, bold=True, valign="bottom")
        self.header = make(bold=True, border=1, bg_color="#D9E1F2", text_wrap=True,
                           align="center")
        self.label = make(bold=True, border=1, bg_color="#F2F2F2")
        self.text = make(border=1, text_wrap=True)
        self.count = make(border=1, num_format="0", align="left")
        self.plain = make(text_wrap=True, valign="top")
        self.deadline = make(bold=True, border=2, bg_color="#FFFF00", font_size=12)
        self.note = make(font_color="#595959", text_wrap=True, valign="top")
        self.rows = {sev: make(border=1, text_wrap=True, valign="top", bg_color=color)
                     for sev, color in ISSUE_FILL.items()}
        self.row = make(border=1, text_wrap=True, valign="top")


def unit_workbook(share: UnitShare, context: Context) -> bytes:
    """The xlsx bytes of one unit's feedback: 说明, 问题清单, 催报 (when it has any)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, dict(OPTIONS))
    wb.set_properties({"title": context.title, "subject": share.line.name or ""})
    styles = Styles(wb)
    write_guide(wb, styles, share, context)
    write_issues(wb, styles, share, context)
    if size(share.missing):
        write_chase(wb, styles, share, context)
    wb.close()
    return buf.getvalue()


def page_setup(ws: Worksheet, share: UnitShare, context: Context) -> None:
    """A4 landscape, one page wide, a footer naming the unit and the page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    who = " ".join(p for p in (share.line.code, share.line.name) if p).replace("&", "&&")
    ws.set_footer(f"&L{who}&C第 &P 页，共 &N 页&R{context.title}", {"margin": 0.25})


GUIDE_WIDTHS = (16, 12, 92)


def write_guide(wb: Workbook, styles: Styles, share: UnitShare, context: Context) -> None:
    """说明: who, which round, the counts, what to do and by when."""
    ws = wb.add_worksheet(GUIDE)
    for c, width in enumerate(GUIDE_WIDTHS):
        ws.set_column(c, c, width)
    page_setup(ws, share, context)
    ws.merge_range(0, 0, 0, 2, context.title, styles.title)
    ws.set_row(0, 30)
    unit = share.line
    who = " ".join(p for p in (unit.code, unit.name) if p)
    facts = [("单位", who), ("年度", f"{context.year}年度" if context.year else "（未注明）"),
             ("反馈日期", f"{context.today.year}年{context.today.month}月{context.today.day}日")]
    row = 2
    for label, value in facts:
        ws.write_string(row, 0, label, styles.label)
        ws.merge_range(row, 1, row, 2, value, styles.text)
        row += 1
    row = write_counts(ws, styles, row + 1, share)
    row = write_steps(ws, styles, row + 1, share)
    write_notes(ws, styles, row + 1, share)


def guide_counts(share: UnitShare) -> list[tuple[str, int, str]]:
    """说明's counts: (label, number, what it means)."""
    errors, hints = severity_counts(share.issues)
    projects = len({text_key(p) for p in share.issues["project_code"]} - {None})
    rows = []
    if share.known:
        unit = share.line
        rows += [("应报项目", unit.expected, "本单位应报送绩效自评表的项目"),
                 ("已报项目", unit.returned, "已收到并读取的项目"),
                 ("未报项目", unit.missing, "尚未报送，见「催报」表")]
    else:
        rows.append(("未报项目", size(share.missing), "清单中没有单位编码的未报送项目，见「催报」表"))
    rows += [("错误", errors, "必须改正，见「问题清单」（红色）"),
             ("提示", hints, "请核实，见「问题清单」（黄色）"),
             ("涉及项目", projects, "「问题清单」中有问题的项目数")]
    return rows


def write_counts(ws: Worksheet, styles: Styles, row: int, share: UnitShare) -> int:
    ws.write_string(row, 0, "报送及审核情况", styles.section)
    ws.set_row(row, 22)
    for c, head in enumerate(("项目", "数量", "说明")):
        ws.write_string(row + 1, c, head, styles.header)
    row += 2
    for label, number, meaning in guide_counts(share):
        ws.write_string(row, 0, label, styles.label)
        ws.write_number(row, 1, number, styles.count)
        ws.write_string(row, 2, meaning, styles.text)
        row += 1
    return row


def guide_steps(share: UnitShare) -> list[str]:
    """What the unit is asked to do, in order."""
    errors, hints = severity_counts(share.issues)
    steps = []
    if errors:
        steps.append(f"「问题清单」中的 {errors} 条错误（红色）必须改正：在下发的原表格（.xlsx）中按「怎么改」"
                     "修改「单元格」所指的位置；不要另建表格，不要插入或删除行列，不要改动公式。")
    if hints:
        steps.append(f"「问题清单」中的 {hints} 条提示（黄色）请逐条核实：属填报错误的一并改正；"
                     "情况属实的无需修改，请在报送时书面说明。")
    if size(share.missing):
        steps.append(f"「催报」表中的 {size(share.missing)} 个项目尚未报送，请填写下发的表格后报送。")
    if not share.known:
        steps.insert(0, "以下问题无法确定所属单位（如无法读取的文件）：请收表单位根据「文件」一栏核实"
                        "报送单位后转交，或直接联系报送人。")
    steps.append("改正后的表格请保持原文件名，与未报送的表格一并报送。")
    return steps


def write_steps(ws: Worksheet, styles: Styles, row: int, share: UnitShare) -> int:
    ws.write_string(row, 0, "请按以下要求办理", styles.section)
    ws.set_row(row, 22)
    row += 1
    width = sum(GUIDE_WIDTHS)
    for n, step in enumerate(guide_steps(share), start=1):
        text = f"{n}. {step}"
        ws.merge_range(row, 0, row, 2, text, styles.plain)
        ws.set_row(row, 4 + LINE_HEIGHT * text_lines(text, width * SLACK))
        row += 1
    ws.write_string(row, 0, "报送期限", styles.label)
    ws.merge_range(row, 1, row, 2, f"{DEADLINE}报送（期限由收表单位填写）", styles.deadline)
    ws.set_row(row, 24)
    return row + 1


NOTES = ("「文件」为收件目录中报回文件的位置；「工作表」「单元格」为表格中的位置（如 H13 为 H 列第 13 行）。",
         "「填写的内容」为表格中原样填写的内容；「应为」为按规则重新计算的数、下发的数或决算数。",
         "「规则」为发现问题所依据的审核规则；如对审核结果有疑问，请与收表单位联系。")


def write_notes(ws: Worksheet, styles: Styles, row: int, share: UnitShare) -> None:
    ws.write_string(row, 0, "注", styles.section)
    width = sum(GUIDE_WIDTHS)
    for text in NOTES:
        row += 1
        ws.merge_range(row, 0, row, 2, text, styles.note)
        ws.set_row(row, 2 + LINE_HEIGHT * text_lines(text, width * SLACK))


def write_issues(wb: Workbook, styles: Styles, share: UnitShare, context: Context) -> None:
    """问题清单: one row per finding, errors (red) before hints (yellow)."""
    ws = wb.add_worksheet(ISSUES)
    columns = [*ISSUE_COLUMNS, (*CODE_COLUMN, False)]
    for c, (_, head, width, _) in enumerate(columns):
        ws.write_string(0, c, head, styles.header)
        ws.set_column(c, c, width)
    ws.set_row(0, 2 + 2 * LINE_HEIGHT)
    n = size(share.issues)
    values = {name: (list(range(1, n + 1)) if name == "seq" else share.issues[name])
              for name, *_ in columns}
    heights = row_heights([(values[name], width * SLACK)
                           for name, _, width, wrap in ISSUE_COLUMNS if wrap])
    for r, sev in enumerate(values["severity"], start=1):
        fmt = styles.rows.get(sev, styles.row)
        for c, (name, *_) in enumerate(columns):
            put(ws, r, c, values[name][r - 1], fmt)
        if heights[r - 1] is not None:
            ws.set_row(r, heights[r - 1])
    if not n:
        ws.write_string(1, 0, "本单位报回的表格未发现问题。", styles.note)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(columns) - 1)
    page_setup(ws, share, context)
    ws.print_area(0, 0, max(n, 1), len(ISSUE_COLUMNS) - 1)
    ws.repeat_rows(0)


def write_chase(wb: Workbook, styles: Styles, share: UnitShare, context: Context) -> None:
    """催报: the unit's projects with no return, and the form each is to send."""
    ws = wb.add_worksheet(CHASE)
    for c, (_, head, width) in enumerate(CHASE_COLUMNS):
        ws.write_string(0, c, head, styles.header)
        ws.set_column(c, c, width)
    rows = chase_rows(share.missing, context.form)
    heights = row_heights([([r[c] for r in rows], width * SLACK)
                           for c, (_, _, width) in enumerate(CHASE_COLUMNS)])
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            put(ws, r, c, value, styles.row)
        if heights[r - 1] is not None:
            ws.set_row(r, heights[r - 1])
    ws.freeze_panes(1, 0)
    page_setup(ws, share, context)
    ws.repeat_rows(0)


def chase_rows(missing: Columns, form: str) -> list[list[Any]]:
    """催报's rows: the project, whom to call, and the form to send (the issued workbook's
    name starts with the project code, or the unit code for a unit's own form)."""
    rows = []
    for unit, code, name, contact, phone in zip(
            *(missing[c] for c in MISSING_FIELDS), strict=True):
        key = text_key(code) or text_key(unit)
        sent = f"下发的《{form}》（文件名以 {key} 开头的 .xlsx）" if key else f"下发的《{form}》（.xlsx）"
        rows.append([code, name, contact, phone, sent])
    return rows
