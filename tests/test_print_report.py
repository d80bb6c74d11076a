"""The office's report on paper, as LibreOffice prints it.

The sample round (samples/returns, with the 决算 and the approved targets) is collected into a
temporary folder and its report goes through ONE soffice call to PDF; the assertions read the
PDF back (pdftotext, pdfinfo): 汇总 in Chinese (no finding code), the by-unit table on its first
page with 执行率 = Σ执行数 / Σ预算数 as the test computes it from the round's tables, every sheet
one page wide (each page holds its sheet's first and last printed column heads), 问题清单 at
9 pt or more after scaling, 序号 from 1, no absolute path, no sheet with only its header.
Every page names its sheet in the footer (工作表：…). ``XLKIT_PRINT_PNG=DIR`` keeps PNGs of
every page to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from pathlib import Path

import openpyxl
import pytest
from engine import soffice
from pdf import page_size, pages, poppler, squeeze, to_pdf, to_png

from xlkit.demo import samples_dir
from xlkit.read.tables import SCHEMA, TABLE_LABELS
from xlkit.report.workbook import ISSUE_PRINTED, MACHINE_COLUMNS, READER_TABLES
from xlkit.round.collect import collect

pytestmark = pytest.mark.skipif(soffice() is None or not poppler(),
                                reason="LibreOffice or poppler not installed")

CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b")  # final.spent, meta.issued_changed ...
FOOTER = re.compile(r"工作表：(\S+)")


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict:
    """The sample round collected, its report and the report's PDF read back."""
    tmp = tmp_path_factory.mktemp("report")
    samples = samples_dir()
    inbox = tmp / "inbox"  # an absolute path: it must not reach the paper
    shutil.copytree(samples / "returns", inbox)
    report = tmp / "报告.xlsx"
    outcome = collect(inbox, samples / "预算清单.xlsx", report,
                      finals=[samples / "决算_项目支出.xlsx", samples / "决算_收入支出决算表.xlsx"],
                      targets=samples / "绩效目标.xlsx",
                      key=(samples / "示例密钥.txt").read_bytes().strip(), year=2023, jobs=1)
    [pdf] = to_pdf([report], tmp / "pdf")
    if os.environ.get("XLKIT_PRINT_PNG"):
        to_png(pdf, Path(os.environ["XLKIT_PRINT_PNG"]), dpi=80)
    texts = pages(pdf)
    by_sheet: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        m = FOOTER.search(text)
        assert m, f"page {i + 1} has no footer naming its sheet"
        by_sheet.setdefault(m.group(1), []).append(i)
    return {"result": outcome.result, "report": report, "pdf": pdf, "texts": texts,
            "by_sheet": by_sheet, "tmp": tmp, "inbox": inbox}


def sheet_texts(printed: dict, sheet: str) -> list[str]:
    return [printed["texts"][i] for i in printed["by_sheet"][sheet]]


def body(text: str) -> str:
    """A page's text without its footer line."""
    return "\n".join(line for line in text.splitlines() if "工作表：" not in line)


def test_every_sheet_prints_a4_landscape_and_none_is_only_a_header(printed: dict) -> None:
    wb = openpyxl.load_workbook(printed["report"])
    assert list(printed["by_sheet"]) == wb.sheetnames  # each sheet prints, in order
    width, height = page_size(printed["pdf"])
    assert (round(width), round(height)) == (842, 595)  # A4 landscape
    result = printed["result"]
    # a reader table without rows is left out (the samples have no common-2011 form)
    for table in READER_TABLES:
        present = TABLE_LABELS[table] in wb.sheetnames
        assert present == bool(len(getattr(result.tables, table))), table
    assert "评分表" not in wb.sheetnames
    for sheet in wb.sheetnames:
        assert wb[sheet].max_row >= 2, sheet
        # more on paper than the header row: a data line below it
        first = body(sheet_texts(printed, sheet)[0]).strip().splitlines()
        assert len([line for line in first if line.strip()]) >= 2, sheet


def test_summary_speaks_chinese_and_shows_the_units_on_its_first_page(printed: dict) -> None:
    summary = sheet_texts(printed, "汇总")
    for text in summary:
        assert not CODE.findall(body(text)), CODE.findall(body(text))
    first = squeeze(summary[0])
    assert "分单位情况" in first and "合计" in first
    assert "执行率=Σ全年执行数÷Σ全年预算数" in first  # the definition, under the table
    names = {n for n in printed["result"].tables.projects["unit_name"].dropna()}
    assert names and all(squeeze(n) in first for n in names)
    # the main problems by title: the 12 calc.as_shown of the samples under their title
    assert "表内数字与识别填报内容后的计算结果不一致" in squeeze("".join(summary))


