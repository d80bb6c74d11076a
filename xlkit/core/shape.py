"""A form's shape as the office's list sees it: which cells are pre-filled from which list
column, derived from the spec alone (no table of keys in code).

The naming rule (a list header is matched after the usual clean-up: spaces, a "（万元）"
suffix and a leading 其中： dropped):

- a fund column with ``source`` is pre-filled from the list. On the money block's top row
  (the 执行率 row, else the first row) its list column is the column's label
  (``全年预算数``) or the row's name before it (``年度资金总额全年预算数``);
- on any other row, the row's name before the column's label (``人员经费全年预算数``,
  ``专项债券资金调整预算数``); for the 执行率's budget column (全年预算数) the row's name
  alone will do too (``当年财政拨款``, ``专项债券资金``);
- a row's name is its label without 其中：; ``aliases`` of a row or column are further names
  the list may use (``财政拨款`` for 当年财政拨款);
- a header field with ``source`` is pre-filled from the list column the source names:
  one of :data:`LIST_TEXT` or, for any other key, the column named after the field's label.

Every list key is ``<source>`` on the top row and ``<row key>_<source>`` on the others; the
reconcile columns are ``list_<row>_<column>`` (and ``list_<source>`` for the top row,
``list_<row>`` for a row's budget column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: the list's text columns every form knows: key → header
LIST_TEXT = {"unit_code": "单位编码", "unit_name": "单位名称", "department": "主管部门",
             "project_code": "项目编码", "project_name": "项目名称", "contact": "联系人",
             "phone": "联系电话"}
#: in a unit-level form, the row a project list's projects are summed into
PROJECTS_ROW = "项目支出"


@dataclass(frozen=True)
class ListCell:
    """One pre-filled fund cell: its list key, (row, column) and the list headers naming it."""
    key: str
    row: str
    column: str
    headers: tuple[str, ...]
    top: bool = False


def row_name(label: str) -> str:
    """A fund row's name: its label without the 其中： lead (either colon) and spaces."""
    text = "".join(label.split())
    for lead in ("其中：", "其中:"):
        text = text.removeprefix(lead)
    return text


def top_row(funds: Any) -> Any:
    """The money block's top row: the 执行率 row, else the first."""
    if funds.execution is not None and funds.row(funds.execution.row) is not None:
        return funds.row(funds.execution.row)
    return funds.rows[0]


def budget_column(funds: Any) -> str | None:
    """The column a row's name alone stands for in the list: the 执行率's budget column,
    else the only pre-filled column (None when that is not one)."""
    sourced = [c.key for c in funds.columns if c.source]
    if funds.execution is not None and funds.execution.budget in sourced:
        return funds.execution.budget
    return sourced[0] if len(sourced) == 1 else None


def fund_cells(funds: Any) -> tuple[ListCell, ...]:
    """Every pre-filled fund cell with the list headers that name it, top row first."""
    top, budget = top_row(funds), budget_column(funds)
    out = []
    for row in sorted(funds.rows, key=lambda r: r is not top):
        names = (row_name(row.label), *row.aliases)
        for col in funds.columns:
            if not col.source:
                continue
            cols = (col.label, *col.aliases)
            heads = [n + c for n in names for c in cols]
            if row is top:
                heads = [*cols, *heads]
            elif col.key == budget:
                heads += names
            key = col.source if row is top else f"{row.key}_{col.source}"
            out.append(ListCell(key, row.key, col.key, tuple(dict.fromkeys(heads)), row is top))
    return tuple(out)


def header_sources(spec: Any) -> dict[str, str]:
    """List key → list header of every header field pre-filled from the list."""
    return {f.source: LIST_TEXT.get(f.source, f.label) for f in spec.header if f.source}


def list_columns(cell: ListCell, funds: Any) -> tuple[str, ...]:
    """The reconcile columns holding the list's value of ``cell``: ``list_<row>_<column>``,
    then ``list_<source>`` on the top row or ``list_<row>`` for a row's budget column."""
    out = [f"list_{cell.row}_{cell.column}"]
    if cell.top:
        out.append(f"list_{cell.key}")
    elif cell.column == budget_column(funds):
        out.append(f"list_{cell.row}")
    return tuple(dict.fromkeys(out))


def projects_row(funds: Any) -> str | None:
    """In a unit-level form, the row a project list's projects are summed into: the row
    named 项目支出 (or aliased so)."""
    for row in funds.rows:
        if PROJECTS_ROW in (row_name(row.label), *row.aliases):
            return row.key
    return None
