"""Draft 自评报告 (issue 15, deliverable 2): one .docx per returned project (per unit for the
unit-level forms), every figure the tables' own, a note exactly where the unit's sheet
disagrees, placeholders marked one way, through LibreOffice to PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLES
from docx import Document
from docx.oxml.ns import qn
from pdf import page_count, page_size, pages, squeeze, to_pdf, to_png

from xlkit.docs import wordlib as w
from xlkit.docs.common import REPORTS_DIR, safe_file_name
from xlkit.docs.selfreport import SUFFIX, reported, write_self_reports
from xlkit.read.tables import records
from xlkit.round.result import RoundResult

DISAGREE = "与重新计算不一致"
LEAKS = ("{", "}", "None", "nan", "NaN", "<NA>", "NaT")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[RoundResult, list, Path]:
    from xlkit.demo import run_demo

    tmp = tmp_path_factory.mktemp("demo")
    result = run_demo(tmp / "round").result
    starts, done = [], []
    written = write_self_reports(result, tmp / "docs", progress=done.append,
                                 on_start=lambda kind, n: starts.append((kind, n)))
    assert starts == [("reports", len(written))] and sum(done) == len(written)
    return result, written, tmp / "docs"


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> tuple[RoundResult, list, Path]:
    """Both rubric samples and the questionnaire sample (dept-2020-survey, funds left blank)."""
    from xlkit.round.collect import collect

    tmp = tmp_path_factory.mktemp("units")
    inbox = tmp / "inbox"
    inbox.mkdir()
    for p in (SAMPLES / "rubric" / "returns").iterdir():
        shutil.copy(p, inbox / p.name)
    shutil.copy(SAMPLES / "survey" / "报回_寻甸县医疗保险中心.xlsx", inbox / "survey.xlsx")
    key = (SAMPLES / "示例密钥.txt").read_text(encoding="utf-8").strip()
    result = collect(inbox, SAMPLES / "评分表单位清单.xlsx", tmp / "r.xlsx",
                     spec_ref="unit-score-2019", key=key, jobs=1).result
    written = write_self_reports(result, tmp / "docs", jobs=1)
    return result, written, tmp / "docs"


# ------------------------------------------------------------------ reading a document back

def rows_of(df: pd.DataFrame, source: str) -> list[dict]:
    return records(df[df["source_file"] == source])


def table_with(doc, first: str, ncols: int | None = None):
    found = [t for t in doc.tables if t.rows[0].cells[0].text == first
             and (ncols is None or len(t.columns) == ncols)]
    assert len(found) == 1, [t.rows[0].cells[0].text for t in doc.tables]
    return found[0]


def body(t) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in t.rows[1:]]


def paragraph_with(doc, *words: str) -> str:
    found = [p.text for p in doc.paragraphs if all(x in p.text for x in words)]
    assert len(found) == 1, (words, found)
    return found[0]


def shown_differs(computed, *shown) -> bool:
    value = next((s for s in shown if not w.blank(s)), None)
    if value is None or w.blank(computed):
        return False
    if isinstance(value, str) or isinstance(computed, str):
        return str(value) != str(computed)
    return abs(float(value) - float(computed)) >= 0.005


def docs_by_file(written) -> dict[str, object]:
    return {w_.path: Document(str(w_.path)) for w_ in written}


# ------------------------------------------------------------------ the demo round

def test_one_document_per_returned_project_named_by_code_and_name(demo):
    result, written, out = demo
    projects = records(reported(result))
    assert len(written) == len(projects) == 11  # 12 listed, 1 not returned
    missing = set(result.missing["project_code"])
    assert not missing & {x.project_code for x in written}
    for p, x in zip(projects, written, strict=True):
        folder = out / REPORTS_DIR / safe_file_name(p["unit_code"], p["unit_name"])
        assert x.path == folder / safe_file_name(p["project_code"], p["project_name"],
                                                 suffix=SUFFIX)
        assert x.path.name == f"{p['project_code']}_{p['project_name']}_自评报告.docx"
        assert (x.kind, x.unit_code, x.project_code) == ("reports", p["unit_code"],
                                                       p["project_code"])
        assert x.path.is_file()
    assert not list(out.rglob(".~xlkit-*")), "a temp file was left behind"


def test_every_figure_is_the_tables_own(demo):
    result, written, _ = demo
    t = result.tables
    docs = docs_by_file(written)
    for p, x in zip(records(reported(result)), written, strict=True):
        doc, src = docs[x.path], p["source_file"]
        # 五、自评结论: the recomputed 总分 and 等次
        conclusion = paragraph_with(doc, "经自评")
        assert f"总分 {w.points(p['total_score'])} 分" in conclusion
        assert f"等次为“{p['grade']}”" in conclusion
        # 二: 执行率 and its score, the amounts behind it
        money = paragraph_with(doc, "全年预算数", "执行率得分")
        for part in (f"全年预算数 {w.money(p['budget_full_year'])} 万元",
                     f"全年执行数 {w.money(p['executed'])} 万元",
                     f"预算执行率 {w.percent(p['execution_rate'])}",
                     f"执行率得分 {w.points(p['execution_score'])} 分"):
            assert part in money, (part, money)
        # the funds table: every row and column of the funds table
        table = table_with(doc, "资金项目")
        head = [c.text for c in table.rows[0].cells]
        cells = {r[0]: dict(zip(head[1:], r[1:], strict=True)) for r in body(table)}
        funds = rows_of(t.funds, src)
        assert funds and len(cells) * (len(head) - 1) == len(funds)
        for f in funds:
            assert cells[f["row_label"]][f["column_label"]] == w.money(f["amount"])
        # 四: the indicator table, row by row
        inds = rows_of(t.indicators, src)
        rows = body(table_with(doc, "一级指标", 8))
        assert len(rows) == len(inds)
        for r, i in zip(rows, inds, strict=True):
            assert r[:3] == [i["level1"], i["level2"], i["name"]]
            assert r[5] == w.points(i["weight"])
            assert r[6].split("（")[0] == w.points(i["score_computed"])
            if not w.blank(i["deviation_reason"]):
                assert r[7] == i["deviation_reason"]
            if i["target_unit"] == "%":  # the form shows 26.7 % where it stores 0.267
                assert r[4] == f"{w.points(i['actual_value'])}%"
            else:
                assert r[4] == i["actual_text"]
        assert f"各项指标得分合计 {w.points(p['indicator_score'])} 分" in \
            paragraph_with(doc, "各项指标得分合计")
        # 三: the goals, as the unit wrote them
        goals = {r["field"]: r["text"] for r in rows_of(t.texts, src)}
        assert body(table_with(doc, "预期目标")) == [[goals["goals.expected"],
                                                  goals["goals.actual"]]]


def test_seed_001s_figures(demo):
    """益阳 (seed 001): 执行率 55.20 %, 执行得分 5.52, 总分 83.71 良; the 26.7 % indicator
    kept at full marks by a constant 10 is 2.67 with the sheet's 10 beside it."""
    _, written, _ = demo
    doc = Document(str(next(x.path for x in written if x.project_code == "P2023-301001-01")))
    assert "预算执行率 55.20%，执行率得分 5.52 分（分值 10 分）" in paragraph_with(doc, "全年预算数", "执行率得分")
    assert "本项目总分 83.71 分，等次为“良”。" in paragraph_with(doc, "经自评")
    rows = body(table_with(doc, "一级指标", 8))
    assert rows[0][4:7] == ["26.7%", "10", "2.67（表内显示 10 分，与重新计算不一致，请核对）"]
    problems = [p.text for p in doc.paragraphs if p.text[:3] in ("1. ", "2. ")]
    assert problems[0].startswith("1. 预算执行率 55.20%")
    assert "“财政实际补助执行比率%”年度指标值 100%，实际完成值 26.7%，得 2.67 分（分值 10 分）" \
        in problems[1]


