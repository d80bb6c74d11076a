"""Render a layout as a locked 绩效自评表 workbook with xlsxwriter.

What the unit sees: the printed standard form; white-yellow cells to fill, grey cells locked;
scores, 总分 and 等次 updating as they type; a 校验 column telling them what to fix; a
填报说明 sheet. What the office gets back: defined names for every field and a very hidden,
signed ``_meta`` sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from xlkit.build.guide import GUIDE_SHEET, guide_lines
from xlkit.core.expr.tree import FormulaError
from xlkit.core.layout import HELPER_WIDTHS, NCOLS, SHEET, Cell, Layout
from xlkit.core.meta import META_SHEET, MetaRecord
from xlkit.ooxml.protect import lock_structure

FONT = "宋体"  # SimSun: present on every Chinese Windows / WPS install
INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#EDEDED"
HEAD_FILL = "#D9E1F2"
FORMULA_FILL = "#E2EFDA"
NUMBER_FORMATS = {"money": "#,##0.00", "percent": "0.00%", "score": "0.00", "weight": "General",
                  "count": "General"}

PROTECT_OPTIONS = {"format_rows": True, "select_locked_cells": True,
                   "select_unlocked_cells": True}


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.cache: dict[tuple, Any] = {}

    def get(self, kind: str, vtype: str = "text", percent: bool = False) -> Any:
        key = (kind, vtype, percent)
        if key not in self.cache:
            self.cache[key] = self.wb.add_format(self._props(kind, vtype, percent))
        return self.cache[key]

    @staticmethod
    def _props(kind: str, vtype: str, percent: bool = False) -> dict[str, Any]:
        p: dict[str, Any] = {"font_name": FONT, "font_size": 10, "border": 1, "text_wrap": True,
                             "valign": "vcenter", "align": "center", "locked": True}
        if kind == "title":
            p.update(font_size=16, bold=True, border=0)
        elif kind == "caption":
            p.update(border=0, align="right")
        elif kind == "helper":  # the helper columns' caption: on screen only
            p.update(border=0, align="left", font_color="#7F7F7F", italic=True)
        elif kind == "subtitle":  # the year line under the title: （2021年度）
            p.update(font_size=12, border=0)
        elif kind == "seal":  # 填报单位（公章）：, 单位负责人（签章）：  年 月 日 — signed on paper
            p.update(font_size=11, border=0, align="left")
        elif kind == "head":
            p.update(bold=True, bg_color=HEAD_FILL)
        elif kind == "label":
            p.update(bg_color=LOCKED_FILL)
        elif kind == "text":  # a long printed text (a rubric's 指标解释, 计分标准): left, top
            p.update(bg_color=LOCKED_FILL, align="left")
        elif kind == "input":
            p.update(locked=False, bg_color=INPUT_FILL)
        elif kind == "prefill":
            p.update(bg_color=LOCKED_FILL)
        elif kind == "formula":
            p.update(hidden=True, bg_color=FORMULA_FILL, bold=True)
        elif kind == "check":
            p.update(hidden=True, font_color="#C00000", bg_color=LOCKED_FILL, align="left")
        elif kind == "guide":
            p.update(border=0, align="left", valign="top")
        elif kind == "guide_head":
            p.update(border=0, align="left", bold=True, font_size=12)
        if vtype in NUMBER_FORMATS:
            p["num_format"] = NUMBER_FORMATS[vtype]
            if kind in ("input", "prefill", "formula"):
                p["align"] = "right"
        if vtype in ("longtext", "text") and kind in ("input", "prefill") and vtype == "longtext":
            p["align"] = "left"
        if vtype == "any" or vtype == "text" and kind == "input":
            p["num_format"] = "@" if vtype == "text" else "General"
        if percent:  # 95 typed here is 95% in Excel and WPS (automatic percent entry)
            p.update(num_format=NUMBER_FORMATS["percent"], align="right")
        return p


def render(layout: Layout, record: MetaRecord, password: str,
           created: dt.datetime | None = None) -> bytes:
    """The finished .xlsx bytes for one issued form."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": layout.spec.title, "author": "xlkit",
                       "comments": f"{layout.spec.id} v{layout.spec.version}",
                       "created": created or dt.datetime.now(dt.UTC).replace(tzinfo=None)})
    fmt = _Formats(wb)
    ws = wb.add_worksheet(SHEET)
    _write_form(ws, layout, fmt, record.payload.get("issued", {}))
    ws.protect(password, PROTECT_OPTIONS)
    _write_guide(wb.add_worksheet(GUIDE_SHEET), layout, fmt, password)
    _write_meta(wb.add_worksheet(META_SHEET), record, password)
    for name, ref in layout.names().items():
        wb.define_name(name, "=" + ref)
    ws.activate()
    wb.close()
    return lock_structure(_blank_results_as_text(buf.getvalue(), frozenset(layout.auto_rows)),
                          password)


