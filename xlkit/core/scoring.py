"""THE scoring rules: one source of truth for Python and for the workbook formulas.

Each rule is an expression over named inputs (xlkit.formulas). The builder renders it to an
Excel formula with cell references; the reader and the tests evaluate the very same tree.
The plain functions at the bottom are the Python API over those trees.

Rules (DESIGN.md, seeds 001 / 002):
- 执行率 = 全年执行数 / 全年预算数; empty when the budget is blank or 0.
- 执行得分 = 分值 × min(执行率, 1), rounded to 2 places (828/1500 → 55.20% → 5.52).
- 正向 (≥): 分值 × min(实际/目标, 1); 反向 (≤) ``ratio``: 分值 × min(目标/实际, 1) or
  ``linear``: full at or below 目标, falling to 0 at 2 × 目标; 等于 (=): full when equal;
  定性: the score entered, within 0..分值 and its tier band.
- rate × weight items (资金到位率, 预算执行率 of common-2011): 分值 × min(分子/分母, 1).
- 总分 = sum of the scores, capped by 执行率 band when the spec says (``total.caps``);
  等次 from the spec's bands.

The rule kinds themselves (what a spec may declare, with their parameters) are data in
xlkit.core.rulekinds; the functions here apply them to a form's inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlkit.core.expr.compile import Rule, compile_rule
from xlkit.core.expr.tree import (
    AND,
    COUNT,
    IF,
    ISNUMBER,
    OR,
    ROUND,
    SUM,
    Expr,
    Lit,
    Ref,
    lit,
)
from xlkit.core.rulekinds import (
    RuleSpec,
    capped_total,
    default_rules,
    execution_expr,
    indicator_inputs,
    score_expr,
)
from xlkit.core.spec import TIERS, Grade

EMPTY = Lit("")


def _ratio_guarded(num: Expr, den: Expr) -> Expr:
    """num / den, or "" when either is missing or the denominator is not positive."""
    return IF(ISNUMBER(den), IF(den > 0, IF(ISNUMBER(num), num / den, EMPTY), EMPTY), EMPTY)


def execution_rate_rule(budget: Expr, executed: Expr) -> Expr:
    return _ratio_guarded(executed, budget)


def execution_score_rule(weight: Expr, rate: Expr, rule: RuleSpec | None = None) -> Expr:
    """执行得分 by the spec's ``funds.execution.rule`` (default: 分值 × min(执行率, 1))."""
    return execution_expr(rule, weight, rate)


def rate_score_rule(weight: Expr, numerator: Expr, denominator: Expr) -> Expr:
    """common-2011 items such as 资金到位率: 分值 × min(分子/分母, 1)."""
    return execution_score_rule(weight, _ratio_guarded(numerator, denominator))


def indicator_score_rule(direction: Expr, target: Expr, actual: Expr, weight: Expr,
                         qualitative_score: Expr, reverse_rule: str = "ratio",
                         target_points: Expr | None = None,
                         actual_points: Expr | None = None,
                         rules: Mapping[str, RuleSpec] | None = None,
                         deviation: RuleSpec | None = None) -> Expr:
    """得分 of one 三级指标 row by the rule of its direction: computed for ≥ ≤ =, entered for
    定性, "" when incomplete; ``rules``: the spec's rule per direction (default: today's,
    ``reverse_rule`` for ≤); ``deviation``: 偏离 deducted on the rows of its directions.

    ``target_points`` / ``actual_points``: the numbers compared, once target and actual are
    known to be numbers — the layout passes them in percent points (``PercentPoints``: "97%"
    typed as Excel stores it, 0.97 in a %-formatted cell, counts as 97); default: as they are.
    """
    by = {**default_rules(reverse_rule), **(rules or {})}
    t = target if target_points is None else target_points
    a = actual if actual_points is None else actual_points
    inputs = indicator_inputs(t, a, qualitative_score)
    chain: Expr = EMPTY
    for d in ("=", "≤", "≥"):
        dev = deviation if deviation is not None and d in deviation.params["directions"] else None
        chain = IF(direction.eq(d), score_expr(by[d], weight, inputs, dev), chain)
    return IF(direction.eq("定性"), score_expr(by["定性"], weight, inputs), chain)


