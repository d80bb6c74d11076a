"""THE in-form checks, declared once: the 校验 cells the builder writes and the reader's
check findings both come from the declarations below.

A :class:`Check` says, for one kind of problem: the finding ``code``; the ``scope`` it is
declared over (an indicator ``row``, an indicator ``group``, the ``funds`` block, a
``card`` item of the scorecard, the whole ``form``); the failing condition ``when``, an
expression tree (:mod:`xlkit.core.expr`) over the scope's names; the short ``text`` the
校验 cell shows (``None``: the reader alone reports it, see ``note``); the ``field`` the
finding points at; the reader's Chinese ``message`` template and the ``values`` it (and the
finding's ``expected`` / ``actual``) are made of.

Names in a declaration are the scope's vocabulary (``weight`` is the row's 分值), bound to
fields when a layout is built (``ind.3.weight``): :func:`bind` gives a :class:`Bound` check,
and the layout groups the bound checks by the 校验 cell that shows them (a :class:`Site`).
The builder renders a site as that cell's formula — the ``text`` of the first failing
check, in declaration order — and the reader evaluates the very same trees over the values
it parsed (compiled: one number per site whose bits are the failing checks), then formats
``message`` with ``str.format`` from:

- the bound constants (``n`` row number, ``level2``, ``row`` / ``col`` labels, ``gname`` ...),
- ``values``, each an expression evaluated like ``when``,
- ``label`` (the finding field's human name), ``raw`` and ``why`` (the text typed in that
  field and, when it could not be parsed, why), given by the reader.

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
    Ref,
    Refs,
)
from xlkit.core.spec import TIERS

TOLERANCE = 0.005  # money and scores are shown with 2 decimals
EPSILON = 1e-9  # a score "below" or "above" its weight: beyond float noise

SCOPES = ("funds", "row", "card", "group", "form")  # the order the reader reports them in


@dataclass(frozen=True)
class Check:
    id: str
    code: str
    scope: str
    when: Expr
    text: str | None
    field: str
    message: str
    values: Mapping[str, Expr] = field(default_factory=dict)
    expected: str | None = None  # a name of ``values`` (or of the constants)
    actual: str | None = None
    scored: bool | None = None  # row checks: only on scored (True) forms; None: any
    note: str = ""  # why a check with no ``text`` is not on the sheet


def _r(name: str) -> Ref:
    return Ref(name)


def _tier_ok(tier: Expr, score: Expr, weight: Expr) -> Expr:
    """TRUE when a 定性 score lies inside its tier's band (达成 80–100% ...)."""
    out = []
    for name, lo, hi in TIERS:
        upper = score <= weight * hi if hi >= 1 else score < weight * hi
        out.append(AND(tier.eq(name), score >= weight * lo, upper))
    return OR(*out)


def _blank(x: Expr) -> Expr:
    return x.eq("")


def _filled(x: Expr) -> Expr:
    return x.ne("")


def _not_number(x: Expr) -> Expr:
    return ISNUMBER(x).eq(False)


# --- the funds block: one 校验 cell (资金校验) below it --------------------------------

# names: executed (the execution row's 全年执行数); per row: budget, executed, row;
# per (row with parts, column): total, parts, row, col
_e, _b = _r("executed"), _r("budget")
_total, _parts = _r("total"), _r("parts")
_got = ROUND(SUM(_parts), 6)