def test_a_note_exactly_where_the_sheet_disagrees(demo):
    result, written, _ = demo
    docs = docs_by_file(written)
    notes = 0
    for p, x in zip(records(reported(result)), written, strict=True):
        doc = docs[x.path]
        conclusion = paragraph_with(doc, "经自评")
        total = shown_differs(p["total_score"], p["total_score_in_file"], p["total_score_shown"])
        grade = shown_differs(p["grade"], p["grade_in_file"], p["grade_shown"])
        assert conclusion.count(DISAGREE) == total + grade, conclusion
        if total:
            shown = next(v for v in (p["total_score_in_file"], p["total_score_shown"])
                         if not w.blank(v))
            assert f"总分 {w.points(p['total_score'])} 分（表内显示 {w.points(shown)} 分，" \
                   f"{DISAGREE}，请核对）" in conclusion
        inds = rows_of(result.tables.indicators, p["source_file"])
        for r, i in zip(body(table_with(doc, "一级指标", 8)), inds, strict=True):
            differs = shown_differs(i["score_computed"], i["score_entered"], i["score_shown"])
            assert (DISAGREE in r[6]) == differs, (x.project_code, r)
            notes += differs
        notes += total + grade
        # the runs of a note are red
        for para in doc.paragraphs:
            for run in para.runs:
                if DISAGREE in run.text:
                    assert run.font.color.rgb is not None and str(run.font.color.rgb) == "C00000"
    # 晋中 P2023-302001-01: 总分 99.47 where the sheet shows 75, 优 where it shows 中
    doc = docs[next(x.path for x in written if x.project_code == "P2023-302001-01")]
    conclusion = paragraph_with(doc, "经自评")
    assert "总分 99.47 分（表内显示 75 分，与重新计算不一致，请核对）" in conclusion
    assert "等次为“优”（表内显示“中”，与重新计算不一致，请核对）" in conclusion
    assert notes >= 5


