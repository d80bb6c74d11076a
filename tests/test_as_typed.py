"""Forms filled the way people type, with two spreadsheet engines as oracles.

A seeded property test: workbooks of every form are filled through their defined names
(``xk_<field>``) as units fill them — plain numbers, numbers pasted as text with thousands
separators and units ("12,579.31", "2455592人", "1000万元"), percentages as Excel stores
"97%" (0.97 in a %-formatted cell), full-width digits, stray spaces, blanks, zero targets,
over-target actuals, each direction (≥ ≤ = 定性, and a word for one) and the qualitative
tiers — then LibreOffice (one call) and Gnumeric (``ssconvert --recalc``, a process per
file) recalculate them all. Asserted for every computed cell of the form:

* LibreOffice and Gnumeric show the same value;
* the reader's *as shown* figure (``ReadResult.shown``: the form's rules with spreadsheet
  semantics over the cells as they are) is what they show;
* where the as-shown and *recomputed* (``ReadResult.computed``: parsed inputs) figures
  differ, a finding is at that cell;
* on workbooks holding only plain numbers and valid choices, the reader's figures are the
  sheet's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from engine import recalculate_all, same_value, sheet_values
from workbooks import ISSUE, TARGETS, name_map

from xlkit.build import build_workbook, write_atomic
from xlkit.core.layout import SHEET, Cell, Layout, build_layout, defined_name
from xlkit.core.spec import load_spec
from xlkit.read import read_workbook
from xlkit.read.workbook import ReadResult

pytestmark = pytest.mark.libreoffice

SEED = 20240611
N = 48  # workbooks: 12 of each form below
KEY = b"as-typed-test-key"
FORMS = (("project-2020", TARGETS), ("project-2020", None), ("dept-2020", None),
         ("common-2011", None))
FULL_WIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")
PERCENT = "0%"


@dataclass(frozen=True)
class Typed:
    """One entry as typed: ``value`` goes into the cell; ``percent``: as Excel stores a
    typed "97%" (the number 0.97, the cell formatted '0%'); ``clean``: a plain number or
    a valid choice, read the same by the sheet and by the parser."""

    value: Any
    percent: bool = False
    clean: bool = True


def _number(rng: random.Random, x: float) -> Typed:
    """``x`` as people enter a number."""
    k = rng.random()
    if k < 0.55:
        return Typed(x)
    if k < 0.65:
        return Typed(f"{x:,.2f}", clean=False)  # pasted with thousands separators
    if k < 0.72:
        return Typed(f"{x:g}".translate(FULL_WIDTH), clean=False)  # full-width digits
    if k < 0.80:
        return Typed(rng.choice((f" {x:g}", f"{x:g} ", f" {x:g} ")), clean=False)
    if k < 0.90:
        return Typed(f"{x:g}{rng.choice(('万元', '人', '次', '元', '个'))}", clean=False)
    return Typed(f"{x:g}", clean=False)  # a number typed into a text-formatted cell


def _amount(rng: random.Random, budget: float) -> Typed | None:
    mode = rng.choice(("blank", "under", "over", "exact", "zero"))
    if mode == "blank":
        return None
    x = {"under": round(rng.uniform(1, budget), 2), "over": round(budget * rng.uniform(1.01, 1.6), 2),
         "exact": budget, "zero": 0.0}[mode]
    return _number(rng, x)


def _measure(rng: random.Random, unit: str, target: bool) -> Typed | None:
    """A 年度指标值 / 实际完成值 as typed."""
    k = rng.random()
    if k < 0.12:
        return None
    if target and k < 0.2:
        return Typed(0)  # a zero target
    if k < 0.3:
        return Typed(rng.choice(("全部完成", "较好", "及时拨付", "≥90%", "90%以上")),
                     clean=False)
    x = rng.choice((100, 97, 95, 90, 85, 30, 12, 3, 1.5, 120, 2455592, 12579.31))
    if not target and rng.random() < 0.3:
        x = round(x * rng.uniform(1.0, 1.5), 2)  # over target
    if (unit == "%" or rng.random() < 0.2) and rng.random() < 0.4:
        # typed "97%": Excel and WPS store 0.97 and format the cell as a percentage
        return Typed(round(x / 100, 6), percent=True, clean=False)
    if rng.random() < 0.15:
        return Typed(f"{x:g}%", clean=False)  # "95%" as text
    return _number(rng, x)


def _fill(rng: random.Random, layout: Layout) -> dict[str, Typed]:
    """The entries of one return, field → what is typed (inputs only)."""
    out: dict[str, Typed] = {}
    fields = layout.fields
    top = layout.spec.funds.rows[0].key
    budget = fields.get(f"funds.{top}.full_year")
    budget_value = budget.value if budget is not None and isinstance(budget.value, (int, float)) \
        else 1500.0
    units: dict[str, str] = {}
    for c in layout.inputs():
        fld = c.field
        assert fld is not None
        t = _entry(rng, layout, c, budget_value, units)
        if t is not None:
            out[fld] = t
    return out


def _prefilled(layout: Layout, fld: str) -> Any:
    c = layout.fields.get(fld)
    return c.value if c is not None and c.kind == "prefill" else None


def _entry(rng: random.Random, layout: Layout, c: Cell, budget: float,
           units: dict[str, str]) -> Typed | None:
    fld = c.field or ""
    parts = fld.split(".")
    if fld.startswith("ind.") and rng.random() < 0.25:
        return None  # rows left (partly) empty
    if c.vtype == "money":
        share = 1.0 if parts[1] in ("total",) else rng.choice((0.2, 0.5, 0.8))
        return _amount(rng, round(budget * share, 2))
    if c.vtype == "direction":
        k = rng.random()
        if k < 0.08:
            return Typed("大于等于", clean=False)  # a word for ≥
        if k < 0.15:
            return None
        return Typed(rng.choice(c.choices or ("≥", "≤", "=", "定性")))
    if c.vtype == "tier":
        return Typed(rng.choice(c.choices)) if rng.random() < 0.6 else None
    if c.vtype == "choice":
        return Typed(rng.choice(c.choices)) if c.choices and rng.random() < 0.7 else None
    if c.vtype == "weight":
        k = rng.random()
        if k < 0.15:
            return None
        if k < 0.25:
            return Typed(0)
        return _number(rng, rng.choice((5, 10, 15, 20, 30))) if k < 0.4 else \
            Typed(rng.choice((5, 10, 15, 20, 30)))
    if c.vtype == "score":
        if rng.random() < 0.2:
            return None
        x = rng.choice((0, 2.5, 4, 6, 8, 9.5, 10, 12, 18, 25, 30))
        return _number(rng, x) if rng.random() < 0.3 else Typed(x)
    if c.vtype == "any":
        i = parts[1]
        unit = units.get(i) or _prefilled(layout, f"ind.{i}.unit") or ""
        return _measure(rng, unit, parts[-1] == "target")
    if c.vtype == "text" and parts[-1] == "unit":
        unit = rng.choice(("%", "%", "人", "万元", "", "次"))
        units[parts[1]] = unit
        return Typed(unit) if unit else None
    if c.vtype in ("text", "longtext"):
        return Typed(rng.choice(("受疫情影响", "按计划完成", "张三"))) if rng.random() < 0.3 \
            else None
    return None


def _type_into(src: Path, dst: Path, entries: dict[str, Typed]) -> None:
    """Type ``entries`` into a copy of the issued workbook with openpyxl: text as text
    cells, Excel percentages as numbers formatted '0%'."""
    wb = openpyxl.load_workbook(src)
    names = name_map(wb)
    for fld, t in entries.items():
        sheet, addr = names[defined_name(fld)]
        cell = wb[sheet][addr]
        cell.value = t.value
        if isinstance(t.value, str):
            cell.data_type = "s"
        if t.percent:
            cell.number_format = PERCENT
    wb.save(dst)


def _at(result: ReadResult, fld: str, sheet: str, addr: str) -> bool:
    return any(f.field == fld or (f.sheet == sheet and f.cell == addr)
               for f in result.findings)


def test_engines_and_the_reader_agree_on_forms_filled_as_typed(tmp_path, engines):
    rng = random.Random(SEED)
    issued, layouts = [], []
    for k, (spec_id, targets) in enumerate(FORMS):
        spec = load_spec(spec_id)
        path = tmp_path / f"issued{k}.xlsx"
        write_atomic(path, build_workbook(spec, ISSUE, targets, key=KEY, password="pw").data)
        issued.append(path)
        layouts.append(build_layout(spec, ISSUE, targets))
    filled: list[tuple[int, Path, dict[str, Typed]]] = []
    (tmp_path / "in").mkdir()
    for n in range(N):
        k = n % len(FORMS)
        entries = _fill(rng, layouts[k])
        if n % 6 == 5:  # a careful unit: percentages as plain numbers, no text for numbers
            entries = {f: Typed(round(t.value * 100, 6)) if t.percent else t
                       for f, t in entries.items() if t.clean or t.percent}
        path = tmp_path / "in" / f"r{n:03d}.xlsx"
        _type_into(issued[k], path, entries)
        filled.append((k, path, entries))
    out = recalculate_all([p for _, p, _ in filled], tmp_path / "out")

    has_views = {"shown", "computed"} <= set(ReadResult.__dataclass_fields__)
    disagree, wrong, silent, clean_wrong = [], [], [], []
    cells = differing = clean_files = 0
    kinds = {"percent": 0, "text": 0, "number": 0}
    for i, (k, path, entries) in enumerate(filled):
        layout = layouts[k]
        for t in entries.values():
            kinds["percent" if t.percent else "text" if isinstance(t.value, str) and not t.clean
                  else "number"] += 1
        formulas = {c.address.replace("$", ""): layout.formula(c) for c in layout.cells
                    if c.rule is not None}
        lo, gn = (sheet_values(out[e][i], SHEET) for e in ("libreoffice", "gnumeric"))
        for addr, formula in formulas.items():
            cells += 1
            if not same_value(lo.get(addr), gn.get(addr)):
                disagree.append(f"{path.name} {addr}: LibreOffice {lo.get(addr)!r}, Gnumeric "
                                f"{gn.get(addr)!r} ({formula[:80]})")
        result = read_workbook(path, key=KEY)
        assert result.status == "read", (path.name, result.reason)
        fields = {f for f, c in layout.fields.items() if c.rule is not None and c.kind != "check"}
        where = {f: (SHEET, layout.fields[f].address.replace("$", "")) for f in fields}
        if has_views:
            for fld in sorted(fields):
                sheet, addr = where[fld]
                sheet_value = lo.get(addr)
                shown, computed = result.shown.get(fld), result.computed.get(fld)
                if not same_value(shown, sheet_value):
                    wrong.append(f"{path.name} {fld} ({addr}): the sheet shows {sheet_value!r}, "
                                 f"the reader's as-shown {shown!r}")
                if not same_value(shown, computed):
                    differing += 1
                    if not _at(result, fld, sheet, addr):
                        silent.append(f"{path.name} {fld} ({addr}): shown {shown!r}, "
                                      f"recomputed {computed!r}, no finding there")
        if all(t.clean and not t.percent for t in entries.values()):
            clean_files += 1
            figures = {"total": result.project["total_score"],
                       "grade": result.project["grade"],
                       "exec.rate": result.project["execution_rate"],
                       "exec.score": result.project["execution_score"]}
            figures.update({f"ind.{r['row']}.score": r["score_computed"]
                            for r in result.indicators if f"ind.{r['row']}.score" in fields})
            for fld, mine in figures.items():
                if fld not in where:
                    continue
                sheet_value = lo.get(where[fld][1])
                if not same_value(mine, sheet_value, 0.005):
                    clean_wrong.append(f"{path.name} {fld}: the sheet shows {sheet_value!r}, "
                                       f"the reader {mine!r}")
    report = []
    for title, items in (("LibreOffice and Gnumeric disagree", disagree),
                         ("the reader's as-shown figure is not the sheet's", wrong),
                         ("as shown and recomputed differ without a finding", silent),
                         ("a clean return read otherwise than the sheet shows", clean_wrong)):
        if items:
            report.append(f"{title}: {len(items)}\n  " + "\n  ".join(items[:25]))
    assert not report, "\n".join(report)
    print(f"as typed: {N} workbooks, {cells} computed cells, entries {kinds}, {clean_files} "
          f"clean, {differing} cells shown otherwise than recomputed (each with a finding)")
    # the fills reach what they are meant to: every kind of entry, many computed cells
    assert cells > 30 * N and min(kinds.values()) > N, (cells, kinds)
    assert clean_files >= N // 6, clean_files
    if has_views:
        assert differing > N // 4, differing  # text and percent entries change figures
