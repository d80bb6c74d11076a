"""The reader: returned workbooks → tables and findings located by cell; tampering caught."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from engine import recalculate
from workbooks import ISSUE, TARGETS, by_code, cell, codes, fill, unprotected_with

from xlkit import read_many, read_workbook
from xlkit.build import build_workbook, write_atomic
from xlkit.core.expr.tree import percent_flag
from xlkit.core.layout import build_layout
from xlkit.core.meta import META_SHEET
from xlkit.core.spec import load_spec

FILLED = {  # a complete, consistent return
    "funds.total.executed": 1200, "funds.fiscal.full_year": 720, "funds.carryover.full_year": 780,
    "funds.fiscal.executed": 600, "funds.carryover.executed": 600,
    # 80% and 95% as Excel stores them in the %-formatted 实际完成值 of a 计量单位 % row
    "ind.0.actual": 0.8, "ind.0.reason": "年底清算未完",
    "ind.1.tier": "达成", "ind.1.qscore": 28, "ind.1.actual": "及时拨付", "ind.1.reason": "个别延迟",
    "ind.2.tier": "达成", "ind.2.qscore": 30, "ind.2.actual": "好",
    "ind.3.actual": 0.95,
    "goals.expected": "保障离休人员医疗待遇", "goals.actual": "已保障",
    "signoff.0": "刘纪", "signoff.1": "6501871", "signoff.2": "2024.5.20",
}


@pytest.fixture
def filled(tmp_path, issued) -> Path:
    path = tmp_path / "returned.xlsx"
    fill(issued, path, FILLED)
    return path


def test_a_clean_return_reads_into_numbers_equal_to_python(filled, key):
    r = read_workbook(filled, key=key, year=2023)
    assert r.status == "read"
    assert [f for f in r.findings if f.severity == "错误"] == []
    layout = build_layout(load_spec("project-2020"), ISSUE, TARGETS)
    want = layout.evaluate({**FILLED, percent_flag("ind.0.actual"): True,
                            percent_flag("ind.3.actual"): True})
    p = r.project
    assert (p["unit_code"], p["project_code"], p["signed"], p["signature_ok"]) == (
        "301001", "P2023-301001-01", True, True)
    assert p["execution_rate"] == pytest.approx(0.8) and p["execution_score"] == 8
    assert p["total_score"] == want["total"] == 8 + 16 + 28 + 30 + 10
    assert p["grade"] == want["grade"] == "优"
    assert p["filled_by"] == "刘纪" and p["filled_date"] == "2024-05-20"
    ind = {x["name"]: x for x in r.indicators}
    assert ind["财政实际补助执行比率"]["score_computed"] == 16
    assert ind["医疗补助发放及时性"]["score_entered"] == 28
    assert ind["参保对象满意度"]["cell"] == "自评表!" + cell(
        openpyxl.load_workbook(filled), "ind.3.actual").coordinate
    funds = {(x["row"], x["column"]): x for x in r.funds}
    assert funds[("total", "executed")]["amount"] == 1200
    assert funds[("carryover", "full_year")]["amount"] == 780
    assert funds[("carryover", "full_year")]["row_label"] == "上年结转资金"
    assert funds[("total", "full_year")]["prefilled"] and not funds[("total", "executed")]["prefilled"]
    assert {h["key"]: h["value"] for h in r.header}["project_name"] == r.project["project_name"]


@pytest.mark.libreoffice
def test_round_trip_through_libreoffice(tmp_path, filled, key, libreoffice):
    """build → fill with openpyxl → LibreOffice recalculates and saves → read."""
    saved = recalculate([filled], tmp_path / "lo")[0]
    wb = openpyxl.load_workbook(saved)
    assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")  # LO saves it as hidden
    r = read_workbook(saved, key=key, year=2023)
    assert r.status == "read"
    assert [f.code for f in r.findings if f.severity == "错误"] == []
    assert not [c for c in codes(r) if c.startswith("calc.")]  # LO's numbers = Python's
    assert r.project["total_score_in_file"] == r.project["total_score"] == 92
    assert r.project["grade_in_file"] == "优"


@pytest.mark.libreoffice
def test_xls_resave_is_read_from_values(tmp_path, filled, key, libreoffice):
    import subprocess

    out = tmp_path / "xls"
    subprocess.run([libreoffice, f"-env:UserInstallation=file://{tmp_path}/prof", "--headless",
                    "--convert-to", "xls", "--outdir", str(out), str(filled)], check=True,
                   capture_output=True, timeout=300)
    r = read_workbook(out / "returned.xls", key=key)
    assert r.status == "read", r.reason
    assert "file.xls" in codes(r)
    assert r.project["total_score"] == 92 and r.project["signature_ok"]


def _strip_protection_and_edit(src: Path, dst: Path, edits: dict) -> None:
    unprotected_with(src, edits).save(dst)


def test_budget_figure_edited_with_protection_removed(tmp_path, filled, key):
    dst = tmp_path / "t.xlsx"
    _strip_protection_and_edit(filled, dst, {"funds.total.full_year": 1200})
    r = read_workbook(dst, key=key)
    f = by_code(r, "meta.issued_changed")
    assert (f.sheet, f.expected, f.actual) == ("自评表", "1500", "1200")
    assert f.cell == cell(openpyxl.load_workbook(dst), "funds.total.full_year").coordinate
    assert "年度资金总额·全年预算数" in f.message
    assert r.project["budget_full_year"] == 1500  # the issued figure is the one that counts


def test_approved_target_rewritten_is_caught(tmp_path, filled, key):
    dst = tmp_path / "t.xlsx"
    _strip_protection_and_edit(filled, dst, {"ind.0.target": 80})
    f = by_code(read_workbook(dst, key=key), "meta.issued_changed")
    assert f.field == "ind.0.target" and (f.expected, f.actual) == ("100", "80")


def test_formula_replaced_by_a_constant(tmp_path, filled, key):
    dst = tmp_path / "t.xlsx"
    _strip_protection_and_edit(filled, dst, {"ind.0.score": 20})
    r = read_workbook(dst, key=key)
    f = by_code(r, "calc.formula_overwritten")
    assert f.field == "ind.0.score" and (f.expected, f.actual) == ("16", "20")
    assert "常量 20" in f.message and "应为 16" in f.message
    assert r.project["total_score"] == 92  # recomputed, not trusted


def test_stale_cached_value_is_reported(tmp_path, filled, key):
    data = io.BytesIO()
    src = zipfile.ZipFile(filled)
    total = cell(openpyxl.load_workbook(filled), "total").coordinate
    with zipfile.ZipFile(data, "w") as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rf'(<c r="{total}"[^>]*>(<f>[^<]*</f>)?)(<v>[^<]*</v>)?'.encode(),
                              rb"\1<v>99.5</v>", body, count=1)
            z.writestr(info, body)
    dst = tmp_path / "stale.xlsx"
    dst.write_bytes(data.getvalue())
    f = by_code(read_workbook(dst, key=key), "calc.stale")
    assert f.cell == total and (f.expected, f.actual) == ("92", "99.5")


def test_meta_copied_from_another_units_workbook(tmp_path, filled, key):
    other = dict(ISSUE, unit_code="302001", unit_name="晋中市医疗保障局",
                 project_code="P2023-302001-02", project_name="打击欺诈骗保专项行动")
    b = build_workbook(load_spec("project-2020"), other, TARGETS, key=key, password="pw")
    donor = openpyxl.load_workbook(io.BytesIO(b.data))[META_SHEET]
    wb = openpyxl.load_workbook(filled)
    meta = wb[META_SHEET]
    for row in meta.iter_rows():
        for c in row:
            c.value = None
    for row in donor.iter_rows():
        for c in row:
            meta[c.coordinate].value = c.value
    dst = tmp_path / "copied.xlsx"
    wb.save(dst)
    r = read_workbook(dst, key=key)
    assert r.project["signature_ok"] is True  # a genuine _meta ...
    f = by_code(r, "meta.copied")  # ... of another workbook
    assert "打击欺诈骗保专项行动" in f.message and "医疗保险基金补助" in f.message


def test_meta_payload_edited_breaks_the_signature(tmp_path, filled, key):
    wb = openpyxl.load_workbook(filled)
    meta = wb[META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "payload.0":
            row[1].value = row[1].value.replace('"funds.total.full_year":1500',
                                                '"funds.total.full_year":1200')
    wb.save(tmp_path / "m.xlsx")
    r = read_workbook(tmp_path / "m.xlsx", key=key)
    assert "meta.bad_signature" in codes(r)
    r = read_workbook(filled, key=b"another-office-key-123456")
    assert by_code(r, "meta.bad_signature").message.endswith("另一把密钥签发")


def test_another_years_template_and_unsigned(tmp_path, key):
    b = build_workbook(load_spec("project-2020"), dict(ISSUE, year=2022), TARGETS)
    path = tmp_path / "y.xlsx"
    write_atomic(path, b.data)
    r = read_workbook(path, key=key, year=2023)
    f = by_code(r, "meta.wrong_year")
    assert "2022 年度" in f.message and f.severity == "错误"
    # unsigned: with the office key a 错误 (nothing in _meta is trusted), without it a hint
    assert by_code(r, "meta.signature_missing").severity == "错误"
    assert by_code(read_workbook(path, year=2023), "meta.unsigned").severity == "提示"


def test_no_meta_and_unknown_template_are_rejected_in_plain_chinese(tmp_path, filled):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便一张表"
    wb.save(tmp_path / "plain.xlsx")
    r = read_workbook(tmp_path / "plain.xlsx")
    assert r.status == "rejected" and r.code == "meta.missing" and "_meta" in r.reason
    wb = openpyxl.load_workbook(filled)
    for row in wb[META_SHEET].iter_rows():
        if row[0].value == "payload.0":
            row[1].value = row[1].value.replace('"template_id":"project-2020"',
                                                '"template_id":"project-1999"')
    wb.save(tmp_path / "u.xlsx")
    r = read_workbook(tmp_path / "u.xlsx")
    assert r.status == "rejected" and r.code == "meta.unknown_template"
    assert "project-1999" in r.reason


def test_in_form_checks(tmp_path, issued, key):
    values = dict(FILLED)
    values.update({
        "funds.total.executed": 1600,  # over the 1500 budget
        "funds.fiscal.executed": 100,  # sources no longer add up to 1600
        "ind.0.actual": "未统计",  # not a number
        "ind.0.reason": None,
        "ind.1.qscore": 31,  # above its weight 30
        "ind.2.tier": "部分达成",  # 30 of 30 is not in 60–80%
        "ind.3.actual": "905",  # a percent field holding 905
        "signoff.1": None,
    })
    dst = tmp_path / "bad.xlsx"
    fill(issued, dst, values)
    r = read_workbook(dst, key=key)
    found = {f.code: f for f in r.findings}
    assert found["check.over_execution"].expected == "1500"
    assert found["check.fund_parts"].field == "funds.total.executed"
    text = {f.field: f for f in r.findings if f.code == "value.text_number"}
    assert "'未统计'" in text["ind.0.actual"].message and "请填数字" in text["ind.0.actual"].message
    assert found["check.score_over_weight"].actual == "31"
    assert found["check.tier_band"].expected == "部分达成"
    assert "'905'" in found["value.implausible"].message
    assert found["value.recommended"].field == "signoff.1"
    for f in r.findings:
        assert f.file == str(dst)
        assert f.code.startswith("meta.") or f.cell, f


def test_reason_required_when_score_is_below_weight(tmp_path, issued, key):
    values = dict(FILLED, **{"ind.0.reason": None})
    fill(issued, tmp_path / "r.xlsx", values)
    f = by_code(read_workbook(tmp_path / "r.xlsx", key=key), "check.reason_missing")
    assert f.field == "ind.0.reason" and (f.expected, f.actual) == ("20", "16")


def test_text_typed_numbers_are_parsed_and_reported_as_the_sheet_shows_them(tmp_path, issued,
                                                                           key):
    """Text where a number belongs counts on no sheet: the reader recomputes with the
    number it would be, reports the text at its cell (value.text_number: the raw text, the
    number, a figure it changes) and every figure the sheet shows otherwise (calc.as_shown)."""
    values = dict(FILLED, **{"funds.total.executed": "1,200.00", "ind.3.actual": "95%",
                             "ind.0.actual": "８０"})
    fill(issued, tmp_path / "t.xlsx", values)
    r = read_workbook(tmp_path / "t.xlsx", key=key)
    assert r.project["executed"] == 1200 and r.project["total_score"] == 92
    # the sheet: 执行率 blank, both indicator scores blank: 28 + 30
    assert r.project["total_score_shown"] == 58 and r.project["grade_shown"] == "差"
    assert r.shown["exec.rate"] is None and r.computed["exec.rate"] == pytest.approx(0.8)
    text = {f.field: f for f in r.findings if f.code == "value.text_number"}
    assert set(text) == {"funds.total.executed", "ind.0.actual", "ind.3.actual"}
    assert all(f.severity == "错误" for f in text.values())
    assert "'1,200.00'" in text["funds.total.executed"].message
    assert "识别为数字 1200" in text["funds.total.executed"].message
    assert "「执行率」应为 0.8" in text["funds.total.executed"].message
    differ = {f.field: f for f in r.findings if f.code == "calc.as_shown"}
    assert set(differ) == {f for f in r.shown if r.shown[f] != r.computed[f]} == {
        "exec.rate", "exec.score", "ind.0.score", "ind.3.score", "grp.0.score", "grp.2.score",
        "total", "grade"}
    assert (differ["total"].expected, differ["total"].actual) == ("92", "58")
    assert "'1,200.00'" in differ["total"].message and "'95%'" in differ["total"].message
    assert "'95%'" not in differ["exec.rate"].message  # only the entries behind the figure
    assert {f.code for f in r.findings if f.severity == "错误"} == {
        "value.text_number", "calc.as_shown"}


def test_blank_form_weights_checked(tmp_path):
    b = build_workbook(load_spec("project-2020"), ISSUE)  # no targets: the unit sets weights
    path = tmp_path / "blank.xlsx"
    write_atomic(path, b.data)
    fill(path, tmp_path / "w.xlsx", {"ind.0.name": "参保人数", "ind.0.direction": "≥",
                                     "ind.0.target": 100, "ind.0.actual": 100,
                                     "ind.0.weight": 45, "funds.total.executed": 1500})
    r = read_workbook(tmp_path / "w.xlsx")
    assert by_code(r, "check.group_weights").expected == "50"
    assert by_code(r, "check.weights_total").actual == "55"


def test_read_many_accounts_for_every_file(tmp_path, filled, key):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    shutil.copy(filled, inbox / "sub" / "a.xlsx")
    (inbox / "~$a.xlsx").write_bytes(b"lock")
    (inbox / "notes.xlsx").write_text("not a workbook")
    tables = read_many([inbox], key=key, jobs=2)
    files = tables.files.set_index("path")["status"].to_dict()
    assert files == {str(inbox / "sub" / "a.xlsx"): "read", str(inbox / "~$a.xlsx"): "skipped",
                     str(inbox / "notes.xlsx"): "rejected"}
    assert len(tables.projects) == 1 and len(tables.indicators) == 4
    funds = load_spec("project-2020").funds
    assert len(tables.funds) == len(funds.rows) * len(funds.columns)  # one row a cell
    assert str(tables.projects["total_score"].dtype) == "float64"
    assert tables.findings["file"].isin(list(files)).all()


def test_zip_bomb_and_absurd_sheets_are_rejected_before_parsing(tmp_path, filled):
    from xlkit.ooxml.safety import Limits

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 << 20))
    r = read_workbook(bomb)
    assert r.code == "file.zip_bomb" and "max_ratio" in r.reason
    r = read_workbook(filled, limits=Limits(max_merged_ranges=10))
    assert r.code == "file.too_complex" and "max_merged_ranges" in r.reason
    r = read_workbook(filled, limits=Limits(max_cells=50))
    assert r.code == "file.too_complex" and "max_cells" in r.reason
    r = read_workbook(filled, limits=Limits(max_file_bytes=1000))
    assert r.code == "file.too_large" and "max_file_bytes" in r.reason


def test_other_template_version_is_said(tmp_path, filled):
    wb = openpyxl.load_workbook(filled)
    for row in wb[META_SHEET].iter_rows():
        if row[0].value == "payload.0":
            row[1].value = row[1].value.replace('"template_version":1', '"template_version":2')
    wb.save(tmp_path / "v.xlsx")
    r = read_workbook(tmp_path / "v.xlsx")
    f = by_code(r, "meta.other_version")
    assert f.severity == "提示" and "第 2 版" in f.message and r.status == "read"
