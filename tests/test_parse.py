"""Values as people type them (issue §3): every case parses, or says why not."""

from __future__ import annotations

import datetime as dt

import pytest

from xlkit.core.parse import parse_money, parse_value


@pytest.mark.parametrize("raw, value, unit, comparator", [
    ("1,488.78", 1488.78, "", None),
    ("12579.3097", 12579.3097, "", None),
    ("95%", 95, "%", None),
    ("0.95", 0.95, "", None),
    ("90%以上", 90, "%", "≥"),
    ("≥90%", 90, "%", "≥"),
    ("大于90%", 90, "%", ">"),
    ("不低于90%", 90, "%", "≥"),
    ("1000万元", 1000, "万元", None),
    ("2次以上", 2, "次", "≥"),
    ("60分钟以下", 60, "分钟", "≤"),
    ("１２３．５", 123.5, "", None),  # full-width digits
    ("＞＝９０％", 90, "%", "≥"),  # full-width symbols
    (" 12\n", 12, "", None),  # stray spaces and line breaks
    ("12,579.31", 12579.31, "", None),
    ("2455592人", 2455592, "人", None),
    ("≥ 90 %", 90, "%", "≥"),
    ("不超过5万元", 5, "万元", "≤"),
    (95, 95, "", None),
])
def test_numbers_with_comparator_and_unit(raw, value, unit, comparator):
    p = parse_value(raw)
    assert (p.kind, p.value, p.unit, p.comparator, p.problem) == ("number", value, unit,
                                                                   comparator, None)


def test_percent_formatted_cell_reads_as_the_percentage_shown():
    assert parse_value(0.95, percent_format=True).value == 95
    assert parse_value(0.95, percent_format=True).unit == "%"


@pytest.mark.parametrize("raw", ["有效保障", "逐步推开", "6月底", "年底前完成", "普遍知晓"])
def test_qualitative_text_stays_text(raw):
    p = parse_value(raw)
    assert (p.kind, p.value, p.problem, p.text) == ("text", None, None, raw)


@pytest.mark.parametrize("raw, problem", [
    ("55%-85%", "区间"), ("60%-70%", "区间"), ("#DIV/0!", "#DIV/0!"), ("#VALUE!", "#VALUE!"),
    ("2024.2.30", "日期无效"), ("90%以下以上", None),
])
def test_ambiguous_values_keep_the_raw_text_and_say_why(raw, problem):
    p = parse_value(raw)
    assert p.value is None and p.kind in ("text", "error")
    if problem:
        assert problem in p.problem and repr(raw).strip("'") in (p.problem + p.text)


@pytest.mark.parametrize("raw, iso", [("2024.5.20", "2024-05-20"), ("2022-06-27", "2022-06-27"),
                                      ("2024年5月20日", "2024-05-20"),
                                      (dt.datetime(2024, 5, 20), "2024-05-20")])
def test_dates_typed_as_text(raw, iso):
    p = parse_value(raw)
    assert (p.kind, p.text) == ("date", iso)


def test_money():
    assert parse_money("1,488.78").value == 1488.78
    assert parse_money("1000万元").value == 1000
    bad = parse_money("1000元")
    assert bad.value is None and "应为万元" in bad.problem and "'1000元'" in bad.problem
    assert "不是数字" in parse_money("一千").problem
    assert parse_money(None).kind == "blank"
    assert "比较" in parse_money("≥100").problem
