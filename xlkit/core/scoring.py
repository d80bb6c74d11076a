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
- 总分 = sum of the scores; 等次 from the spec's bands.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from xlkit.core.expr.compile import Rule, compile_rule
from xlkit.core.expr.tree import (
    ABS,
    AND,
    COUNT,
    IF,
    ISNUMBER,
    MAX,
    MIN,
    OR,
    ROUND,
    SUM,
    Expr,
    Lit,
    Ref,
    lit,
)
from xlkit.core.spec import TIERS, Grade

EMPTY = Lit("")
EQUAL_TOLERANCE = 1e-9


def _ratio_guarded(num: Expr, den: Expr) -> Expr:
    """num / den, or "" when either is missing or the denominator is not positive."""
    return IF(ISNUMBER(den), IF(den > 0, IF(ISNUMBER(num), num / den, EMPTY), EMPTY), EMPTY)


def _clamp01(x: Expr) -> Expr:
    return MIN(MAX(x, 0), 1)


def execution_rate_rule(budget: Expr, executed: Expr) -> Expr:
    return _ratio_guarded(executed, budget)


def execution_score_rule(weight: Expr, rate: Expr) -> Expr:
    return IF(AND(ISNUMBER(rate), ISNUMBER(weight)), ROUND(weight * _clamp01(rate), 2), EMPTY)


def rate_score_rule(weight: Expr, numerator: Expr, denominator: Expr) -> Expr:
    """common-2011 items such as 资金到位率: 分值 × min(分子/分母, 1)."""
    return execution_score_rule(weight, _ratio_guarded(numerator, denominator))


def quantitative_rule(direction: str, target: Expr, actual: Expr, weight: Expr,
                      reverse_rule: str = "ratio") -> Expr:
    """The score of one quantitative indicator, assuming all three inputs are numbers."""
    w, t, a = weight, target, actual
    if direction == "≥":
        return IF(t > 0, ROUND(w * _clamp01(a / t), 2), IF(a >= t, w, 0))
    if direction == "≤":
        if reverse_rule == "linear":
            return IF(a <= t, w, IF(t > 0, ROUND(w * MAX(1 - (a - t) / t, 0), 2), 0))
        return IF(a <= t, w, IF(a > 0, ROUND(w * MAX(t / a, 0), 2), 0))
    if direction == "=":
        return IF(ABS(a - t) <= EQUAL_TOLERANCE * MAX(1, ABS(t)), w, 0)
    raise ValueError(f"unknown direction {direction!r}")


def indicator_score_rule(direction: Expr, target: Expr, actual: Expr, weight: Expr,
                         qualitative_score: Expr, reverse_rule: str = "ratio",
                         target_points: Expr | None = None,
                         actual_points: Expr | None = None) -> Expr:
    """得分 of one 三级指标 row: computed for ≥ ≤ =, entered for 定性, "" when incomplete.

    ``target_points`` / ``actual_points``: the numbers compared, once target and actual are
    known to be numbers — the layout passes them in percent points (``PercentPoints``: "97%"
    typed as Excel stores it, 0.97 in a %-formatted cell, counts as 97); default: as they are.
    """
    numbers = AND(ISNUMBER(weight), ISNUMBER(target), ISNUMBER(actual))
    qual = IF(ISNUMBER(qualitative_score), qualitative_score, EMPTY)
    t = target if target_points is None else target_points
    a = actual if actual_points is None else actual_points
    chain: Expr = EMPTY
    for d in ("=", "≤", "≥"):
        chain = IF(direction.eq(d), IF(numbers, quantitative_rule(d, t, a, weight,
                                                                   reverse_rule), EMPTY), chain)
    return IF(direction.eq("定性"), qual, chain)


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


def total_rule(parts: Sequence[Expr]) -> Expr:
    """Sum of the scores, rounded to 2 places; "" while nothing has been scored."""
    return IF(COUNT(*parts) > 0, ROUND(SUM(*parts), 2), EMPTY)


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
