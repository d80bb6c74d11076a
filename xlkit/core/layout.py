"""Where everything goes: a spec plus one issue's pre-filled values → positioned cells.

The layout is the contract between the builder (which writes it), the ``_meta`` sheet (which
records it) and the reader (which reads fields back by name). Every cell a reader needs has
a field name; formula cells carry the scoring rule they compute.

Field names:
  header.<key>                      header values (项目名称 ...)
  funds.<row>.<column>              money block
  exec.weight / exec.rate / exec.score
  tasks.<i>.<j> / goals.expected / goals.actual / narr.<key>
  ind.<i>.<col>                     三级指标 row i: name direction target unit actual weight
                                    tier qscore score reason progress check
  grp.<g>.weight / grp.<g>.score / grp.<g>.check
  card.<i>.score / card.<g>.subtotal
  total / grade / check.funds / check.total / signoff.<i>
  people.<i>.<key>                  评价人员 row i (姓名 name, 职称/职务 title ...)

The ``check`` cells (校验) show the in-form checks of xlkit.core.checks; ``Layout.sites``
binds those declarations to this form's fields, for the builder and the reader alike.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from xlkit.core import checks, scoring
from xlkit.core.expr.compile import Rule, compile_rule, run
from xlkit.core.expr.tree import (
    AND,
    IF,
    ISNUMBER,
    OR,
    ROUND,
    SUM,
    Call,
    Expr,
    FormulaError,
    IsPercent,
    Lit,
    Op,
    PercentPoints,
    Ref,
    Refs,
)
from xlkit.core.spec import DIRECTIONS, TIERS, Spec

SHEET = "自评表"
NCOLS = 9  # A..I, the printed form's grid: the national 项目支出绩效自评表's nine columns
#: the printed columns' widths (Excel character units): 一级指标 "产出指标（50分）" wraps at its
#: bracket, 二级指标 "服务对象满意度指标" fits a line, 偏差原因 is the widest
COL_WIDTHS = (9, 11, 18, 26, 13, 14, 7, 8, 32)
#: to the right of the print area: a narrow gap column (J), then the helper columns (K..S)
#: the unit fills or reads on screen and the official form does not print
GAP_COL = NCOLS
HELPER = {"direction": 10, "target": 11, "unit": 12, "tier": 13, "qscore": 14, "check": 15,
          "grp_weight": 16, "grp_score": 17, "grp_check": 18}
CHECK_COL = HELPER["check"]  # every 校验 cell of the form
HELPER_WIDTHS = (2, 9, 10, 9, 9, 9, 30, 9, 9, 28)  # J..S
HELPER_CAPTION = "填报辅助（不打印）"
LAST_COL = NCOLS + len(HELPER_WIDTHS) - 1  # S


@dataclass
class Cell:
    row: int
    col: int
    kind: str  # title caption label head input prefill formula check
    value: Any = None
    field: str | None = None
    last_row: int | None = None
    last_col: int | None = None
    vtype: str = "text"  # money weight score percent direction tier choice longtext any
    rule: Expr | None = None
    choices: tuple[str, ...] = ()
    max_ref: str | None = None  # field holding the upper bound of a score input
    prompt: str = ""
    #: written formatted as a percentage (the 实际完成值 of a row issued with 计量单位 %):
    #: "95" typed there becomes 95% in Excel and WPS, as "95%" does; the rules read such
    #: inputs in percent points (``PercentPoints``)
    percent: bool = False
    #: a formula cell's text as issued (its row height is estimated from it)
    text: str | None = None

    @property
    def merged(self) -> bool:
        return (self.last_row or self.row) != self.row or (self.last_col or self.col) != self.col

    @property
    def address(self) -> str:
        return xl_rowcol_to_cell(self.row, self.col, row_abs=True, col_abs=True)


@dataclass
class IndicatorRow:
    index: int
    group: int
    level1: str
    level2: str
    row: int
    prefilled: bool = False
    spare: bool = False  # a hidden spare row the unit may unhide to add an indicator


@dataclass
class Layout:
    spec: Spec
    cells: list[Cell] = field(default_factory=list)
    fields: dict[str, Cell] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    indicator_rows: list[IndicatorRow] = field(default_factory=list)
    title_rows: int = 2
    row: int = 0
    sites: list[checks.Site] = field(default_factory=list)  # the in-form checks, bound
    #: cells shown red when an expression holds (derived from the checks)
    highlights: list[tuple[Cell, Expr]] = field(default_factory=list)
    #: row ranges (first, last) that print on one page: pages break only between them
    keep: list[tuple[int, int]] = field(default_factory=list)
    #: header rows (first, last) repeated at the top of every printed page after their own
    repeat: tuple[int, int] | None = None
    #: rows written hidden (the spare indicator rows as issued)
    hidden_rows: list[int] = field(default_factory=list)
    #: rows whose height is an estimate the application may change: written without
    #: customHeight, so LibreOffice fits them to their text on load and Excel / WPS when a
    #: cell of the row is edited (rows where units type text into unmerged cells)
    auto_rows: set[int] = field(default_factory=set)
    #: the print plan (:func:`plan_print`): one page (fit to one page) or, for a larger form,
    #: the rows that start a new page at the fixed ``print_scale`` (percent)
    one_page: bool = True
    breaks: list[int] = field(default_factory=list)
    print_scale: int = 100
    #: the printed columns' widths (a rubric form declares its own: :func:`print_widths`)
    widths: tuple[float, ...] = COL_WIDTHS
    #: rows that start a printed page whatever the plan (the questionnaire's first row)
    page_starts: list[int] = field(default_factory=list)
    #: printed at ``print_scale`` with ``breaks`` (not fitted to the width): a form whose
    #: parts each fit a page at one scale (:func:`plan_print`)
    fixed_scale: bool = False
    _refs: dict[str, str] | None = field(default=None, repr=False)
    _program: dict[str, Rule] | None = field(default=None, repr=False, compare=False)
    _read: tuple[dict[str, Expr], dict[str, Rule] | None] | None = field(
        default=None, repr=False, compare=False)
    _percent: tuple[frozenset[str], bool] | None = field(default=None, repr=False,
                                                         compare=False)

    def add(self, cell: Cell) -> Cell:
        self._refs = self._program = self._read = self._percent = None
        self.cells.append(cell)
        if cell.field:
            if cell.field in self.fields:
                raise ValueError(f"duplicate field {cell.field}")
            self.fields[cell.field] = cell
        return cell

    def refs(self) -> dict[str, str]:
        """Field → absolute A1 address, the map formulas are rendered with."""
        if self._refs is None:
            self._refs = {f: c.address for f, c in self.fields.items()}
        return self._refs

    def names(self) -> dict[str, str]:
        """Defined names: ``xk_funds_total_full_year`` → ``'自评表'!$F$7``."""
        return {defined_name(f): f"'{SHEET}'!{c.address}" for f, c in self.fields.items()}

    def formula(self, cell: Cell) -> str:
        assert cell.rule is not None
        return "=" + cell.rule.excel(self.refs())

    def display_fields(self) -> list[str]:
        """The formula fields that show the unit's own entries as text (the printed
        年度指标值): no figure; the reader takes them as the sheet shows them."""
        return [f for f in self.fields if f.endswith(".target_text")]

    def inputs(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "input"]

    def percent_fields(self) -> frozenset[str]:
        """The fields some rule or check reads in percent points (``PercentPoints``): their
        percent format counts (× 100), on the sheet and in the reader alike (once per
        layout)."""
        return self._percent_info()[0]

    def percent_points_only(self) -> bool:
        """Every rule reads the :meth:`percent_fields` in percent points, or tests only
        whether they are a number or blank (ISNUMBER, ``=""``, ``<>""``): then a number x in a
        %-formatted cell and the number x × 100 in a plain one give every rule the same
        value — what lets the reader take the percentage as parsed for both views."""
        return self._percent_info()[1]

    def _percent_info(self) -> tuple[frozenset[str], bool]:
        if self._percent is None:
            rules = [c.rule for c in self.cells if c.rule is not None]
            rules += [s.mask() for s in self.sites]
            found: set[str] = set()
            for e in rules:
                _percent_refs(e, found)
            names = frozenset(found)
            self._percent = names, all(_points_only(e, names) for e in rules)
        return self._percent

    def evaluate(self, values: Mapping[str, Any], *, walk: bool = False,
                 read: bool = False) -> dict[str, Any]:
        """Every formula field's value given the input/prefill values (blank → None).
        The rules run compiled (xlkit.core.expr.compile); ``walk=True`` walks the expression
        trees instead, the reference the compiled rules are tested against.

        ``read=True``: what the reader needs instead of the 校验 cells' texts — the value
        ``check_mask(k)`` of every check site k (:meth:`checks.Site.mask`)."""
        if read:
            rules, _ = self._read_rules()
            return _Env(self, rules, values).all() if walk else run(self.read_program(), values)
        if walk:
            return _Env(self, {f: c.rule for f, c in self.fields.items()
                               if c.rule is not None}, values).all()
        return run(self.program(), values)

    def program(self) -> dict[str, Rule]:
        """Each formula field's rule, compiled (once per layout)."""
        if self._program is None:
            self._program = self._compile({f: c.rule for f, c in self.fields.items()
                                           if c.rule is not None})
        return self._program

    def read_program(self) -> dict[str, Rule]:
        """The reader's rules compiled: the formula cells but the 校验 cells, and each check
        site's mask (once per layout)."""
        rules, compiled = self._read_rules()
        if compiled is None:
            compiled = self._compile(rules)
            self._read = rules, compiled
        return compiled

    def _read_rules(self) -> tuple[dict[str, Expr], dict[str, Rule] | None]:
        if self._read is None:
            rules = {f: c.rule for f, c in self.fields.items()
                     if c.rule is not None and c.kind != "check"}
            for k, site in enumerate(self.sites):
                rules[check_mask(k)] = site.mask()
            self._read = rules, None
        return self._read

    def _compile(self, rules: Mapping[str, Expr]) -> dict[str, Rule]:
        def computed(name: str) -> bool:
            return name in rules

        def default(name: str) -> Any:
            c = self.fields.get(name)
            return c.value if c is not None and c.kind == "prefill" else None

        return {f: compile_rule(e, computed, default) for f, e in rules.items()}

    def site(self, site: checks.Site) -> None:
        """Add a check site; the reader takes them scope by scope (checks.SCOPES)."""
        self._read = self._percent = None
        self.sites.append(site)
        self.sites.sort(key=lambda s: checks.SCOPES.index(s.scope))  # stable