FUNDS: tuple[Check, ...] = (
    Check("funds.executed_required", "value.required", "funds", _not_number(_e),
          "请填写{col}", "executed", "「{label}」未填写"),
    Check("funds.over_execution", "check.over_execution", "funds",
          AND(ISNUMBER(_b), ISNUMBER(_e), _e > _b + TOLERANCE),
          "{row}：全年执行数大于全年预算数，请核对", "executed",
          "{row}：全年执行数 {e:g} 大于全年预算数 {b:g}", {"b": _b, "e": _e}, "b", "e"),
    Check("funds.parts", "check.fund_parts", "funds",
          AND(COUNT(_parts) > 0, ABS(_got - _total) > TOLERANCE),
          "{row}与各资金来源合计不一致（{col}）", "total",
          "{col}：各资金来源合计 {got:g} 与{row} {total:g} 不一致（差 {diff:+g}）",
          {"got": _got, "total": _total + 0, "diff": _got - (_total + 0)}, "total", "got"),
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
          "第 {n} 个三级指标（{level2}）填了内容但没有指标名称"),
    Check("row.direction_required", "value.required", "row", _blank(_d), "请选择指标方向",
          "direction", "「{label}」未选择"),
    Check("row.weight_required", "value.required", "row", _not_number(_w), "请填写分值",
          "weight", "「{label}」未填写", scored=True),
    Check("row.tier_required", "value.required", "row", AND(_qual, _blank(_tier)),
          "请选择定性档次", "tier", "「{label}」未选择", scored=True),
    Check("row.qscore_required", "value.required", "row", AND(_qual, _not_number(_q)),
          "请填写定性得分", "qscore", "「{label}」未填写", scored=True),
    Check("row.actual_required", "value.required", "row", AND(_qual.eq(False), _blank(_a)),
          "请填写实际完成值", "actual", "「{label}」未填写"),
    Check("row.actual_number", "value.not_number", "row",
          AND(_quant, _filled(_a), _not_number(_a)), "定量指标的实际完成值应填数字", "actual",
          "「{label}」应为数字，填的是 '{raw}'{why}", actual="raw"),
    Check("row.target_number", "value.not_number", "row",
          AND(_quant, _filled(_t), _not_number(_t)), "定量指标的年度指标值应填数字", "target",
          "「{label}」应为数字，填的是 '{raw}'{why}", actual="raw"),
    # (here the reader adds its checks of what was typed in 实际完成值: comparators, units,
    # implausible figures)
    Check("row.percent_as_fraction", "value.implausible", "row",
          AND(_qual.eq(False), _unit.eq("%"), ISNUMBER(_t), ISNUMBER(_a), _t >= 2, _a > 0,
              _a <= 1),
          "疑似把百分比填成了小数，请按百分数数值填写（如 95）", "actual",
          "「{label}」为 {a:g}，年度指标值为 {t:g}%：疑似把百分比填成了小数",
          {"a": _a, "t": _t}, "t", "a"),
    Check("row.score_over_weight", "check.score_over_weight", "row",
          AND(_q_in, _q > _w + EPSILON), "得分超过分值", "qscore",
          "「{name}」定性得分 {q:g} 超过分值 {w:g}", {"name": _name, "q": _q, "w": _w}, "w", "q",
          scored=True),
    Check("row.tier_band", "check.tier_band", "row",
          AND(_q_in, _q <= _w + EPSILON, _filled(_tier), _tier_ok(_tier, _q, _w).eq(False)),
          "得分不在所选档次的区间内", "qscore", "「{name}」选了“{tier}”，得分 {q:g} 不在该档次区间内",
          {"name": _name, "q": _q, "tier": _tier}, "tier", "q", scored=True),
    Check("row.reason_missing", "check.reason_missing", "row",
          AND(ISNUMBER(_score), ISNUMBER(_w), _score < _w - EPSILON, _blank(_reason)),
          "请填写偏差原因", "reason", "「{name}」得分 {score:g} 低于分值 {w:g}，须填写偏差原因分析及改进措施",
          {"name": _name, "score": _score, "w": _w}, "w", "score", scored=True),
)

# --- a scorecard item (common-2011) entered by the unit --------------------------------

_cs, _cw = _r("score"), _r("weight")

CARD: tuple[Check, ...] = (
    Check("card.score_required", "value.required", "card", _not_number(_cs), None, "score",
          "「{name}」未打分",
          note="the 2011 评分表 has no 校验 column; its score cells take 0..分值 by validation"),
    Check("card.score_over_weight", "check.score_over_weight", "card",
          AND(ISNUMBER(_cs), _cs > _cw + EPSILON), None, "score",
          "「{name}」得分 {q:g} 超过分值 {w:g}", {"q": _cs, "w": _cw}, "w", "q",
          note="as card.score_required"),
)

# --- an indicator group (一级指标): the 校验 cell of its 小计 row ------------------------

