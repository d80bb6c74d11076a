"""What the builder writes: locks, validation, names, signed _meta, cached values, formulas."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest
from workbooks import ISSUE, TARGETS, cell, name_map

from xlkit.build import build_workbook, write_atomic
from xlkit.core.expr.tree import disallowed_in, functions_in
from xlkit.core.layout import LAST_COL, SHEET, defined_name
from xlkit.core.meta import META_SHEET, parse_rows, verify
from xlkit.core.spec import builtin_specs, load_spec
from xlkit.ooxml.protect import legacy_password_hash


@pytest.fixture
def built(tmp_path, key):
    b = build_workbook(load_spec("project-2020"), ISSUE, TARGETS, key=key, password="s3cret")
    path = tmp_path / "p.xlsx"
    write_atomic(path, b.data)
    return b, path


def test_every_cell_is_locked_except_inputs_and_formulas_are_hidden(built):
    b, path = built
    ws = openpyxl.load_workbook(path)[SHEET]
    for c in b.layout.cells:
        x = ws.cell(c.row + 1, c.col + 1)
        assert x.protection.locked == (c.kind != "input"), (c.field, c.kind)
        assert x.protection.hidden == (c.rule is not None), c.field
        if c.kind == "input":
            assert x.fill.fgColor.rgb.endswith("FFF2CC"), c.field  # visibly an input


def test_sheet_and_structure_are_protected_and_meta_is_very_hidden(built):
    _, path = built
    wb = openpyxl.load_workbook(path)
    assert wb[SHEET].protection.sheet and wb["填报说明"].protection.sheet
    assert wb[SHEET].protection.password == legacy_password_hash("s3cret")
    assert wb.security.lockStructure
    assert wb[META_SHEET].sheet_state == "veryHidden"
    book = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    assert book.index("<workbookPr") < book.index("<workbookProtection") < book.index(
        "<bookViews")


def test_prefilled_values_and_targets_are_locked_in_place(built):
    b, path = built
    wb = openpyxl.load_workbook(path)
    assert cell(wb, "header.project_name").value == "医疗保险基金补助"
    assert cell(wb, "funds.total.full_year").value == 1500
    assert cell(wb, "funds.carryover.full_year").value == 780
    assert cell(wb, "ind.0.name").value == "财政实际补助执行比率"
    assert cell(wb, "ind.0.target").value == 100
    for f in ("funds.total.full_year", "ind.0.name", "ind.0.direction", "ind.0.weight"):
        assert cell(wb, f).protection.locked, f
    for f in ("funds.total.executed", "ind.0.actual", "ind.0.reason", "signoff.0"):
        assert not cell(wb, f).protection.locked, f
    # only the approved rows, and a hidden spare row after each 二级指标
    assert len([r for r in b.layout.indicator_rows if not r.spare]) == len(TARGETS)
    assert all(r.row in b.layout.hidden_rows for r in b.layout.indicator_rows if r.spare)


def test_every_input_has_validation_with_a_chinese_prompt(built):
    b, path = built
    ws = openpyxl.load_workbook(path)[SHEET]
    covered = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            covered[rng.coord.split(":")[0]] = dv
    for c in b.layout.inputs():
        dv = covered.get(c.address.replace("$", ""))
        assert dv is not None, c.field
        assert dv.prompt and dv.showInputMessage, c.field
        if c.vtype == "money":
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
            assert "不小于 0" in dv.error
        if c.vtype == "direction":
            assert dv.type == "list" and dv.formula1 == '"≥,≤,=,定性"'
        if c.vtype == "score" and c.max_ref:  # 定性 score within 0..分值 of its row
            assert dv.formula2 == b.layout.fields[c.max_ref].address


def test_defined_names_cover_every_field(built):
    b, path = built
    names = name_map(openpyxl.load_workbook(path))
    for f, c in b.layout.fields.items():
        assert names[defined_name(f)] == (SHEET, c.address.replace("$", "")), f


def test_meta_signature_verifies_and_fails_after_an_edit(built, key):
    b, path = built
    ws = openpyxl.load_workbook(path)[META_SHEET]
    record = parse_rows({r[0]: r[1] for r in ws.iter_rows(values_only=True)})
    assert record.payload["template_id"] == "project-2020"
    assert record.payload["project_code"] == "P2023-301001-01"
    assert record.payload["issued"]["funds.total.full_year"] == 1500
    assert record.payload["issued"]["ind.0.target"] == 100
    assert verify(record.payload, record.signature, key)
    assert not verify(record.payload, record.signature, b"another-office-key-000")
    record.payload["issued"]["funds.total.full_year"] = 2000
    assert not verify(record.payload, record.signature, key)


def test_unsigned_when_no_key(tmp_path):
    b = build_workbook(load_spec("project-2020"), ISSUE)
    rows = dict(b.record.rows())
    assert rows["signed"] == "no" and rows["signature"] == ""


def test_formula_cells_carry_their_computed_value(tmp_path):
    issue = dict(ISSUE)
    b = build_workbook(load_spec("project-2020"), issue, TARGETS)
    wb = openpyxl.load_workbook(io.BytesIO(b.data), data_only=True)
    assert cell(wb, "exec.weight").value == 10
    assert cell(wb, "grp.0.weight").value == 50  # 20 + 30 pre-filled
    assert cell(wb, "grp.1.weight").value == 30
    assert cell(wb, "ind.0.score").value is None  # nothing entered yet: blank, not 0
    wb2 = openpyxl.load_workbook(io.BytesIO(b.data))
    assert cell(wb2, "exec.rate").value.startswith("=IF(")
    # with an executed figure pre-set the cache holds the real numbers (seed 001)
    from xlkit.core.layout import build_layout
    lay = build_layout(load_spec("project-2020"), issue)
    values = lay.evaluate({"funds.total.executed": 828})
    assert values["exec.score"] == 5.52 and values["total"] == 5.52


def test_every_formula_of_every_spec_uses_only_excel_2010_functions():
    seen = set()
    for spec in builtin_specs():
        for targets in (None, TARGETS if spec.indicators and spec.indicators.scored else None):
            b = build_workbook(spec, ISSUE, targets)
            for c in b.layout.cells:
                if c.rule is not None:
                    formula = b.layout.formula(c)
                    assert not disallowed_in(formula), (spec.id, c.field, formula)
                    assert len(formula) < 8000, (spec.id, c.field)
                    seen |= functions_in(formula)
    assert {"IF", "ROUND", "MIN", "ISNUMBER", "SUM"} <= seen


@pytest.mark.parametrize("formula, bad", [
    ("=IFS(A1>1,1)", {"IFS"}), ("=_xlfn.XLOOKUP(A1,B:B,C:C)", {"_XLFN.XLOOKUP", "_xlfn."}),
    ('=TEXTJOIN(",",TRUE,A1:A3)', {"TEXTJOIN"}), ("=LET(x,1,x)", {"LET"}),
    ('=IF(A1="IFS(",1,2)', set()), ("=CONCAT(A1,B1)", {"CONCAT"}),
])
def test_allow_list_scanner_catches_new_functions(formula, bad):
    assert disallowed_in(formula) == bad


def test_built_files_open_with_pandas(built):
    _, path = built
    frames = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    assert list(frames)[:2] == [SHEET, "填报说明"]
    assert frames[SHEET].shape[1] == LAST_COL + 1  # the printed A..I and the helpers J..S
