"""THE in-form checks, declared once: the 校验 cells the builder writes and the reader's
check findings both come from the declarations below.

A :class:`Check` says, for one kind of problem: the finding ``code``; the ``scope`` it is
declared over (an indicator ``row``, an indicator ``group``, the ``funds`` block, a
``card`` item of the scorecard, the whole ``form``); the failing condition ``when``, an
expression tree (:mod:`xlkit.core.expr`) over the scope's names; the short ``text`` the
校验 cell shows (``None``: the reader alone reports it, ``note`` says why); the ``field``
the finding points at; and the reader's Chinese message: the catalogue's template of
``code`` (xlkit.findings, the named ``variant`` if any) with the ``values`` it names, each
an expression like ``when`` (numbers shown as ``:g``).

Names in a declaration are the scope's vocabulary (``weight`` is the row's 分值), bound to
fields when a layout is built (``ind.3.weight``): :func:`bind` gives a :class:`Bound` check,
and the layout groups the bound checks by the 校验 cell that shows them (a :class:`Site`).
The builder renders a site as that cell's formula — the ``text`` of the first failing
check, in declaration order — and the reader evaluates the very same trees over the values
it parsed (compiled: one number per site whose bits are the failing checks) and fills the
template from the bound constants (``n`` row number, ``level2``, ``row`` / ``column``
labels, ``group`` ...), the ``values``, and what only the reader knows: ``label`` (the
finding field's human name), ``raw`` and ``why`` (the text typed there and, when it could
not be parsed, why).

Checks of value *parsing* (unparseable text, negative money, implausible figures, units,
``_meta``, recomputation) stay in the reader: they are about what was typed, not about the
form's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlkit.core.expr.tree import (
    ABS,
    AND,
    COUNT,
    IF,
    ISNUMBER,
    OR,
    ROUND,
    SUM,
    Call,
    Expr,
    Lit,
    Op,
    PercentPoints,
    Ref,
    Refs,
)
from xlkit.core.scoring import tier_ok_rule
from xlkit.core.spec import Execution
from xlkit.findings import CATALOGUE

TOLERANCE = 0.005  # money and scores are shown with 2 decimals
EPSILON = 1e-9  # a score "below" or "above" its weight: beyond float noise

SCOPES = ("funds", "row", "card", "group", "quest", "form")  # the order the reader reports them in


@dataclass(frozen=True)
class Check:
    id: str
    code: str
    scope: str
    when: Expr
    text: str | None
    field: str
    variant: str = ""  # the catalogue's wording of ``code`` (xlkit.findings); "": its template
    values: Mapping[str, Expr] = field(default_factory=dict)  # the template's, as expressions
    expected: str | None = None  # a name of ``values`` (or of the constants)
    actual: str | None = None
    scored: bool | None = None  # row checks: only on scored (True) forms; None: any
    signed: tuple[str, ...] = ()  # values shown with their sign (+g; numbers else g)
    note: str = ""  # why a check with no ``text`` is not on the sheet

    @property
    def message(self) -> str:
        """The reader's message template: the catalogue's, for ``code`` and ``variant``."""
        c = CATALOGUE[self.code]
        return c.variants[self.variant] if self.variant else c.template


def _r(name: str) -> Ref:
    return Ref(name)


def _blank(x: Expr) -> Expr:
    return x.eq("")


def _filled(x: Expr) -> Expr:
    return x.ne("")


def _not_number(x: Expr) -> Expr:
    return ISNUMBER(x).eq(False)


def _text(x: Expr) -> Expr:
    """Filled but not a number: text (a pasted "12,579.31", "95%", "2455592人") or a logical.
    The sheet's formulas do not count it (spreadsheet semantics); the 校验 cell says so and
    the reader reports it at the cell (value.text_number, with the number it would be)."""
    return AND(_filled(x), _not_number(x))


def _pts(x: Ref) -> Expr:
    """``x`` in percent points (× 100 when its cell is formatted as a percentage)."""
    return PercentPoints(x)


# --- the funds block: one 校验 cell (资金校验) below it --------------------------------

# names: executed (the execution row's 全年执行数); per row: budget, executed (constant row);
# per (row with parts, column): total, parts (constants row, column); per money cell: value
# (constant cell: 全年执行数, or 其中：当年财政拨款·全年预算数 ...)
_e, _b, _v = _r("executed"), _r("budget"), _r("value")
_total, _parts = _r("total"), _r("parts")
_got = ROUND(SUM(_parts), 6)

FUNDS: tuple[Check, ...] = (
    Check("funds.text", "value.text_number", "funds", _text(_v), "{cell}为文本，未计算",
          "value", actual="raw"),
    Check("funds.executed_required", "value.required", "funds", _blank(_e),
          "请填写{executed_label}", "executed"),
    Check("funds.over_execution", "check.over_execution", "funds",
          AND(ISNUMBER(_b), ISNUMBER(_e), _e > _b + TOLERANCE),
          "{row}：全年执行数大于全年预算数，请核对", "executed",
          values={"budget": _b, "executed": _e}, expected="budget", actual="executed"),
    Check("funds.parts", "check.fund_parts", "funds",
          AND(COUNT(_parts) > 0, ABS(_got - _total) > TOLERANCE),
          "{row}与各资金来源合计不一致（{column}）", "total",
          values={"got": _got, "total": _total + 0, "diff": _got - (_total + 0)},
          expected="total", actual="got", signed=("diff",)),
    # a nested block (部门整体: 年度支出总额 = 基本支出 + 项目支出, 基本支出 = 人员经费 + 公用经费)
    # names the parts of each row; a flat block keeps the fund-source wording above
    Check("funds.sum", "check.fund_sum", "funds",
          AND(COUNT(_parts) > 0, ABS(_got - _total) > TOLERANCE),
          "{row}不等于{plus}（{column}）", "total",
          values={"got": _got, "total": _total + 0, "diff": _got - (_total + 0)},
          expected="total", actual="got", signed=("diff",)),
)

# --- an indicator row (三级指标): its 校验 cell; checked once the row is touched --------

_name, _d, _t, _a, _unit = _r("name"), _r("direction"), _r("target"), _r("actual"), _r("unit")
_w, _tier, _q, _score, _reason = (_r("weight"), _r("tier"), _r("qscore"), _r("score"),
                                  _r("reason"))
_qual = _d.eq("定性")
_quant = OR(_d.eq("≥"), _d.eq("≤"), _d.eq("="))
_q_in = AND(_qual, ISNUMBER(_q), ISNUMBER(_w))

#: A row is checked once anything of it is filled (or pre-filled): name, target, actual or
#: 定性得分. An untouched row is a spare row.
ROW_TOUCHED = ("name", "actual", "qscore", "target")

ROW: tuple[Check, ...] = (
    Check("row.name_required", "value.required", "row", _blank(_name), "请填写指标名称", "name",
          "indicator_name"),
    Check("row.direction_required", "value.required", "row", _blank(_d), "请选择指标方向",
          "direction", "unselected"),
    Check("row.weight_text", "value.text_number", "row", _text(_w), "分值为文本，未计分",
          "weight", actual="raw", scored=True),
    Check("row.weight_required", "value.required", "row", _blank(_w), "请填写分值",
          "weight", scored=True),
    Check("row.tier_required", "value.required", "row", AND(_qual, _blank(_tier)),
          "请选择定性档次", "tier", "unselected", scored=True),
    Check("row.qscore_text", "value.text_number", "row", _text(_q), "定性得分为文本，未计分",
          "qscore", actual="raw", scored=True),
    Check("row.qscore_required", "value.required", "row", AND(_qual, _blank(_q)),
          "请填写定性得分", "qscore", scored=True),
    Check("row.actual_required", "value.required", "row", AND(_qual.eq(False), _blank(_a)),
          "请填写实际完成值", "actual"),
    Check("row.actual_number", "value.text_number", "row", AND(_quant, _text(_a)),
          "实际完成值为文本，未计分", "actual", actual="raw"),
    Check("row.target_number", "value.text_number", "row", AND(_quant, _text(_t)),
          "年度指标值为文本，未计分", "target", actual="raw"),
    # (here the reader adds its checks of what was typed in 实际完成值: comparators, units,
    # implausible figures)
    # in percent points: "97%" (0.97 in a %-formatted cell) is 97, a plain 0.97 is not;
    # IF, not AND, in front: AND evaluates all its arguments, and text × 100 is #VALUE!
    Check("row.percent_as_fraction", "value.implausible", "row",
          IF(AND(_qual.eq(False), _unit.eq("%"), ISNUMBER(_t), ISNUMBER(_a)),
             AND(_pts(_t) >= 2, _pts(_a) > 0, _pts(_a) <= 1), False),
          "疑似把百分比填成了小数：请填 95 或 95%", "actual", "fraction",
          {"got": _pts(_a), "target": _pts(_t)}, "target", "got"),
    Check("row.score_over_weight", "check.score_over_weight", "row",
          AND(_q_in, _q > _w + EPSILON), "得分超过分值", "qscore", "qualitative",
          {"name": _name, "score": _q, "weight": _w}, "weight", "score", scored=True),
    Check("row.tier_band", "check.tier_band", "row",
          AND(_q_in, _q <= _w + EPSILON, _filled(_tier), tier_ok_rule(_tier, _q, _w).eq(False)),
          "得分不在所选档次的区间内", "qscore", values={"name": _name, "score": _q, "tier": _tier},
          expected="tier", actual="score", scored=True),
    Check("row.reason_missing", "check.reason_missing", "row",
          AND(ISNUMBER(_score), ISNUMBER(_w), _score < _w - EPSILON, _blank(_reason)),
          "请填写偏差原因", "reason", values={"name": _name, "score": _score, "weight": _w},
          expected="weight", actual="score", scored=True),
)

# --- a scorecard item (common-2011) entered by the unit --------------------------------

_cs, _cw = _r("score"), _r("weight")
_NO_COLUMN = ("the 2011 评分表 has no 校验 column (its 计算方式 column runs to the edge); its "
              "score cells take 0..分值 by data validation")

CARD: tuple[Check, ...] = (
    Check("card.score_text", "value.text_number", "card", _text(_cs), None, "score",
          actual="raw", note=_NO_COLUMN),
    Check("card.score_required", "value.required", "card", _blank(_cs), None, "score",
          "unscored", note=_NO_COLUMN),
    Check("card.score_over_weight", "check.score_over_weight", "card",
          AND(ISNUMBER(_cs), _cs > _cw + EPSILON), None, "score",
          values={"score": _cs, "weight": _cw}, expected="weight", actual="score",
          note=_NO_COLUMN),
)

# --- a rubric item (评分表 with 计分标准): its 校验 cell, right of the print area ------------

# names: score (the item's 得分, entered or computed), top (its upper bound), value (one
# input the scorer types: 次数, 数值, 分子, 分母; constant ``what`` names it)
_ri, _top = _r("value"), _r("top")

RUBRIC: tuple[Check, ...] = (
    Check("rubric.input_text", "value.text_number", "card", _text(_ri), "{what}为文本，未计分",
          "value", actual="raw"),
    Check("rubric.input_required", "value.required", "card", _blank(_ri), "请填写{what}",
          "value"),
    Check("rubric.count_whole", "value.not_number", "card",
          AND(ISNUMBER(_ri), OR(_ri < 0, ABS(_ri - ROUND(_ri, 0)) > EPSILON)),
          "次数应为不小于 0 的整数", "value", "count", actual="raw"),
    Check("rubric.score_text", "value.text_number", "card", _text(_cs), "得分为文本，未计分",
          "score", actual="raw"),
    Check("rubric.score_required", "value.required", "card", _blank(_cs), "请打分", "score",
          "unscored"),
    Check("rubric.score_over", "check.score_over_weight", "card",
          AND(ISNUMBER(_cs), _cs > _top + EPSILON), "得分超过{top_label} {top_text}", "score",
          values={"score": _cs, "weight": _top}, expected="weight", actual="score"),
)

# the weights of a rubric group: each 二级指标's items and the 一级指标's (bonus items not
# counted); constants: weight (the declared one), level (一级指标 or its 二级指标's name)
_rw = _r("weights")
_rsum = ROUND(SUM(_rw), 6)

RUBRIC_WEIGHTS: tuple[Check, ...] = (
    Check("rubric.weights", "check.group_weights", "group",
          AND(COUNT(_rw) > 0, ABS(_rsum - _r("weight")) > TOLERANCE),
          "{level}分值合计应为 {gw:g}", "at",
          values={"sum": _rsum, "weight": _r("weight")}, expected="weight", actual="sum"),
)

# --- an indicator group (一级指标): the 校验 cell of its 小计 row ------------------------

_gw, _weights = _r("group_weight"), _r("weights")
_gsum = ROUND(SUM(_weights), 6)

GROUP: tuple[Check, ...] = (
    # Weights entered but not adding up — all of them 0 included; all blank is left to
    # each touched row's 请填写分值.
    Check("group.weights", "check.group_weights", "group",
          AND(COUNT(_weights) > 0, ABS(_gsum - _gw) > TOLERANCE), "本组分值合计应为 {gw:g}",
          "weight", values={"sum": _gsum, "weight": _gw}, expected="weight", actual="sum"),
)

# --- the whole form: the 校验 cell of the 总分 row; then what is worth filling ------------

_fsum = _r("exec_weight") + ROUND(SUM(_weights), 6)

FORM: tuple[Check, ...] = (
    Check("form.weights_total", "check.weights_total", "form",
          AND(COUNT(_weights) > 0, ABS(_fsum - 100) > TOLERANCE), "分值合计应为 100", "total",
          values={"total": _fsum, "hundred": Lit(100)}, expected="hundred", actual="total"),
)

RECOMMENDED: tuple[Check, ...] = (
    Check("form.recommended", "value.recommended", "form", _blank(_r("value")), None, "value",
          note="a hint for the office (签字栏, 实际完成情况), not a rule of the form"),
)

ALL: tuple[Check, ...] = FUNDS + ROW + CARD + GROUP + FORM + RECOMMENDED
#: the rubric forms' checks (templates/unit-score-2019.yaml, dept-insurance-2023.yaml): shown
#: and read alike as ALL's, proven on their own forms by tests/test_rubric.py
RUBRIC_ALL: tuple[Check, ...] = RUBRIC + RUBRIC_WEIGHTS

# --- a 满意度 questionnaire (xlkit.core.questionnaire): a 校验 cell per question and one
# beside 有效问卷份数 (tests/test_questionnaire.py holds the sheet and the reader to them)

_cnt, _valid, _counts = _r("count"), _r("valid"), _r("counts")
_answered = ROUND(SUM(_counts), 6)

QUEST: tuple[Check, ...] = (
    Check("quest.count_text", "value.text_number", "quest", _text(_cnt),
          "{option}：{col}为文本，未计算", "count", actual="raw"),
    Check("quest.count_whole", "check.quest_count", "quest",
          AND(ISNUMBER(_cnt), OR(_cnt < 0, ROUND(_cnt, 0).ne(_cnt))),
          "{option}：{col}应为不小于 0 的整数", "count", values={"count": _cnt}, actual="count"),
    # answers: all — every valid questionnaire answered every question (seed 000: 20 each)
    Check("quest.answers", "check.quest_answers", "quest",
          AND(ISNUMBER(_valid), ABS(_answered - _valid) > EPSILON),
          "各选项{col}合计应等于有效问卷份数", "first",
          values={"sum": _answered, "valid": _valid}, expected="valid", actual="sum"),
    # answers: some — a questionnaire may leave a question blank
    Check("quest.answers_over", "check.quest_answers", "quest",
          AND(ISNUMBER(_valid), _answered > _valid + EPSILON),
          "各选项{col}合计超过有效问卷份数", "first", "over",
          values={"sum": _answered, "valid": _valid}, expected="valid", actual="sum"),
    Check("quest.valid_text", "value.text_number", "quest", _text(_valid),
          "有效问卷份数为文本，未计算", "valid", actual="raw"),
    Check("quest.valid_required", "value.required", "quest", _blank(_valid),
          "请填写有效问卷份数", "valid"),
    Check("quest.valid_whole", "check.quest_valid", "quest",
          AND(ISNUMBER(_valid), OR(_valid <= 0, ROUND(_valid, 0).ne(_valid))),
          "有效问卷份数应为大于 0 的整数", "valid", values={"valid": _valid}, actual="valid"),
)


# ----------------------------------------------------------------------------- binding


@dataclass(frozen=True, eq=False)
class Bound:
    """A check bound to one place of one form."""

    check: Check
    when: Expr
    field: str
    params: Mapping[str, Any]  # the constants of the message
    values: Mapping[str, Expr]

    @property
    def text(self) -> str | None:
        t = self.check.text
        return None if t is None else t.format(**self.params)


@dataclass(eq=False)
class Site:
    """The checks one 校验 cell shows (``cell`` None: checks the sheet does not show),
    evaluated only when ``gate`` holds (an untouched indicator row is not checked)."""

    scope: str
    cell: str | None
    checks: list[Bound]
    gate: Expr | None = None

    def shown(self) -> list[Bound]:
        return [b for b in self.checks if b.check.text is not None]

    def rule(self) -> Expr:
        """The 校验 cell's formula: the first failing check's text, else ""."""
        chain: Expr = Lit("")
        for b in reversed(self.shown()):
            chain = IF(b.when, b.text, chain)
        return chain if self.gate is None else IF(self.gate, chain, "")

    def mask(self) -> Expr:
        """A number whose bit k is set when check k fails, and, when the site has a gate,
        bit ``len(checks)`` when the gate holds (0: not checked): what the reader evaluates."""
        bits: list[Expr] = [IF(b.when, float(1 << k), 0) for k, b in enumerate(self.checks)]
        if self.gate is None:
            return SUM(*bits) if len(bits) > 1 else bits[0]
        return IF(self.gate, SUM(float(1 << len(bits)), *bits), 0)


def substitute(expr: Expr, names: Mapping[str, Expr]) -> Expr:
    """``expr`` with every ``Ref`` named in ``names`` replaced by its binding."""
    if isinstance(expr, Ref):
        return names.get(expr.name, expr)
    if isinstance(expr, Op):
        return Op(expr.op, substitute(expr.a, names), substitute(expr.b, names))
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(substitute(a, names) for a in expr.args))
    if isinstance(expr, PercentPoints):
        ref = names.get(expr.ref.name, expr.ref)
        assert isinstance(ref, Ref), expr.ref.name  # a cell's format: a cell
        return PercentPoints(ref)
    return expr  # Lit, Refs


def bind(check: Check, names: Mapping[str, Expr], params: Mapping[str, Any] | None = None,
         ) -> Bound:
    """``check`` with its names bound (``Ref``, ``Refs`` or ``Lit``); the finding's field is
    the field bound to ``check.field``."""
    target = names[check.field]
    assert isinstance(target, Ref), check.field
    return Bound(check, substitute(check.when, names), target.name, dict(params or {}),
                 {k: substitute(v, names) for k, v in check.values.items()})


def refs(prefix: str, keys: Sequence[str]) -> dict[str, Expr]:
    return {k: Ref(prefix + k) for k in keys}


def row_site(i: int, level2: str, scored: bool, cell: str | None) -> Site:
    """The checks of indicator row ``i``."""
    p = f"ind.{i}."
    keys = ("name", "direction", "target", "unit", "actual", "weight", "tier", "qscore",
            "score", "reason") if scored else ("name", "direction", "target", "unit", "actual")
    names = refs(p, keys)
    params = {"n": i + 1, "level2": level2}
    checks = [bind(c, names, params) for c in ROW if c.scored is None or c.scored == scored]
    touched = [_filled(names[k]) for k in ROW_TOUCHED if k in names]
    return Site("row", cell, checks, OR(*touched))


def funds_site(funds: Any, cell: str, present: Sequence[str],
               inputs: Sequence[str] = ()) -> Site | None:
    """The checks of the funds block (``funds``: the spec's); None when it has none.
    ``inputs``: the money cells the unit fills (each checked for text first)."""
    cols = [c.key for c in funds.columns]
    checks: list[Bound] = []
    top = funds.rows[0]
    # nested: a part that has parts itself (部门整体's 基本支出 = 人员经费 + 公用经费)
    nested = any(funds.row(p).parts for r in funds.rows for p in r.parts)
    by_id = {c.id: c for c in FUNDS}
    for row in funds.rows:
        for col in funds.columns:
            fld = f"funds.{row.key}.{col.key}"
            if fld in inputs:
                where = col.label if row is top else \
                    f"{row.label.removeprefix('其中：')}·{col.label}"
                checks.append(bind(by_id["funds.text"], {"value": Ref(fld)}, {"cell": where}))
    budget, executed = _roles(funds)
    if executed in cols and f"funds.{top.key}.{executed}" in present:
        fld = f"funds.{top.key}.{executed}"
        checks.append(bind(by_id["funds.executed_required"], {"executed": Ref(fld)},
                           {"executed_label": funds.columns[cols.index(executed)].label}))
    for row in funds.rows:
        if {budget, executed} <= set(cols):
            names = {"budget": Ref(f"funds.{row.key}.{budget}"),
                     "executed": Ref(f"funds.{row.key}.{executed}")}
            checks.append(bind(by_id["funds.over_execution"], names, {"row": row.label}))
        for col in funds.columns if row.parts and not nested else ():
            names = {"total": Ref(f"funds.{row.key}.{col.key}"),
                     "parts": Refs(tuple(f"funds.{p}.{col.key}" for p in row.parts))}
            checks.append(bind(by_id["funds.parts"], names,
                               {"row": row.label, "column": col.label}))
    # a nested block's sums from the inside out: the 校验 cell names 基本支出 ≠ 人员经费 +
    # 公用经费, the mistake, before the 年度支出总额 it throws off
    for row in sorted(funds.rows, key=lambda r: _height(funds, r)) if nested else ():
        labels = [_short(funds.row(p).label) for p in row.parts]
        for col in funds.columns if row.parts else ():
            names = {"total": Ref(f"funds.{row.key}.{col.key}"),
                     "parts": Refs(tuple(f"funds.{p}.{col.key}" for p in row.parts))}
            checks.append(bind(by_id["funds.sum"], names,
                               {"row": _short(row.label), "column": col.label,
                                "plus": "+".join(labels), "parts": "、".join(labels)}))
    return Site("funds", cell, checks) if checks else None


def _roles(funds: Any) -> tuple[str, str]:
    """The budget and executed column keys: the 执行率's (funds.execution), else the
    defaults it has (full_year, executed)."""
    ex = funds.execution
    if ex is not None:
        return ex.budget, ex.executed
    return Execution.budget, Execution.executed


def _height(funds: Any, row: Any) -> int:
    """0 for a row without parts; 1 + its highest part's otherwise (rows never nest in a
    circle: the spec refuses it)."""
    return 1 + max((_height(funds, funds.row(p)) for p in row.parts), default=-1)


def _short(label: str) -> str:
    """A funds row's label without its 其中： lead."""
    return label.removeprefix("其中：")


