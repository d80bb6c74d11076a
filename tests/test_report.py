"""The report workbook: sheets, headers, 汇总 figures, charts, text that stays text, atomic."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from engine import recalculate

from xlkit.read.tables import SCHEMA, Tables, frame
from xlkit.report import workbook as report
from xlkit.report.workbook import ISSUE_CODES, ISSUE_PRINTED, SHEETS, write_report
from xlkit.round.result import ISSUE_COLUMNS, MISSING_COLUMNS, RoundResult

FORMULA_MESSAGE = '=HYPERLINK("http://evil.example","点这里")'
LONG_MESSAGE = "长" * 40000


def project(unit: str, unit_name: str, code: str, name: str, score: float | None,
            grade: str | None, rate: float | None) -> dict:
    return {"year": 2023, "template_id": "project-2020", "template_version": 1,
            "unit_code": unit, "unit_name": unit_name, "project_code": code,
            "project_name": name, "budget_full_year": 1500.0, "executed": 828.0,
            "execution_rate": rate, "total_score": score, "grade": grade,
            "signed": True, "errors": 0, "hints": 0, "source_file": f"returns/{code}.xlsx"}


def issue(severity: str, rule: str, unit: str | None, unit_name: str | None,
          message: str, diff: float | None = None) -> dict:
    return {"severity": severity, "rule": rule, "unit_code": unit, "unit_name": unit_name,
            "project_code": None, "project_name": None, "field": "total", "expected": "1500",
            "actual": 1180.0, "diff": diff, "file": "returns/x.xlsx", "where": "自评表!D8",
            "message": message}


def sample_round() -> RoundResult:
    """Units 001 "=1+1" (2 returned), 002 "http://x" (1 returned, 1 missing), 003 (missing)."""
    projects = frame("projects", [
        project("001", "=1+1", "P1", "+农村道路", 92.5, "优", 0.95),
        project("001", "=1+1", "P2", "-@污水处理", 75.0, "中", 0.552),
        project("002", "http://x", "P3", "@学校", None, None, None),
    ])
    funds = frame("funds", [{"unit_code": "001", "project_code": "P1", "row": "total",
                             "row_label": "年度资金总额", "column": col, "column_label": label,
                             "amount": amount} for col, label, amount in (
                                 ("full_year", "全年预算数", 1500), ("executed", "全年执行数", 828))])
    indicators = frame("indicators", [{"unit_code": "001", "project_code": "P1", "row": 0,
                                       "name": "=SUM(A1:A9)", "weight": 20,
                                       "score_computed": 18.5, "prefilled": True}])
    files = frame("files", [
        {"path": "returns/P1.xlsx", "status": "read", "size": 1000},
        {"path": "returns/P2.xlsx", "status": "read", "size": 1000},
        {"path": "returns/P3.xlsx", "status": "read", "size": 1000},
        {"path": "returns/bad.xlsx", "status": "rejected", "reason": "文件损坏，无法打开",
         "code": "file.corrupt", "size": 10},
        {"path": "returns/~$P1.xlsx", "status": "skipped", "code": "file.lock_file"},
    ])
    issues = pd.DataFrame([
        issue("错误", "calc.stale", "001", "=1+1", FORMULA_MESSAGE, diff=-320.0),
        issue("提示", "value.implausible", "002", "http://x", LONG_MESSAGE),
        issue("错误", "file.corrupt", None, None, "文件损坏，无法打开"),
    ], columns=list(ISSUE_COLUMNS))
    missing = pd.DataFrame([
        {"unit_code": "002", "unit_name": "http://x", "project_code": "P4",
         "project_name": "=1+1", "contact": "张三", "phone": "0351-1234567"},
        {"unit_code": "003", "unit_name": "第三单位", "project_code": "P5",
         "project_name": "道路养护", "contact": None, "phone": None},
    ], columns=list(MISSING_COLUMNS))
    header = frame("header", [{"unit_code": "001", "project_code": "P1", "key": "project_name",
                               "label": "项目名称", "value": "+农村道路", "prefilled": True}])
    tables = Tables(projects=projects, funds=funds, header=header, indicators=indicators,
                    files=files)
    return RoundResult(expected=5, tables=tables, issues=issues, missing=missing, year=2023)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "报告.xlsx"
    write_report(path, sample_round())
    return path


def headers(ws) -> list:
    return [c.value for c in ws[1]]


def column_a_rows(ws) -> dict:
    """First column label → the row's values (first occurrence)."""
    rows: dict = {}
    for row in ws.iter_rows(values_only=True):
        if isinstance(row[0], str):
            rows.setdefault(row[0], row)
    return rows


