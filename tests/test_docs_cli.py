"""The documents through the public interfaces: `xlkit collect --docs DIR`, `xlkit demo`
(which writes all three kinds) and `collect(..., documents=DIR)` in Python — what is written,
the index that accounts for every unit, the refusal to write inside the inbox, and the
re-run that writes them again."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from docx import Document

from xlkit.cli import main
from xlkit.docs import write_documents
from xlkit.docs.common import ANALYSIS_FILE, FEEDBACK_DIR, INDEX_FILE, REPORTS_DIR
from xlkit.round.collect import collect

LIST = SAMPLES / "预算清单.xlsx"
KEY = SAMPLES / "示例密钥.txt"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    r = run("demo", folder)
    assert r.exit_code == 0, r.output
    return folder


def _index(folder: Path) -> list[dict]:
    ws = openpyxl.load_workbook(folder / INDEX_FILE, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_the_demo_writes_all_three_kinds_and_says_so(demo):
    docs = demo / "文书"
    feedback = sorted((docs / FEEDBACK_DIR).glob("*.xlsx"))
    reports = sorted((docs / REPORTS_DIR).rglob("*.docx"))
    assert (docs / ANALYSIS_FILE).is_file() and feedback and reports
    index = _index(docs)
    written = {r["文件"] for r in index if r["文件"]}
    assert written == {str(p.relative_to(docs)) for p in [*feedback, *reports,
                                                           docs / ANALYSIS_FILE]}
    # every unit of the list is in the index as feedback: a file, or why not (通过)
    units = {str(c) for c in openpyxl.load_workbook(LIST, read_only=True).worksheets[0]
             .iter_rows(min_row=3, max_col=1, values_only=True) for c in c if c and str(c).isdigit()}
    fb = {r["单位编码"]: r for r in index if r["文书"] == "反馈"}
    assert set(fb) == units
    assert all(r["文件"] or "通过" in r["说明"] for r in fb.values())
    for p in reports:  # each opens, with the report's sections
        text = "\n".join(par.text for par in Document(p).paragraphs)
        assert "五、自评结论" in text and "None" not in text


def test_the_demo_prints_what_it_wrote(tmp_path):
    r = run("demo", tmp_path / "d")
    assert r.exit_code == 0, r.output
    docs = tmp_path / "d" / "文书"
    n_reports = len(list((docs / REPORTS_DIR).rglob("*.docx")))
    n_feedback = len(list((docs / FEEDBACK_DIR).glob("*.xlsx")))
    assert (f"文书：{docs}（反馈 {n_feedback} 份，自评报告 {n_reports} 份，汇总分析报告 1 份；"
            in r.output), r.output


def test_collect_docs_through_the_cli_and_json(demo, tmp_path):
    out = tmp_path / "docs"
    r = run("collect", demo / "returns", "--list", LIST, "-o", tmp_path / "r.xlsx",
            "--key-file", KEY, "--year", 2023, "--docs", out, "--format", "json",
            "--fail-on", "never")
    assert r.exit_code == 0, r.output
    said = json.loads(r.stdout)  # the progress bars go to stderr
    paths = {d["path"] for d in said["documents"] if d["path"]}
    assert paths == {str(p) for p in out.rglob("*") if p.suffix in (".docx", ".xlsx")
                     and p.name != INDEX_FILE}
    assert {d["kind"] for d in said["documents"]} == {"feedback", "reports", "analysis"}


def test_collect_refuses_documents_inside_the_inbox(demo, tmp_path):
    r = run("collect", demo / "returns", "--list", LIST, "-o", tmp_path / "r.xlsx",
            "--docs", demo / "returns" / "文书")
    assert r.exit_code == 2
    assert "在收件目录" in r.output and "之内" in r.output
    assert not (demo / "returns" / "文书").exists()


def test_a_rerun_with_nothing_changed_still_writes_the_documents(demo, tmp_path):
    report, docs = tmp_path / "r.xlsx", tmp_path / "docs"
    first = collect(demo / "returns", LIST, report, key=KEY.read_bytes(), year=2023)
    assert first.documents == []
    again = collect(demo / "returns", LIST, report, key=KEY.read_bytes(), year=2023,
                    documents=docs)
    assert not again.unchanged and again.result is not None
    assert {w.kind for w in again.documents} == {"feedback", "reports", "analysis"}
    assert (docs / INDEX_FILE).is_file()


def test_write_documents_kinds_and_progress(demo, tmp_path):
    result = collect(demo / "returns", LIST, tmp_path / "r.xlsx", key=KEY.read_bytes(),
                     year=2023).result
    seen, started = [], []
    written = write_documents(result, tmp_path / "only", kinds=("analysis",),
                              progress=seen.append, on_kind=lambda k, n: started.append((k, n)))
    assert [w.kind for w in written] == ["analysis"] and started == [("analysis", 1)]
    assert sum(seen) == 1 and not (tmp_path / "only" / FEEDBACK_DIR).exists()
    with pytest.raises(ValueError):
        write_documents(result, tmp_path / "x", kinds=("letters",))


def test_unique_file_names_count_up_and_ignore_case():
    from xlkit.docs.common import unique_file_name

    taken: set[str] = set()
    names = [unique_file_name("P1", "项目", suffix=".docx", taken=taken),
             unique_file_name("P1", "项目", suffix=".docx", taken=taken),
             unique_file_name("p1", "项目", suffix=".docx", taken=taken),  # same on Windows
             unique_file_name("P1", "项/目", suffix=".docx", taken=taken)]  # made safe: P1_项_目
    assert names == ["P1_项目.docx", "P1_项目_2.docx", "p1_项目_3.docx", "P1_项_目.docx"]
