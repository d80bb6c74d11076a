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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from xlkit.core import checks, scoring
from xlkit.core.expr.compile import Rule, compile_rule, run
from xlkit.core.expr.tree import (
    ROUND,
    SUM,
    Call,
    Expr,
    FormulaError,
    Lit,
    Op,
    PercentPoints,
    Ref,
    Refs,
)
from xlkit.core.spec import DIRECTIONS, TIERS, Spec

SHEET = "自评表"
NCOLS = 13  # A..M, the printed form's grid
COL_WIDTHS = (10, 12, 24, 7, 12, 8, 12, 7, 9, 8, 8, 26, 20)


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
    if isinstance(e, PercentPoints):
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
        return all(_points_only(a, names) for a in e.args)
    return True  # Lit, PercentPoints


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
    lay = Layout(spec)
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
    recommended = [(f"signoff.{i}", label) for i, label in enumerate(spec.signoff)]
    if spec.people:  # at least one 评价人员
        recommended.append((f"people.0.{spec.people.columns[0].key}",
                            f"{spec.people.title}·{spec.people.columns[0].label}"))
    if spec.goals:
        recommended.append(("goals.actual", spec.goals.columns[1]))
    site = checks.recommended_site(recommended)
    if site is not None:
        lay.site(site)
    return lay


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


def _flush_pairs(lay: Layout, pairs) -> None:
    if not pairs:
        return
    r = lay.row
    segs = spans([2, 5, 2, 4]) if len(pairs) == 2 else [(0, 1), (2, NCOLS - 1)]
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
    f = lay.spec.funds
    ex = f.execution
    r0 = lay.row
    heads = [c.label for c in f.columns] + (["分值", "执行率", "得分"] if ex else [])
    segs = spans([2] * len(f.columns) + ([1, 1, 2] if ex else []), 3)
    _label(lay, r0, 0, 2, f.title, kind="head")
    for (c0, c1), name in zip(segs, heads, strict=True):
        _label(lay, r0, c0, c1, name, kind="head")
    prefill = issue.get("funds") or {}
    for i, row in enumerate(f.rows):
        r = r0 + 1 + i
        _label(lay, r, 0, 2, row.label)
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
        budget, executed = Ref(f"funds.{ex.row}.full_year"), Ref(f"funds.{ex.row}.executed")
        lay.add(Cell(r, p0, "formula", None, "exec.rate", r, p1, "percent",
                     rule=scoring.execution_rate_rule(budget, executed)))
        lay.add(Cell(r, s0, "formula", None, "exec.score", r, s1, "score",
                     rule=scoring.execution_score_rule(Ref("exec.weight"), Ref("exec.rate"))))
    lay.row = r0 + 1 + len(f.rows)
    _funds_check(lay)


def _funds_check(lay: Layout) -> None:
    f = lay.spec.funds
    site = checks.funds_site(f, "check.funds", list(lay.fields),
                             [n for n, c in lay.fields.items() if c.kind == "input"])
    if site is None:
        return
    lay.site(site)
    r = lay.row
    _label(lay, r, 0, 2, "资金校验")
    lay.add(Cell(r, 3, "check", None, "check.funds", r, NCOLS - 1, rule=site.rule()))
    lay.row += 1
    rate = lay.fields.get("exec.rate")
    if rate is not None and f.execution is not None:  # 执行率 red when 执行数 > 预算数
        over = f"funds.{f.execution.row}.executed"
        for b in site.checks:
            if b.check.code == "check.over_execution" and b.field == over:
                lay.highlights.append((rate, b.when))


def sum_of(parts: Sequence[Expr]) -> Expr:
    return SUM(*parts)