def test_unit_rate_is_spent_over_budget(printed: dict) -> None:
    """执行率 per unit as the test computes it: Σ全年执行数 / Σ全年预算数 over the unit's
    returns whose rate is computed; it differs from the mean of the projects' rates."""
    projects = printed["result"].tables.projects
    rated = projects[projects["execution_rate"].notna()]
    lines = body(sheet_texts(printed, "汇总")[0]).splitlines()
    differs = False
    for code, group in rated.groupby("unit_code"):
        rate = group["executed"].sum() / group["budget_full_year"].sum()
        row = next(line for line in lines if line.split()[:1] == [code])
        assert row.split()[-1] == f"{rate:.2%}", (code, row)
        assert f"{group['budget_full_year'].sum():,.2f}" in row  # thousands separators
        differs |= f"{rate:.2%}" != f"{group['execution_rate'].mean():.2%}"
    assert differs  # 晋中: 97.81 % weighted, 95.58 % as a mean of rates
    total = rated["executed"].sum() / rated["budget_full_year"].sum()
    assert next(line for line in lines if line.split()[:1] == ["合计"]).split()[-1] == \
        f"{total:.2%}"


def heads_of(sheet: str) -> tuple[str, str]:
    """The first and the last printed column heads of a list sheet."""
    if sheet == "问题清单":
        return ISSUE_PRINTED[0][1], ISSUE_PRINTED[-1][1]
    if sheet == "未报送":
        return "单位编码", "联系电话"
    table = next(t for t, label in TABLE_LABELS.items() if label == sheet)
    shown = [c.label for c in SCHEMA[table] if c.name not in MACHINE_COLUMNS.get(table, ())]
    return shown[0], shown[-1]


def test_every_sheet_is_one_page_wide(printed: dict) -> None:
    """A sheet split across pages sideways has pages without its first (or last) column:
    every page of a sheet carries both heads (the header row repeats)."""
    for sheet, numbers in printed["by_sheet"].items():
        if sheet == "汇总":
            first = squeeze(printed["texts"][numbers[0]])
            assert "单位编码" in first and "执行率" in first
            continue
        left, right = heads_of(sheet)
        for i in numbers:
            text = squeeze(printed["texts"][i])
            assert left in text and right in text, (sheet, i + 1, left, right)


def word_heights(pdf: Path, page: int) -> float:
    """The median height of the words on a page (pdftotext -bbox): the printed text size."""
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf),
                          "-"], capture_output=True, check=True).stdout.decode()
    heights = [float(b) - float(a) for a, b in
               re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', out)]
    return statistics.median(heights)


def test_issue_list_is_legible(printed: dict) -> None:
    """问题清单 prints its 10 pt text at 9 pt or more: its words are at least 90 % as tall as
    未报送's, which fits the page at 100 %."""
    reference = word_heights(printed["pdf"], printed["by_sheet"]["未报送"][0] + 1)
    for i in printed["by_sheet"]["问题清单"]:
        assert word_heights(printed["pdf"], i + 1) >= 0.9 * reference, i + 1
    text = squeeze("".join(sheet_texts(printed, "问题清单")))
    assert "公式被改成了常量" in text  # titles, not codes (calc.formula_overwritten)
    assert not CODE.findall(" ".join(body(t) for t in sheet_texts(printed, "问题清单"))
                            .replace(".xlsx", ""))
    # the fields by their labels; their codes in 字段代码, right of the printed columns
    ws = openpyxl.load_workbook(printed["report"])["问题清单"]
    head = [c.value for c in ws[1]]
    labels = [r[head.index("字段")] for r in ws.iter_rows(min_row=2, values_only=True)]
    codes = [r[head.index("字段代码")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "年度资金总额·全年执行数" in labels and "funds.total.executed" in codes
    assert "财政实际补助执行比率%·得分" in labels  # ind.0.score of 301001-01, by its name
    assert not [x for x in labels if x and re.match(r"(ind|funds|grp|exec|card)\.", x)]


def test_indicator_numbers_start_at_one(printed: dict) -> None:
    numbers = []
    for text in sheet_texts(printed, "指标"):
        for line in body(text).splitlines():
            m = re.match(r"\s*\d{6}\s+P\d{4}-\d{6}-\d{2}\s+(\d+)\s", line)
            if m:
                numbers.append(int(m.group(1)))
    assert numbers and min(numbers) == 1 and 0 not in numbers


def test_no_absolute_path_on_paper(printed: dict) -> None:
    everything = "\n".join(printed["texts"])
    assert str(printed["tmp"]) not in everything and "/tmp/" not in everything
    assert not re.search(r"(?<![\w.])/(?:home|root|tmp|Users|var)/", everything)
    assert "301001_" in everything  # the returns' paths under the inbox
    # scripts find the inbox in the workbook's custom property 收件目录
    props = openpyxl.load_workbook(printed["report"]).custom_doc_props
    assert props["收件目录"].value == str(printed["inbox"])