def _percent_refs(e: Expr, out: set[str]) -> None:
    if isinstance(e, (PercentPoints, IsPercent)):
        out.add(e.ref.name)
    elif isinstance(e, Op):
        _percent_refs(e.a, out)
        _percent_refs(e.b, out)
    elif isinstance(e, Call):
        for a in e.args:
            _percent_refs(a, out)


def _points_only(e: Expr, names: frozenset[str]) -> bool:
    """``e`` reads the ``names`` only in percent points or to test whether they are a number
    or blank."""
    if isinstance(e, Ref):
        return e.name not in names
    if isinstance(e, Refs):
        return not names.intersection(e.names)
    if isinstance(e, Op):
        if e.op in ("=", "<>") and any(
                isinstance(x, Ref) and isinstance(y, Lit) and y.value == ""
                for x, y in ((e.a, e.b), (e.b, e.a))):
            return True
        return _points_only(e.a, names) and _points_only(e.b, names)
    if isinstance(e, Call):
        if e.fn == "ISNUMBER" and len(e.args) == 1 and isinstance(e.args[0], Ref):
            return True
        test = e.args[0] if e.args else None
        if (e.fn == "IF" and len(e.args) == 3 and isinstance(test, Call)
                and test.fn == "ISNUMBER" and isinstance(test.args[0], Ref)):
            # IF(ISNUMBER(x), .., x): where x is not a number its format does not count
            return (_points_only(e.args[1], names)
                    and _points_only(e.args[2], names - {test.args[0].name}))
        return all(_points_only(a, names) for a in e.args)
    return True  # Lit, PercentPoints, IsPercent


def check_mask(k: int) -> str:
    """The name the reader's rules give check site k's mask (never a field name)."""
    return f"!check{k}"


def defined_name(field_name: str) -> str:
    return "xk_" + field_name.replace(".", "_")


class _Env(dict):
    def __init__(self, layout: Layout, rules: Mapping[str, Expr], values: Mapping[str, Any]):
        super().__init__()
        self.layout = layout
        self.rules = rules
        self.values = values

    def get(self, name, default=None):
        if name in self:
            return self[name]
        rule = self.rules.get(name)
        if rule is not None:
            try:
                self[name] = rule.evaluate(self)
            except FormulaError as exc:  # the cell shows an error value, as Excel would
                self[name] = exc
            return self[name]
        if name in self.values:
            return self.values[name]
        cell = self.layout.fields.get(name)
        if cell is not None and cell.kind == "prefill":
            return cell.value
        return default

    def all(self) -> dict[str, Any]:
        for name in self.rules:
            self.get(name)
        return dict(self)


# ----------------------------------------------------------------------------- builder


def spans(weights: Sequence[int], first: int = 0, last: int = NCOLS - 1) -> list[tuple[int, int]]:
    """Split columns first..last into consecutive spans proportional to ``weights``."""
    width = last - first + 1
    total = sum(weights)
    out, col, acc = [], first, 0
    for i, w in enumerate(weights):
        acc += w
        end = last if i == len(weights) - 1 else first + round(width * acc / total) - 1
        end = max(end, col)
        out.append((col, end))
        col = end + 1
    return out


def build_layout(spec: Spec, issue: Mapping[str, Any] | None = None,
                 targets: Sequence[Mapping[str, Any]] | None = None) -> Layout:
    """Lay out ``spec`` for one issued form.

    ``issue`` holds the distribution-list values (year, unit_code, unit_name, department,
    project_code, project_name, funds: {(row, col): amount}); ``targets`` the approved
    indicator rows (level1, level2, name, direction, target, unit, weight).
    """
    issue = issue or {}
    lay = Layout(spec, widths=print_widths(spec))
    _title(lay, issue)
    _header(lay, issue)
    if spec.tasks:
        _tasks(lay)
    _funds(lay, issue)
    if spec.goals:
        _goals(lay)
    _narratives(lay, "funds")
    if spec.indicators:
        _indicators(lay, targets)
    _narratives(lay, "indicators")
    if spec.scorecard:
        _scorecard(lay)  # with its own 综合得分 and 评价结果等次 rows (seed 002)
    if "total" not in lay.fields:
        _total(lay)
    _closing(lay)
    if spec.questionnaire:  # on a page of its own; may feed an indicator row above
        from xlkit.core.survey import questionnaire_block  # survey builds on this module
        questionnaire_block(lay)
    recommended = [(f"signoff.{i}", label) for i, label in enumerate(spec.signoff)]
    if spec.people:  # at least one 评价人员
        recommended.append((f"people.0.{spec.people.columns[0].key}",
                            f"{spec.people.title}·{spec.people.columns[0].label}"))
    if spec.goals:
        recommended.append(("goals.actual", spec.goals.columns[1]))
    site = checks.recommended_site(recommended)
    if site is not None:
        lay.site(site)
    fit_heights(lay)
    plan_print(lay)
    return lay


# --- row heights and the print plan ---------------------------------------------------

LINE_HEIGHT = 13.5  # points per line of 10 pt text
ROW_PAD = 4.5
MIN_HEIGHT = LINE_HEIGHT + ROW_PAD  # one line
#: A4 landscape (points) less the margins the builder writes (left / right 0.4", top /
#: bottom 0.6") and room for the footer
PAGE_WIDTH = 841.9 - 2 * 0.4 * 72
PAGE_HEIGHT = 595.3 - 2 * 0.6 * 72 - 12
#: a form whose rows, at the width's scale, need at most this many pages prints fitted to
#: one page (a typical project form: up to 12 indicators, the blank form); a larger one
#: prints at the width's scale, breaking between groups
ONE_PAGE_MAX = 2.0
#: ... and has at most this many indicator rows showing (the blank form's 2 a subgroup)
ONE_PAGE_ROWS = 18
_KINDS_FITTED = frozenset(("label", "head", "prefill", "formula", "input", "text"))


def column_units(c0: int, c1: int, widths: Sequence[float] = COL_WIDTHS) -> float:
    """The width of columns c0..c1 in Excel character units (``widths``: the printed
    columns', :func:`print_widths`)."""
    every = tuple(widths) + HELPER_WIDTHS
    return float(sum(every[c] if c < len(every) else 8.43 for c in range(c0, c1 + 1)))


def text_lines(text: Any, units: float) -> int:
    """:func:`_text_lines`, remembered for texts (names and targets recur across a run)."""
    if isinstance(text, str) and len(text) < 512:
        return _text_lines_cached(text, units)
    return _text_lines(text, units)


