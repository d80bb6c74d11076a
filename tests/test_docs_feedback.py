"""Feedback per unit (xlkit/docs/feedback.py): on the demo round, with two files in the inbox
no unit can be told for, the workbooks each unit is mailed hold exactly its findings (sheet,
cell, raw value, rule, 怎么改) and its projects not returned; a unit with nothing to fix has
no file but a line in the index; everything prints A4 landscape, one page wide, in Chinese."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import SAMPLES
from pdf import page_count, page_size, pages, poppler, squeeze, to_pdf, to_png

from xlkit.core.meta import load_key
from xlkit.demo import YEAR, run_demo
from xlkit.docs.common import FEEDBACK_DIR, INDEX_FILE, safe_file_name, write_index
from xlkit.docs.feedback import (
    CHASE,
    GUIDE,
    ISSUES,
    PASSED,
    UNKNOWN_FILE,
    unique_name,
    unit_shares,
    what_to_do,
    write_feedback,
)
from xlkit.findings import CATALOGUE
from xlkit.findings.catalogue import OWN_RULE_REMEDY, REMEDIES, TABLE
from xlkit.report.workbook import ISSUE_FILL
from xlkit.round.collect import collect

HYPERLINK = '=HYPERLINK("http://evil.example","点这里")'
TODAY = dt.date(2024, 3, 1)


def blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or v == ""


def text(v) -> str | None:
    return None if blank(v) else str(v)


def shown(v):
    """A value as the cell holds it: blank, a number or the text."""
    if blank(v):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return str(v)


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    """The demo round, plus two unreadable files (one in a unit's folder, one at the top:
    neither says its unit), a raw value a spreadsheet would take for a formula and an
    office rule of its own."""
    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder)
    inbox = folder / "returns"
    (inbox / "坏文件.xlsx").write_text("not a workbook", encoding="utf-8")
    (inbox / "302001_晋中市医疗保障局" / "损坏.xlsx").write_bytes(b"PK\x03\x04junk")
    result = collect(inbox, SAMPLES / "预算清单.xlsx", folder / "报告.xlsx",
                     finals=[SAMPLES / "决算_项目支出.xlsx", SAMPLES / "决算_收入支出决算表.xlsx"],
                     targets=SAMPLES / "绩效目标.xlsx", key=load_key(SAMPLES / "示例密钥.txt"),
                     year=YEAR, db=folder / "台账.sqlite").result
    issues = result.issues.copy()
    first = issues.index[issues["unit_code"] == "301001"][0]
    issues.loc[first, "actual"] = HYPERLINK
    own = {**issues.loc[first].to_dict(), "rule": "own.deadline", "severity": "提示",
           "message": "自评报告未附佐证材料", "actual": None, "expected": None}
    issues = pd.concat([issues, pd.DataFrame([own])], ignore_index=True)
    result = dataclasses.replace(result, issues=issues,
                                 titles={**result.titles, "own.deadline": "未附佐证材料"})
    out = folder / "docs"
    started, done = [], []
    written = write_feedback(result, out, progress=done.append,
                             on_start=lambda kind, n: started.append((kind, n)), today=TODAY)
    return {"result": result, "out": out, "written": written, "started": started,
            "done": done}


def unit_codes(result) -> set[str]:
    codes = set()
    for df in (result.tables.projects, result.missing, result.issues):
        codes |= {str(c) for c in df["unit_code"] if not blank(c)}
    return codes


def unit_name(result, code: str) -> str:
    for df in (result.tables.projects, result.missing, result.issues):
        names = [n for c, n in zip(df["unit_code"], df["unit_name"], strict=True) if c == code]
        if names:
            return names[0]
    raise KeyError(code)


def has_something(result, code: str) -> bool:
    return bool((result.issues["unit_code"] == code).any()
                or (result.missing["unit_code"] == code).any())


def rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=2)
            if r[0].value is not None and ws.cell(r[0].row, 2).value is not None]


def feedback_path(out: Path, result, code: str) -> Path:
    return out / FEEDBACK_DIR / safe_file_name(code, unit_name(result, code), "反馈",
                                               suffix=".xlsx")


def test_a_file_per_unit_with_something_to_fix_and_a_line_for_the_rest(round_) -> None:
    result, out, written = round_["result"], round_["out"], round_["written"]
    codes = unit_codes(result)
    passed = {c for c in codes if not has_something(result, c)}
    assert passed == {"304001"} and len(codes) == 4  # the demo's: one unit is clean
    by_code = {w.unit_code: w for w in written if w.unit_code}
    assert set(by_code) == codes
    for code in codes - passed:
        w = by_code[code]
        assert w.path == feedback_path(out, result, code) and w.path.is_file(), w
        assert w.unit_name == unit_name(result, code) and w.kind == "feedback"
    for code in passed:
        assert by_code[code].path is None and by_code[code].note == PASSED
    unknown = [w for w in written if not w.unit_code]
    assert [w.path.name for w in unknown] == [UNKNOWN_FILE]
    files = sorted(p.name for p in (out / FEEDBACK_DIR).iterdir())  # no temp file left
    assert files == sorted(w.path.name for w in written if w.path)
    assert round_["started"] == [("feedback", len(files))]
    assert sum(round_["done"]) == len(files)


def test_every_finding_is_in_exactly_one_file(round_) -> None:
    result, written = round_["result"], round_["written"]
    listed = sum(len(rows(w.path, ISSUES)) for w in written if w.path)
    assert listed == len(result.issues)
    unknown = next(w.path for w in written if w.path and not w.unit_code)
    got = rows(unknown, ISSUES)
    want = result.issues[result.issues["unit_code"].isna()]
    assert sorted(r["规则"] for r in got) == sorted(CATALOGUE[c].title for c in want["rule"])
    assert {r["文件"] for r in got} == {"坏文件.xlsx", "302001_晋中市医疗保障局/损坏.xlsx"}


def test_issue_rows_are_the_units_findings_with_place_raw_value_rule_and_what_to_do(
        round_) -> None:
    result, out = round_["result"], round_["out"]
    for code in unit_codes(result):
        mine = result.issues[result.issues["unit_code"] == code]
        if not has_something(result, code):
            continue
        got = rows(feedback_path(out, result, code), ISSUES)
        assert [r["序号"] for r in got] == list(range(1, len(mine) + 1))
        # errors first
        severities = [r["级别"] for r in got]
        assert severities == sorted(severities, key=lambda s: s != "错误")

        def key(project, where, actual, expected, message):
            sheet, _, cell = (where or "").rpartition("!")
            return (project, sheet or None, cell or None, shown(actual), shown(expected),
                    message)

        want = Counter(key(r.project_code, text(r.where), r.actual, r.expected, r.message)
                       for r in mine.itertuples())
        have = Counter(key(r["项目编码"], f"{r['工作表']}!{r['单元格']}" if r["单元格"] else None,
                           r["填写的内容"], r["应为"], r["说明"]) for r in got)
        assert have == want, code
        for r, rule in zip(got, [next(iter(mine.loc[(mine["message"] == g["说明"])
                                                      & (mine["project_code"] == g["项目编码"]),
                                                      "rule"])) for g in got], strict=True):
            title = CATALOGUE[rule].title if rule in CATALOGUE else result.titles[rule]
            assert r["规则"] == title and r["规则代码"] == rule
            assert r["怎么改"] == what_to_do(rule) and r["怎么改"]
            names = set(result.tables.projects.loc[result.tables.projects["project_code"]
                                                   == r["项目编码"], "project_name"])
            names |= set(result.missing.loc[result.missing["project_code"] == r["项目编码"],
                                            "project_name"])
            assert r["项目名称"] in names


def test_cells_and_fills(round_) -> None:
    result, out = round_["result"], round_["out"]
    ws = openpyxl.load_workbook(feedback_path(out, result, "303001"))[ISSUES]
    colours = {ws.cell(r, 2).value: ws.cell(r, 2).fill.fgColor.rgb
               for r in range(2, ws.max_row + 1)}
    assert colours == {sev: "FF" + c[1:] for sev, c in ISSUE_FILL.items()}
    by_cell = {(ws.cell(r, 6).value, ws.cell(r, 7).value): r for r in range(2, ws.max_row + 1)}
    r = by_cell[("自评表", "E6")]  # the seed unit's 25 over an issued 20
    assert (ws.cell(r, 9).value, ws.cell(r, 10).value) == ("25", "20")  # as the issue holds
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth in (None, 1)  # A4, 1 wide
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0


def test_a_raw_value_like_a_formula_stays_text(round_) -> None:
    result, out = round_["result"], round_["out"]
    ws = openpyxl.load_workbook(feedback_path(out, result, "301001"))[ISSUES]
    cells = [c for row in ws.iter_rows() for c in row if c.value == HYPERLINK]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_chase_rows_are_the_units_missing_projects(round_) -> None:
    result, written = round_["result"], round_["written"]
    for w in written:
        if w.path is None:
            continue
        missing = result.missing[result.missing["unit_code"] == w.unit_code] if w.unit_code \
            else result.missing[result.missing["unit_code"].isna()]
        names = openpyxl.load_workbook(w.path).sheetnames
        assert names[:2] == [GUIDE, ISSUES]
        if not len(missing):
            assert CHASE not in names
            continue
        got = rows(w.path, CHASE)
        want = [[r.project_code, r.project_name, r.contact, r.phone]
                for r in missing.itertuples()]
        assert [[r["项目编码"], r["项目名称"], r["联系人"], r["联系电话"]] for r in got] == want
        assert all(r["项目编码"] in r["应报送的文件"] for r in got)
    assert any(CHASE in openpyxl.load_workbook(w.path).sheetnames for w in written if w.path)


def guide(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)[GUIDE]
    return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)
            if ws.cell(r, 1).value}


def test_guide_counts_from_the_tables(round_) -> None:
    result, out = round_["result"], round_["out"]
    projects = result.tables.projects.drop_duplicates(["unit_code", "project_code"])
    for code in unit_codes(result):
        if not has_something(result, code):
            continue
        g = guide(feedback_path(out, result, code))
        returned = int((projects["unit_code"] == code).sum())
        missing = int((result.missing["unit_code"] == code).sum())
        mine = result.issues[result.issues["unit_code"] == code]
        assert g["单位"] == f"{code} {unit_name(result, code)}"
        assert g["年度"] == f"{YEAR}年度" and g["反馈日期"] == "2024年3月1日"
        assert (g["应报项目"], g["已报项目"], g["未报项目"]) == (returned + missing, returned,
                                                                 missing)
        assert (g["错误"], g["提示"]) == ((mine["severity"] == "错误").sum(),
                                          (mine["severity"] == "提示").sum())
        assert g["涉及项目"] == mine["project_code"].nunique()
        assert "请于______年____月____日前" in g["报送期限"]


def test_index_says_why_a_unit_has_no_file(round_) -> None:
    write_index(round_["out"], round_["written"])
    ws = openpyxl.load_workbook(round_["out"] / INDEX_FILE).active
    lines = {ws.cell(r, 3).value: (ws.cell(r, 7).value, ws.cell(r, 8).value)
             for r in range(2, ws.max_row + 1)}
    assert lines["304001"] == ("", PASSED)
    assert lines["303001"][0] == f"{FEEDBACK_DIR}/303001_达州市达川区医疗保险管理局_反馈.xlsx"
    assert "未报送 1 个项目" in lines["303001"][1]


def test_every_code_has_what_to_do() -> None:
    assert set(REMEDIES) == set(TABLE)
    assert all(REMEDIES[c].strip() and "{" not in REMEDIES[c] for c in TABLE)
    assert what_to_do("own.anything") == OWN_RULE_REMEDY == what_to_do(None)
    assert what_to_do("final.spent") == REMEDIES["final.spent"]


def test_nothing_to_fix_anywhere_writes_no_file(round_, tmp_path) -> None:
    result = round_["result"]
    clean = dataclasses.replace(result, issues=result.issues.iloc[:0],
                                missing=result.missing.iloc[:0])
    written = write_feedback(clean, tmp_path)
    assert written and all(w.path is None and w.note == PASSED for w in written)
    assert not (tmp_path / FEEDBACK_DIR).exists() or not any((tmp_path / FEEDBACK_DIR).iterdir())


def test_on_paper(round_, libreoffice, tmp_path) -> None:
    """A4 landscape, one page wide; the figures and texts, no placeholder; PNGs to look at."""
    if not poppler():
        pytest.skip("poppler-utils is not installed")
    result, out = round_["result"], round_["out"]
    paths = [feedback_path(out, result, "303001"),
             next(w.path for w in round_["written"] if w.path and not w.unit_code)]
    for pdf in to_pdf(paths, tmp_path):
        assert page_size(pdf) == pytest.approx((842, 595), abs=2)
        texts = pages(pdf)
        assert len(texts) == page_count(pdf)
        whole = squeeze("".join(texts))
        assert "反馈意见" in whole and "怎么改" in whole and "请于______年____月____日前" in whole
        assert not re.search(r"\{[a-z_]+\}|None|nan|NaN", whole), whole
        to_png(pdf, tmp_path / "png", dpi=60)
    unit = squeeze("".join(pages(tmp_path / (paths[0].stem + ".pdf"))))
    mine = result.issues[result.issues["unit_code"] == "303001"]
    for message in mine["message"]:
        assert squeeze(message)[:12] in unit
    for r in result.missing[result.missing["unit_code"] == "303001"].itertuples():
        assert r.phone in unit and r.project_code in unit


def test_names_a_file_system_cannot_hold_are_made_safe_and_unique(round_, tmp_path) -> None:
    result = round_["result"]
    odd = "=医保/中心:*&"

    def rename(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(unit_name=[odd if c == "301001" else n
                                    for c, n in zip(df["unit_code"], df["unit_name"],
                                                    strict=True)])

    renamed = dataclasses.replace(
        result, issues=rename(result.issues), missing=rename(result.missing),
        tables=dataclasses.replace(result.tables, projects=rename(result.tables.projects)))
    written = write_feedback(renamed, tmp_path)
    path = next(w.path for w in written if w.unit_code == "301001")
    assert path.name == safe_file_name("301001", odd, "反馈", suffix=".xlsx")
    assert not set('/\\:*?"<>|') & set(path.name)
    assert guide(path)["单位"] == f"301001 {odd}"
    assert openpyxl.load_workbook(path)[GUIDE].cell(3, 2).data_type == "s"
    share = unit_shares(renamed)[0]
    taken: set[str] = set()
    assert unique_name(share, taken) != unique_name(share, taken)  # a clash gets "_2"
