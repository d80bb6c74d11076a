"""The office's 汇总分析报告 (xlkit.docs.analysis, issue 15 deliverable 3) and its charts.

On the demo round: the document opens with python-docx; every figure in its paragraphs and
tables equals the report workbook's (collection_counts, grade_counts, band_counts,
score_stats, unit_lines computed here from the same result) and the per-unit 执行率 equals
Σ执行数 ÷ Σ预算数 summed here from the 项目 table and shown by the report's 汇总 sheet; the
charts are there; LibreOffice prints it with the figures and no leaked placeholder. The
charts' bundled CJK font covers GB2312 and every label drawn; a character outside it falls
back to an installed CJK font or is named in the Written's note.
Set XLKIT_PRINT_PNG=DIR to keep the printed pages as PNG to look at.
"""

from __future__ import annotations

import copy
import io
import math
import os
import re
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from pdf import page_size, pages, poppler, squeeze, to_pdf, to_png
from PIL import Image

from xlkit.docs import charts, wordlib
from xlkit.docs.analysis import NEXT_STEPS, UNIT_HEAD, analysis_title, write_analysis
from xlkit.docs.common import ANALYSIS_FILE, Written
from xlkit.report import workbook as rw
from xlkit.round.result import MISSING_COLUMNS, RoundResult

RARE = "堃"  # in GBK and in names, not in GB2312: not in the bundled subset


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[RoundResult, Path]:
    from xlkit.demo import run_demo

    folder = tmp_path_factory.mktemp("demo")
    return run_demo(folder).result, folder / "报告.xlsx"


@pytest.fixture(scope="module")
def written(demo: tuple[RoundResult, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[list[Written], Path]:
    out = tmp_path_factory.mktemp("docs")
    return write_analysis(demo[0], out), out


@pytest.fixture(scope="module")
def document(written: tuple[list[Written], Path]):
    return docx.Document(str(written[1] / ANALYSIS_FILE))


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def table_with_header(doc, first: str, second: str) -> list[list[str]]:
    for t in doc.tables:
        head = [c.text for c in t.rows[0].cells]
        if head[:2] == [first, second]:
            return table_rows(t)[1:]
    raise AssertionError(f"no table headed {first} / {second}")


def body(doc) -> str:
    return "\n".join(wordlib.texts(doc))


# ---------------------------------------------------------------- the document's figures

def test_one_document_written_atomically(written: tuple[list[Written], Path]) -> None:
    out_list, out = written
    assert [(w.kind, w.path, w.note) for w in out_list] == [("analysis", out / ANALYSIS_FILE, "")]
    assert [p.name for p in out.iterdir()] == [ANALYSIS_FILE]  # no temp file left


def test_title_sections_and_placeholder(demo, document) -> None:
    result = demo[0]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Title",
                                                                               "Heading"))]
    assert headings[0] == analysis_title(result.year) == "2023年度预算绩效自评汇总分析报告"
    tops = [h for h in headings if re.match("^[一二三四五六]、", h)]
    assert tops == ["一、总体情况", "二、评价结果", "三、预算执行", "四、主要问题", "五、催报名单",
                    "六、下一步工作"]
    assert wordlib.placeholders(document) == [NEXT_STEPS]
    assert document.sections[0].page_width == wordlib.PAGE_W * 635  # A4


def test_overview_equals_summary(demo, document) -> None:
    result = demo[0]
    s = result.summary()
    text = body(document)
    assert (f"应报送绩效自评表 {s['应报']} 份，已报送 {s['已报']} 份，未报送 {s['未报']} 份，"
            f"报送率 {wordlib.percent(s['已报'] / s['应报'])}") in text
    assert (f"收到文件 {s['收到文件']} 个，其中读取 {s['读取']} 个、无法读取 {s['无法读取']} 个、"
            f"跳过 {s['跳过']} 个") in text
    assert f"错误 {s['错误']} 处、提示 {s['提示']} 处" in text
    assert s["收到文件"] == s["读取"] + s["无法读取"] + s["跳过"]
    assert table_with_header(document, "项目", "数量") == [
        [label, str(n), meaning] for label, n, meaning in rw.collection_counts(s)]
    # against the tables themselves
    assert s["应报"] - s["未报"] == s["已报"] == len(rw.returned_projects(
        result.tables.projects))
    assert s["未报"] == len(result.missing)