_NARROW = frozenset("0123456789.,-+% ")


def _text_lines(text: Any, units: float) -> int:
    """Lines ``text`` wraps to in a cell ``units`` wide at 10 pt: a CJK (or full-width) char
    takes about 2 units, others about 1.1; each line break starts a line."""
    if text is None or text == "":
        return 1
    room = max(units - 1.0, 1.0)
    n = 0
    for para in str(text).split("\n"):
        w = 0.0
        for ch in para:
            w += 2.0 if ord(ch) >= 0x2000 else 1.0 if ch in _NARROW else 1.1
        n += max(1, math.ceil(w / room - 1e-9))
    return n


_text_lines_cached = functools.lru_cache(maxsize=16384)(_text_lines)


def header_units(spec: Spec) -> dict[str, float]:
    """The width of each header field's value cell, as :func:`_header` lays them out."""
    out: dict[str, float] = {}
    pending: list = []
    widths = print_widths(spec)

    def flush() -> None:
        segs = PAIR_SEGS if len(pending) == 2 else [(0, 1), (2, NCOLS - 1)]
        for k, f in enumerate(pending):
            out[f.key] = column_units(*segs[2 * k + 1], widths)
        pending.clear()

    for f in spec.header:
        if f.wide:
            flush()
            out[f.key] = column_units(2, NCOLS - 1, widths)
        else:
            pending.append(f)
            if len(pending) == 2:
                flush()
    flush()
    return out


#: the columns whose issued text sets an indicator row's height
_ROW_TEXTS = (("name", 3), ("target", HELPER["target"]), ("unit", HELPER["unit"]))


def height_key(spec: Spec, issue: Mapping[str, Any], targets, units: Mapping[str, float],
               plan: Sequence[tuple[int, str, str, Mapping | None]] | None = None) -> tuple:
    """What of the issued texts sets row heights: (field, lines) of every issued text of more
    than one line (``units``: :func:`header_units`). Two issues with the same key (and the
    same shape otherwise) get the same heights and page breaks: the fast builder's template
    key includes it. ``plan``: ``plan_rows(spec, targets)`` when the caller has it."""
    out: list[tuple[Any, int]] = []
    for f in spec.header:
        v = issue.get(f.source) if f.source else None
        if v not in (None, "") and f.key in units:
            n = text_lines(str(v), units[f.key])
            if n > 1:
                out.append((f.key, n))
    if spec.indicators and targets:
        e = column_units(4, 4)
        for i, (_, _, _, t) in enumerate(plan if plan is not None
                                         else plan_rows(spec, targets)):
            if t is None:
                continue
            n = max([text_lines(_text_of(t.get(k)), column_units(c, c)) for k, c in _ROW_TEXTS]
                    + [text_lines(target_display(t.get("direction"), t.get("target"),
                                                 t.get("unit")), e)])
            if n > 1:
                out.append((i, n))
    return tuple(out)


def _text_of(v: Any) -> str:
    """A text as it sets a row's height (a number shows on one line)."""
    return v if isinstance(v, str) else ""


def fit_heights(lay: Layout) -> None:
    """Every row at least one line high and as high as the longest pre-filled or label text
    of a one-row cell needs (a formula cell by its text as issued); rows set higher keep
    their height."""
    need: dict[int, float] = {}
    for c in lay.cells:
        if c.kind not in _KINDS_FITTED or (c.last_row or c.row) != c.row:
            continue
        text = c.text if c.text is not None else c.value
        if not isinstance(text, str) or text == "":
            continue  # a number shows in its format on one line (or as ###)
        h = text_lines(text, column_units(c.col, c.last_col or c.col, lay.widths)) \
            * LINE_HEIGHT + ROW_PAD
        if h > need.get(c.row, 0.0):
            need[c.row] = h
    for r in range(lay.title_rows, lay.row):
        lay.heights[r] = max(lay.heights.get(r, 0.0), need.get(r, 0.0), MIN_HEIGHT)
    # a label merged down rows (产出指标 / （50分）) gets the room it needs from its first
    # row showing, which then keeps its height (an application fits a row to unmerged cells)
    hidden = set(lay.hidden_rows)
    for c in lay.cells:
        last = c.last_row or c.row
        if last == c.row or c.kind not in ("label", "head") or not c.value or c.text == "":
            continue
        shown = [r for r in range(c.row, last + 1) if r not in hidden]
        if not shown:
            continue
        h = text_lines(c.value, column_units(c.col, c.last_col or c.col, lay.widths)) \
            * LINE_HEIGHT + ROW_PAD
        room = sum(lay.heights.get(r, MIN_HEIGHT) for r in shown)
        if h > room:
            lay.heights[shown[0]] = lay.heights.get(shown[0], MIN_HEIGHT) + h - room
            lay.auto_rows.discard(shown[0])


def print_width(widths: Sequence[float] = COL_WIDTHS) -> float:
    """The printed columns' width in points (Excel: a column w units wide is 7w + 5 pixels
    of the default font)."""
    return sum(int(7 * w + 5) for w in widths) * 0.75


def plan_print(lay: Layout) -> None:
    """One page, or the rows that start a page at the width's scale: a page breaks only
    between the ``keep`` ranges (a range longer than a page breaks where it must); every page
    after the first repeats the ``repeat`` rows."""
    scale = min(1.0, PAGE_WIDTH / print_width(lay.widths))
    if lay.page_starts:  # parts on pages of their own: one scale, no head repeated
        scale = _part_scale(lay, scale)
        lay.fixed_scale, lay.repeat = True, None
    lay.print_scale = int(scale * 100)
    scale = lay.print_scale / 100
    hidden = set(lay.hidden_rows)

    def height(r: int) -> float:
        return 0.0 if r in hidden else lay.heights.get(r, 15.0) * scale

    total = sum(height(r) for r in range(lay.row))
    lay.breaks = []
    shown = sum(1 for x in lay.indicator_rows if not x.spare)
    lay.one_page = (total <= PAGE_HEIGHT * ONE_PAGE_MAX and shown <= ONE_PAGE_ROWS
                    and not lay.page_starts)
    if lay.one_page:
        return
    repeat = sum(height(r) for r in range(lay.repeat[0], lay.repeat[1] + 1)) if lay.repeat else 0
    kept: dict[int, list[int]] = {}
    for a, b in lay.keep:
        kept.setdefault(a, []).append(b)
    used, r = 0.0, 0
    starts = set(lay.page_starts)
    while r < lay.row:
        # the longest range starting here that fits a page (a 评分表 group longer than a
        # page breaks between its 二级指标); none: row by row
        for last in sorted(kept.get(r, ()), reverse=True) + [r]:
            block = sum(height(x) for x in range(r, last + 1))
            if block <= PAGE_HEIGHT - repeat or last == r:
                break
        if used > 0 and (used + block > PAGE_HEIGHT or r in starts):
            lay.breaks.append(r)
            used = repeat if lay.repeat and r > lay.repeat[1] else 0.0
        used += block
        r = last + 1


#: the smallest scale a form with parts on pages of their own (a questionnaire) is shrunk
#: to so that its first part fits one page; below it, that part breaks between its groups
READABLE_SCALE = 0.6
#: room left for rows that grow with their text when the application fits them
PART_MARGIN = 0.97


def _part_scale(lay: Layout, width: float) -> float:
    """The one scale of a form whose ``page_starts`` begin parts of their own (the
    questionnaire): each later part fits one page; the first part too when that leaves it
    at READABLE_SCALE or more (else it breaks between its groups at that scale)."""
    hidden = set(lay.hidden_rows)
    edges = [0, *lay.page_starts, lay.row]
    fits = [PAGE_HEIGHT * PART_MARGIN / h for h in (
        sum(0.0 if r in hidden else lay.heights.get(r, 15.0) for r in range(a, b))
        for a, b in zip(edges, edges[1:], strict=False)) if h > 0] or [1.0]
    later = min([width, *fits[1:]])
    return min(later, fits[0]) if fits[0] >= READABLE_SCALE else min(later, READABLE_SCALE)


def _label(lay: Layout, row: int, c0: int, c1: int, text: str, r1: int | None = None,
           kind: str = "label") -> Cell:
    return lay.add(Cell(row, c0, kind, text, last_row=r1 if r1 is not None else row,
                        last_col=c1))


