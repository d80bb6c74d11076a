"""Every rule kind (xlkit.core.rulekinds) rendered into a workbook, recalculated by LibreOffice
and by Gnumeric, equal to Python's evaluation of the same tree — on a grid of inputs with the
boundaries (实际 = 目标, = 2 × 目标, a zero target, blanks, exactly 30 % above, 执行率 exactly
0.8 / 0.7 / 0.6 / 0.5, counts that use the weight up); then the province example template
(templates/project-2020-province.yaml) built, filled where the 执行率 cap and the 偏离
deduction bite, recalculated, with its figures checked by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from engine import recalculate_all, same_value, sheet_values
from workbooks import fill

from xlkit.build import build_workbook, write_atomic
from xlkit.core import rulekinds as rk
from xlkit.core.expr.tree import SUM, Expr, Ref
from xlkit.core.layout import SHEET, build_layout
from xlkit.core.spec import load_spec, templates_dir

pytestmark = pytest.mark.libreoffice

#: the input columns of the grid sheet (A..), the formula in the column after them
INPUTS = ("weight", "target", "actual", "value", "score", "count", "numerator",
          "denominator", "rate", "total")
OUT_COL = len(INPUTS)


def _rule(data: dict) -> rk.RuleSpec:
    got = rk.parse_rule(data, "r", lambda p, m: pytest.fail(f"{p}：{m}"))
    assert got is not None
    return got


def _score(data: dict, dev: dict | None = None) -> Expr:
    return rk.score_expr(_rule(data), Ref("weight"), rk.ref_inputs(INPUTS),
                         _rule(dev) if dev else None)


P, RL, RR, EQ = ({"kind": "proportional"}, {"kind": "reverse_linear"},
                 {"kind": "reverse_ratio"}, {"kind": "equal"})
DEV = {"kind": "deviation"}
BAND = {"kind": "band", "low": 90, "high": 110}
CAPS = {"kind": "total_caps", "caps": [{"below": 80, "max": 89}, {"below": 70, "max": 79},
                                       {"below": 60, "max": 69}, {"below": 50, "max": 59}]}


def grid() -> list[tuple[str, Expr, dict[str, Any]]]:
    """(label, expression, inputs) of every case."""
    out: list[tuple[str, Expr, dict[str, Any]]] = []

    def add(label, expr, **inputs):
        out.append((label, expr, inputs))

    ta = [(100, 100), (120, 100), (87, 100), (2, 3), (0, 100), (None, 100), (5, 0), (-1, 0),
          (100, None), (200, 100), (260, 100), (150, 100), (0, 0), (130, 100), (129.99, 100)]
    for kind in (P, {"kind": "proportional", "cap": False},
                 {"kind": "proportional", "round": None}, RL, RR, EQ,
                 {"kind": "equal", "zero_at_most": True}):
        for a, t in ta:
            add(f"{kind} a={a} t={t}", _score(kind), weight=10, target=t, actual=a)
    for a, t, w in ((129, 100, 10), (130, 100, 10), (160, 100, 10), (100, 100, 10),
                    (50, 100, 10), (3.9, 3, 3), (2, 1, 1), (130, None, 10), (13, 10, 1.5)):
        add(f"deviation a={a} t={t}", _score(P, DEV), weight=w, target=t, actual=a)
        add(f"deviation 1pt a={a} t={t}", _score(P, {"kind": "deviation", "points": 1}),
            weight=w, target=t, actual=a)
    for v in (90, 110, 100, 89.9, 111, None, 0, 50, 50.01, 20, 20.5):
        add(f"band v={v}", _score(BAND), weight=4, value=v)
        add(f"band per v={v}", _score({**BAND, "per": 0.5}), weight=4, value=v)
        add(f"band ≤20 v={v}", _score({"kind": "band", "high": 20}), weight=4, value=v)
        add(f"band >50 v={v}", _score({"kind": "band", "low": 50, "low_inclusive": False}),
            weight=2, value=v)
    for n, d in ((45, 50), (60, 50), (1, 0), (None, 50), (10, 40), (50, 40), (0, 40),
                 (40, None)):
        for kind in ({"kind": "ratio"}, {"kind": "ratio", "cap": False},
                     {"kind": "one_minus_ratio"}):
            add(f"{kind} {n}/{d}", _score(kind), weight=2, numerator=n, denominator=d)
    for c in (0, 1, 3, 4, 5, 9, None, 2.5):
        add(f"deduction c={c}", _score({"kind": "deduction", "per": 0.5}), weight=2, count=c)
        add(f"deduction floor c={c}", _score({"kind": "deduction", "per": 1, "floor": 1}),
            weight=3, count=c)
        add(f"deduction no floor c={c}", _score({"kind": "deduction", "per": 0.5,
                                                 "floor": "none"}), weight=2, count=c)
        add(f"bonus c={c}", _score({"kind": "bonus", "per": 0.5, "cap": 2}), weight=0, count=c)
    for s in (2.5, 1, None, -1, 3.456):
        add(f"bonus entered s={s}", _score({"kind": "bonus", "cap": 2}), weight=0, score=s)
        add(f"entered s={s}", _score({"kind": "entered"}), weight=3, score=s)
        add(f"entered max s={s}", _score({"kind": "entered", "max": 2, "round": 1}), weight=0,
            score=s)
        add(f"tiers s={s}", _score({"kind": "tiers"}), weight=None, score=s)
    for rate in (0.552, 1.3, None, -0.1, 0.8, 0.7, 0.6, 0.5, 0, 1):
        for cap in (True, False):
            e = rk.execution_expr(_rule({"kind": "execution", "cap": cap}), Ref("weight"),
                                  Ref("rate"))
            add(f"execution cap={cap} rate={rate}", e, weight=10, rate=rate)
        for total in (95, 50, 89.5, None):
            add(f"caps rate={rate} total={total}",
                rk.capped_total(_rule(CAPS), SUM(Ref("total")), Ref("rate")), total=total, rate=rate)
    for rate in (0.79, 0.69, 0.59, 0.49, 0.7999999):
        add(f"caps rate={rate}", rk.capped_total(_rule(CAPS), SUM(Ref("total")), Ref("rate")),
            total=99, rate=rate)
    return out


def _grid_workbook(path: Path, cases) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("grid")
    for r, (label, expr, inputs) in enumerate(cases):
        refs = {n: f"${chr(65 + c)}${r + 1}" for c, n in enumerate(INPUTS)}
        for c, n in enumerate(INPUTS):
            if inputs.get(n) is not None:
                ws.write_number(r, c, inputs[n])
        ws.write_formula(r, OUT_COL, "=" + expr.excel(refs))
        ws.write_string(r, OUT_COL + 1, label)
    wb.close()


def test_every_rule_kind_recalculates_to_python_in_both_engines(tmp_path, engines):
    cases = grid()
    src = tmp_path / "grid.xlsx"
    _grid_workbook(src, cases)
    out = recalculate_all([src], tmp_path / "out")
    col = chr(65 + OUT_COL)
    wrong = []
    for engine, (path,) in out.items():
        got = sheet_values(path, "grid")
        for r, (label, expr, inputs) in enumerate(cases):
            want = expr.evaluate(inputs)
            have = got.get(f"{col}{r + 1}")
            if not same_value(have, want):
                wrong.append(f"{engine} {label}: {have!r} != Python {want!r}")
    assert not wrong, "\n".join(wrong[:30])
    assert len(cases) >= 300


# --- the province example template ---------------------------------------------------------

PROVINCE = "project-2020-province"
#: a return where both bite: 执行率 75 % (总分 at most 89), one ≥ row 30 % above its target
ROWS = {
    0: ("培训人次", "≥", 100, "人次", 130, 10, None, None, "目标偏低"),  # 10 − 2 (偏离) = 8
    1: ("覆盖乡镇数", "≥", 20, "个", 20, 10, None, None, None),  # 10
    2: ("单位成本", "≤", 100, "元", 150, 10, None, None, "成本超支"),  # reverse_linear: 5
    3: ("安全事故", "=", 0, "起", 0, 10, None, None, None),  # zero target, 实际 ≤ 0: 10
    4: ("资料归档", "定性", "及时归档", "", "已归档", 10, "达成", 10, None),  # 10
    8: ("受益人数", "≥", 5000, "人", 5600, 30, None, None, None),  # 12 % above: 30
    16: ("满意度", "≥", 90, "%", 92, 10, None, None, None),  # 10
}
KEYS = ("name", "direction", "target", "unit", "actual", "weight", "tier", "qscore", "reason")


def _inputs(executed: float, budget: float = 100) -> dict[str, Any]:
    out: dict[str, Any] = {"funds.total.full_year": budget, "funds.total.executed": executed,
                           "funds.fiscal.full_year": budget, "funds.carryover.full_year": 0,
                           "funds.other.full_year": 0}
    for i, row in ROWS.items():
        out.update({f"ind.{i}.{k}": v for k, v in zip(KEYS, row, strict=True) if v is not None})
    return out


def test_province_template_is_an_example_variant():
    spec = load_spec(PROVINCE)
    assert (templates_dir() / f"{PROVINCE}.yaml").exists()
    assert "省级" in spec.title and "示例" in spec.title
    assert spec.indicators.rule("≤").kind == "reverse_linear"
    assert spec.indicators.deviation.params["above"] == 0.3
    assert spec.funds.execution.rule.params["cap"] is False
    assert [b for b, _ in spec.total_caps.params["caps"]] == [80, 70, 60, 50]


@pytest.mark.parametrize("executed,exec_score,total", [
    (75, 7.5, 89), (80, 8, 91), (79.99, 8, 89), (70, 7, 89), (69, 6.9, 79), (60, 6, 79),
    (50, 5, 69), (49, 4.9, 59), (100, 10, 93)])
def test_province_figures_by_hand(executed, exec_score, total):
    """8 + 10 + 5 + 10 + 10 + 30 + 10 = 83 for the indicators, + 执行率 × 10, capped."""
    lay = build_layout(load_spec(PROVINCE))
    got = lay.evaluate(_inputs(executed))
    assert (got["ind.0.score"], got["ind.2.score"], got["ind.3.score"]) == (8, 5, 10)
    assert got["exec.score"] == exec_score
    assert got["total"] == total


def test_province_template_recalculates_to_python(tmp_path, engines):
    spec = load_spec(PROVINCE)
    b = build_workbook(spec, {"year": 2023}, password="pw")
    built = tmp_path / "built.xlsx"
    write_atomic(built, b.data)
    lay = b.layout
    cases = [_inputs(e) for e in (75, 80, 70, 60, 50, 49, 120, 100)]
    cases.append({**_inputs(75), "funds.total.full_year": None})  # no 执行率: no cap
    cases.append({**_inputs(80), "ind.0.actual": 129.99, "ind.3.actual": -1})
    files = []
    for i, values in enumerate(cases):
        files.append(tmp_path / "in" / f"p{i}.xlsx")
        files[-1].parent.mkdir(exist_ok=True)
        fill(built, files[-1], {k: v for k, v in values.items() if v is not None})
    out = recalculate_all(files, tmp_path / "out")
    cells = {c.address.replace("$", ""): f for f, c in lay.fields.items()
             if c.rule is not None and c.kind != "check"}
    wrong = []
    for i, values in enumerate(cases):
        want = lay.evaluate({k: v for k, v in values.items() if v is not None})
        for engine in ("libreoffice", "gnumeric"):
            got = sheet_values(out[engine][i], SHEET)
            for addr, f in cells.items():
                if not same_value(got.get(addr), want.get(f)):
                    wrong.append(f"{engine} case {i} {f}: {got.get(addr)!r} != {want.get(f)!r}")
    assert not wrong, "\n".join(wrong[:30])
    first = sheet_values(out["libreoffice"][0], SHEET)
    assert first[lay.fields["total"].address.replace("$", "")] == 89
    assert first[lay.fields["exec.score"].address.replace("$", "")] == 7.5
    over = sheet_values(out["gnumeric"][6], SHEET)  # 执行率 120 %: × 10 uncapped
    assert over[lay.fields["exec.score"].address.replace("$", "")] == 12