def test_grades_and_scores_equal_the_reports(demo, document) -> None:
    result = demo[0]
    projects = rw.returned_projects(result.tables.projects)
    grades = rw.grade_counts(projects)
    assert table_with_header(document, "等次", "数量") == [
        [label, str(n), wordlib.percent(p)] for label, n, p in rw.share_rows(grades)]
    # the tables say the same: grade by grade
    counted = projects["grade"].value_counts()
    assert {g: n for g, n in grades if g != rw.NO_GRADE} == {
        g: int(counted.get(g, 0)) for g, _ in grades if g != rw.NO_GRADE}
    scores = rw.band_counts(projects["total_score"].tolist(), rw.SCORE_BANDS)
    assert table_with_header(document, "总分", "数量") == [
        [label, str(n), wordlib.percent(p)] for label, n, p in rw.share_rows(scores)]
    average, median, scored = rw.score_stats(projects)
    totals = pd.to_numeric(projects["total_score"], errors="coerce").dropna()
    assert scored == len(totals) and math.isclose(average, totals.mean())
    assert (f"已评分的 {scored} 个，平均总分 {average:.2f} 分，总分中位数 {median:.2f} 分"
            in body(document))


def test_units_equal_the_reports_and_the_tables(demo, document) -> None:
    result, report = demo
    units, _ = rw.unit_lines(result)
    total = rw.total_line(units)
    head = next(t for t in document.tables if [c.text for c in t.rows[0].cells] ==
                list(UNIT_HEAD))
    rows = table_rows(head)[1:]
    assert rows[:-1] == [[u.name, str(u.expected), str(u.returned),
                          f"{rw.mean(u.scores):.2f}", wordlib.money(u.budget),
                          wordlib.money(u.executed), wordlib.percent(u.rate)] for u in units]
    assert rows[-1] == ["合计", str(total.expected), str(total.returned),
                        f"{rw.mean(total.scores):.2f}", wordlib.money(total.budget),
                        wordlib.money(total.executed), wordlib.percent(total.rate)]
    # Σ执行数 ÷ Σ预算数 from the 项目 table, unit by unit
    p = rw.returned_projects(result.tables.projects)
    p = p[p["execution_rate"].notna()]
    sums = p.groupby("unit_name")[["budget_full_year", "executed"]].sum()
    by_doc = {r[0]: r[6] for r in rows[:-1]}
    assert by_doc == {name: wordlib.percent(row.executed / row.budget_full_year)
                      for name, row in sums.iterrows()}
    assert f"总体执行率 {wordlib.percent(sums.executed.sum() / sums.budget_full_year.sum())}" \
        in body(document)
    assert rw.RATE_NOTE in body(document)  # the definition under it
    # and the report workbook's 汇总 shows the same rates
    ws = openpyxl.load_workbook(report, read_only=True)[rw.SUMMARY]
    sheet_rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(sheet_rows) if r[0] == "单位编码") + 1
    shown = {}
    for r in sheet_rows[start:]:
        if r[0] in (None, "合计"):
            break
        shown[r[1]] = wordlib.percent(r[rw.RATE_COL])
    assert shown == by_doc


def test_main_problems_equal_the_reports(demo, document) -> None:
    result = demo[0]
    top = result.summary()["主要问题"]
    titles = rw.rule_titles(pd.Series([t["规则"] for t in top], dtype=object), result.titles)
    rows = table_with_header(document, "序号", "问题")
    assert rows == [[str(i), name, t["级别"], str(t["数量"])]
                    for i, (t, name) in enumerate(zip(top, titles, strict=True), start=1)]
    counted = result.issues.groupby("rule").size()
    assert sum(int(r[3]) for r in rows) == int(counted[[t["规则"] for t in top]].sum())
    assert not any("." in r[1] for r in rows)  # titles, not codes