def _value(lay: Layout, row: int, c0: int, c1: int, field_name: str, value: Any = None,
           vtype: str = "text", prompt: str = "", **kw) -> Cell:
    kind = "prefill" if value is not None else "input"
    return lay.add(Cell(row, c0, kind, value, field_name, row, c1, vtype, prompt=prompt, **kw))


def title_texts(spec: Spec, year: Any) -> list[str]:
    """The texts of the title rows, top down: the title, and the year line of a form that
    prints its year on a line of its own (seed 002's （2021年度）). They are the only cells
    whose text comes from the year: the fast builder fills them per workbook."""
    if spec.year_line:
        return [spec.title, f"（{year}年度）" if year else "（　　　　年度）"]
    return [f"{year}年度{spec.title}" if year else spec.title]


def _title(lay: Layout, issue) -> None:
    r = 0
    for k, text in enumerate(title_texts(lay.spec, issue.get("year"))):
        _label(lay, r, 0, NCOLS - 1, text, kind="title" if k == 0 else "subtitle")
        lay.heights[r] = 30 if k == 0 else 20
        r += 1
    # the caption row: the seal lines of the top (填报单位（公章）：) at the left, the money
    # unit at the right
    top = lay.spec.seal.top
    unit_from = NCOLS - 3 if top else 0
    if top:
        for (c0, c1), label in zip(spans([1] * len(top), 0, unit_from - 1), top, strict=True):
            _label(lay, r, c0, c1, f"{label}：", kind="seal")
        lay.heights[r] = 28  # room for the stamp
    _label(lay, r, unit_from, NCOLS - 1, f"金额单位：{lay.spec.money_unit}", kind="caption")
    lay.title_rows = r + 1
    lay.row = r + 1


def _header(lay: Layout, issue) -> None:
    # the helper columns' caption, beside the title (on screen only: outside the print area)
    _label(lay, 0, HELPER["direction"], LAST_COL,
           f"{HELPER_CAPTION}：指标方向、指标值、计量单位、定性档次和得分在右侧浅黄色格填写；"
           "“校验”列提示需要修改之处。这些列不在打印页上。", kind="helper")
    pending: list = []
    for f in lay.spec.header:
        value = issue.get(f.source) if f.source else None
        value = None if value in (None, "") else str(value)
        if f.wide:
            _flush_pairs(lay, pending)
            pending = []
            r = lay.row
            _label(lay, r, 0, 1, f.label)
            _value(lay, r, 2, NCOLS - 1, f"header.{f.key}", value, "choice" if f.choices else
                   "text", prompt=f"请填写{f.label}", choices=f.choices)
            lay.row += 1
        else:
            pending.append((f, value))
            if len(pending) == 2:
                _flush_pairs(lay, pending)
                pending = []
    _flush_pairs(lay, pending)


#: a header line of two fields: 主管部门 | value | 实施单位 | value (seed 001)
PAIR_SEGS = ((0, 1), (2, 4), (5, 6), (7, NCOLS - 1))


def _flush_pairs(lay: Layout, pairs) -> None:
    if not pairs:
        return
    r = lay.row
    segs = PAIR_SEGS if len(pairs) == 2 else [(0, 1), (2, NCOLS - 1)]
    for i, (f, value) in enumerate(pairs):
        (l0, l1), (v0, v1) = segs[2 * i], segs[2 * i + 1]
        _label(lay, r, l0, l1, f.label)
        _value(lay, r, v0, v1, f"header.{f.key}", value, "choice" if f.choices else "text",
               prompt=f"请填写{f.label}", choices=f.choices)
    lay.row += 1


def _tasks(lay: Layout) -> None:
    t = lay.spec.tasks
    assert t is not None
    r0 = lay.row
    _label(lay, r0, 0, 1, t.title, r1=r0 + t.rows)
    segs = spans([3] * len(t.columns), 2)
    for (c0, c1), name in zip(segs, t.columns, strict=True):
        _label(lay, r0, c0, c1, name, kind="head")
    for i in range(t.rows):
        r = r0 + 1 + i
        for j, (c0, c1) in enumerate(segs):
            _value(lay, r, c0, c1, f"tasks.{i}.{j}", vtype="longtext",
                   prompt=f"请填写{t.columns[j]}")
        lay.heights[r] = 30
    lay.row = r0 + t.rows + 1


def _funds(lay: Layout, issue) -> None:
    """The money block of seed 001: its title down column A, the row labels in B (B..C when
    the columns leave room), a column per fund column, then 分值 / 执行率 / 得分. The funds
    check (资金校验) is a helper cell beside the block, off the printed page."""
    f = lay.spec.funds
    ex = f.execution
    r0 = lay.row
    heads = [c.label for c in f.columns] + (["分值", "执行率", "得分"] if ex else [])
    n = len(heads)
    if n > NCOLS - 2:
        raise ValueError(f"{f.title}有 {n} 列，打印表的 {NCOLS} 列放不下（最多 {NCOLS - 2} 列）")
    first = 3 if n <= NCOLS - 3 else 2  # the first money column
    segs = spans([1] * n, first)
    last = r0 + len(f.rows)
    _label(lay, r0, 0, 0, wrap_label(f.title), r1=last, kind="head")
    _label(lay, r0, 1, first - 1, "", kind="head")
    for (c0, c1), name in zip(segs, heads, strict=True):
        _label(lay, r0, c0, c1, name, kind="head")
    prefill = issue.get("funds") or {}
    for i, row in enumerate(f.rows):
        r = r0 + 1 + i
        _label(lay, r, 1, first - 1, row.label)
        for j, col in enumerate(f.columns):
            c0, c1 = segs[j]
            amount = prefill.get((row.key, col.key)) if col.source else None
            _value(lay, r, c0, c1, f"funds.{row.key}.{col.key}", amount, "money",
                   prompt=f"{row.label}·{col.label}（{lay.spec.money_unit}），填数字，不小于 0")
    if ex:
        r = r0 + 1 + [row.key for row in f.rows].index(ex.row)
        (w0, w1), (p0, p1), (s0, s1) = segs[len(f.columns):]
        for k, row in enumerate(f.rows):  # the score columns hold values on one row only
            if row.key != ex.row:
                for c0, c1 in ((w0, w1), (p0, p1), (s0, s1)):
                    _label(lay, r0 + 1 + k, c0, c1, "")
        lay.add(Cell(r, w0, "prefill", ex.weight, "exec.weight", r, w1, "weight"))
        budget, executed = Ref(ex.budget_field), Ref(ex.executed_field)
        lay.add(Cell(r, p0, "formula", None, "exec.rate", r, p1, "percent",
                     rule=scoring.execution_rate_rule(budget, executed)))
        lay.add(Cell(r, s0, "formula", None, "exec.score", r, s1, "score",
                     rule=scoring.execution_score_rule(Ref("exec.weight"), Ref("exec.rate"),
                                                       ex.rule)))
    lay.row = last + 1
    _funds_check(lay, r0, last)


def _funds_check(lay: Layout, head: int, last: int) -> None:
    f = lay.spec.funds
    site = checks.funds_site(f, "check.funds", list(lay.fields),
                             [n for n, c in lay.fields.items() if c.kind == "input"])
    if site is None:
        return
    lay.site(site)
    _label(lay, head, CHECK_COL, CHECK_COL, "资金校验", kind="head")
    lay.add(Cell(head + 1, CHECK_COL, "check", None, "check.funds", last, CHECK_COL,
                 rule=site.rule()))
    rate = lay.fields.get("exec.rate")
    if rate is not None and f.execution is not None:  # 执行率 red when 执行数 > 预算数
        over = f.execution.executed_field
        for b in site.checks:
            if b.check.code == "check.over_execution" and b.field == over:
                lay.highlights.append((rate, b.when))


def wrap_label(text: str) -> str:
    """A label of a narrow column broken before its bracket: "产出指标\n（50分）", not
    "产出指标（50分" / "）"."""
    k = text.find("（")
    return text[:k] + "\n" + text[k:] if k > 2 else text


def sum_of(parts: Sequence[Expr]) -> Expr:
    return SUM(*parts)


def _goals(lay: Layout) -> None:
    g = lay.spec.goals
    assert g is not None
    r = lay.row
    _label(lay, r, 0, 0, g.title, r1=r + 1)
    _label(lay, r, 1, 4, g.columns[0], kind="head")
    _label(lay, r, 5, NCOLS - 1, g.columns[1], kind="head")
    _value(lay, r + 1, 1, 4, "goals.expected", vtype="longtext", prompt=f"请填写{g.columns[0]}")
    _value(lay, r + 1, 5, NCOLS - 1, "goals.actual", vtype="longtext",
           prompt=f"请填写{g.columns[1]}")
    lay.heights[r + 1] = 60
    lay.row = r + 2