def card_site(i: int, name: str, weight: float) -> Site:
    names = {"score": Ref(f"card.{i}.score"), "weight": Lit(weight)}
    return Site("card", None, [bind(c, names, {"name": name, "label": name}) for c in CARD])


def rubric_item_site(i: int, name: str, inputs: Mapping[str, str], top: float | None,
                     cell: str) -> Site:
    """The checks of rubric item ``i``: each input it types (``inputs``: name → its head,
    次数 / 数值 …), then its score (entered: within 0..``top``; computed: the inputs' checks
    say why it is blank)."""
    by_id = {c.id: c for c in RUBRIC}
    out: list[Bound] = []
    for n, head in inputs.items():
        if n == "score":
            continue
        names = {"value": Ref(f"card.{i}.{n}")}
        params = {"name": name, "what": head}
        out += [bind(by_id[k], names, params) for k in ("rubric.input_text",
                                                       "rubric.input_required")]
        if n == "count":
            out.append(bind(by_id["rubric.count_whole"], names, params))
    score = {"score": Ref(f"card.{i}.score"), "top": Lit(top if top is not None else 1e300)}
    if "score" in inputs:
        out += [bind(by_id[k], score, {"name": name, "label": name}) for k in (
            "rubric.score_text", "rubric.score_required")]
    if top is not None:
        shown = "分值" if "score" in inputs else "上限"
        out.append(bind(by_id["rubric.score_over"], score,
                        {"name": name, "top_label": shown, "top_text": f"{top:g}"}))
    return Site("card", cell, out)


