"""The scoring rules reproduce the seeds' own figures and behave at the edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlkit.core import scoring as s
from xlkit.core.expr.values import excel_round
from xlkit.core.spec import load_spec

GRADES = load_spec("project-2020").grades


def test_seed_001_execution_and_total():
    rate = s.execution_rate(1500, 828)
    assert rate == pytest.approx(0.552)
    assert s.execution_score(10, rate) == 5.52
    assert s.total_score([5.52, 10, 30, 10, 20, 10, 10]) == 95.52
    assert s.grade(95.52, GRADES) == "优"


def test_seed_002_rate_times_weight_items():
    assert s.rate_score(3, 12579.31, 12920.21) == 2.92  # form 1, 资金到位率
    # 投入 19.92 + 过程 18 + 产出 28 + 效果 29
    assert s.total_score([3, 4, 4, 2.92, 3, 3, 3, 3, 3, 3, 3, 3, 7, 7, 7, 7, 5, 4, 5, 5, 10]
                         ) == 94.92
    assert s.rate_score(3, 14.5, 18) == 2.42  # form 2, 预算执行率
    assert s.total_score([19.42, 20, 30, 30]) == 99.42


def test_execution_rate_is_empty_not_an_error_without_a_budget():
    assert s.execution_rate(0, 100) is None
    assert s.execution_rate(None, 100) is None
    assert s.execution_rate(100, None) is None
    assert s.execution_score(10, None) is None
    assert s.execution_score(10, 1.3) == 10  # over-execution is capped


@pytest.mark.parametrize("direction, target, actual, weight, rule, expected", [
    ("≥", 100, 26.7, 10, "ratio", 2.67),
    ("≥", 80, 100, 20, "ratio", 20),
    ("≥", 0, 5, 10, "ratio", 10),
    ("≤", 60, 60, 10, "ratio", 10),
    ("≤", 60, 90, 10, "ratio", 6.67),
    ("≤", 60, 90, 10, "linear", 5),
    ("≤", 60, 120, 10, "linear", 0),
    ("≤", 60, 0, 10, "ratio", 10),
    ("≤", 0, 3, 10, "ratio", 0),
    ("=", 343, 343, 8, "ratio", 8),
    ("=", 343, 342, 8, "ratio", 0),
    ("≥", None, 5, 10, "ratio", None),
    ("≥", 100, "已完成", 10, "ratio", None),
    (None, 100, 90, 10, "ratio", None),
])
def test_quantitative_indicators(direction, target, actual, weight, rule, expected):
    assert s.indicator_score(direction, target, actual, weight, reverse_rule=rule) == expected


def test_qualitative_score_is_entered_and_checked_against_its_tier():
    assert s.indicator_score("定性", "较好", "好", 10, 10) == 10
    assert s.indicator_score("定性", "较好", "好", 10, None) is None
    assert s.tier_ok("达成", 8, 10) and s.tier_ok("达成", 10, 10)
    assert not s.tier_ok("达成", 7.9, 10)
    assert s.tier_ok("部分达成", 6, 10) and not s.tier_ok("部分达成", 8, 10)
    assert s.tier_ok("未达成", 0, 10) and not s.tier_ok("未达成", 6, 10)


@pytest.mark.parametrize("total, grade", [(90, "优"), (89.99, "良"), (80, "良"), (79.5, "中"),
                                          (60, "中"), (59.99, "差"), (0, "差"), (None, None)])
def test_grade_bands(total, grade):
    assert s.grade(total, GRADES) == grade


def test_excel_round_is_half_away_from_zero():
    assert excel_round(2.675, 2) == 2.68  # Python's round gives 2.67
    assert excel_round(0.125, 2) == 0.13
    assert excel_round(-0.125, 2) == -0.13
    assert excel_round(5.52, 2) == 5.52


MONEY = st.one_of(st.just(0.0), st.floats(0.01, 1e7))  # amounts in 万元 (元 / 10000 at least)


@given(MONEY, MONEY, st.sampled_from([5, 10, 20]))
def test_execution_score_is_between_0_and_weight(budget, executed, weight):
    rate = s.execution_rate(budget, executed)
    score = s.execution_score(weight, rate)
    if budget == 0:
        assert rate is None and score is None
    else:
        assert 0 <= score <= weight


MEASURE = st.one_of(st.just(0.0), st.floats(1e-6, 1e6))  # indicator values as people type them


@given(st.sampled_from(["≥", "≤", "="]), MEASURE, MEASURE,
       st.integers(0, 50), st.sampled_from(["ratio", "linear"]))
def test_indicator_score_never_exceeds_its_weight(direction, target, actual, weight, rule):
    score = s.indicator_score(direction, target, actual, weight, reverse_rule=rule)
    assert 0 <= score <= weight
