"""Issued formula cells cache what their formulas give on the issued inputs.

A preview that does not calculate (mail, WeChat, a file manager's quick look) shows the cached
values, so they must be what Excel would show: every formula cell of every issued form, built
by both builders, is compared with LibreOffice's and Gnumeric's recalculation of the same
file (numbers within 1e-9, texts equal, blank as blank). Whatever formulas a form gains
(subtotals of weights, 总分 分值, a cell's format read by ``CELL``) are covered as they come.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from engine import cached_values, formula_cells, recalculate_all, same_value
from workbooks import ISSUE, TARGETS

from xlkit.build import build_workbook, write_atomic
from xlkit.build.distribute import issue_all, plan
from xlkit.build.fast import FastBuilder, _cached_cell
from xlkit.build.workbook import _blank_results_as_text, _cacheable, render
from xlkit.core.expr.tree import FormulaError, Lit, Ref
from xlkit.core.layout import SHEET, Cell, build_layout
from xlkit.core.meta import make_record
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import read_list, read_targets

pytestmark = pytest.mark.libreoffice

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
KEY = b"cached-values-key"
CREATED = dt.datetime(2024, 1, 5, 9, 0)
#: (spec, issue, targets) of the forms issued besides the sample list's
FORMS = (
    ("project-2020", None, None),  # blank
    ("project-2020", ISSUE, None),
    ("project-2020", ISSUE, TARGETS),
    ("dept-2020", None, None),
    ("dept-2020", ISSUE, None),
    ("common-2011", None, None),
    ("common-2011", ISSUE, None),
)


def _issued(tmp: Path) -> list[Path]:
    """Every form both builders issue, and the sample list's workbooks as issue_all issues
    them (fast) and as build_workbook builds them."""
    files = []
    for i, (spec_id, issue, targets) in enumerate(FORMS):
        spec = load_spec(spec_id)
        ref = build_workbook(spec, issue, targets, key=KEY, password="pw", created=CREATED)
        fast = FastBuilder(spec, key=KEY, password="pw", created=CREATED).build(issue, targets)
        for kind, data in (("ref", ref.data), ("fast", fast)):
            path = tmp / f"{i}-{spec_id}-{kind}.xlsx"
            write_atomic(path, data)
            files.append(path)
    spec = load_spec("project-2020")
    listed = read_list(SAMPLES / "预算清单.xlsx")
    targets, problems = read_targets(SAMPLES / "绩效目标.xlsx")
    assert not listed.problems and not problems
    out = tmp / "list"
    issued = issue_all(spec, plan(spec, listed.rows, out), year=2023, out_dir=out,
                       targets=targets, key=KEY, password="2023", created=CREATED)
    assert len(issued) == 12
    for k, it in enumerate(issued):
        files.append(it.path)
        code = it.row["project_code"]
        ref = build_workbook(spec, dict(it.row, year=2023), targets.get(code), key=KEY,
                             password="2023", created=CREATED)
        path = tmp / f"list-ref-{k:02d}.xlsx"
        write_atomic(path, ref.data)
        files.append(path)
    return files


def test_cached_values_are_what_libreoffice_and_gnumeric_calculate(tmp_path, engines):
    files = _issued(tmp_path / "in")
    names = [f.name for f in files]
    assert len(set(names)) == len(names)
    out = recalculate_all(files, tmp_path / "out")
    compared = shown = 0
    problems = []
    for k, path in enumerate(files):
        formulas = formula_cells(path, SHEET)
        assert formulas, path.name
        cached = cached_values(path, SHEET, formulas)
        for engine, done in out.items():
            got = cached_values(done[k], SHEET, formulas)
            for addr, formula in formulas.items():
                compared += 1
                if not same_value(cached[addr], got[addr]):
                    problems.append(f"{path.name} {addr}: cached {cached[addr]!r}, {engine} "
                                    f"{got[addr]!r} ({formula[:70]})")
        shown += sum(v not in (None, "") for v in cached.values())
    assert not problems, f"{len(problems)} of {compared}:\n" + "\n".join(problems[:40])
    # not only blanks: 校验 texts ("请填写全年执行数"), weight subtotals of the targets
    assert shown > 3 * len(files), shown


def _reference_formula_cell(value: Any) -> str:
    """The end of the ``<c>`` element the reference builder writes for a formula cell caching
    ``value`` (xlsxwriter, then the form's blank results typed as text)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet().write_formula(0, 0, "=A2", None, _cacheable(value))
    wb.close()
    data = _blank_results_as_text(buf.getvalue())
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    m = re.search(r'<c r="A1"(.*?</c>)', xml)
    assert m is not None
    return m.group(1)


@pytest.mark.parametrize("value", [True, False, 0, 2.5, 1e-7, 12579.31, "", "请填写全年执行数",
                                   "a<b&c", FormulaError("#DIV/0!"), None])
def test_both_builders_cache_a_value_alike(value):
    """The fast builder writes a cached value as the reference builder does: booleans as
    booleans (``t="b"``), not as the text "TRUE"; "" (and blank) as an empty text, as Excel
    writes it, not as xlsxwriter's untyped empty value."""
    got = _cached_cell(value, "A2")
    assert got == _reference_formula_cell("" if value is None else value)
    if isinstance(value, bool):
        assert got == f' t="b"><f>A2</f><v>{int(value)}</v></c>'
    if value in (None, ""):
        assert got == ' t="str"><f>A2</f><v></v></c>'


def test_booleans_errors_and_texts_are_cached_as_the_engines_show_them(tmp_path, engines):
    """Formula kinds no form has today (a boolean, an error value) cached right: a form
    laid out with extra formula cells of each kind, rendered, recalculated."""
    spec = load_spec("project-2020")
    layout = build_layout(spec, ISSUE, TARGETS)
    budget = Ref("funds.total.full_year")
    extra = {"x.bool": budget >= 1000, "x.false": budget < 0, "x.error": budget / 0,
             "x.text": Lit("文本").cat(budget), "x.number": budget / 7, "x.blank": Lit("")}
    row = layout.row + 2
    for k, (fld, rule) in enumerate(extra.items()):
        layout.add(Cell(row, k, "formula", field=fld, rule=rule, vtype="score"))
    issued = {f: c.value for f, c in layout.fields.items() if c.kind == "prefill"}
    record = make_record({"template_id": spec.id, "template_version": spec.version,
                          "issued": issued}, KEY)
    path = tmp_path / "extra.xlsx"
    write_atomic(path, render(layout, record, "pw", CREATED))
    addrs = {layout.fields[f].address.replace("$", ""): f for f in extra}
    cached = cached_values(path, SHEET, addrs)
    assert cached[layout.fields["x.bool"].address.replace("$", "")] is True
    out = recalculate_all([path], tmp_path / "out")
    for engine, (done,) in out.items():
        got = cached_values(done, SHEET, addrs)
        for addr, fld in addrs.items():
            assert same_value(cached[addr], got[addr]), (engine, fld, cached[addr], got[addr])
