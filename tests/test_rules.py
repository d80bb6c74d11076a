"""Rules are data: YAML rules over the joined columns, run by a safe evaluator."""

from __future__ import annotations

import pytest

from xlkit.findings import InputError
from xlkit.round.rules import Missing, RuleError, builtin_rules, load_rules, render, rule_from


def rule(check: str, **kw):
    return rule_from({"id": "t", "check": check, "message": kw.pop("message", "x"), **kw})


def test_builtin_rules_load():
    ids = {r.id for r in builtin_rules()}
    assert {"final.spent", "final.dept.project", "indicator.full_marks_missed"} <= ids
    # the list's fund cells are compared by reconcile over the spec's cells (budget.fund)
    assert not any(i.startswith("budget.") for i in ids)


@pytest.mark.parametrize("check, row, ok", [
    ("executed <= budget_full_year", {"executed": 10, "budget_full_year": 12}, True),
    ("executed <= budget_full_year", {"executed": 13, "budget_full_year": 12}, False),
    ("abs(executed - final_spent) <= 0.01", {"executed": 10, "final_spent": 10.005}, True),
    ("direction in ('≥', '≤') and actual > 1", {"direction": "≥", "actual": 2}, True),
    ("not blank(name)", {"name": ""}, False),
    ("coalesce(a, 0) + 1 == 1", {"a": None}, True),
    ("round(x / 3, 2) == 0.33", {"x": 1}, True),
    ("'a' + b == 'ab'", {"b": "b"}, True),
])
def test_expressions(check, row, ok):
    assert bool(rule(check).evaluate("check", row)) is ok


def test_blank_values_make_a_rule_not_apply():
    with pytest.raises(Missing):
        rule("executed <= budget").evaluate("check", {"executed": None, "budget": 3})
    with pytest.raises(Missing):
        rule("a / b > 1").evaluate("check", {"a": 1, "b": 0})


def test_close_uses_the_rules_tolerance():
    r = rule("close(a, b)", tolerance={"abs": 0.01, "rel": 0.001})
    assert r.evaluate("check", {"a": 100, "b": 100.009})
    assert r.evaluate("check", {"a": 100000, "b": 100090})  # 0.1% relative
    assert not r.evaluate("check", {"a": 100, "b": 100.2})


@pytest.mark.parametrize("check, why", [
    ("__import__('os').system('echo hi')", "只能调用"),
    ("executed.__class__", "Attribute"),
    ("(lambda: 1)()", "只能调用|Lambda"),
    ("[x for x in y]", "ListComp"),
    ("a[0]", "Subscript"),
    ("open('/etc/passwd')", "只能调用"),
    ("2 ** 99999", "Pow"),
    ("executed <=", "语法错误"),
])
def test_unsafe_or_broken_expressions_are_refused(check, why):
    with pytest.raises(RuleError, match=why):
        rule(check)


def test_string_repetition_cannot_eat_memory():
    with pytest.raises(RuleError, match="文字只能用"):
        rule("'x' * n == ''").evaluate("check", {"n": 10 ** 9})


def test_message_templates_fill_names_only():
    assert render("{a} 与 {b:.2f}", {"a": "甲", "b": 1.234}) == "甲 与 1.23"
    assert render("{a}", {"a": None}) == "（空）"
    for bad in ("{a.__class__}", "{a[0]}", "{a!r}", "{a:>999999}"):
        with pytest.raises(RuleError):
            rule("True", message=bad)


def test_load_rules_reports_broken_ones_and_keeps_the_rest(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("""
rules:
  - id: own.ok
    check: executed <= budget_full_year
    message: 执行数 {executed} 超过预算 {budget_full_year}
  - id: own.bad_syntax
    check: executed <=
    message: x
  - id: own.bad_severity
    severity: 严重
    check: "True"
    message: x
  - {id: own.ok, check: "True", message: dup}
""", encoding="utf-8")
    rules, broken = load_rules(path)
    assert [r.id for r in rules] == ["own.ok"]
    assert any(b.startswith("规则 own.bad_syntax：") and "语法错误" in b for b in broken)
    assert any(b.startswith("规则 own.bad_severity：") and "严重" in b for b in broken)
    assert any("own.ok" in b and "重复" in b for b in broken)
    with pytest.raises(InputError, match="找不到规则文件"):
        load_rules(tmp_path / "none.yaml")