def expected_placeholders(p: dict, result: RoundResult) -> list[str]:
    """What the draft must leave to the unit, from the tables."""
    src = p["source_file"]
    t = result.tables
    texts = {r["field"] for r in rows_of(t.texts, src) if not w.blank(r["text"])}
    unit = w.blank(p["project_code"])
    out = ["绩效评价文件依据", "资金管理情况（资金到位、拨付、专款专用、财务管理制度执行等）",
           "改进措施", "报告日期", "存在的问题"]
    if not any(f.startswith("narr.") for f in texts):
        out.append("部门（单位）概况（职能职责、机构设置、人员情况）" if unit
                   else "项目概况（项目主管部门职能、立项依据、资金来源、主要内容）")
    if not unit:
        out += ["年度总体目标"] * ("goals.expected" not in texts)
        out += ["预期目标"] * ("goals.expected" not in texts)
        out += ["实际完成情况"] * ("goals.actual" not in texts)
    elif not any(f.startswith("goals.") for f in texts):
        out.append("年度主要任务及完成情况")
    elif "goals.expected" in texts:
        out += ["实际完成情况"] * ("goals.actual" not in texts)
    for i in rows_of(t.indicators, src):
        below = not w.blank(i["score_computed"]) and i["score_computed"] < i["weight"]
        out += ["偏差原因"] * (2 * (below and w.blank(i["deviation_reason"])))
        out += ["实际完成值"] * (w.blank(i["actual_text"]) and w.blank(i["actual_value"]))
    funds = rows_of(t.funds, src)
    top = [f for f in funds if f["row"] == funds[0]["row"]] if funds else []
    out += [f["column_label"] for f in top if w.blank(f["amount"])]
    out += ["全年预算数"] * w.blank(p["budget_full_year"]) + ["全年执行数"] * w.blank(p["executed"])
    return sorted(out)


@pytest.mark.parametrize("which", ["demo", "units"])
def test_placeholders_are_marked_one_way_and_nothing_else_leaks(which, request):
    result, written, _ = request.getfixturevalue(which)
    for p, x in zip(records(reported(result)), written, strict=True):
        doc = Document(str(x.path))
        assert sorted(w.placeholders(doc)) == expected_placeholders(p, result), x.path.name
        for text in w.texts(doc):
            assert not any(leak in text for leak in LEAKS), text
        # every placeholder is one highlighted run, and every highlighted run a placeholder
        runs = list(doc.element.body.iter(qn("w:r")))
        marked = [r for r in runs if r.find(f"{qn('w:rPr')}/{qn('w:highlight')}") is not None]
        assert len(marked) == len(w.placeholders(doc))
        for r in marked:
            assert w.PLACEHOLDER_RE.fullmatch("".join(t.text for t in r.iter(qn("w:t"))))


# ------------------------------------------------------------------ unit-level forms

def test_unit_forms_one_report_per_unit_with_the_score_table(units):
    result, written, out = units
    projects = records(reported(result))
    assert len(written) == len(projects) == 3
    for p, x in zip(projects, written, strict=True):
        assert x.project_code is None
        assert x.path.name == safe_file_name(p["unit_code"], p["unit_name"], suffix=SUFFIX)
        assert x.path.name == f"{p['unit_code']}_{p['unit_name']}_自评报告.docx"
        doc = Document(str(x.path))
        assert doc.paragraphs[0].text == \
            f"{p['unit_name']}{p['year']}年度部门整体支出绩效自评报告"
        assert f"本单位总分 {w.points(p['total_score'])} 分，等次为“{p['grade']}”" in \
            paragraph_with(doc, "经自评")
        scores = rows_of(result.tables.scores, p["source_file"])
        if scores:
            rows = body(table_with(doc, "一级指标", 5))
            assert len(rows) == len(scores)
            for r, s in zip(rows, scores, strict=True):
                assert r[:3] == [s["group"], s["level2"], s["name"]]
                assert r[3].removeprefix("加分≤") == w.points(s["weight"])
                assert r[4].split("（")[0] == w.points(s["score_computed"])
            assert f"评分表得分合计 {w.points(p['scorecard_score'])} 分" in \
                paragraph_with(doc, "评分表得分合计")
    totals = {x.unit_code: paragraph_with(Document(str(x.path)), "经自评") for x in written}
    assert "本单位总分 93 分" in totals["303001"] and "本单位总分 95 分" in totals["305001"]


