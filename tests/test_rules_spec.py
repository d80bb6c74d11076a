"""The rules' YAML surface (indicators.rules / deviation, funds.execution.rule, total.caps):
today's templates unchanged, every mistake refused with its key path in Chinese, and a
formula the engines cannot evaluate refused after parsing (xlkit.core.formulacheck)."""

from __future__ import annotations

import copy

import pytest
import yaml

from xlkit.core import formulacheck, rulekinds
from xlkit.core.expr.tree import Lit
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec, parse_spec, templates_dir
from xlkit.findings import InputError


def _data(spec_id: str = "project-2020") -> dict:
    return yaml.safe_load((templates_dir() / f"{spec_id}.yaml").read_text(encoding="utf-8"))


def _problems(data: dict) -> list[str]:
    try:
        parse_spec(data, "test")
    except InputError as exc:
        return list(exc.problems)
    return []


def _with(edit, spec_id: str = "project-2020") -> list[str]:
    data = copy.deepcopy(_data(spec_id))
    edit(data)
    return _problems(data)


def test_todays_templates_keep_todays_rules():
    spec = load_spec("project-2020")
    assert [spec.indicators.rule(d).kind for d in ("≥", "≤", "=", "定性")] == [
        "proportional", "reverse_ratio", "equal", "tiers"]
    assert spec.indicators.deviation is None and spec.total_caps is None
    assert spec.funds.execution.rule is None


def test_rules_by_direction_with_aliases_and_the_shorthand():
    data = _data()
    del data["indicators"]["reverse_rule"]
    data["indicators"]["rules"] = {"反向": {"kind": "reverse_linear"},
                                   "正向": {"kind": "band", "low": 90, "high": 110}}
    spec = parse_spec(data, "t")
    assert spec.indicators.rule("≤").kind == "reverse_linear"
    assert spec.indicators.reverse_rule == "linear"  # what the 填报说明 says
    assert spec.indicators.rule("≥").params["low"] == 90
    assert spec.indicators.rule("=").kind == "equal"  # not declared: today's


def _rules(**rules):
    def edit(d):
        d["indicators"].pop("reverse_rule", None)
        d["indicators"]["rules"] = rules
    return edit


@pytest.mark.parametrize("edit,message", [
    (_rules(**{"≤": {"kind": "reverse_linar"}}),
     "indicators.rules.≤.kind：未知的规则种类 'reverse_linar'，是否应为 reverse_linear？"),
    (_rules(**{"≥": {"kind": "deduction", "per": 1}}),
     "indicators.rules.≥.kind：deduction（按次扣分）不能用在这里"),
    (_rules(**{"定性": {"kind": "proportional"}}), "indicators.rules.定性.kind：proportional"),
    (_rules(**{"大于": {"kind": "proportional"}}), "indicators.rules.大于：'大于' 不是指标方向"),
    (_rules(**{"≥": {"kind": "band"}}), "indicators.rules.≥：区间（band）至少要写 low 或 high"),
    (_rules(**{"≥": {"kind": "proportional", "cap": "是"}}),
     "indicators.rules.≥.cap：应为 true 或 false"),
    (lambda d: d["indicators"].update(rules={"≤": {"kind": "reverse_linear"}}),
     "indicators.reverse_rule：与 rules 中 ≤ 的规则重复"),
    (lambda d: d["indicators"].update(deviation={"above": "30%"}),
     "indicators.deviation.above：应为数字"),
    (lambda d: d["indicators"].update(deviation={"kind": "band", "low": 1}),
     "indicators.deviation.kind：band（区间）不能用在这里"),
    (lambda d: d["indicators"].update(deviation={"points": 2, "pionts": 1}),
     "indicators.deviation.pionts：偏离扣分（deviation）没有这个参数是否应为 points？"),
    (lambda d: d["funds"]["execution"].update(rule={"cap": "否"}),
     "funds.execution.rule.cap：应为 true 或 false"),
    (lambda d: d["funds"]["execution"].update(rule={"kind": "ratio"}),
     "funds.execution.rule.kind：ratio（比率）不能用在这里"),
    (lambda d: d.update(total={"caps": [{"below": 80}]}), "total.caps[0].max：必须填写"),
    (lambda d: d.update(total={"caps": [{"below": 80, "max": 89}], "floor": 1}),
     "total.floor：未知的键"),
    (lambda d: d.update(total={"caps": []}), "total.caps：应为非空列表"),
    (lambda d: (d["funds"].pop("execution"), d.update(total={"caps": [{"below": 80, "max": 89}]})),
     "total.caps：按执行率封顶总分需要执行率：请先写 funds.execution"),
])
def test_rule_mistakes_are_refused_with_their_key_path(edit, message):
    problems = _with(edit)
    assert any(p.startswith(message) for p in problems), problems


def test_province_variant_loads_and_lays_out():
    lay = build_layout(load_spec("project-2020-province"))
    assert "MIN(" in lay.formula(lay.fields["total"])
    assert formulacheck.formula_problems(lay.spec) == []


def test_a_formula_nested_too_deep_is_refused_naming_its_key():
    caps = [{"below": 99 - i, "max": 99 - i} for i in range(70)]
    problems = _with(lambda d: d.update(total={"caps": caps}))
    assert any(p.startswith("total.caps：total 的公式嵌套") and "64" in p for p in problems), \
        problems


def test_a_formula_too_long_is_refused(monkeypatch):
    monkeypatch.setattr(formulacheck, "MAX_LENGTH", 600)
    problems = _with(lambda d: d.update(id="too-long-test"))
    assert any(p.startswith("indicators.rules：ind.0.score 的公式有") and "超过 Excel 的上限 600"
               in p for p in problems), problems


def test_a_formula_that_fails_in_python_is_refused_naming_the_direction(monkeypatch):
    def broken(rule, w, v):
        return w / (v - v)  # #DIV/0! once a value is typed

    monkeypatch.setattr(rulekinds, "_band", broken)
    problems = _with(lambda d: (d.update(id="div0-test"), d["indicators"].update(
        rules={"≥": {"kind": "band", "low": 1}})))
    assert "indicators.rules.≥：ind.0.score 的公式在典型填报（指标方向 ≥）上得出错误值 #DIV/0!" \
        in problems, problems
    assert not any(p.startswith(("(总分)", "indicators.groups")) for p in problems), problems


def test_nesting_counts_functions_not_brackets():
    assert formulacheck.nesting('=IF(A1>0,ROUND((A1+1)*2,2),"(((")') == 2
    assert formulacheck.nesting("=((1+2))") == 0


def test_disallowed_function_is_named(monkeypatch):
    from xlkit.core.expr.tree import Call

    monkeypatch.setattr(rulekinds, "_band", lambda rule, w, v: Call("MAXIFS", (w, Lit(1))))
    problems = _with(lambda d: (d.update(id="maxifs-test"),
                                d["indicators"].update(rules={"≥": {"kind": "band",
                                                                    "low": 1}})))
    assert any("不支持的函数 MAXIFS" in p and p.startswith("indicators.rules") for p in problems)


def test_rule_guide_lines_say_what_the_province_declares():
    from xlkit.core import ruleguide

    spec = load_spec("project-2020-province")
    lines = ruleguide.rule_lines(spec)
    assert any("偏离扣分" in x and "30%" in x and "扣 2 分" in x for x in lines)
    assert any("执行率 70%–80% 的总分最高 89 分" in x for x in lines)
    assert "不封顶" in ruleguide.execution_line(spec)
    assert ruleguide.rule_lines(load_spec("project-2020")) == []
