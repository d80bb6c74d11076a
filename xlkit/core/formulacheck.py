"""A spec's formulas checked before any workbook is built (issue 14, deliverable 6).

After a spec is parsed its blank form is laid out and every formula cell is checked the way
Excel 2010 / WPS would take it: only functions the renderer and Excel 2010 know, at most
64 nested function levels, at most 8192 characters, and Python's evaluation — with the form
blank and with typical inputs for each indicator direction — raising nothing and giving no
error value. A failure is reported as ``key path：message`` in Chinese, the key path being
the spec's key that produced the field (``indicators.rules.≤``, ``total.caps`` ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlkit.core.cache import BoundedCache
from xlkit.core.expr.tree import (
    Call,
    Expr,
    FormulaError,
    IsPercent,
    Op,
    PercentPoints,
    Ref,
    Refs,
    disallowed_in,
)
from xlkit.core.layout import Cell, Layout, build_layout
from xlkit.core.spec import DIRECTIONS, Spec

MAX_LENGTH = 8192  # characters of a formula (Excel 2010's limit)
MAX_NESTING = 64  # nested levels of functions (Excel 2010's limit)

#: results by the spec's digest: a spec is checked once per content, however often parsed
_CHECKED: BoundedCache = BoundedCache(128)


def formula_problems(spec: Spec, key: str | None = None) -> list[str]:
    """``path：message`` for each formula of ``spec``'s blank form the engines cannot take
    (``key``: the spec's digest, to check each content once)."""
    if key is not None:
        hit = _CHECKED.get(key)
        if hit is not None:
            return list(hit)
    try:
        lay = build_layout(spec)
    except (ValueError, KeyError) as exc:
        return [f"(表式)：无法排出表格（{exc}）"]
    problems = list(dict.fromkeys(_static(lay) + _evaluated(lay)))
    if key is not None:
        _CHECKED.put(key, tuple(problems))
    return problems


def key_path(spec: Spec, field: str, direction: str | None = None) -> str:
    """The spec key that produced formula field ``field``."""
    parts = field.split(".")
    head = parts[0]
    if head == "ind" and parts[-1] == "score":
        return f"indicators.rules.{direction}" if direction else "indicators.rules"
    if head == "grp" and len(parts) > 1 and parts[1].isdigit():
        return f"indicators.groups[{parts[1]}]"
    if head == "exec":
        return "funds.execution.rule" if parts[-1] == "score" else "funds.execution"
    if head == "total":
        return "total.caps" if spec.total_caps else "(总分)"
    if head == "card" and spec.scorecard and len(parts) > 1:
        return _card_path(spec, parts[1])
    return {"ind": "indicators", "funds": "funds", "grade": "grades", "quest": "questionnaire",
            "check": "(校验)", "people": "people"}.get(head, head)


def _card_path(spec: Spec, which: str) -> str:
    assert spec.scorecard is not None
    if which.startswith("g") and which[1:].isdigit():
        return f"scorecard.groups[{which[1:]}]"
    if which.isdigit():
        n = int(which)
        for gi, g in enumerate(spec.scorecard.groups):
            if n < len(g.items):
                return f"scorecard.groups[{gi}].items[{n}]"
            n -= len(g.items)
    return "scorecard"


def nesting(formula: str) -> int:
    """The deepest nesting of function calls in ``formula`` (string literals skipped)."""
    depth, deepest, stack, quoted = 0, 0, [], False
    prev = ""
    for ch in formula:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch == "(":
                fn = prev.isalnum() or prev in "_."
                stack.append(fn)
                depth += fn
                deepest = max(deepest, depth)
            elif ch == ")" and stack:
                depth -= stack.pop()
        prev = ch
    return deepest


def _static(lay: Layout) -> list[str]:
    out = []
    for name, cell in lay.fields.items():
        if cell.rule is None:
            continue
        where = key_path(lay.spec, name)
        try:
            formula = lay.formula(cell)
        except KeyError as exc:
            out.append(f"{where}：{name} 的公式引用了表上没有的字段（{exc.args[0]}）")
            continue
        bad = disallowed_in(formula)
        if bad:
            out.append(f"{where}：{name} 的公式用了 Excel 2010 / WPS 不支持的函数 "
                       f"{', '.join(sorted(bad))}")
        if len(formula) > MAX_LENGTH:
            out.append(f"{where}：{name} 的公式有 {len(formula)} 个字符，超过 Excel 的上限 "
                       f"{MAX_LENGTH}")
        n = nesting(formula)
        if n > MAX_NESTING:
            out.append(f"{where}：{name} 的公式嵌套 {n} 层函数，超过 Excel 2010 的上限 "
                       f"{MAX_NESTING} 层")
    return out


def _evaluated(lay: Layout) -> list[str]:
    """The blank form, then typical inputs (the indicator rows taking the directions in
    turn, so every direction's rule is evaluated once)."""
    out = []
    for what, values in (("空白表", {}), ("典型填报", _typical(lay))):
        for name, problem in _Values(lay, values).problems():
            d = values.get(name.rsplit(".", 1)[0] + ".direction")
            out.append(f"{key_path(lay.spec, name, d)}：{name} 的公式在{what}"
                       f"{f'（指标方向 {d}）' if d else ''}上{problem}")
    return out


def _typical(lay: Layout) -> dict[str, Any]:
    """Inputs a unit would type: money 100 (执行数 75: 执行率 75 %), weights 5, scores 4.5,
    指标值 100 and 实际完成值 130, the tier 达成; indicator row i of direction i mod 4."""
    ex = lay.spec.funds.execution
    executed = ex.executed_field if ex else None
    out: dict[str, Any] = {}
    for c in lay.cells:
        if c.kind != "input" or not c.field:
            continue
        direction = DIRECTIONS[int(c.field.split(".")[1]) % len(DIRECTIONS)] if (
            c.field.startswith("ind.") and c.field.split(".")[1].isdigit()) else None
        out[c.field] = _typical_value(c, direction, executed)
    return out


def _typical_value(c: Cell, direction: str | None, executed: str | None) -> Any:
    name = c.field or ""
    if c.vtype == "money":
        return 75.0 if name == executed else 100.0
    if c.vtype == "direction":
        return direction or "≥"
    if c.vtype == "tier":
        return "达成"
    if c.vtype == "weight":
        return 5.0
    if c.vtype == "score":
        return 4.5
    if c.vtype == "any":
        return 130.0 if name.endswith(".actual") else 100.0
    if c.vtype in ("count", "int", "number", "percent"):
        return 1.0
    if c.vtype == "choice":
        return c.choices[0] if c.choices else "是"
    if c.vtype == "date":
        return None
    return "文字"


class _Values(dict):
    """Every formula field evaluated on the tree, each once; what failed, by field."""

    def __init__(self, lay: Layout, values: Mapping[str, Any]) -> None:
        super().__init__()
        self.rules: dict[str, Expr] = {f: c.rule for f, c in lay.fields.items()
                                       if c.rule is not None}
        self.cells = lay.fields
        self.values = values
        self.failed: dict[str, str] = {}

    def get(self, name: str, default: Any = None) -> Any:
        if name in self:
            return self[name]
        rule = self.rules.get(name)
        if rule is None:
            if name in self.values:
                return self.values[name]
            cell = self.cells.get(name)
            return cell.value if cell is not None and cell.kind == "prefill" else default
        self[name] = None  # a circle reads blank rather than recursing
        try:
            self[name] = rule.evaluate(self)
        except FormulaError as exc:
            self[name] = exc
            self.failed.setdefault(name, f"得出错误值 {exc}")
        except (ArithmeticError, TypeError, ValueError, KeyError, RecursionError) as exc:
            self[name] = FormulaError("#VALUE!")
            self.failed.setdefault(name, f"无法计算（{type(exc).__name__}）")
        return self[name]

    def problems(self) -> list[tuple[str, str]]:
        """The fields that failed of themselves (not only because a field they read did)."""
        for name in self.rules:
            self.get(name)
        return [(n, p) for n, p in self.failed.items()
                if not reads(self.rules[n]) & self.failed.keys()]


def reads(e: Expr) -> set[str]:
    """The field names an expression reads."""
    if isinstance(e, Ref):
        return {e.name}
    if isinstance(e, Refs):
        return set(e.names)
    if isinstance(e, (PercentPoints, IsPercent)):
        return {e.ref.name}
    if isinstance(e, Op):
        return reads(e.a) | reads(e.b)
    if isinstance(e, Call):
        return set().union(*(reads(a) for a in e.args)) if e.args else set()
    return set()
