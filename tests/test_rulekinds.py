"""Rule kinds as data (xlkit.core.rulekinds): each kind against hand-computed figures of
issue 14's text, its parameters refused with their key paths, its formula Excel 2010 safe."""

from __future__ import annotations

import pytest

from xlkit.core import rulekinds as rk
from xlkit.core.expr.tree import ALLOWED_FUNCTIONS, Ref

W = Ref("weight")


def rule(data: dict) -> rk.RuleSpec:
    problems: list[str] = []
    got = rk.parse_rule(data, "r", lambda p, m: problems.append(f"{p}：{m}"))
    assert got is not None, problems
    return got


def score(data: dict, weight, deviation: dict | None = None, **inputs):
    r = rule(data)
    names = rk.needs(r) + (("target", "actual") if deviation else ())
    e = rk.score_expr(r, W, rk.ref_inputs(tuple(dict.fromkeys(names))),
                      rule(deviation) if deviation else None)
    assert e.functions() <= ALLOWED_FUNCTIONS
    v = e.evaluate({"weight": weight, **inputs})
    return None if v == "" else v


def problems_of(data) -> list[str]:
    out: list[str] = []
    rk.parse_rule(data, "indicators.rules.≤", lambda p, m: out.append(f"{p}：{m}"))
    return out


@pytest.mark.parametrize("actual,target,expected", [
    (100, 100, 10), (120, 100, 10), (87, 100, 8.7), (2, 3, 6.67), (0, 100, 0),
    (None, 100, None), (5, 0, 10), (-1, 0, 0)])
def test_proportional_full_at_target_else_rounded_share(actual, target, expected):
    assert score({"kind": "proportional"}, 10, actual=actual, target=target) == expected


def test_proportional_uncapped_goes_above_the_weight():
    assert score({"kind": "proportional", "cap": False}, 10, actual=130, target=100) == 13
    assert score({"kind": "proportional", "round": None}, 3, actual=1, target=3) == 1.0
    assert score({"kind": "proportional", "round": 0}, 10, actual=87, target=100) == 9


@pytest.mark.parametrize("actual,expected", [(80, 10), (100, 10), (150, 5), (200, 0),
                                             (260, 0), (125, 7.5)])
def test_reverse_linear(actual, expected):
    assert score({"kind": "reverse_linear"}, 10, actual=actual, target=100) == expected


@pytest.mark.parametrize("actual,expected", [(80, 10), (100, 10), (200, 5), (300, 3.33)])
def test_reverse_ratio(actual, expected):
    assert score({"kind": "reverse_ratio"}, 10, actual=actual, target=100) == expected


def test_equal_and_a_zero_target():
    assert score({"kind": "equal"}, 5, actual=3, target=3) == 5
    assert score({"kind": "equal"}, 5, actual=3.1, target=3) == 0
    assert score({"kind": "equal"}, 5, actual=-1, target=0) == 0  # today: equal only
    assert score({"kind": "equal", "zero_at_most": True}, 5, actual=-1, target=0) == 5
    assert score({"kind": "equal", "zero_at_most": True}, 5, actual=0, target=0) == 5
    assert score({"kind": "equal", "zero_at_most": True}, 5, actual=1, target=0) == 0


def test_tiers_and_entered_take_the_entered_score():
    assert score({"kind": "tiers"}, None, score=8.5) == 8.5  # no weight needed
    assert score({"kind": "tiers"}, 10, score=None) is None
    assert score({"kind": "entered"}, 4, score=3.5) == 3.5
    assert score({"kind": "entered"}, 4, score=5) == 4
    assert score({"kind": "entered", "max": 2}, 0, score=3) == 2


@pytest.mark.parametrize("value,expected", [(90, 4), (110, 4), (100, 4), (89.9, 0),
                                            (111, 0), (None, None)])
def test_band_seed_003_payment_progress_90_to_110(value, expected):
    assert score({"kind": "band", "low": 90, "high": 110}, 4, value=value) == expected


def test_band_one_sided_and_exclusive():
    assert score({"kind": "band", "high": 20}, 4, value=20) == 4  # 预算调整率 ≤ 20%
    assert score({"kind": "band", "high": 20}, 4, value=20.5) == 0
    cover = {"kind": "band", "low": 50, "low_inclusive": False}  # 评价覆盖率 > 50% 满分
    assert score(cover, 2, value=50) == 0
    assert score(cover, 2, value=50.01) == 2