def _goals(lay: Layout) -> None:
    g = lay.spec.goals
    assert g is not None
    r = lay.row
    _label(lay, r, 0, 1, g.title, r1=r + 1)
    _label(lay, r, 2, 6, g.columns[0], kind="head")
    _label(lay, r, 7, NCOLS - 1, g.columns[1], kind="head")
    _value(lay, r + 1, 2, 6, "goals.expected", vtype="longtext", prompt=f"请填写{g.columns[0]}")
    _value(lay, r + 1, 7, NCOLS - 1, "goals.actual", vtype="longtext",
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

SCORED_COLUMNS = (  # (field, header, first col, last col)
    ("name", "三级指标", 2, 2), ("direction", "指标方向", 3, 3), ("target", "年度指标值", 4, 4),
    ("unit", "计量单位", 5, 5), ("actual", "实际完成值", 6, 6), ("weight", "分值", 7, 7),
    ("tier", "定性档次", 8, 8), ("qscore", "定性得分", 9, 9), ("score", "得分", 10, 10),
    ("reason", "偏差原因分析及改进措施", 11, 11), ("check", "校验", 12, 12),
)
PLAIN_COLUMNS = (
    ("name", "三级指标", 2, 2), ("direction", "指标方向", 3, 3), ("target", "目标值", 4, 4),
    ("unit", "计量单位", 5, 5), ("actual", "实际完成值", 6, 6), ("progress", "完成进度", 7, 8),
    ("reason", "偏差原因及说明", 9, 12),
)


def plan_rows(spec: Spec, targets) -> list[tuple[int, str, str, Mapping | None]]:
    """(group index, level1, level2, approved target or None) for every indicator row."""
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


def _indicators(lay: Layout, targets) -> None:
    ind = lay.spec.indicators
    assert ind is not None
    scored = ind.scored
    columns = SCORED_COLUMNS if scored else PLAIN_COLUMNS
    r = lay.row
    _label(lay, r, 0, NCOLS - 1, ind.title, kind="head")
    r += 1
    _label(lay, r, 0, 0, "一级指标", kind="head")
    _label(lay, r, 1, 1, "二级指标", kind="head")
    for _, head, c0, c1 in columns:
        _label(lay, r, c0, c1, head, kind="head")
    r += 1
    plan = plan_rows(lay.spec, targets)
    i = 0
    for gi, g in enumerate(ind.groups):
        rows = [p for p in plan if p[0] == gi]
        if not rows:
            continue
        g_first = r
        g_label = f"{g.name}（{g.weight:g}分）" if scored and g.weight is not None else g.name
        sub_start = r
        for k, (_, level1, level2, target) in enumerate(rows):
            _indicator_row(lay, r, i, gi, level1, level2, target, scored)
            last_of_sub = k == len(rows) - 1 or rows[k + 1][2] != level2
            if last_of_sub:
                _label(lay, sub_start, 1, 1, level2, r1=r)
                sub_start = r + 1
            i += 1
            r += 1
        if scored:
            _group_total(lay, r, gi, g.weight or 0.0, range(i - len(rows), i))
            r += 1
        _label(lay, g_first, 0, 0, g_label, r1=r - 1)
    lay.row = r


def _indicator_row(lay: Layout, r: int, i: int, gi: int, level1: str, level2: str,
                   target: Mapping | None, scored: bool) -> None:
    lay.indicator_rows.append(IndicatorRow(i, gi, level1, level2, r, target is not None))
    p = f"ind.{i}."
    t = target or {}
    cols = {k: (c0, c1) for k, _, c0, c1 in (SCORED_COLUMNS if scored else PLAIN_COLUMNS)}

    def put(key, vtype, prompt="", value=None, **kw):
        c0, c1 = cols[key]
        _value(lay, r, c0, c1, p + key, value, vtype, prompt, **kw)

    put("name", "text", "请填写三级指标名称", t.get("name"))
    put("direction", "direction", "≥ 越大越好；≤ 越小越好；= 等于目标；定性 按档次打分",
        t.get("direction"), choices=DIRECTIONS)
    put("target", "any", "定量指标填数字（百分比填 95 或 95% 均可），定性指标填文字",
        t.get("target"))
    put("unit", "text", "如：%、人、万元、天", t.get("unit"))
    pct = percent_unit(t.get("unit"))
    put("actual", "any", "填百分数，如 95 或 95%（均按 95% 计分）" if pct else
        "定量指标填数字，单位与年度指标值相同（百分比填 95 或 95% 均可）；定性指标填文字",
        percent=pct)
    if not scored:
        put("progress", "text", "如：已完成、100%")
        put("reason", "longtext", "未完成的说明原因")
        lay.heights[r] = 30
        # the plain table of the 2011 form has no 校验 column: its checks are the reader's
        lay.site(checks.row_site(i, level2, False, None))
        return
    put("weight", "weight", "本指标分值", t.get("weight"))
    put("tier", "tier", "定性指标选择档次：达成 / 部分达成 / 未达成",
        choices=tuple(n for n, *_ in TIERS))
    put("qscore", "score", "定性指标在 0 至分值之间打分，且须在所选档次区间内",
        max_ref=p + "weight")
    put("reason", "longtext", "得分低于分值时必须填写偏差原因及改进措施")
    ref = {k: Ref(p + k) for k in ("direction", "target", "actual", "weight", "tier", "qscore",
                                   "score", "reason", "unit")}
    reverse_rule = lay.spec.indicators.reverse_rule if lay.spec.indicators else "ratio"
    rule = scoring.indicator_score_rule(ref["direction"], ref["target"], ref["actual"],
                                        ref["weight"], ref["qscore"], reverse_rule,
                                        PercentPoints(ref["target"]),
                                        PercentPoints(ref["actual"]))
    c0, c1 = cols["score"]
    lay.add(Cell(r, c0, "formula", None, p + "score", r, c1, "score", rule=rule))
    c0, c1 = cols["check"]
    site = checks.row_site(i, level2, True, p + "check")
    lay.site(site)
    lay.add(Cell(r, c0, "check", None, p + "check", r, c1, rule=site.rule()))
    lay.heights[r] = 30


def percent_unit(unit: Any) -> bool:
    """计量单位 % (or full-width ％): the row's 实际完成值 is written formatted as percent."""
    return isinstance(unit, str) and unit.strip() in ("%", "％")


def _group_total(lay: Layout, r: int, gi: int, weight: float, rows: range) -> None:
    cols = {k: (c0, c1) for k, _, c0, c1 in SCORED_COLUMNS}
    _label(lay, r, 1, 6, "小计")
    weights = Refs(tuple(f"ind.{i}.weight" for i in rows))
    scores = Refs(tuple(f"ind.{i}.score" for i in rows))
    lay.add(Cell(r, cols["weight"][0], "formula", None, f"grp.{gi}.weight", r,
                 cols["weight"][1], "weight", rule=ROUND(SUM(weights), 2)))
    lay.add(Cell(r, cols["score"][0], "formula", None, f"grp.{gi}.score", r, cols["score"][1],
                 "score", rule=scoring.total_rule([scores])))
    ind = lay.spec.indicators
    assert ind is not None
    site = checks.group_site(gi, ind.groups[gi].name, weight, weights.names, f"grp.{gi}.check")
    lay.site(site)
    lay.add(Cell(r, cols["check"][0], "check", None, f"grp.{gi}.check", r, cols["check"][1],
                 rule=site.rule()))


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
                 rule=scoring.total_rule(_score_parts(lay))))
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