def _narratives(lay: Layout, after: str) -> None:
    """The narratives printed at ``after`` (spec.NARRATIVE_PLACES), one wide input each."""
    for n in lay.spec.narratives:
        if n.after == after:
            _wide_input(lay, n.label, f"narr.{n.key}", height=60)


def _wide_input(lay: Layout, label: str, field_name: str, height: float = 30) -> None:
    r = lay.row
    _label(lay, r, 0, 1, label)
    _value(lay, r, 2, NCOLS - 1, field_name, vtype="longtext", prompt=f"请填写{label}")
    lay.heights[r] = height
    lay.row += 1


# --- indicators ----------------------------------------------------------------------

#: (field, header, first col, last col): the printed columns D..I in the national order,
#: then the helper columns K.. (outside the print area). 年度指标值 (E) shows what the target
#: says ("≥100%"): a formula over the helper inputs 指标方向 / 指标值 / 计量单位.
SCORED_COLUMNS = (
    ("name", "三级指标", 3, 3), ("target_text", "年度指标值", 4, 4),
    ("actual", "实际完成值", 5, 5), ("weight", "分值", 6, 6), ("score", "得分", 7, 7),
    ("reason", "偏差原因分析及改进措施", 8, 8),
    ("direction", "指标方向", HELPER["direction"], HELPER["direction"]),
    ("target", "指标值", HELPER["target"], HELPER["target"]),
    ("unit", "计量单位", HELPER["unit"], HELPER["unit"]),
    ("tier", "定性档次", HELPER["tier"], HELPER["tier"]),
    ("qscore", "定性得分", HELPER["qscore"], HELPER["qscore"]),
    ("check", "校验", CHECK_COL, CHECK_COL),
)
#: the plain table of common-2011 (seed 002: 目标值 / 实际完成指标值 / 完成进度) in the same grid
PLAIN_COLUMNS = (
    ("name", "三级指标", 3, 3), ("target_text", "目标值", 4, 4),
    ("actual", "实际完成值", 5, 5), ("progress", "完成进度", 6, 7),
    ("reason", "偏差原因及说明", 8, 8),
    ("direction", "指标方向", HELPER["direction"], HELPER["direction"]),
    ("target", "指标值", HELPER["target"], HELPER["target"]),
    ("unit", "计量单位", HELPER["unit"], HELPER["unit"]),
)
#: the group's helper cells beside its rows (scored tables)
GROUP_HEADS = (("grp_weight", "一级分值"), ("grp_score", "一级得分"),
               ("grp_check", "一级指标校验"))


def plan_rows(spec: Spec, targets) -> list[tuple[int, str, str, Mapping | None]]:
    """(group index, level1, level2, approved target or None) for every indicator row
    (the spare rows are not planned: :func:`build_layout` adds them to each subgroup)."""
    ind = spec.indicators
    assert ind is not None
    out = []
    for gi, g in enumerate(ind.groups):
        if targets:
            mine = [t for t in targets if t.get("level1") == g.name]
            subs = list(g.subgroups) + [t["level2"] for t in mine
                                        if t.get("level2") not in g.subgroups]
            for sub in dict.fromkeys(subs):
                out += [(gi, g.name, sub, t) for t in mine if t.get("level2") == sub]
        else:
            for sub in g.subgroups:
                out += [(gi, g.name, sub, None)] * ind.rows_per_subgroup
    return out


def target_text_rule(direction: Expr, target: Expr, unit: Expr) -> Expr:
    """What the printed 年度指标值 shows: ≥ / ≤ and the target with its unit ("≥100%",
    "≤60分钟"), the text of a qualitative target as it is ("及时拨付"); "=" and 定性 show no
    sign. A target in a %-formatted cell (typed as 95%) reads in percent points and shows
    "95%" (its % once, with or without the unit %)."""
    sign = IF(OR(direction.eq("≥"), direction.eq("≤")), direction, "")
    pct = IF(AND(IsPercent(target), unit.ne("%"), unit.ne("％")), "%", "")  # type: ignore[arg-type]
    # rounded to 10 decimals, as the reader parses percentages: 1.2 in a %-formatted cell
    # shows "120", never Gnumeric's "120.00000000000001"
    shown = IF(ISNUMBER(target), ROUND(PercentPoints(target), 10).cat(pct),  # type: ignore[arg-type]
               target)
    return IF(target.eq(""), "", sign.cat(shown).cat(unit))


_TARGET_TEXT = target_text_rule(Ref("d"), Ref("t"), Ref("u"))


def target_display(direction: Any, target: Any, unit: Any) -> str:
    """:func:`target_text_rule` of issued values (no percent format): the text the printed
    年度指标值 of an issued row shows, for its row height."""
    try:
        v = _TARGET_TEXT.evaluate({"d": direction, "t": target, "u": unit})
    except FormulaError:
        return ""
    return v if isinstance(v, str) else str(v)


def _indicators(lay: Layout, targets) -> None:
    """The 绩效指标 table: its head row (repeated on every printed page), then per 一级指标
    group its rows, each 二级指标 followed by ``spare_rows_per_subgroup`` hidden spare rows.
    The groups' weight and score sums and checks sit in helper columns beside the group
    (the national form prints no 小计 rows); each group prints on one page."""
    ind = lay.spec.indicators
    assert ind is not None
    scored = ind.scored
    columns = SCORED_COLUMNS if scored else PLAIN_COLUMNS
    head = r = lay.row
    _label(lay, r, 0, 0, ind.title, kind="head")
    _label(lay, r, 1, 1, "一级指标", kind="head")
    _label(lay, r, 2, 2, "二级指标", kind="head")
    for _, text, c0, c1 in columns:
        _label(lay, r, c0, c1, text, kind="head")
    if scored:
        for key, text in GROUP_HEADS:
            _label(lay, r, HELPER[key], HELPER[key], text, kind="head")
    lay.repeat = (head, head)
    r += 1
    plan = plan_rows(lay.spec, targets)
    spare_index = len(plan)  # the spare rows' fields come after the planned rows'
    for gi, g in enumerate(ind.groups):
        rows = [(i, p) for i, p in enumerate(plan) if p[0] == gi]
        if not rows:
            continue
        g_first = r
        in_group: list[int] = []
        for sub in dict.fromkeys(p[2] for _, p in rows):
            s_first = r
            for i, (_, level1, level2, target) in rows:
                if level2 == sub:
                    _indicator_row(lay, r, i, gi, level1, level2, target, scored)
                    in_group.append(i)
                    r += 1
            for _ in range(ind.spare_rows_per_subgroup):
                _indicator_row(lay, r, spare_index, gi, g.name, sub, None, scored, spare=True)
                in_group.append(spare_index)
                spare_index += 1
                r += 1
            # fits column C by its width (a label from the targets merged down its rows)
            _label(lay, s_first, 2, 2, sub, r1=r - 1).text = ""
        g_label = f"{g.name}（{g.weight:g}分）" if scored and g.weight is not None else g.name
        _label(lay, g_first, 0, 0, "", r1=r - 1)
        _label(lay, g_first, 1, 1, wrap_label(g_label), r1=r - 1)
        if scored:
            _group_total(lay, g_first, r - 1, gi, g.weight or 0.0, in_group)
        lay.keep.append((head if g_first == head + 1 else g_first, r - 1))
    lay.row = r