def test_survey_return_left_blank_gets_placeholders_and_its_findings(units):
    _, written, _ = units
    doc = Document(str(next(x.path for x in written if x.unit_code == "530129001")))
    line = paragraph_with(doc, "年度支出总额：")
    assert line.count(w.PLACEHOLDER_OPEN) == 3  # 年初预算数, 全年预算数, 全年执行数 left blank
    assert "满意度问卷综合得分 96.75 分（有效问卷 20 份）" in paragraph_with(doc, "满意度问卷")
    assert any("必填项为空" in p.text for p in doc.paragraphs)


# ------------------------------------------------------------------ workers, names

def test_workers_write_the_same_documents(demo, tmp_path):
    """Three copies of the demo's projects under new codes (33 documents, in 2 worker
    processes) read the same as written in this process; a name with / : * is made safe."""
    result, _, _ = demo
    copies = []
    for k in range(3):
        df = reported(result).copy()
        df["project_code"] = df["project_code"] + f"-{k}"
        if k == 2:
            df["project_name"] = df["project_name"] + "/第二期:*"
        copies.append(df)
    big = RoundResult(expected=33, tables=result.tables, issues=result.issues, year=result.year)
    big.tables = type(result.tables)(**{**dict(result.tables.items()),
                                        "projects": pd.concat(copies, ignore_index=True)})
    done = []
    parallel = write_self_reports(big, tmp_path / "a", jobs=2, progress=done.append)
    serial = write_self_reports(big, tmp_path / "b", jobs=1)
    assert len(parallel) == len(serial) == 33 and sum(done) == 33
    assert len(done) < 33  # chunks: progress per chunk of documents
    for a, b in zip(parallel, serial, strict=True):
        assert a.path.relative_to(tmp_path / "a") == b.path.relative_to(tmp_path / "b")
        assert list(w.texts(Document(str(a.path)))) == list(w.texts(Document(str(b.path))))
    odd = [x.path.name for x in parallel if "第二期" in x.path.name]
    assert len(odd) == 11 and all("/" not in n and ":" not in n and "*" not in n for n in odd)


def test_no_returns_no_documents(tmp_path):
    starts = []
    assert write_self_reports(RoundResult(expected=0), tmp_path, on_start=lambda *a:
                              starts.append(a)) == []
    assert starts == [("reports", 0)] and not (tmp_path / REPORTS_DIR).exists()


# ------------------------------------------------------------------ on paper

def test_libreoffice_prints_them_with_the_figures(demo, units, tmp_path, libreoffice):
    """A project-2020 report and a rubric (unit) report through LibreOffice: A4, the figures
    and notes in the text, the placeholders shown, nothing leaking; PNGs to look at."""
    result, written, _ = demo
    _, unit_written, _ = units
    project = next(x for x in written if x.project_code == "P2023-302001-01")
    unit = next(x for x in unit_written if x.unit_code == "303001")
    files = []
    for name, x in (("project", project), ("unit", unit)):
        files.append(tmp_path / f"{name}.docx")
        shutil.copy(x.path, files[-1])
    pdfs = to_pdf(files, tmp_path / "pdf")
    for pdf in pdfs:
        assert page_count(pdf) >= 2
        width, height = page_size(pdf)
        assert abs(width - 595) < 3 and abs(height - 842) < 3  # A4 portrait
        text = squeeze("".join(pages(pdf)))
        for leak in LEAKS:
            assert leak not in text, leak
        assert text.count("【请填写：") >= 6
        to_png(pdf, tmp_path / "png", dpi=60)
    project_text = squeeze("".join(pages(pdfs[0])))
    p = next(r for r in records(reported(result)) if r["project_code"] == "P2023-302001-01")
    for figure in ("总分99.47分（表内显示75分，与重新计算不一致，请核对）", "等次为“优”（表内显示“中”",
                   f"预算执行率{w.percent(p['execution_rate'])}", w.money(p["budget_full_year"]),
                   "14.73", "2455592人", "一、项目基本情况", "七、改进措施"):
        assert squeeze(figure) in project_text, figure
    unit_text = squeeze("".join(pages(pdfs[1])))
    for figure in ("本单位总分93分，等次为“优”", "评分表得分合计93分", "561.52", "543.37",
                   "根据部门单位特点针对性设置"):
        assert figure in unit_text, figure
    assert len(list((tmp_path / "png").glob("*.png"))) >= 4