def rubric_weights_site(gi: int, group: Any, items: Sequence[tuple[int, bool]],
                        cell: str) -> Site:
    """The weights of rubric group ``gi``: each 二级指标 with its own weight = Σ its items',
    the 一级指标's = Σ its items' (``items``: (index, bonus) in order; bonus not counted)."""
    out: list[Bound] = []
    at = 0
    idx = [j for j, _ in items]
    bonus = {j for j, b in items if b}

    def add(level: str, weight: float, js: Sequence[int]) -> None:
        ws = tuple(f"card.{j}.weight" for j in js if j not in bonus)
        if not ws:
            return
        names = {"weights": Refs(ws), "weight": Lit(weight), "at": Ref(ws[0])}
        out.append(bind(RUBRIC_WEIGHTS[0], names, {"level": level, "gw": weight,
                                                   "group": level}))

    for sub in group.subgroups:
        js = idx[at:at + len(sub.items)]
        at += len(sub.items)
        if sub.weight is not None:
            add(f"{group.name}·{sub.name}", sub.weight, js)
    add(group.name, group.weight, idx)
    return Site("group", cell, out)


def group_site(gi: int, gname: str, weight: float, weights: Sequence[str], cell: str) -> Site:
    names = {"weights": Refs(tuple(weights)), "group_weight": Lit(weight),
             "weight": Ref(f"grp.{gi}.weight")}
    return Site("group", cell, [bind(GROUP[0], names, {"group": gname, "gw": weight})])