def block_after(ws, heading: str) -> list[tuple]:
    """The data rows of the 汇总 table under ``heading`` (up to the first empty row), from
    the heading's column."""
    rows = list(ws.iter_rows(values_only=True))
    start, col = next((i, r.index(heading)) for i, r in enumerate(rows) if heading in r)
    out = []
    for r in rows[start + 2:]:
        if all(v is None for v in r[col:col + 3]):
            break
        out.append(r[col:])
    return out


def issue_headers() -> list[str]:
    return [label for _, label, *_ in ISSUE_PRINTED + ISSUE_CODES]


def issue_col(name: str) -> int:
    """1-based column of 问题清单's ``name``."""
    return [n for n, *_ in ISSUE_PRINTED + ISSUE_CODES].index(name) + 1


def chart_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))


def test_sheets_in_order_with_chinese_headers(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    # 评分表 and 满意度问卷 have no rows: left out
    assert wb.sheetnames == ["汇总", "问题清单", "未报送", "项目", "资金", "表头", "指标", "文件"]
    assert tuple(wb.sheetnames) == tuple(s for s in SHEETS if s not in ("评分表", "满意度问卷"))
    assert headers(wb["问题清单"]) == issue_headers()
    assert headers(wb["问题清单"])[:2] == ["级别", "问题"] and "代码" in headers(wb["问题清单"])
    assert headers(wb["未报送"]) == list(MISSING_COLUMNS.values())
    for table, sheet in (("projects", "项目"), ("funds", "资金"), ("header", "表头"),
                         ("indicators", "指标"), ("files", "文件")):
        assert headers(wb[sheet]) == [c.label for c in SCHEMA[table]]


def test_summary_counts(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["汇总"]
    assert ws["A1"].value == "2023年度绩效自评收集情况"
    rows = column_a_rows(ws)
    counts = {label: rows[label][1] for label in
              ("应报", "已报", "未报", "收到文件", "读取", "无法读取", "跳过", "错误", "提示")}
    assert counts == {"应报": 5, "已报": 3, "未报": 2, "收到文件": 5, "读取": 3, "无法读取": 1,
                      "跳过": 1, "错误": 2, "提示": 1}
    assert "收到文件 5 = 读取 3 + 无法读取 1 + 跳过 1" in rows


def test_summary_by_unit(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["汇总"]
    units = {r[1] or r[0]: r[:11] for r in block_after(ws, "分单位情况")}
    # 执行率 = Σ执行数 / Σ预算数 (both projects 828 / 1500), not the mean of their rates
    assert units["=1+1"] == ("001", "=1+1", 2, 2, 0, 1, 0, pytest.approx(83.75), 3000, 1656,
                             pytest.approx(0.552))
    assert units["http://x"] == ("002", "http://x", 2, 1, 1, 0, 1, None, None, None, None)
    assert units["第三单位"] == ("003", "第三单位", 1, 0, 1, 0, 0, None, None, None, None)
    assert units["（未识别单位）"][5] == 1
    assert units["合计"][2:7] == (5, 3, 2, 2, 1)
    assert units["合计"][8:11] == (3000, 1656, pytest.approx(0.552))
    notes = [r[0] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str)]
    assert any(n.startswith("执行率 = Σ全年执行数 ÷ Σ全年预算数") for n in notes)
    assert ws.cell(next(i for i, r in enumerate(ws.iter_rows(values_only=True), 1)
                        if r[0] == "001"), 9).number_format == "#,##0.00"


def test_summary_distributions(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["汇总"]
    grades = {r[0]: r[1] for r in block_after(ws, "等次分布")}
    assert grades == {"优": 1, "良": 0, "中": 1, "差": 0, "未评": 1}
    stats = {r[0]: r[1] for r in block_after(ws, "总分")}
    assert stats["平均总分"] == pytest.approx(83.75)
    assert stats["总分中位数"] == pytest.approx(83.75)
    scores = {r[0]: r[1] for r in block_after(ws, "总分分布")}
    assert scores == {"0–60": 0, "60–70": 0, "70–80": 1, "80–90": 0, "90–100": 1}
    rates = {r[0]: r[1] for r in block_after(ws, "执行率分布（按项目）")}
    assert rates == {"<60%": 1, "60–80%": 0, "80–90%": 0, "90–100%": 1, ">100%": 0,
                     "未计算": 1}
    rules = [(r[0], r[2], r[3]) for r in block_after(ws, "主要问题（出现最多的 10 类）")]
    assert sorted(rules) == [("数值不合常理，请核对", "提示", 1),
                             ("文件损坏，无法打开", "错误", 1),
                             ("表内数字与重新计算结果不一致", "错误", 1)]


def test_bands_and_axis_steps() -> None:
    assert report.band_of(60, report.SCORE_BANDS) == "60–70"
    assert report.band_of(59.99, report.SCORE_BANDS) == "0–60"
    assert report.band_of(100, report.SCORE_BANDS) == "90–100"
    assert report.band_of(1.0, report.RATE_BANDS) == "90–100%"
    assert report.band_of(1.0000001, report.RATE_BANDS) == ">100%"
    assert report.band_of(0.6, report.RATE_BANDS) == "60–80%"
    assert report.band_of(-0.1, report.RATE_BANDS) == "<60%"
    assert [report.count_step(n) for n in (0, 6, 7, 13, 41, 100, 5000)] == [1, 1, 2, 5, 10, 20,
                                                                          1000]


def test_user_text_stays_text(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    issues = wb["问题清单"]
    message = issues.cell(2, issue_col("message"))
    assert message.data_type == "s" and message.value == FORMULA_MESSAGE
    assert len(issues.cell(3, issue_col("message")).value) == 32767
    unit = issues.cell(2, issue_col("unit_name"))
    assert unit.value == "=1+1" and unit.data_type == "s"
    diff = issues.cell(2, issue_col("diff"))
    assert diff.value == -320 and diff.data_type == "n" and diff.number_format == "#,##0.00"
    projects = wb["项目"]
    names = [projects.cell(r, 6) for r in range(2, 5)]
    assert [c.value for c in names] == ["=1+1", "=1+1", "http://x"]
    assert all(c.data_type == "s" and c.hyperlink is None for c in names)
    assert [projects.cell(r, 8).value for r in range(2, 5)] == ["+农村道路", "-@污水处理", "@学校"]
    assert wb["指标"]["F2"].value == "=SUM(A1:A9)" and wb["指标"]["F2"].data_type == "s"
    assert wb["未报送"]["D2"].value == "=1+1" and wb["未报送"]["D2"].data_type == "s"
    with zipfile.ZipFile(written) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/s")]
    assert not any("<f>" in x or "<f " in x or "hyperlink" in x for x in sheets)


def test_numbers_formats_and_blanks(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["项目"]
    col = {c.value: c.column for c in ws[1]}
    assert ws.cell(2, col["执行率"]).value == pytest.approx(0.95)
    assert "%" in ws.cell(2, col["执行率"]).number_format
    assert ws.cell(2, col["总分"]).number_format == "0.00"
    assert ws.cell(4, col["总分"]).value is None
    assert ws.cell(4, col["等次"]).value is None
    assert ws.cell(2, col["已签名"]).value == "是"
    assert ws.cell(2, col["全年预算数"]).number_format == "#,##0.00"  # money: thousands
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(col["文件SHA256"])].hidden
    assert openpyxl.load_workbook(written)["指标"]["C2"].value == 1  # 序号 from 1
    files = openpyxl.load_workbook(written)["文件"]
    assert [files.cell(r, 2).value for r in range(2, 7)] == ["读取"] * 3 + ["无法读取", "跳过"]


def test_issue_sheet_is_a_list(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["问题清单"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:O4"
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert sorted(r.formula[0] for r in rules) == ['$A2="提示"', '$A2="错误"']
    assert all(str(cf.sqref) == "A2:O4" for cf in ws.conditional_formatting)
    assert ws.column_dimensions["I"].width > 25
    assert ws.cell(2, issue_col("message")).alignment.wrap_text
    # the printed columns end at 位置; the codes are for the screen
    assert ws.print_area == "'问题清单'!$A$1:$K$4"
    assert [ws.cell(r, issue_col("rule")).value for r in (2, 3, 4)] == [
        "calc.stale", "value.implausible", "file.corrupt"]
    assert ws.cell(2, issue_col("title")).value == "表内数字与重新计算结果不一致"
    assert ws.cell(2, issue_col("field_label")).value == "总分"  # field "total" of project-2020
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$1"
    for sheet in ("未报送", "项目", "文件"):
        assert openpyxl.load_workbook(written)[sheet].freeze_panes == "A2"


def test_native_charts_on_summary(written: Path) -> None:
    assert len(chart_parts(written)) == 3
    with zipfile.ZipFile(written) as z:
        sheet_rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        drawing_rels = z.read("xl/drawings/_rels/drawing1.xml.rels").decode()
        charts = "".join(z.read(n).decode() for n in chart_parts(written))
    assert "../drawings/drawing1.xml" in sheet_rels
    assert drawing_rels.count("../charts/chart") == 3
    assert "<c:barChart>" in charts
    assert len(re.findall(r"<c:f>'?汇总'?!\$", charts)) == 6  # categories and values on 汇总


@pytest.mark.parametrize("result", [
    RoundResult(expected=0),
    RoundResult(expected=2, year=2024, missing=pd.DataFrame(
        [{"unit_code": "001", "unit_name": "甲", "project_code": "P1", "project_name": "乙"},
         {"unit_code": "001", "unit_name": "甲", "project_code": "P2", "project_name": "丙"}],
        columns=list(MISSING_COLUMNS))),
], ids=["empty", "nothing-returned"])
def test_empty_round_writes(tmp_path: Path, result: RoundResult) -> None:
    path = tmp_path / "r.xlsx"
    write_report(path, result, title="测试报告")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "问题清单", "未报送"]  # no reader table has rows
    ws = wb["汇总"]
    assert ws["A1"].value == "测试报告"
    rows = column_a_rows(ws)
    assert rows["应报"][1] == result.expected and rows["已报"][1] == 0
    assert rows["未报"][1] == len(result.missing)
    assert chart_parts(path) == []
    assert [c.value for c in wb["问题清单"]["A"]] == ["级别", "没有发现问题。"]
    if not len(result.missing):
        assert [c.value for c in wb["未报送"]["A"]] == ["单位编码", "全部已报送。"]


def test_partial_data_skips_only_empty_charts(tmp_path: Path) -> None:
    result = sample_round()
    result.tables.projects = result.tables.projects.assign(execution_rate=None)
    path = tmp_path / "r.xlsx"
    write_report(path, result)
    assert len(chart_parts(path)) == 2


def test_write_fails_midway_keeps_previous_report(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "报告.xlsx"
    write_report(path, sample_round())
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(report, "write_missing_sheet", boom)
        with pytest.raises(OSError):
            write_report(path, RoundResult(expected=0))
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", boom)  # after the temp file is written, before the rename
        with pytest.raises(OSError):
            write_report(path, RoundResult(expected=0))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.xlsx"]


@pytest.mark.libreoffice
def test_report_opens_in_libreoffice(written: Path, tmp_path: Path, libreoffice: str) -> None:
    [out] = recalculate([written], tmp_path / "lo")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["汇总", "问题清单", "未报送"]
    assert set(SHEETS) - {"评分表", "满意度问卷"} <= set(wb.sheetnames)
    rows = column_a_rows(wb["汇总"])
    assert rows["应报"][1] == 5 and rows["错误"][1] == 2
    message = wb["问题清单"].cell(2, issue_col("message"))
    assert message.data_type == "s" and message.value == FORMULA_MESSAGE
    assert wb["项目"]["F2"].value == "=1+1" and wb["项目"]["F2"].data_type == "s"
    assert chart_parts(out)