def test_band_per_point_outside_floor_zero():
    r = {"kind": "band", "low": 90, "high": 110, "per": 0.5}
    assert score(r, 4, value=86) == 2  # 4 points below: 4 × 0.5
    assert score(r, 4, value=113) == 2.5
    assert score(r, 4, value=50) == 0


def test_ratio_and_one_minus_ratio():
    assert score({"kind": "ratio"}, 2, numerator=45, denominator=50) == 1.8  # 还本付息
    assert score({"kind": "ratio"}, 2, numerator=60, denominator=50) == 2
    assert score({"kind": "ratio", "cap": False}, 2, numerator=60, denominator=50) == 2.4
    assert score({"kind": "ratio"}, 2, numerator=1, denominator=0) is None
    assert score({"kind": "one_minus_ratio"}, 2, numerator=10, denominator=40) == 1.5
    assert score({"kind": "one_minus_ratio"}, 2, numerator=50, denominator=40) == 0


@pytest.mark.parametrize("count,expected", [(0, 2), (1, 1.5), (3, 0.5), (4, 0), (9, 0),
                                            (None, None)])
def test_deduction_until_used_up(count, expected):
    assert score({"kind": "deduction", "per": 0.5}, 2, count=count) == expected


def test_deduction_floor_and_bonus_cap():
    assert score({"kind": "deduction", "per": 1, "floor": 1}, 3, count=5) == 1
    # 本项可扣至负分 / 扣分下不保底
    assert score({"kind": "deduction", "per": 0.5, "floor": "none"}, 2, count=7) == -1.5
    assert score({"kind": "deduction", "per": 0.5, "floor": -1}, 2, count=7) == -1
    assert "扣分下不保底" in rk.describe(rule({"kind": "deduction", "per": 0.5, "floor": "none"}))
    assert score({"kind": "bonus", "per": 0.5, "cap": 2}, 0, count=3) == 1.5
    assert score({"kind": "bonus", "per": 0.5, "cap": 2}, 0, count=6) == 2  # 加分以 2 分封顶
    assert score({"kind": "bonus", "cap": 2}, 0, score=2.5) == 2  # an entered bonus


@pytest.mark.parametrize("actual,expected", [(129, 10), (130, 8), (160, 8), (100, 10),
                                             (50, 5)])
def test_deviation_30_percent_above_loses_2(actual, expected):
    dev = {"kind": "deviation"}
    assert score({"kind": "proportional"}, 10, dev, actual=actual, target=100) == expected


def test_deviation_exactly_30_percent_despite_binary_noise():
    dev = {"kind": "deviation", "points": 1}
    assert score({"kind": "proportional"}, 3, dev, actual=3.9, target=3) == 2  # 3.9 = 1.3 × 3
    assert score({"kind": "proportional"}, 1, dev, actual=1, target=1) == 1
    assert score({"kind": "proportional"}, 1, dev, actual=2, target=1) == 0  # not below 0


@pytest.mark.parametrize("rate,cap,expected", [(0.552, True, 5.52), (1.3, True, 10),
                                               (1.3, False, 13), (None, True, None),
                                               (-0.1, False, 0)])
def test_execution_score(rate, cap, expected):
    e = rk.execution_expr(rule({"kind": "execution", "cap": cap}), W, Ref("rate"))
    v = e.evaluate({"weight": 10, "rate": rate})
    assert (None if v == "" else v) == expected


CAPS = {"kind": "total_caps", "caps": [{"below": 80, "max": 89}, {"below": 70, "max": 79},
                                       {"below": 60, "max": 69}, {"below": 50, "max": 59}]}


@pytest.mark.parametrize("rate,expected", [(0.8, 95), (0.79, 89), (0.7, 89), (0.69, 79),
                                           (0.6, 79), (0.5, 69), (0.49, 59), (0.0, 59),
                                           (None, 95), (1.2, 95)])
def test_total_caps_by_execution_band(rate, expected):
    e = rk.capped_total(rule(CAPS), Ref("total"), Ref("rate"))
    assert e.evaluate({"total": 95, "rate": rate}) == expected
    assert e.evaluate({"total": 50, "rate": rate}) == 50


def test_default_rules_are_todays():
    d = rk.default_rules("linear")
    assert [d[k].kind for k in ("≥", "≤", "=", "定性")] == [
        "proportional", "reverse_linear", "equal", "tiers"]
    assert rk.default_rules()["≤"].kind == "reverse_ratio"
    assert rule({"kind": "proportional"}) == d["≥"] and hash(rule({"kind": "proportional"}))