def test_chase_list_equals_missing(demo, document) -> None:
    result = demo[0]
    rows = table_with_header(document, "单位编码", "单位名称")
    assert rows == [["" if pd.isna(v) else str(v) for v in r]
                    for r in result.missing[list(MISSING_COLUMNS)].itertuples(index=False)]
    assert rows and all(r[4] and r[5] for r in rows)  # 联系人, 联系电话
    units = result.missing["unit_code"].nunique()
    assert f"尚有 {units} 个单位的 {len(result.missing)} 个项目未报送" in body(document)


def test_charts_are_pictures(demo, document) -> None:
    result = demo[0]
    units, _ = rw.unit_lines(result)
    rated = sum(u.rate is not None for u in units)
    projects = rw.returned_projects(result.tables.projects)
    counts = [rw.grade_counts(projects),
              rw.band_counts(projects["total_score"].tolist(), rw.SCORE_BANDS)]
    expected = sum(any(n for _, n in c) for c in counts) + math.ceil(
        rated / charts.RATES_PER_CHART)
    assert len(document.inline_shapes) == expected == 3
    for shape in document.inline_shapes:
        assert shape.width.cm == pytest.approx(charts.WIDTH_CM, abs=0.01)
    images = [rel.target_part for rel in document.part.rels.values()
              if rel.reltype.endswith("/image")]
    assert {p.content_type for p in images} == {"image/png"}
    for part in images:
        img = Image.open(io.BytesIO(part.blob))
        assert img.width == round(charts.WIDTH_CM / 2.54 * charts.DPI)


def test_empty_round_and_rare_name(tmp_path: Path, demo, monkeypatch) -> None:
    # nothing returned: the document still says what there is, no chart drawn
    empty = RoundResult(expected=2, year=2024, missing=pd.DataFrame(
        [{"unit_code": "1", "unit_name": "甲单位", "project_code": f"P{i}",
          "project_name": "项目", "contact": None, "phone": None} for i in range(2)]))
    (w,) = write_analysis(empty, tmp_path / "empty")
    doc = docx.Document(str(w.path))
    text = body(doc)
    assert len(doc.inline_shapes) == 0
    assert "没有发现问题。" in text and "没有能算出执行率的项目" in text
    assert "None" not in text and "nan" not in text
    # a unit named with a character outside the bundled font: an installed CJK font draws
    # it; with none installed the document is written and the note names the character
    result = copy.deepcopy(demo[0])
    projects = result.tables.projects
    first = projects["unit_code"] == projects["unit_code"].iloc[0]
    projects.loc[first, "unit_name"] = f"{RARE}测试单位"
    bundled = charts.FontChain((charts.FAMILY,), charts.charmap(str(charts.FONT_FILE)))
    assert ord(RARE) not in bundled.chars
    (w,) = write_analysis(result, tmp_path / "rare")
    chain = charts.font_chain()
    assert w.note == ("" if ord(RARE) in chain.chars else
                      f"图表中以下字符没有可用的字体，显示为方框：{RARE}")
    monkeypatch.setattr(charts, "font_chain", lambda: bundled)
    (w,) = write_analysis(result, tmp_path / "alone")
    assert w.note == f"图表中以下字符没有可用的字体，显示为方框：{RARE}"
    assert f"{RARE}测试单位" in body(docx.Document(str(w.path)))


# ---------------------------------------------------------------- the font and the charts