#: a formula cell caching "" as xlsxwriter writes it: an untyped (numeric) empty ``<v>``
_UNTYPED_BLANK = re.compile(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?)(><f>[^<]*</f><v></v></c>)')
_FORM_PART = "xl/worksheets/sheet1.xml"  # the form is the first sheet added


_ROW_HEAD = re.compile(rb'<row r="([0-9]+)"[^>]*>')


def _auto_heights(xml: bytes, rows: frozenset[int]) -> bytes:
    """The ``rows`` (0-based) without ``customHeight``: their height an estimate that
    LibreOffice fits to the text on load, and Excel / WPS when a cell of the row is edited."""
    def sub(m: re.Match) -> bytes:
        if int(m.group(1)) - 1 in rows:
            return m.group(0).replace(b' customHeight="1"', b"")
        return m.group(0)
    return _ROW_HEAD.sub(sub, xml)


def _blank_results_as_text(xlsx: bytes, auto_rows: frozenset[int] = frozenset()) -> bytes:
    """The form's formula cells that give "" cached as an empty text (``t="str"``), as Excel
    and LibreOffice save them: xlsxwriter leaves the type out (a number without a value, to
    make some apps recalculate), which a preview that does not calculate may show as 0."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == _FORM_PART:
                data = _UNTYPED_BLANK.sub(rb'\1 t="str"\2', data)
                if auto_rows:
                    data = _auto_heights(data, auto_rows)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _write_form(ws, layout: Layout, fmt: _Formats, issued: Mapping[str, Any]) -> None:
    for col, width in enumerate(tuple(layout.widths) + HELPER_WIDTHS):
        ws.set_column(col, col, width)
    hidden = set(layout.hidden_rows)
    for row, height in layout.heights.items():
        ws.set_row(row, height, None, {"hidden": True} if row in hidden else None)
    # One evaluation per layout: walking the trees (~2 ms) beats compiling them (~25 ms), the
    # same values (tests/test_program.py); a blank build starts in a quarter of a second.
    values = layout.evaluate(issued, walk=True)
    for cell in layout.cells:
        _write_cell(ws, layout, cell, fmt, values)
    ws.set_paper(9)  # A4
    ws.set_landscape()
    if layout.one_page:
        ws.fit_to_pages(1, 1)
    elif layout.fixed_scale:  # parts on pages of their own (a questionnaire), one scale
        ws.set_print_scale(layout.print_scale)
        ws.set_h_pagebreaks(layout.breaks)
    else:  # fitted to the width (fonts differ between machines), pages broken between groups
        ws.fit_to_pages(1, 0)
        ws.set_h_pagebreaks(layout.breaks)
    if layout.repeat is not None:
        ws.repeat_rows(*layout.repeat)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.print_area(0, 0, layout.row - 1, NCOLS - 1)
    _conditional_formats(ws, layout, fmt)


def _write_cell(ws, layout: Layout, cell: Cell, fmt: _Formats, values: Mapping[str, Any]):
    f = fmt.get(cell.kind, cell.vtype, cell.percent)
    r1, c1 = cell.last_row or cell.row, cell.last_col or cell.col
    if cell.rule is not None:
        cached = values.get(cell.field)
        cached = "" if cached is None else cached
        if cell.merged:
            ws.merge_range(cell.row, cell.col, r1, c1, "", f)
        ws.write_formula(cell.row, cell.col, layout.formula(cell), f, _cacheable(cached))
        return
    value = cell.value
    if cell.merged:
        ws.merge_range(cell.row, cell.col, r1, c1, "", f)
    if value is None:
        ws.write_blank(cell.row, cell.col, None, f)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(cell.row, cell.col, value, f)
    else:
        ws.write_string(cell.row, cell.col, str(value), f)
    if cell.kind == "input":
        ws.data_validation(cell.row, cell.col, r1, c1, _validation(cell, layout))


def _cacheable(v: Any) -> Any:
    """A formula's value as the cell caches it: "" (no value: blank text), an error code, a
    boolean (``t="b"``, not the text "TRUE"), a number or a text."""
    if isinstance(v, FormulaError):
        return str(v)
    return v


def _validation(cell: Cell, layout: Layout) -> dict[str, Any]:
    """Data validation with a Chinese input prompt and error text for one input cell."""
    v: dict[str, Any] = {"ignore_blank": True}
    t = cell.vtype
    if t == "money":
        v.update(validate="decimal", criteria=">=", value=0, error_title="金额有误",
                 error_message="请填写不小于 0 的数字（单位：" + layout.spec.money_unit + "），"
                               "不要带单位或文字。")
    elif t == "weight":
        v.update(validate="decimal", criteria="between", minimum=0, maximum=100,
                 error_title="分值有误", error_message="分值应为 0 至 100 之间的数字。")
    elif t == "score":
        maximum: Any = 100
        if cell.max_ref:
            maximum = "=" + layout.fields[cell.max_ref].address
        v.update(validate="decimal", criteria="between", minimum=0, maximum=maximum,
                 error_title="得分有误", error_message="得分应在 0 至本项分值之间。")
    elif t in ("direction", "tier", "choice") and cell.choices:
        v.update(validate="list", source=list(cell.choices), error_title="请从列表选择",
                 error_message="请从下拉列表中选择：" + "、".join(cell.choices))
    elif t == "count":  # 问卷份数, a rubric's 次数
        v.update(validate="integer", criteria=">=", value=0, error_title="数目有误",
                 error_message="份数、次数应为不小于 0 的整数。")
    elif t == "date":
        v.update(validate="any")
    else:
        v.update(validate="length", criteria="<=", value=2000, error_title="内容过长",
                 error_message="单元格内容请控制在 2000 字以内。")
    if cell.prompt:
        v.update(input_title="填写说明"[:32], input_message=cell.prompt[:255])
    return v


def _conditional_formats(ws, layout: Layout, fmt: _Formats) -> None:
    warn = ws_format(fmt, {"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    for cell in layout.cells:
        if cell.kind == "check":
            rng = _range(cell)
            ws.conditional_format(rng, {"type": "formula", "criteria":
                                        f"=LEN({xl_rowcol_to_cell(cell.row, cell.col)})>0",
                                        "format": warn})
    refs = layout.refs()
    for cell, when in layout.highlights:  # derived from the checks (执行率 when 执行数 > 预算数)
        ws.conditional_format(_range(cell), {"type": "formula", "criteria": "=" + when.excel(refs),
                                             "format": warn})


def ws_format(fmt: _Formats, props: dict[str, Any]) -> Any:
    key = ("cf", tuple(sorted(props.items())))
    if key not in fmt.cache:
        fmt.cache[key] = fmt.wb.add_format(props)
    return fmt.cache[key]


def _range(cell: Cell) -> str:
    a = xl_rowcol_to_cell(cell.row, cell.col)
    b = xl_rowcol_to_cell(cell.last_row or cell.row, cell.last_col or cell.col)
    return a if a == b else f"{a}:{b}"


def _write_guide(ws, layout: Layout, fmt: _Formats, password: str) -> None:
    ws.set_column(0, 0, 110)
    ws.set_paper(9)  # A4 landscape, fitted to the page's width
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    for i, (kind, text) in enumerate(guide_lines(layout.spec)):
        ws.write_string(i, 0, text, fmt.get("guide_head" if kind == "head" else "guide"))
    ws.protect(password, PROTECT_OPTIONS)


def _write_meta(ws, record: MetaRecord, password: str) -> None:
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 80)
    for i, (k, v) in enumerate(record.rows()):
        ws.write_string(i, 0, k)
        ws.write_string(i, 1, v)
    ws.protect(password)
    ws.very_hidden()
