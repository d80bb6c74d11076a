"""Compiled rules (xlkit.program) give exactly what walking the expression trees gives.

``Layout.evaluate`` runs the rules compiled; ``walk=True`` walks the trees, the reference.
Both are compared on every built-in form and on random expressions, with the inputs a unit
may type and the odd ones no unit should (texts, booleans, huge and infinite numbers, lists).
Values must agree in type and representation (so -0.0 is not 0.0), errors in type and text.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import ISSUE, TARGETS

from xlkit.core.expr import tree as F
from xlkit.core.expr.compile import compile_rule
from xlkit.core.expr.values import FUNCTIONS
from xlkit.core.layout import build_layout
from xlkit.core.spec import builtin_specs, load_spec

ODD = [None, "", " ", "abc", "12", " 3.5 ", "TRUE", "false", "≥", "≤", "=", "定性", "达成", "部分达成",
       "未达成", "%", True, False, 0, 1, -1, 10**400, 0.0, -0.0, 1e-9, 2.5, 1e308, math.inf,
       -math.inf, math.nan, [1, "2", None], (3.0,), F.FormulaError("#DIV/0!")]
VALUES = st.one_of(st.sampled_from(ODD), st.floats(allow_nan=True), st.integers(-1000, 1000),
                   st.text(max_size=4))


def outcome(fn) -> Any:
    """A comparable picture of a result: values with their types, or the exception."""
    try:
        got = fn()
    except Exception as exc:  # noqa: BLE001 - the very exception is what is compared
        return ("raised", type(exc).__name__, str(exc))
    return picture(got)


def picture(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: picture(x) for k, x in v.items()}
    if isinstance(v, Exception):
        return ("error", type(v).__name__, str(v))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [picture(x) for x in v])
    return (type(v).__name__, repr(v))


LAYOUTS = [build_layout(spec, {"year": 2023}) for spec in builtin_specs()] + [
    build_layout(load_spec("project-2020"), ISSUE, TARGETS)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.spec.id)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_compiled_layouts_evaluate_as_the_trees(layout, data):
    fields = [f for f, c in layout.fields.items() if c.kind in ("input", "prefill")]
    values = {f: data.draw(VALUES, label=f) for f in fields if data.draw(st.booleans())}
    # percent-formatted cells (PercentPoints): any value, flagged or not
    values.update({F.percent_flag(f): data.draw(st.sampled_from((True, False, None, 1, "")))
                   for f in sorted(layout.percent_fields()) if data.draw(st.booleans())})
    assert outcome(lambda: layout.evaluate(values)) == \
        outcome(lambda: layout.evaluate(values, walk=True))
    assert outcome(lambda: layout.evaluate(values, read=True)) == \
        outcome(lambda: layout.evaluate(values, walk=True, read=True))


def test_typical_inputs_evaluate_as_the_trees():
    layout = LAYOUTS[-1]
    values = {"funds.total.executed": 1200.0, "ind.0.actual": 80.0, "ind.1.tier": "达成",
              "ind.1.qscore": 27.0, "ind.3.actual": 90.0, "ind.2.tier": "部分达成",
              "ind.2.qscore": 20.0}
    got = layout.evaluate(values)
    assert picture(got) == picture(layout.evaluate(values, walk=True))
    assert got["ind.0.score"] == 16.0 and got["exec.rate"] == 0.8


# --------------------------------------------------------------- random expressions

NAMES = ("a", "b", "c")


def exprs() -> st.SearchStrategy[F.Expr]:
    leaves = st.one_of(st.sampled_from([F.Ref(n) for n in NAMES]),
                       st.sampled_from([F.Lit(v) for v in (0, 1, 2, 0.5, -1, "", "x", "≥", True,
                                                            False, 10**400, math.inf)]),
                       st.just(F.Refs(NAMES)))

    def grow(children):
        ops = st.sampled_from(["+", "-", "*", "/", "&", "=", "<>", "<", "<=", ">", ">=", "^"])
        fns = st.sampled_from(sorted(FUNCTIONS) + ["IF", "IFERROR", "COUNTA"])
        return st.one_of(
            st.builds(F.Op, ops, children, children),
            st.builds(lambda fn, args: F.Call(fn, tuple(args)), fns,
                      st.lists(children, min_size=1, max_size=3)))

    return st.recursive(leaves, grow, max_leaves=12)


@settings(max_examples=1500, deadline=None)
@given(expr=exprs(), values=st.fixed_dictionaries({}, optional={n: VALUES for n in NAMES}))
def test_compiled_expressions_evaluate_as_the_trees(expr, values):
    fn, names, defaults = compile_rule(expr, lambda name: False, lambda name: None)
    assert outcome(lambda: fn(values.get, values, names, defaults)) == \
        outcome(lambda: expr.evaluate(values))


def test_deep_rules_are_walked():
    deep: F.Expr = F.Lit("")
    for i in range(200):
        deep = F.IF(F.Ref("a").eq(i), f"#{i}", deep)
    fn, names, defaults = compile_rule(deep, lambda name: False, lambda name: None)
    assert fn(None, {"a": 150}, names, defaults) == "#150"