def form_site(exec_weight: float, weights: Sequence[str], cell: str) -> Site:
    names = {"weights": Refs(tuple(weights)), "exec_weight": Lit(exec_weight),
             "total": Ref("total")}
    return Site("form", cell, [bind(FORM[0], names)])


def question_site(i: int, counts: Sequence[str], options: Sequence[str], col: str,
                  valid: str, answers: str, cell: str) -> Site:
    """The checks of question ``i``: each count (``counts``, printed as ``options``) a
    whole number, then their sum against 有效问卷份数 (``answers``: all / some)."""
    by_id = {c.id: c for c in QUEST}
    out: list[Bound] = []
    for fld, option in zip(counts, options, strict=True):
        params = {"n": i + 1, "option": option, "col": col}
        out += [bind(by_id[k], {"count": Ref(fld)}, params)
                for k in ("quest.count_text", "quest.count_whole")]
    names = {"counts": Refs(tuple(counts)), "valid": Ref(valid), "first": Ref(counts[0])}
    sum_check = by_id["quest.answers" if answers == "all" else "quest.answers_over"]
    out.append(bind(sum_check, names, {"n": i + 1, "col": col}))
    return Site("quest", cell, out)


def valid_site(valid: str, cell: str) -> Site:
    """The checks of 有效问卷份数: filled, a number, a whole number above 0."""
    return Site("quest", cell, [bind(c, {"valid": Ref(valid)}, {"label": "有效问卷份数"})
                                for c in QUEST if c.id.startswith("quest.valid")])


def recommended_site(fields: Sequence[tuple[str, str]]) -> Site | None:
    """(field, title) of what is worth filling in."""
    checks = [bind(RECOMMENDED[0], {"value": Ref(f)}, {"label": t}) for f, t in fields]
    return Site("form", None, checks) if checks else None


def failing(site: Site, mask: Any) -> list[Bound]:
    """The checks of ``site`` whose bits are set in ``mask`` (the value of ``site.mask()``)."""
    if not mask or mask.__class__ is not float:
        return []
    m = int(mask)
    return [b for k, b in enumerate(site.checks) if m >> k & 1]
