"""The in-form checks are declared once (xlkit.core.checks): the sheet's 校验 cells and the
reader's check findings must name the same checks, row by row.

Workbooks are filled at random (seeded) through their defined names, as a unit types:
blanks, zero and mismatched weights, over-execution, fund sources not adding up, 定性 scores
outside their tier's band or above the weight, low scores without a reason, percentages typed
as fractions, and as Excel stores "97%" (0.97 in a %-formatted cell), text where a number
belongs (pasted "12,579.31", "95%", "2455592人", full-width digits, stray spaces) in money,
分值, 定性得分, 年度指标值 and 实际完成值. LibreOffice recalculates them all in one call;
then, for every 校验 cell, the text the sheet shows must be the text of the first of its
checks (in declaration order) the reader reports, and blank when the reader reports none.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from engine import recalculate, soffice
from workbooks import ISSUE, TARGETS, name_map

from xlkit.build import build_workbook, write_atomic
from xlkit.core import checks
from xlkit.core.layout import Layout, build_layout, defined_name
from xlkit.core.spec import load_spec
from xlkit.findings import Finding
from xlkit.read import read_workbook

pytestmark = pytest.mark.libreoffice

KEY = b"checks-test-key"
N = 48  # workbooks: 16 of each form below
FORMS = (("project-2020", TARGETS), ("project-2020", None), ("dept-2020", None))
DIRECTIONS = ("≥", "≤", "=", "定性", "")
TIERS = ("达成", "部分达成", "未达成", "")


class Percent(float):
    """A percentage as Excel stores "97%": 0.97 in a cell formatted as a percentage."""


def _text(x: float) -> str:
    """``x`` as text a unit pastes: separators, a percent sign, a unit, full-width digits."""
    return random.Random(x).choice((f"{x:,.2f}", f"{x:g}%", f"{x:g}人", f" {x:g} ",
                                     f"{x:g}".translate(str.maketrans("0123456789.",
                                                                      "０１２３４５６７８９．"))))


def _fill(rng: random.Random, layout: Layout) -> dict[str, Any]:
    """Random inputs for one return (inputs only: pre-filled cells stay as issued)."""
    inputs = {c.field for c in layout.inputs()}
    v: dict[str, Any] = {}

    def put(fld: str, value: Any) -> None:
        if fld in inputs and value is not None:
            v[fld] = value

    budget = 1500.0
    mode = rng.choice(("blank", "under", "over", "exact", "text"))
    executed = {"blank": None, "under": round(rng.uniform(100, 1400), 2),
                "over": round(rng.uniform(1510, 2000), 2), "exact": budget,
                "text": round(rng.uniform(100, 1400), 2)}[mode]
    put("funds.total.executed", f"{executed:,.2f}" if mode == "text" else executed)
    parts_ok = rng.random() < 0.5
    funds = layout.spec.funds

    def split(row: Any, total: float | None, col: str) -> None:
        """The parts of ``row`` share ``total`` (or do not: parts_ok), nested parts too
        (dept-2020: 基本支出 = 人员经费 + 公用经费)."""
        shares = [round(rng.uniform(0, (total or 900) / (i + 2)), 2)
                  for i in range(len(row.parts) - 1)]
        rest = total or 0
        for x in shares:
            rest -= x
        rest = round(rest, 2) if parts_ok else round(rng.uniform(0, 500), 2)
        for key, x in zip(row.parts, [*shares, rest], strict=True):
            put(f"funds.{key}.{col}", _text(x) if rng.random() < 0.05 else x)
        for key, x in zip(row.parts, [*shares, rest], strict=True):
            if funds.row(key).parts:
                split(funds.row(key), x, col)

    for col, total in (("initial", 1500.0), ("full_year", 1500.0), ("executed", executed)):
        if rng.random() < 0.3:
            continue  # the sources of this column left blank
        split(funds.rows[0], total, col)
        if col == "full_year" and rng.random() < 0.4:  # a source spent beyond its budget
            put(f"funds.{rng.choice(tuple(r.key for r in funds.rows[1:]))}.executed", 5000.0)
    weights = rng.choice(("zero", "random", "blank", "right"))
    rows = layout.indicator_rows
    groups: dict[int, list[int]] = {}
    for r in rows:
        groups.setdefault(r.group, []).append(r.index)
    ind = layout.spec.indicators
    assert ind is not None
    right = {}
    for gi, idx in groups.items():
        share = (ind.groups[gi].weight or 0) / len(idx)
        right.update({i: round(share, 2) for i in idx})
    for r in rows:
        p = f"ind.{r.index}."
        if rng.random() < 0.3:
            continue  # a spare row, untouched
        d = rng.choice(DIRECTIONS)
        put(p + "direction", d)
        if rng.random() < 0.85:
            put(p + "name", f"指标{r.index}")
        unit = rng.choice(("%", "人", "", "%"))
        put(p + "unit", unit)
        target = rng.choice((100, 95, 85, 30, 1, "较好", None, "95%", Percent(0.9)))
        put(p + "target", target)
        w = {"zero": 0, "blank": None, "random": rng.choice((0, 5, 10, 15, 20, None)),
             "right": right[r.index]}[weights]
        put(p + "weight", str(w) if w and rng.random() < 0.1 else w)
        real_d = v.get(p + "direction", layout.fields[p + "direction"].value)
        real_w = v.get(p + "weight", layout.fields[p + "weight"].value)
        if real_d == "定性" or rng.random() < 0.15:
            put(p + "tier", rng.choice(TIERS))
            if rng.random() < 0.85:
                base = real_w if isinstance(real_w, (int, float)) and real_w else 10
                q = round(base * rng.choice((0.3, 0.5, 0.7, 0.9, 1.0, 1.2)), 2)
                put(p + "qscore", _text(q) if rng.random() < 0.1 else q)
        if real_d != "定性" or rng.random() < 0.3:
            put(p + "actual", rng.choice((None, 0.9, 0.5, 50, 92.5, 100, 120, 0, 3, "全部完成",
                                          _text(92.5), _text(95), Percent(0.97), Percent(0.5),
                                          Percent(9.05))))
        if rng.random() < 0.4:
            put(p + "reason", "受疫情影响")
    return v


def _template_regex(template: str) -> re.Pattern[str]:
    out = []
    for text, name, _, _ in string.Formatter().parse(template):
        out.append(re.escape(text))
        if name is not None:
            out.append(".*?")
    return re.compile("".join(out), re.S)


def _names(f: Finding, b: checks.Bound) -> bool:
    """The finding is the reader's report of check ``b``."""
    return f.code == b.check.code and f.field == b.field and \
        _template_regex(b.check.message).fullmatch(f.message) is not None


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_sheet_checks_and_reader_findings_name_the_same_checks(tmp_path: Path):
    rng = random.Random(20231)
    issued, layouts = {}, {}
    for k, (spec_id, targets) in enumerate(FORMS):
        spec = load_spec(spec_id)
        built = build_workbook(spec, ISSUE, targets, key=KEY, password="pw")
        issued[k] = tmp_path / f"issued{k}.xlsx"
        write_atomic(issued[k], built.data)
        layouts[k] = build_layout(spec, ISSUE, targets)
    filled = []
    for n in range(N):
        k = n % len(FORMS)
        wb = openpyxl.load_workbook(issued[k])
        names = name_map(wb)
        for fld, value in _fill(rng, layouts[k]).items():
            sheet, addr = names[defined_name(fld)]
            wb[sheet][addr] = value
            if isinstance(value, Percent):
                wb[sheet][addr].value = float(value)
                wb[sheet][addr].number_format = "0%"
        path = tmp_path / "in" / f"r{n:03d}.xlsx"
        path.parent.mkdir(exist_ok=True)
        wb.save(path)
        filled.append((k, path))
    recalculated = recalculate([p for _, p in filled], tmp_path / "out")

    seen: dict[str, int] = {}
    shown_cells = 0
    for (k, path), recalc in zip(filled, recalculated, strict=True):
        layout = layouts[k]
        result = read_workbook(path, key=KEY)
        assert result.status == "read", result.reason
        wb = openpyxl.load_workbook(recalc, data_only=True)
        names = name_map(wb)
        declared = {(b.check.code, b.field) for s in layout.sites for b in s.checks}
        for f in result.findings:  # every check finding comes from a declaration
            if f.code.startswith("check."):
                assert (f.code, f.field) in declared, f
        for site in layout.sites:
            for b in site.checks:
                if any(_names(f, b) for f in result.findings):
                    seen[b.check.id] = seen.get(b.check.id, 0) + 1
            if site.cell is None:
                continue
            sheet, addr = names[defined_name(site.cell)]
            shown = wb[sheet][addr].value or ""
            named = [b for b in site.shown() if any(_names(f, b) for f in result.findings)]
            want = named[0].text if named else ""
            assert shown == want, (f"{path.name} {site.cell} ({sheet}!{addr}): the sheet shows "
                                   f"{shown!r}, the reader's first check is {want!r}; reader: "
                                   f"{[(f.code, f.field, f.message) for f in result.findings]}")
            shown_cells += bool(shown)
    # the fills reach every check the sheet shows, most of them many times
    on_sheet = {c.id for c in checks.ALL if c.text is not None}
    assert on_sheet <= set(seen), f"never failed: {sorted(on_sheet - set(seen))}"
    assert shown_cells > 4 * N, shown_cells