def grade_bands(spec: Spec) -> str:
    """The grade bands as the form prints them: 优 ≥ 90；良 ≥ 80；中 ≥ 60；差 < 60."""
    return "；".join(f"{g.name} ≥ {g.min:g}" if g.min else f"{g.name} < {prev:g}"
                    for g, prev in zip(spec.grades, [0.0] + [g.min for g in spec.grades],
                                       strict=False))


# --- total, grade, sign-off -----------------------------------------------------------


def _score_parts(lay: Layout) -> list[Expr]:
    parts: list[Expr] = []
    if "exec.score" in lay.fields:
        parts.append(Ref("exec.score"))
    if lay.spec.indicators and lay.spec.indicators.scored and lay.indicator_rows:
        parts.append(Refs(tuple(f"ind.{r.index}.score" for r in lay.indicator_rows)))
    if lay.spec.scorecard:
        n = sum(len(g.items) for g in lay.spec.scorecard.groups)
        parts.append(Refs(tuple(f"card.{i}.score" for i in range(n))))
    return parts


def _total(lay: Layout) -> None:
    r = lay.row
    _label(lay, r, 0, 2, "总分", kind="head")
    lay.add(Cell(r, 3, "formula", None, "total", r, 5, "score",
                 rule=scoring.total_rule(_score_parts(lay))))
    _label(lay, r, 6, 7, "等次", kind="head")
    lay.add(Cell(r, 8, "formula", None, "grade", r, 9, "text",
                 rule=scoring.grade_rule(Ref("total"), lay.spec.grades)))
    bands = "；".join(f"{g.name} ≥ {g.min:g}" if g.min else f"{g.name} < {prev:g}"
                      for g, prev in zip(lay.spec.grades,
                                         [0.0] + [g.min for g in lay.spec.grades], strict=False))
    spec = lay.spec
    if spec.indicators and spec.indicators.scored and lay.indicator_rows:
        # the form's weights add up to 100: checked in the 校验 column of the 总分 row
        _label(lay, r, 10, NCOLS - 2, bands)
        exec_weight = spec.execution_weight + (
            sum(g.weight for g in spec.scorecard.groups) if spec.scorecard else 0)
        weights = [f"ind.{x.index}.weight" for x in lay.indicator_rows]
        site = checks.form_site(exec_weight, weights, "check.total")
        lay.site(site)
        lay.add(Cell(r, NCOLS - 1, "check", None, "check.total", r, NCOLS - 1,
                     rule=site.rule()))
    else:
        _label(lay, r, 10, NCOLS - 1, bands)
    lay.heights[r] = 24
    lay.row = r + 1


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