def _indicator_row(lay: Layout, r: int, i: int, gi: int, level1: str, level2: str,
                   target: Mapping | None, scored: bool, spare: bool = False) -> None:
    lay.indicator_rows.append(IndicatorRow(i, gi, level1, level2, r, target is not None, spare))
    if spare:
        lay.hidden_rows.append(r)
    lay.auto_rows.add(r)
    p = f"ind.{i}."
    t = target or {}
    cols = {k: (c0, c1) for k, _, c0, c1 in (SCORED_COLUMNS if scored else PLAIN_COLUMNS)}

    def put(key, vtype, prompt="", value=None, **kw):
        c0, c1 = cols[key]
        _value(lay, r, c0, c1, p + key, value, vtype, prompt, **kw)

    put("name", "text", "请填写三级指标名称", t.get("name"))
    put("direction", "direction", "≥ 越大越好；≤ 越小越好；= 等于目标；定性 按档次打分",
        t.get("direction"), choices=DIRECTIONS)
    put("target", "any", "定量指标填数字（百分比填 95 或 95% 均可），定性指标填文字；"
        "左侧“年度指标值”按方向、指标值和计量单位显示", t.get("target"))
    put("unit", "text", "如：%、人、万元、天", t.get("unit"))
    c0, c1 = cols["target_text"]
    ref = {k: Ref(p + k) for k in ("direction", "target", "actual", "weight", "tier", "qscore",
                                   "score", "reason", "unit")}
    lay.add(Cell(r, c0, "formula", None, p + "target_text", r, c1, "text",
                 rule=target_text_rule(ref["direction"], ref["target"], ref["unit"]),
                 text=target_display(t.get("direction"), t.get("target"), t.get("unit"))))
    pct = percent_unit(t.get("unit"))
    put("actual", "any", "填百分数，如 95 或 95%（均按 95% 计分）" if pct else
        "定量指标填数字，单位与年度指标值相同（百分比填 95 或 95% 均可）；定性指标填文字",
        percent=pct)
    if not scored:
        put("progress", "text", "如：已完成、100%")
        put("reason", "longtext", "未完成的说明原因")
        # the plain table of the 2011 form has no 校验 column: its checks are the reader's
        lay.site(checks.row_site(i, level2, False, None))
        return
    put("weight", "weight", "本指标分值", t.get("weight"))
    put("tier", "tier", "定性指标选择档次：达成 / 部分达成 / 未达成",
        choices=tuple(n for n, *_ in TIERS))
    put("qscore", "score", "定性指标在 0 至分值之间打分，且须在所选档次区间内",
        max_ref=p + "weight")
    put("reason", "longtext", "得分低于分值时必须填写偏差原因及改进措施")
    ind = lay.spec.indicators
    assert ind is not None
    rule = scoring.indicator_score_rule(ref["direction"], ref["target"], ref["actual"],
                                        ref["weight"], ref["qscore"], ind.reverse_rule,
                                        PercentPoints(ref["target"]),
                                        PercentPoints(ref["actual"]), dict(ind.rules),
                                        ind.deviation)
    c0, c1 = cols["score"]
    lay.add(Cell(r, c0, "formula", None, p + "score", r, c1, "score", rule=rule))
    c0, c1 = cols["check"]
    site = checks.row_site(i, level2, True, p + "check")
    lay.site(site)
    lay.add(Cell(r, c0, "check", None, p + "check", r, c1, rule=site.rule()))


def percent_unit(unit: Any) -> bool:
    """计量单位 % (or full-width ％): the row's 实际完成值 is written formatted as percent."""
    return isinstance(unit, str) and unit.strip() in ("%", "％")


def _group_total(lay: Layout, first: int, last: int, gi: int, weight: float,
                 rows: Sequence[int]) -> None:
    """The group's weight and score sums and its check, in helper cells down its rows."""
    weights = Refs(tuple(f"ind.{i}.weight" for i in rows))  # in row order: one range
    scores = Refs(tuple(f"ind.{i}.score" for i in rows))
    c = HELPER["grp_weight"]
    lay.add(Cell(first, c, "formula", None, f"grp.{gi}.weight", last, c, "weight",
                 rule=ROUND(SUM(weights), 2)))
    c = HELPER["grp_score"]
    lay.add(Cell(first, c, "formula", None, f"grp.{gi}.score", last, c, "score",
                 rule=scoring.total_rule([scores])))
    ind = lay.spec.indicators
    assert ind is not None
    site = checks.group_site(gi, ind.groups[gi].name, weight, weights.names, f"grp.{gi}.check")
    lay.site(site)
    c = HELPER["grp_check"]
    lay.add(Cell(first, c, "check", None, f"grp.{gi}.check", last, c, rule=site.rule()))


# --- scorecard (common-2011) ----------------------------------------------------------


#: the 评分表's columns: 一级指标 / 二级指标 / 三级指标 / 分值 / 评价得分 / 计算方式, as spans of
#: the printed grid in these proportions (9 columns: A / B / C:E / F / G / H:I)
CARD_HEADS = ("一级指标", "二级指标", "三级指标", "分值", "评价得分", "计算方式")
CARD_WEIGHTS = (1, 1, 3, 1, 1, 2)


def _scorecard(lay: Layout) -> None:
    """The 评分表 of seed 002: per group (投入 / 过程 / 产出 / 效果) a 小计 row and its items,
    then 综合得分 and 评价结果等次. Each group prints on one page (``Layout.keep``): the
    title and column heads stay with the first group, the totals with the last."""
    sc = lay.spec.scorecard
    assert sc is not None
    if sc.columns:  # a rubric form (seed 003's 得分表, seed 000's 附件3)
        _rubric(lay)
        return
    l1, l2, l3, wc, sc_col, how_col = spans(CARD_WEIGHTS)
    r = top = lay.row
    _label(lay, r, 0, NCOLS - 1, sc.title, kind="head")
    r += 1
    for (c0, c1), head in zip((l1, l2, l3, wc, sc_col, how_col), CARD_HEADS, strict=True):
        _label(lay, r, c0, c1, head, kind="head")
    r += 1
    i = 0
    for gi, g in enumerate(sc.groups):
        g_row = r
        _label(lay, r, l2[0], l3[1], "小计")
        lay.add(Cell(r, wc[0], "prefill", g.weight, f"card.g{gi}.weight", r, wc[1], "weight"))
        first = i
        r += 1
        sub_start = r
        for k, item in enumerate(g.items):
            p = f"card.{i}."
            _label(lay, r, l3[0], l3[1], item.name)
            lay.add(Cell(r, wc[0], "prefill", item.weight, p + "weight", r, wc[1], "weight"))
            if item.rate:
                num = Ref(f"funds.{item.rate.numerator[0]}.{item.rate.numerator[1]}")
                den = Ref(f"funds.{item.rate.denominator[0]}.{item.rate.denominator[1]}")
                lay.add(Cell(r, sc_col[0], "formula", None, p + "score", r, sc_col[1], "score",
                             rule=scoring.rate_score_rule(Ref(p + "weight"), num, den)))
                f = lay.spec.funds
                how = (f"{f.column(item.rate.numerator[1]).label}÷"
                       f"{f.column(item.rate.denominator[1]).label}×分值")
            else:
                _value(lay, r, sc_col[0], sc_col[1], p + "score", None, "score",
                       f"在 0 至 {item.weight:g} 之间打分", max_ref=p + "weight")
                how = "自评打分"
                lay.site(checks.card_site(i, item.name, item.weight))
            _label(lay, r, how_col[0], how_col[1], how)
            nxt = g.items[k + 1].level2 if k + 1 < len(g.items) else None
            if nxt != item.level2:
                _label(lay, sub_start, l2[0], l2[1], item.level2, r1=r)
                sub_start = r + 1
            i += 1
            r += 1
        scores = Refs(tuple(f"card.{j}.score" for j in range(first, i)))
        lay.add(Cell(g_row, sc_col[0], "formula", None, f"card.g{gi}.subtotal", g_row,
                     sc_col[1], "score", rule=scoring.total_rule([scores])))
        _label(lay, g_row, how_col[0], how_col[1], "")
        _label(lay, g_row, l1[0], l1[1], f"{g.name}（{g.weight:g}分）", r1=r - 1)
        lay.keep.append((top if gi == 0 else g_row, r - 1))
    # 综合得分 and 评价结果等次 (the form's total and grade), kept with the last group
    _label(lay, r, l1[0], l3[1], "综合得分", kind="head")
    _label(lay, r, wc[0], wc[1], sum(lay.spec.weights.values()))
    lay.add(Cell(r, sc_col[0], "formula", None, "total", r, sc_col[1], "score",
                 rule=total_score_rule(lay)))
    _label(lay, r, how_col[0], how_col[1], "")
    _label(lay, r + 1, l1[0], l3[1], "评价结果等次", kind="head")
    lay.add(Cell(r + 1, wc[0], "formula", None, "grade", r + 1, sc_col[1], "text",
                 rule=scoring.grade_rule(Ref("total"), lay.spec.grades)))
    _label(lay, r + 1, how_col[0], how_col[1], grade_bands(lay.spec))
    if lay.keep and sc.groups:
        lay.keep[-1] = (lay.keep[-1][0], r + 1)
    # a sheet repeats one head on the pages after it (Excel's print titles): the 评分表's when
    # it is longer than the table whose head repeats so far (common-2011's 绩效目标实现情况)
    if lay.repeat is None or r + 2 - top > top - lay.repeat[0]:
        lay.repeat = (top + 1, top + 1)
    lay.row = r + 2