_gw, _weights = _r("group_weight"), _r("weights")
_gsum = ROUND(SUM(_weights), 6)

GROUP: tuple[Check, ...] = (
    # Weights entered but not adding up — all of them 0 included; all blank is left to
    # each touched row's 请填写分值.
    Check("group.weights", "check.group_weights", "group",
          AND(COUNT(_weights) > 0, ABS(_gsum - _gw) > TOLERANCE), "本组分值合计应为 {gw:g}",
          "weight", "{gname}各三级指标分值之和为 {s:g}，应为 {gw:g}", {"s": _gsum}, "gw", "s"),
)

# --- the whole form: the 校验 cell of the 总分 row; then what is worth filling ------------

_fsum = _r("exec_weight") + ROUND(SUM(_weights), 6)

FORM: tuple[Check, ...] = (
    Check("form.weights_total", "check.weights_total", "form",
          AND(COUNT(_weights) > 0, ABS(_fsum - 100) > TOLERANCE), "分值合计应为 100", "total",
          "执行率与各指标分值合计为 {total:g}，应为 100", {"total": _fsum, "hundred": Lit(100)},
          "hundred", "total"),
)

RECOMMENDED: tuple[Check, ...] = (
    Check("form.recommended", "value.recommended", "form", _blank(_r("value")), None, "value",
          "「{title}」未填写",
          note="a hint for the office (签字栏, 实际完成情况), not a rule of the form"),
)

ALL: tuple[Check, ...] = FUNDS + ROW + CARD + GROUP + FORM + RECOMMENDED


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


def funds_site(funds: Any, cell: str, present: Sequence[str]) -> Site | None:
    """The checks of the funds block (``funds``: the spec's); None when it has none."""
    cols = [c.key for c in funds.columns]
    checks: list[Bound] = []
    top = funds.rows[0]
    if "executed" in cols and f"funds.{top.key}.executed" in present:
        fld = Ref(f"funds.{top.key}.executed")
        checks.append(bind(FUNDS[0], {"executed": fld},
                           {"col": funds.columns[cols.index("executed")].label}))
    for row in funds.rows:
        if {"full_year", "executed"} <= set(cols):
            names = {"budget": Ref(f"funds.{row.key}.full_year"),
                     "executed": Ref(f"funds.{row.key}.executed")}
            checks.append(bind(FUNDS[1], names, {"row": row.label}))
        for col in funds.columns if row.parts else ():
            names = {"total": Ref(f"funds.{row.key}.{col.key}"),
                     "parts": Refs(tuple(f"funds.{p}.{col.key}" for p in row.parts))}
            checks.append(bind(FUNDS[2], names, {"row": row.label, "col": col.label}))
    return Site("funds", cell, checks) if checks else None


def card_site(i: int, name: str, weight: float) -> Site:
    names = {"score": Ref(f"card.{i}.score"), "weight": Lit(weight)}
    return Site("card", None, [bind(c, names, {"name": name}) for c in CARD])


def group_site(gi: int, gname: str, weight: float, weights: Sequence[str], cell: str) -> Site:
    names = {"weights": Refs(tuple(weights)), "group_weight": Lit(weight),
             "weight": Ref(f"grp.{gi}.weight")}
    return Site("group", cell, [bind(GROUP[0], names, {"gname": gname, "gw": weight})])


def form_site(exec_weight: float, weights: Sequence[str], cell: str) -> Site:
    names = {"weights": Refs(tuple(weights)), "exec_weight": Lit(exec_weight),
             "total": Ref("total")}
    return Site("form", cell, [bind(FORM[0], names)])


def recommended_site(fields: Sequence[tuple[str, str]]) -> Site | None:
    """(field, title) of what is worth filling in."""
    checks = [bind(RECOMMENDED[0], {"value": Ref(f)}, {"title": t}) for f, t in fields]
    return Site("form", None, checks) if checks else None


def failing(site: Site, mask: Any) -> list[Bound]:
    """The checks of ``site`` whose bits are set in ``mask`` (the value of ``site.mask()``)."""
    if not mask or mask.__class__ is not float:
        return []
    m = int(mask)
    return [b for k, b in enumerate(site.checks) if m >> k & 1]