def tier_band(tier: str) -> tuple[float, float]:
    for name, lo, hi in TIERS:
        if name == tier:
            return lo, hi
    raise KeyError(tier)


def tier_ok_rule(tier: Expr, score: Expr, weight: Expr) -> Expr:
    """TRUE when a 定性 score lies inside its tier's band (达成 80–100% ...)."""
    checks = []
    for name, lo, hi in TIERS:
        upper = score <= weight * hi if hi >= 1 else score < weight * hi
        checks.append(AND(tier.eq(name), score >= weight * lo, upper))
    return OR(*checks)


def total_rule(parts: Sequence[Expr], caps: RuleSpec | None = None,
               rate: Expr | None = None) -> Expr:
    """Sum of the scores, rounded to 2 places; "" while nothing has been scored. ``caps``
    (a ``total_caps`` rule): the sum capped by the 执行率 ``rate``'s band."""
    total: Expr = SUM(*parts)
    if caps is not None and rate is not None:
        total = capped_total(caps, total, rate)
    return IF(COUNT(*parts) > 0, ROUND(total, 2), EMPTY)


def grade_rule(total: Expr, grades: Sequence[Grade]) -> Expr:
    chain: Expr = lit(grades[-1].name)
    for g in reversed(grades[:-1]):
        chain = IF(total >= g.min, g.name, chain)
    return IF(ISNUMBER(total), chain, EMPTY)


# ------------------------------------------------------------- the Python API over the rules

_B, _E, _W, _R = Ref("budget"), Ref("executed"), Ref("weight"), Ref("rate")


def _value(x: Any) -> Any:
    return None if x == "" else x


def execution_rate(budget: float | None, executed: float | None) -> float | None:
    """执行率, or None when it cannot be computed (blank or zero budget)."""
    return _value(execution_rate_rule(_B, _E).evaluate({"budget": budget, "executed": executed}))


def execution_score(weight: float, rate: float | None) -> float | None:
    return _value(execution_score_rule(_W, _R).evaluate({"weight": weight, "rate": rate}))


def rate_score(weight: float, numerator: float | None, denominator: float | None) -> float | None:
    env = {"weight": weight, "num": numerator, "den": denominator}
    return _value(rate_score_rule(_W, Ref("num"), Ref("den")).evaluate(env))


def indicator_score(direction: str | None, target: Any, actual: Any, weight: Any,
                    qualitative_score: Any = None, reverse_rule: str = "ratio") -> float | None:
    rule = indicator_score_rule(Ref("d"), Ref("t"), Ref("a"), _W, Ref("q"), reverse_rule)
    env = {"d": direction, "t": target, "a": actual, "weight": weight, "q": qualitative_score}
    return _value(rule.evaluate(env))


def tier_ok(tier: str, score: float, weight: float) -> bool:
    env = {"tier": tier, "score": score, "weight": weight}
    fn, names, defaults = _tier_ok()
    return bool(fn(env.get, env, names, defaults))


@functools.cache
def _tier_ok() -> Rule:
    """Built and compiled once: the reader asks for every 定性 row of every return."""
    return compile_rule(tier_ok_rule(Ref("tier"), Ref("score"), _W), lambda name: False,
                        lambda name: None)


def total_score(parts: Iterable[float | None]) -> float | None:
    values = list(parts)
    env = {f"p{i}": v for i, v in enumerate(values)}
    return _value(total_rule([Ref(f"p{i}") for i in range(len(values))]).evaluate(env))


def grade(total: float | None, grades: Sequence[Grade]) -> str | None:
    return _value(grade_rule(Ref("total"), grades).evaluate({"total": total}))