# --- rubric forms (评分表 with 指标解释 / 计分标准 and a rule per item) -------------------

#: a rubric item's inputs the scorer types beside its row, off the print area: input name →
#: (helper column, head, vtype); the rule (xlkit.core.rulekinds) says which it needs
RUBRIC_INPUTS = {"count": (HELPER["direction"], "次数", "count"),
                 "value": (HELPER["target"], "数值（%）", "any"),
                 "actual": (HELPER["target"], "实际值", "any"),
                 "numerator": (HELPER["unit"], "分子", "any"),
                 "denominator": (HELPER["tier"], "分母", "any"),
                 "target": (HELPER["qscore"], "目标值", "any"),
                 "score": (HELPER["qscore"], "加分", "score")}
#: what each input asks the scorer for (its cell's prompt)
RUBRIC_PROMPTS = {"count": "按计分标准填写发生的次数（个数），没有的填 0",
                  "value": "按计分标准填写算出的比率或数值（百分比填 95 或 95% 均可）",
                  "actual": "填写实际值", "numerator": "填写分子（计分标准中 ÷ 前的数）",
                  "denominator": "填写分母（计分标准中 ÷ 后的数）", "target": "填写目标值",
                  "score": "填写得分"}
#: the rubric's helper heads beside the inputs: the 校验 and the subtotals
RUBRIC_HEADS = ((CHECK_COL, "校验"), (HELPER["grp_weight"], "二级得分"),
                (HELPER["grp_score"], "一级得分"), (HELPER["grp_check"], "分值校验"))


def print_widths(spec: Spec) -> tuple[float, ...]:
    """The printed columns' widths: the national grid's (COL_WIDTHS), or a rubric form's
    (a scorecard with ``columns`` and no indicator table) from its columns: one grid column
    each, the widest text column (计分标准) spanning the grid columns left over; scaled to
    the national grid's total, so both print at the same size."""
    sc = spec.scorecard
    if sc is None or not sc.columns or spec.indicators is not None:
        return COL_WIDTHS
    cols = sc.columns
    wide = _wide_column(cols)
    out: list[float] = []
    for c in cols:
        n = NCOLS - len(cols) + 1 if c.key == wide else 1
        out += [c.width / n] * n
    k = sum(COL_WIDTHS) / sum(out)
    return tuple(round(w * k, 2) for w in out)


def _wide_column(cols: Sequence[Any]) -> str:
    keys = [c.key for c in cols]
    return next((k for k in ("standard", "explain", "level3") if k in keys), keys[-1])


def rubric_spans(spec: Spec) -> dict[str, tuple[int, int]]:
    """Each printed column of a rubric form → its grid columns (first, last)."""
    sc = spec.scorecard
    assert sc is not None and sc.columns
    if spec.indicators is not None:  # sharing the national grid: proportional spans
        segs = spans([max(1, round(c.width / 6)) for c in sc.columns])
        return {c.key: seg for c, seg in zip(sc.columns, segs, strict=True)}
    wide, out, col = _wide_column(sc.columns), {}, 0
    for c in sc.columns:
        n = NCOLS - len(sc.columns) + 1 if c.key == wide else 1
        out[c.key] = (col, col + n - 1)
        col += n
    return out


def _rubric(lay: Layout) -> None:
    """A rubric form: title and heads, then per 一级指标 its 二级指标 and their items — each
    item's 指标解释 / 计分标准 / 责任科室 printed, its rule's inputs in the helper columns,
    its score computed (or entered) — the subtotals beside them, then 总分 and 等次. A 二级指标
    prints on one page, a 一级指标 too when it fits; the heads repeat on every page."""
    sc = lay.spec.scorecard
    assert sc is not None
    cols = rubric_spans(lay.spec)
    r = top = lay.row
    _label(lay, r, 0, NCOLS - 1, sc.title, kind="head")
    r += 1
    for c in sc.columns:
        _label(lay, r, *cols[c.key], c.label, kind="head")
    for col, text in {**{c: h for c, h, _ in RUBRIC_INPUTS.values()}, **dict(RUBRIC_HEADS)}.items():
        _label(lay, r, col, col, text, kind="head")
    lay.repeat = (r, r)
    r += 1
    i = 0
    for gi, g in enumerate(sc.groups):
        g_first, g_items = r, []
        for si, sub in enumerate(_subgroups(g)):
            s_first = r
            for item in sub.items:
                _rubric_item(lay, r, i, item, cols)
                g_items.append((i, item))
                i += 1
                r += 1
            if "level2" in cols:
                name = f"{sub.name}（{sub.weight:g}分）" if sub.weight is not None else sub.name
                _label(lay, s_first, *cols["level2"], name, r1=r - 1)
            scores = Refs(tuple(f"card.{j}.score" for j in range(i - len(sub.items), i)))
            c = HELPER["grp_weight"]
            lay.add(Cell(s_first, c, "formula", None, f"card.g{gi}.s{si}.subtotal", r - 1, c,
                         "score", rule=scoring.total_rule([scores])))
            lay.keep.append((s_first, r - 1))
        _label(lay, g_first, *cols["level1"], wrap_label(f"{g.name}（{g.weight:g}分）"), r1=r - 1)
        c = HELPER["grp_score"]
        scores = Refs(tuple(f"card.{j}.score" for j, _ in g_items))
        lay.add(Cell(g_first, c, "formula", None, f"card.g{gi}.subtotal", r - 1, c, "score",
                     rule=scoring.total_rule([scores])))
        site = checks.rubric_weights_site(gi, g, [(j, it.bonus) for j, it in g_items],
                                          f"card.g{gi}.check")
        lay.site(site)
        c = HELPER["grp_check"]
        lay.add(Cell(g_first, c, "check", None, f"card.g{gi}.check", r - 1, c, rule=site.rule()))
        lay.keep.append((top if gi == 0 else g_first, r - 1))
    lay.row = r
    _rubric_total(lay, cols)
    if lay.keep and sc.groups:  # the totals print with the last group
        a, b = lay.keep[-1]
        lay.keep[-1] = (a, lay.row - 1)


def _subgroups(g: Any) -> list[Any]:
    """A group's 二级指标: declared, or its items' ``level2`` in runs (a flat group)."""
    if g.subgroups:
        return list(g.subgroups)
    from xlkit.core.spec import ScoreSubgroup

    out: list[Any] = []
    for it in g.items:
        if out and out[-1].name == it.level2:
            out[-1] = ScoreSubgroup(it.level2, None, out[-1].items + (it,))
        else:
            out.append(ScoreSubgroup(it.level2, None, (it,)))
    return out


def _rubric_item(lay: Layout, r: int, i: int, item: Any, cols: Mapping[str, tuple[int, int]]
                 ) -> None:
    """One 三级指标 of a rubric: its texts, weight, inputs, score and 校验."""
    from xlkit.core import rulekinds

    p = f"card.{i}."
    lay.auto_rows.add(r)
    name = item.name + ("（加分项）" if item.bonus and "加分" not in item.name else "")
    _label(lay, r, *cols["level3"], name)
    lay.add(Cell(r, cols["weight"][0], "prefill", item.weight, p + "weight", r,
                 cols["weight"][1], "weight"))
    for key in ("explain", "standard", "office"):
        if key in cols:
            _label(lay, r, *cols[key], getattr(item, key), kind="text")
    rule = item.rule
    given = dict(item.inputs)
    needed = rulekinds.needs(rule)
    c0, c1 = cols["score"]
    low, high = rulekinds.score_bounds(rule, item.weight)
    if needed == ("score",) and "score" not in given:  # the score itself is entered
        _value(lay, r, c0, c1, p + "score", None, "score",
               f"在 0 至 {high:g} 之间打分" if high is not None else "填写得分",
               max_ref=p + "weight" if high == item.weight else None)
        inputs = {"score": Ref(p + "score")}
    else:
        inputs = {}
        for name in needed:
            if name in given:
                src = given[name]
                inputs[name] = Ref(src) if isinstance(src, str) else Lit(src)
                continue
            col, head, vtype = RUBRIC_INPUTS[name]
            _value(lay, r, col, col, p + name, None, vtype,
                   f"{item.name}：{RUBRIC_PROMPTS[name]}")
            ref = Ref(p + name)
            inputs[name] = PercentPoints(ref) if name == "value" else ref
        lay.add(Cell(r, c0, "formula", None, p + "score", r, c1, "score",
                     rule=rulekinds.score_expr(rule, Ref(p + "weight"), inputs)))
    typed = {n: RUBRIC_INPUTS[n][1] for n in needed if n not in given}
    site = checks.rubric_item_site(i, item.name, typed, high, p + "check")
    lay.site(site)
    lay.add(Cell(r, CHECK_COL, "check", None, p + "check", r, CHECK_COL, rule=site.rule()))