def test_bundled_font_covers_gb2312() -> None:
    folder = charts.FONT_FILE.parent
    assert (folder / "OFL.txt").read_text(encoding="utf-8").startswith("Copyright")
    assert "SIL OPEN FONT LICENSE" in (folder / "OFL.txt").read_text(encoding="utf-8")
    assert charts.FONT_FILE.stat().st_size <= 5_000_000
    have = charts.charmap(str(charts.FONT_FILE))
    gb2312 = set()
    for b1 in range(0xB0, 0xF8):  # the 6,763 汉字
        for b2 in range(0xA1, 0xFF):
            try:
                gb2312.add(ord(bytes((b1, b2)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    assert len(gb2312) == 6763 and gb2312 <= have
    assert {ord(c) for c in "（）：；，。、「」—–−÷Σ%≤≥0123456789<>"} <= have


def test_chart_labels_have_glyphs(tmp_path: Path) -> None:
    labels = ["益阳市医疗保障事务中心", "晋中市医疗保障局", "达州市达川区医疗保险管理局"]
    title = "各单位执行率（Σ全年执行数 ÷ Σ全年预算数）"
    (chart,) = charts.rate_charts(labels, [0.552, 0.9781, 1.0], title)
    bundled = charts.charmap(str(charts.FONT_FILE))
    assert all(ord(ch) in bundled for ch in "".join([title, *labels]) if ch != " ")
    assert chart.missing == ""
    img = Image.open(io.BytesIO(chart.png))
    assert img.format == "PNG" and img.width == round(charts.WIDTH_CM / 2.54 * charts.DPI)
    grades = charts.count_chart([("优", 3), ("良", 1), ("中", 0), ("差", 0), ("未评", 1)],
                                "等次分布", charts.COLORS["grade"], "等次")
    assert grades is not None and grades.missing == ""
    assert charts.count_chart([("优", 0)], "等次分布", "#000000") is None
    # many units: 30 a chart, numbered
    many = charts.rate_charts([f"单位{i}" for i in range(65)], [0.9] * 65, "执行率")
    assert len(many) == 3
    if os.environ.get("XLKIT_PRINT_PNG"):
        look = Path(os.environ["XLKIT_PRINT_PNG"])
        look.mkdir(parents=True, exist_ok=True)
        (look / "chart_rates.png").write_bytes(chart.png)
        (look / "chart_grades.png").write_bytes(grades.png)
    # a "$" in a name is a dollar sign, not mathtext
    assert charts.rate_charts(["$A$单位$"], [0.5], "执行率")[0].missing == ""


# ---------------------------------------------------------------- on paper

@pytest.mark.libreoffice
def test_printed_through_libreoffice(demo, written, libreoffice: str, tmp_path: Path) -> None:
    if not poppler():
        pytest.skip("poppler-utils (pdftotext, pdftoppm) not installed")
    result = demo[0]
    (pdf,) = to_pdf([written[1] / ANALYSIS_FILE], tmp_path)
    width, height = page_size(pdf)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait
    text = squeeze("\n".join(pages(pdf, layout=False)))  # a wrapped cell reads whole
    s = result.summary()
    units, _ = rw.unit_lines(result)
    total = rw.total_line(units)
    expected = [analysis_title(result.year), f"报送率{wordlib.percent(s['已报'] / s['应报'])}",
                f"总体执行率{wordlib.percent(total.rate)}", wordlib.money(total.budget),
                *(u.name for u in units), *(wordlib.percent(u.rate) for u in units),
                *(wordlib.money(u.budget) for u in units),
                *result.missing["phone"].astype(str), "六、下一步工作", "【请填写："]
    assert [e for e in expected if squeeze(e) not in text] == []
    for leak in ("None", "nan", "NaN", "{", "}"):
        assert leak not in text, leak
    if os.environ.get("XLKIT_PRINT_PNG"):
        to_png(pdf, Path(os.environ["XLKIT_PRINT_PNG"]), dpi=60)


def test_through_write_documents(demo, tmp_path: Path) -> None:
    from xlkit.docs import write_documents
    from xlkit.docs.common import INDEX_FILE

    started, done = [], []
    written = write_documents(demo[0], tmp_path, kinds=("analysis",),
                              progress=done.append, on_kind=lambda k, n: started.append((k, n)))
    assert [w.path for w in written] == [tmp_path / ANALYSIS_FILE]
    assert started == [("analysis", 1)] and done == [1]
    ws = openpyxl.load_workbook(tmp_path / INDEX_FILE, read_only=True).active
    assert [tuple(v or None for v in r[1:]) for r in ws.iter_rows(min_row=2, values_only=True)
            ] == [("汇总分析报告", None, None, None, None, ANALYSIS_FILE, None)]
