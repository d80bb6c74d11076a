"""What the unit sees is what the office gets (issue 11, items 1-3): the cases measured.

Returns filled as people fill them — 全年执行数 pasted as the text "12,579.31", 实际完成值 as
"2455592人" and "95%" (text), "97%" typed as Excel stores it (0.97 in the %-formatted cell of a
计量单位 % row), a plain 97, "905" for a percentage — are read through ``xlkit.read_workbook``
and recalculated by LibreOffice. The sheet's figures (LibreOffice's) are the reader's as-shown
figures (``ReadResult.shown``); where the recomputed ones differ there is a finding at that
cell naming the entry; a LibreOffice re-save is no calc.stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from engine import recalculate, soffice
from workbooks import ISSUE, cell, name_map, values_by_field

from xlkit import read_workbook
from xlkit.build import build_workbook, write_atomic
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec

KEY = b"as-shown-test-key"
ISSUE_T = dict(ISSUE, funds={("total", "initial"): 12646.0, ("total", "full_year"): 12646.0})
TARGETS_T = [
    {"level1": "产出指标", "level2": "数量指标", "name": "参保人数", "direction": "≥",
     "target": 2400000, "unit": "人", "weight": 20},
    {"level1": "产出指标", "level2": "时效指标", "name": "医疗补助发放及时性", "direction": "定性",
     "target": "及时拨付", "unit": "", "weight": 30},
    {"level1": "效益指标", "level2": "社会效益指标", "name": "社会稳定性", "direction": "定性",
     "target": "较好", "unit": "", "weight": 30},
    {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "参保对象满意度",
     "direction": "≥", "target": 97, "unit": "%", "weight": 10},
]
BASE = {"funds.total.executed": 12579.31, "ind.0.actual": 2455592,
        "ind.1.tier": "达成", "ind.1.qscore": 30, "ind.1.actual": "及时拨付",
        "ind.2.tier": "达成", "ind.2.qscore": 30, "ind.2.actual": "较好",
        "goals.expected": "保障", "goals.actual": "已保障",
        "signoff.0": "刘纪", "signoff.1": "6501871", "signoff.2": "2024-05-20"}
GENERAL = "General"
CASES: dict[str, dict[str, Any]] = {
    # pasted text where numbers belong: the sheet counts none of them
    "text": {"funds.total.executed": "12,579.31", "ind.0.actual": "2455592人",
             "ind.3.actual": "95%"},
    # "97%" typed in Excel or WPS (or 97 typed into the %-formatted cell): 0.97, shown 97%
    "excel_percent": {"ind.3.actual": 0.97},
    # 97 in a cell whose percent format the unit cleared
    "plain": {"ind.3.actual": (97, GENERAL)},
    # "905" for a percentage: a typo, scored alike on the sheet and by the reader
    "905": {"ind.3.actual": (905, GENERAL)},
    "905_percent": {"ind.3.actual": 9.05},
}


def _fill(issued: Path, dst: Path, values: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(issued)
    names = name_map(wb)
    for fld, v in values.items():
        c = cell(wb, fld, names)
        if isinstance(v, tuple):
            c.value, c.number_format = v
        else:
            c.value = v
    wb.save(dst)


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("as_shown")
    built = build_workbook(load_spec("project-2020"), ISSUE_T, TARGETS_T, key=KEY,
                           password="pw")
    issued = tmp / "issued.xlsx"
    write_atomic(issued, built.data)
    out = {}
    for name, values in CASES.items():
        out[name] = tmp / f"{name}.xlsx"
        _fill(issued, out[name], {**BASE, **values})
    return out


def _by(r, code: str) -> dict[str, Any]:
    return {f.field: f for f in r.findings if f.code == code}


def test_percent_rows_issue_their_actual_cell_formatted_as_percent(returns):
    wb = openpyxl.load_workbook(returns["excel_percent"])
    names = name_map(wb)
    assert cell(wb, "ind.3.actual", names).number_format == "0.00%"  # 计量单位 %
    assert cell(wb, "ind.0.actual", names).number_format == "General"  # 计量单位 人
    layout = build_layout(load_spec("project-2020"), ISSUE_T, TARGETS_T)
    actual = layout.fields["ind.3.actual"].address
    assert f'CELL("format",{actual})' in layout.formula(layout.fields["ind.3.score"])
    assert "95%" in layout.fields["ind.3.actual"].prompt


def test_text_where_numbers_belong_is_reported_with_the_figures_it_changes(returns):
    r = read_workbook(returns["text"], key=KEY)
    text = _by(r, "value.text_number")
    assert set(text) == {"funds.total.executed", "ind.0.actual", "ind.3.actual"}
    assert all(f.severity == "错误" and f.actual for f in text.values())
    assert text["funds.total.executed"].actual == "12,579.31"
    assert "12579.31" in text["funds.total.executed"].message
    assert "执行率" in text["funds.total.executed"].message
    # the sheet: 执行率 blank, both quantitative scores blank; recomputed: all counted
    assert r.shown["exec.rate"] is None and r.computed["exec.rate"] == pytest.approx(
        12579.31 / 12646)
    assert r.project["total_score_shown"] == 60 and r.project["grade_shown"] == "中"
    assert r.project["total_score"] > 90 and r.project["grade"] == "优"
    differ = _by(r, "calc.as_shown")
    assert {"exec.rate", "exec.score", "ind.0.score", "ind.3.score", "total", "grade"} <= \
        set(differ)
    assert "'2455592人'" in differ["ind.0.score"].message
    actual = build_layout(load_spec("project-2020"), ISSUE_T, TARGETS_T).fields["ind.3.actual"]
    assert "'95%'" in differ["ind.3.score"].message
    assert actual.address.replace("$", "") in differ["ind.3.score"].message


@pytest.mark.parametrize("case", ["excel_percent", "plain"])
def test_97_percent_scores_full_marks_typed_either_way(returns, case):
    r = read_workbook(returns[case], key=KEY)
    assert r.shown["ind.3.score"] == r.computed["ind.3.score"] == 10
    assert r.project["total_score"] == r.project["total_score_shown"]
    assert [f for f in r.findings if f.severity == "错误"] == []
    assert not _by(r, "value.implausible")  # 97% is not a fraction typed for a percentage


@pytest.mark.parametrize("case", ["905", "905_percent"])
def test_905_for_a_percentage_scores_alike_and_is_a_hint(returns, case):
    r = read_workbook(returns[case], key=KEY)
    assert r.shown == r.computed and r.computed["ind.3.score"] == 10
    assert "905" in _by(r, "value.implausible")["ind.3.actual"].message
    assert not _by(r, "calc.as_shown")


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_what_the_reader_says_the_sheet_shows(returns, tmp_path):
    names = list(CASES)
    saved = recalculate([returns[n] for n in names], tmp_path / "lo")
    for name, path in zip(names, saved, strict=True):
        before = read_workbook(returns[name], key=KEY)
        fields = list(before.shown)
        sheet = values_by_field(path, fields)
        for fld in fields:
            want = sheet[fld]
            got = before.shown[fld]
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                assert got == pytest.approx(want, abs=1e-9), (name, fld, got, want)
            else:
                assert (got or None) == (want or None), (name, fld, got, want)
        # re-saved by LibreOffice: recalculated, so nothing is stale; the entries still differ
        after = read_workbook(path, key=KEY)
        assert not _by(after, "calc.stale"), (name, _by(after, "calc.stale"))
        assert after.shown == before.shown and after.computed == before.computed
        assert set(_by(after, "calc.as_shown")) == set(_by(before, "calc.as_shown"))
    assert values_by_field(saved[names.index("excel_percent")], ["ind.3.score"]) == {
        "ind.3.score": 10}