def _rubric_total(lay: Layout, cols: Mapping[str, tuple[int, int]]) -> None:
    """总分 and 等次 rows of a rubric: the label across the columns left of 分值, the weights'
    sum under 分值, the total under 得分; 等次 likewise; other columns blank."""
    r = lay.row
    w0 = cols["weight"][0]
    s0, s1 = cols["score"]
    _label(lay, r, 0, w0 - 1, "总分", kind="head")
    _label(lay, r, w0, cols["weight"][1], sum(lay.spec.weights.values()))
    lay.add(Cell(r, s0, "formula", None, "total", r, s1, "score", rule=total_score_rule(lay)))
    _label(lay, r + 1, 0, w0 - 1, f"等次（{grade_bands(lay.spec)}）", kind="head")
    _label(lay, r + 1, w0, cols["weight"][1], "")
    lay.add(Cell(r + 1, s0, "formula", None, "grade", r + 1, s1, "text",
                 rule=scoring.grade_rule(Ref("total"), lay.spec.grades)))
    for row in (r, r + 1):  # the columns between and after, blank
        for a, b in _gaps(cols, (cols["weight"], cols["score"]), w0):
            _label(lay, row, a, b, "")
    weights = [f"card.{i}.weight" for i, it in enumerate(lay.spec.scorecard.items)
               if not it.bonus]
    site = checks.form_site(lay.spec.execution_weight, weights, "check.total")
    lay.site(site)
    lay.add(Cell(r, CHECK_COL, "check", None, "check.total", r, CHECK_COL, rule=site.rule()))
    lay.row = r + 2


def _gaps(cols: Mapping[str, tuple[int, int]], taken: Sequence[tuple[int, int]],
          start: int) -> list[tuple[int, int]]:
    """The runs of grid columns from ``start`` to the last not in ``taken``."""
    used = {c for a, b in taken for c in range(a, b + 1)}
    out: list[tuple[int, int]] = []
    for c in range(start, NCOLS):
        if c in used:
            continue
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def grade_bands(spec: Spec) -> str:
    """The grade bands as the form prints them: 优 ≥ 90；良 ≥ 80；中 ≥ 60；差 < 60."""
    return "；".join(f"{g.name} ≥ {g.min:g}" if g.min else f"{g.name} < {prev:g}"
                    for g, prev in zip(spec.grades, [0.0] + [g.min for g in spec.grades],
                                       strict=False))


# --- total, grade, sign-off -----------------------------------------------------------


def _score_parts(lay: Layout) -> list[Expr]:
    return _form_parts(lay, "score")


def _weight_parts(lay: Layout) -> list[Expr]:
    """The form's weights: the execution weight and every indicator's (spare rows too)."""
    return _form_parts(lay, "weight")


def _form_parts(lay: Layout, what: str) -> list[Expr]:
    """``exec.<what>``, every indicator's and every scorecard item's ``<what>`` (score or
    weight): what 总分 and the form's weight sum add up."""
    parts: list[Expr] = []
    if f"exec.{what}" in lay.fields:
        parts.append(Ref(f"exec.{what}"))
    if lay.spec.indicators and lay.spec.indicators.scored and lay.indicator_rows:
        parts.append(Refs(tuple(f"ind.{r.index}.{what}" for r in lay.indicator_rows)))
    if lay.spec.scorecard:
        n = sum(len(g.items) for g in lay.spec.scorecard.groups)
        parts.append(Refs(tuple(f"card.{i}.{what}" for i in range(n))))
    return parts


def total_score_rule(lay: Layout) -> Expr:
    """The form's 总分 (or 综合得分): every score summed, capped by 执行率 band when the spec
    declares ``total.caps``."""
    rate = Ref("exec.rate") if "exec.rate" in lay.fields else None
    return scoring.total_rule(_score_parts(lay), lay.spec.total_caps, rate)


def _total(lay: Layout) -> None:
    """总分 as in seed 001: "总分" across A..F, the weights summed under 分值 (100), the total
    under 得分; then 等次 with its bands. The weights check is a helper cell of the row."""
    r = lay.row
    _label(lay, r, 0, 5, "总分", kind="head")
    lay.add(Cell(r, 6, "formula", None, "total_weight", r, 6, "weight",
                 rule=ROUND(SUM(*_weight_parts(lay)), 2)))
    lay.add(Cell(r, 7, "formula", None, "total", r, 7, "score",
                 rule=total_score_rule(lay)))
    _label(lay, r, 8, NCOLS - 1, "")
    spec = lay.spec
    if spec.indicators and spec.indicators.scored and lay.indicator_rows:
        # the form's weights add up to 100: checked beside the 总分 row
        exec_weight = spec.execution_weight + (
            sum(g.weight for g in spec.scorecard.groups) if spec.scorecard else 0)
        weights = [f"ind.{x.index}.weight" for x in lay.indicator_rows]
        site = checks.form_site(exec_weight, weights, "check.total")
        lay.site(site)
        lay.add(Cell(r, CHECK_COL, "check", None, "check.total", r, CHECK_COL,
                     rule=site.rule()))
    _label(lay, r + 1, 0, 6, f"等次（{grade_bands(spec)}）", kind="head")
    lay.add(Cell(r + 1, 7, "formula", None, "grade", r + 1, 7, "text",
                 rule=scoring.grade_rule(Ref("total"), spec.grades)))
    _label(lay, r + 1, 8, NCOLS - 1, "")
    lay.row = r + 2


def _closing(lay: Layout) -> None:
    """What closes the form: the people table (评价人员), the sign-off (填表人 / 联系电话 /
    填报日期, or 负责人 / 经办人 / 联系电话 / 填报日期) and the seal lines of the bottom
    (单位负责人（签章）), printed together on one page (``Layout.keep``)."""
    first = lay.row
    _people(lay)
    _signoff(lay)
    _seal(lay)
    if lay.row > first:
        lay.keep.append((first, lay.row - 1))


def _people(lay: Layout) -> None:
    pp = lay.spec.people
    if pp is None:
        return
    r0 = lay.row
    cols = spans([1] * len(pp.columns), 1)
    _label(lay, r0, 0, 0, pp.title)  # on the heads' row, as seed 002 prints it
    _label(lay, r0 + 1, 0, 0, "", r1=r0 + pp.rows)
    for (c0, c1), col in zip(cols, pp.columns, strict=True):
        _label(lay, r0, c0, c1, col.label, kind="head")
    for i in range(pp.rows):
        r = r0 + 1 + i
        for (c0, c1), col in zip(cols, pp.columns, strict=True):
            _value(lay, r, c0, c1, f"people.{i}.{col.key}",
                   prompt=f"{pp.title}：请填写{col.label}（不足 {pp.rows} 人的留空）")
        lay.heights[r] = 20
    lay.row = r0 + pp.rows + 1


def _signoff(lay: Layout) -> None:
    items = lay.spec.signoff
    if not items:
        return
    r = lay.row + (0 if lay.spec.people else 1)  # a blank row after the total
    segs = spans([2, 3] * len(items))
    for k, label in enumerate(items):
        (l0, l1), (v0, v1) = segs[2 * k], segs[2 * k + 1]
        _label(lay, r, l0, l1, label)
        vtype = "date" if "日期" in label else "text"
        _value(lay, r, v0, v1, f"signoff.{k}", vtype=vtype,
               prompt="如 2024-05-20" if vtype == "date" else f"请填写{label}")
    lay.heights[r] = 22
    lay.row = r + 1


def _seal(lay: Layout) -> None:
    """The seal and signature lines of the bottom: the label, room to stamp or sign, and
    年　月　日 to date it, one line each; no input cells (they are signed on paper)."""
    for label in lay.spec.seal.bottom:
        r = lay.row
        text, _, date = spans([4, 3, 2])
        _label(lay, r, text[0], text[1], f"{label}：", kind="seal")
        _label(lay, r, date[0], date[1], "年　　月　　日", kind="seal")
        lay.heights[r] = 48  # room for a signature or a stamp
        lay.row = r + 1