@pytest.mark.parametrize("data,message", [
    ({"kind": "reverse_linar"}, "indicators.rules.≤.kind：未知的规则种类 'reverse_linar'，"
                                "是否应为 reverse_linear？"),
    ({}, "indicators.rules.≤.kind：必须填写"),
    ("linear", "indicators.rules.≤：应为映射"),
    ({"kind": "deduction"}, "indicators.rules.≤.per：必须填写（每次扣的分数）"),
    ({"kind": "deduction", "per": -1}, "indicators.rules.≤.per：-1 超出范围"),
    ({"kind": "deduction", "per": "半分"}, "indicators.rules.≤.per：应为数字"),
    ({"kind": "deduction", "per": 1, "floor": "无"}, "indicators.rules.≤.floor：应为数字或 none"),
    ({"kind": "band"}, "indicators.rules.≤：区间（band）至少要写 low 或 high 之一"),
    ({"kind": "band", "low": 110, "high": 90}, "indicators.rules.≤.low：下限 110 大于上限 90"),
    ({"kind": "band", "high": 20, "per": 1, "high_inclusive": False},
     "indicators.rules.≤.per：按差距扣分"),
    ({"kind": "proportional", "cap": "yes"}, "indicators.rules.≤.cap：应为 true 或 false"),
    ({"kind": "proportional", "round": 9}, "indicators.rules.≤.round：应为 0 至 6 的整数"),
    ({"kind": "proportional", "caps": True}, "indicators.rules.≤.caps：正向比例（proportional）"
                                            "没有这个参数是否应为 cap？"),
    ({"kind": "deviation", "directions": ["<"]}, "indicators.rules.≤.directions：应为 ≥ / ≤ / ="),
    ({"kind": "total_caps"}, "indicators.rules.≤.caps：必须填写"),
    ({"kind": "total_caps", "caps": [{"below": 80}]}, "indicators.rules.≤.caps[0].max：必须填写"),
    ({"kind": "total_caps", "caps": [{"below": 180, "max": 1}]},
     "indicators.rules.≤.caps[0].below：180 应在 0（不含）至 100 之间"),
    ({"kind": "total_caps", "caps": [{"below": 80, "max": 70}, {"below": 60, "max": 79}]},
     "indicators.rules.≤.caps：执行率越低封顶应越低"),
    ({"kind": "total_caps", "caps": [{"below": 80, "max": 70, "min": 1}]},
     "indicators.rules.≤.caps[0].min：未知的键"),
])
def test_bad_parameters_are_refused_with_their_key_path(data, message):
    got = problems_of(data)
    assert any(p.startswith(message) for p in got), got


def test_every_kind_is_documented_and_described():
    for name, kind in rk.KINDS.items():
        assert kind.title and kind.description and kind.name == name
        for p in kind.params:
            assert p.meaning
    assert rk.describe(rule({"kind": "band", "low": 90, "high": 110})).startswith("区间：")
    assert rk.describe(rule({"kind": "deduction", "per": 0.5})) == "按次扣分：每次扣 0.5 分，扣完为止"
    assert rk.describe(rule({"kind": "band", "low": 90, "high": 110, "per": 0.1})) == (
        "区间：数值不低于 90且不高于 110得满分；否则每差 1 扣 0.1 分，扣完为止")
    assert rk.describe(rule({"kind": "band", "low": 50, "low_inclusive": False})) == (
        "区间：数值高于 50得满分；否则不得分")
    assert rk.describe(rule({"kind": "bonus", "per": 0.2, "cap": 2})) == (
        "加分：每次加 0.2 分，加分以 2 分封顶")
    assert rk.describe(rule({"kind": "equal", "zero_at_most": True})).endswith(
        "（目标为 0 时，实际 ≤ 0 即得满分）")


def test_needs_and_bounds():
    assert rk.needs(rule({"kind": "bonus", "cap": 2})) == ("score",)
    assert rk.needs(rule({"kind": "bonus", "per": 1, "cap": 2})) == ("count",)
    assert rk.needs(rule({"kind": "ratio"})) == ("numerator", "denominator")
    assert rk.score_bounds(rule({"kind": "bonus", "cap": 2}), 0) == (0.0, 2)
    assert rk.score_bounds(rule({"kind": "proportional", "cap": False}), 5) == (0.0, None)
    with pytest.raises(ValueError):
        rk.score_expr(rule({"kind": "execution"}), W, {"rate": Ref("rate")})
