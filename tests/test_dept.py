"""部门整体 (dept-2020): 基本支出 (人员经费 / 公用经费) and 项目支出, built from a unit-level list
or from the project list (each unit's projects summed), checked in the sheet and the reader,
and reconciled with the list and the 项目支出决算表 (issue 12, item 4)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import KEY, SAMPLES
from workbooks import cell, codes, fill, name_map

from xlkit.build.distribute import issue_all, plan
from xlkit.cli import main
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import note, read_list
from xlkit.read import read_workbook

LIST = SAMPLES / "预算清单.xlsx"
UNIT_LIST = SAMPLES / "单位清单.xlsx"
FINAL = SAMPLES / "决算_项目支出.xlsx"
ROWS = ("total", "basic", "personnel", "public", "project")
OPEN = ("total", "basic", "personnel", "public")  # left to the unit from a project list


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"XLKIT_KEY": ""})


def _project_sums() -> dict[str, dict[str, Decimal]]:
    """单位编码 → {年初预算数, 全年预算数}: the sample list's projects summed, read here with
    openpyxl (not with xlkit) so the test does not trust the code it tests."""
    ws = openpyxl.load_workbook(LIST, data_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "单位编码" in r)
    cols = {h: i for i, h in enumerate(rows[head])}
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in rows[head + 1:]:
        if not r[cols["项目编码"]]:
            continue  # 合计
        for h in ("年初预算数", "全年预算数"):
            out[str(r[cols["单位编码"]])][h] += Decimal(str(r[cols[h]]))
    return out


def _form(out, code):
    (path,) = (out / "").glob(f"{code}_*/*.xlsx")
    return path


# ------------------------------------------------------------------- the spec and the form

def test_nested_parts_in_the_spec_and_the_layout():
    spec = load_spec("dept-2020")
    f = spec.funds
    assert [r.key for r in f.rows] == list(ROWS)
    assert f.row("total").parts == ("basic", "project")
    assert f.row("basic").parts == ("personnel", "public")
    assert [c.label for c in f.columns] == ["年初预算数", "全年预算数", "全年执行数"]
    assert f.execution.row == "total"
    lay = build_layout(spec, {"year": 2023})
    site = next(s for s in lay.sites if s.scope == "funds")
    sums = [b for b in site.checks if b.check.id == "funds.sum"]
    # one sum check per (row with parts, column): 年度支出总额 and 基本支出 × 3 columns
    assert sorted({b.field for b in sums}) == [f"funds.{r}.{c}" for r in ("basic", "total")
                                              for c in ("executed", "full_year", "initial")]
    assert {b.text for b in sums} >= {"基本支出不等于人员经费+公用经费（全年执行数）",
                                      "年度支出总额不等于基本支出+项目支出（年初预算数）"}
    # the project form keeps its fund-source wording
    flat = build_layout(load_spec("project-2020"), {"year": 2023})
    fsite = next(s for s in flat.sites if s.scope == "funds")
    assert {b.check.id for b in fsite.checks} >= {"funds.parts"}
    assert "funds.sum" not in {b.check.id for b in fsite.checks}


# ------------------------------------------------------------- building from the lists

def test_build_from_the_project_list_sums_each_units_projects(tmp_path):
    """CLI: one form per unit, 项目支出 = Σ the unit's projects, 基本支出 open, no duplicates."""
    out = tmp_path / "out"
    r = run("build", "--spec", "dept-2020", "--list", str(LIST), "--year", "2023",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "重复" not in r.output
    assert "按项目清单汇总：12 个项目 → 4 个单位" in r.output
    assert "基本支出（人员经费、公用经费）与年度支出总额由单位填写" in r.output
    sums = _project_sums()
    forms = sorted(out.glob("*/*.xlsx"))
    assert len(forms) == len(sums) == 4
    for code, expected in sums.items():
        wb = openpyxl.load_workbook(_form(out, code))
        names = name_map(wb)
        for col, label in (("initial", "年初预算数"), ("full_year", "全年预算数")):
            c = cell(wb, f"funds.project.{col}", names)
            assert Decimal(str(c.value)) == expected[label], (code, col)
            assert c.protection.locked
            for row in OPEN:
                c = cell(wb, f"funds.{row}.{col}", names)
                assert c.value is None and not c.protection.locked, (code, row, col)
    # 达州 (seed 003): its five projects, not the first one's 3 万元
    assert sums["303001"]["全年预算数"] == Decimal("88")
    manifest = list(openpyxl.load_workbook(out / "manifest.xlsx").active.values)
    assert len(manifest) == 1 + 4


def test_build_from_the_unit_list_prefills_every_row(tmp_path):
    """Python API: read_list(level="unit") + plan + issue_all; every 年初 / 全年 cell locked
    with the list's figure, 基本支出 and 年度支出总额 summed from their parts."""
    spec = load_spec("dept-2020")
    listed = read_list(UNIT_LIST, level="unit")
    assert listed.problems == [] and not listed.aggregated
    assert len(listed.rows) == 4
    out = tmp_path / "out"
    issue_all(spec, plan(spec, listed.rows, out), year=2023, out_dir=out, key=KEY,
              password="pw")
    ws = openpyxl.load_workbook(UNIT_LIST, data_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    cols = {h: i for i, h in enumerate(rows[1])}
    for r in rows[2:]:
        if r[0] == "合计":
            continue
        wb = openpyxl.load_workbook(_form(out, r[0]))
        names = name_map(wb)
        for col, label in (("initial", "年初预算数"), ("full_year", "全年预算数")):
            got = {row: cell(wb, f"funds.{row}.{col}", names) for row in ROWS}
            assert all(c.protection.locked and c.value is not None for c in got.values())
            v = {row: Decimal(str(c.value)) for row, c in got.items()}
            for row, name in (("personnel", "人员经费"), ("public", "公用经费"),
                              ("basic", "基本支出"), ("project", "项目支出")):
                assert v[row] == Decimal(str(r[cols[name + label]])), (r[0], row, col)
            assert v["basic"] == v["personnel"] + v["public"]
            assert v["total"] == v["basic"] + v["project"]
        assert cell(wb, "funds.total.executed", names).value is None
    # its 项目支出 is the project list's sum
    sums = _project_sums()
    assert {x["unit_code"]: Decimal(str(x["funds"][("project", "full_year")]))
            for x in listed.rows} == {k: v["全年预算数"] for k, v in sums.items()}


def _xlsx(tmp_path, header, rows, name="清单.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws.append(header)
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


UNIT_HEADER = ["单位编码", "单位名称", "人员经费全年预算数", "公用经费全年预算数",
               "基本支出全年预算数", "项目支出全年预算数"]


def test_unit_list_duplicates_and_wrong_sums_are_errors(tmp_path):
    path = _xlsx(tmp_path, UNIT_HEADER, [
        ["401001", "甲局", 100, 20, 120, 50],
        ["401001", "甲局", 100, 20, 120, 50],
        ["401002", "乙局", 100, 20, 125, 50],
        ["401003", "丙局", 100, None, None, 50],
    ])
    r = read_list(path, level="unit")
    assert [x["unit_code"] for x in r.rows] == ["401001"]
    assert r.bad_rows == 3
    texts = [note(p) for p in r.problems]
    dup = next(p for p in r.problems if p.cell == "A3")
    assert dup.code == "list.row" and "与第 2 行重复" in dup.message
    wrong = next(p for p in r.problems if p.cell == "E4")
    assert (wrong.sheet, wrong.field, wrong.actual) == ("清单", "basic_full_year", "125")
    assert "基本支出全年预算数与人员经费全年预算数+公用经费全年预算数之和 120 不一致" in wrong.message
    assert any("第 5 行「公用经费全年预算数」: 缺少公用经费全年预算数" in t for t in texts), texts


def test_one_unit_code_two_names_is_one_unit_and_a_finding(tmp_path):
    header = ["单位编码", "单位名称", "项目编码", "项目名称", "年初预算数", "全年预算数"]
    path = _xlsx(tmp_path, header, [
        ["401001", "甲市医保局", "P1", "项目一", 10, 12],
        ["401001", "甲市医疗保障局", "P2", "项目二", None, 30],
        ["401002", "乙局", "P3", "项目三", 5, 5],
        ["401002", "乙局", "P3", "项目三又一次", 5, 5],
    ])
    r = read_list(path, level="unit")
    assert r.aggregated
    assert [x["unit_code"] for x in r.rows] == ["401001", "401002"]
    first, second = r.rows
    assert first["unit_name"] == "甲市医保局" and first["projects"] == ["P1", "P2"]
    # 全年: 12 + 30; 年初 left open (P2 has none)
    assert first["funds"] == {("project", "full_year"): 42}
    # a unit with a rejected project row (P3 twice) gets no partial sum
    assert second["funds"] == {}
    differs = [p for p in r.problems if p.code == "list.unit_name_differs"]
    (p,) = differs
    assert (p.severity, p.sheet, p.cell, p.actual) == ("提示", "清单", "B3", "甲市医疗保障局")
    assert "与第 2 行「甲市医保局」不同，按同一单位处理" in p.message
    assert "第 3 行「单位名称」" in note(p) and "'甲市医疗保障局'" in note(p)
    assert [q.code for q in r.problems if q is not p] == ["list.row"]  # P3's duplicate only
    assert r.bad_rows == 1


# ------------------------------------------------------- the nested check: sheet, reader

def _aggregated_form(tmp_path):
    spec = load_spec("dept-2020")
    listed = read_list(LIST, level="unit")
    out = tmp_path / "issued"
    issue_all(spec, plan(spec, listed.rows, out), year=2023, out_dir=out, key=KEY,
              password="pw")
    return _form(out, "303001")


@pytest.mark.libreoffice
def test_nested_parts_check_fires_in_the_sheet_and_the_reader(tmp_path, libreoffice):
    from engine import recalculate

    src = _aggregated_form(tmp_path)
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    base = {"funds.total.initial": 546.86, "funds.basic.full_year": 473.52,
            "funds.personnel.initial": 420, "funds.public.initial": 38.86,
            "funds.total.executed": 543.37, "funds.basic.executed": 473.52,
            "funds.personnel.executed": 434.66, "funds.public.executed": 38.86,
            "funds.project.executed": 69.85, "funds.personnel.full_year": 434.66,
            "funds.public.full_year": 38.86, "funds.total.full_year": 561.52}
    fill(src, good, {**base, "funds.basic.initial": 458.86})
    fill(src, bad, {**base, "funds.basic.initial": 450})  # 420 + 38.86 = 458.86
    r_bad, r_good = read_workbook(bad, key=KEY), read_workbook(good, key=KEY)
    assert "check.fund_sum" not in codes(r_good), [f.message for f in r_good.findings]
    hits = [f for f in r_bad.findings if f.code == "check.fund_sum"]
    assert {f.field for f in hits} == {"funds.basic.initial", "funds.total.initial"}
    basic = next(f for f in hits if f.field == "funds.basic.initial")
    assert "年初预算数：人员经费、公用经费之和 458.86 与基本支出 450 不一致（差 +8.86）" \
        in basic.message, basic.message
    total = next(f for f in hits if f.field == "funds.total.initial")
    assert "基本支出、项目支出之和 538 与年度支出总额 546.86 不一致" in total.message
    (rb, rg) = recalculate([bad, good], tmp_path / "recalc")
    shown = {}
    for name, path in (("bad", rb), ("good", rg)):
        wb = openpyxl.load_workbook(path, data_only=True)
        shown[name] = cell(wb, "check.funds").value
    # the inner sum first: the mistake is in 基本支出, not in 年度支出总额
    assert shown["bad"] == "基本支出不等于人员经费+公用经费（年初预算数）"
    assert shown["good"] in (None, "")


# ----------------------------------------------------------------------- reconciling

def test_reconcile_dept_returns(tmp_path):
    """项目支出 全年执行数 vs the 决算's sum of the unit's projects (final.dept.project),
    项目支出 / 基本支出 vs the unit list (budget.fund naming the row), a unit with no 决算 rows
    (final.dept.not_found); no project-level final.not_found for a unit form."""
    from xlkit.round.collect import collect

    spec = load_spec("dept-2020")
    listed = read_list(UNIT_LIST, level="unit")
    out = tmp_path / "issued"
    issue_all(spec, plan(spec, listed.rows, out), year=2023, out_dir=out, key=KEY,
              password="pw")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # 达川 says its projects spent 88; the 决算 has 69.85 (seed 003)
    fill(_form(out, "303001"), inbox / "303001.xlsx",
         {"funds.total.executed": 561.52, "funds.basic.executed": 473.52,
          "funds.personnel.executed": 434.66, "funds.public.executed": 38.86,
          "funds.project.executed": 88})
    # 攀枝花 agrees with the 决算 (215.11)
    fill(_form(out, "304001"), inbox / "304001.xlsx",
         {"funds.total.executed": 671.43, "funds.basic.executed": 456.32,
          "funds.personnel.executed": 398.72, "funds.public.executed": 57.6,
          "funds.project.executed": 215.11})
    # the list changed since: 达川's 项目支出 and 基本支出 differ from its form
    changed = _xlsx(tmp_path, ["单位编码", "单位名称", "人员经费全年预算数", "公用经费全年预算数",
                               "项目支出全年预算数"],
                    [["303001", "达州市达川区医疗保险管理局", 434.66, 40, 90],
                     ["304001", "攀枝花市医疗保障事务中心", 398.72, 57.6, 215.11],
                     ["305001", "某新单位", 1, 1, 1]], name="单位清单2.xlsx")
    no_final = tmp_path / "final.xlsx"
    wb = openpyxl.load_workbook(FINAL)
    ws = wb.active
    for row in ws.iter_rows():
        for c in row:
            if c.value == "304001" or c.value == "攀枝花市医疗保障事务中心":
                c.value = "309999" if c.value == "304001" else "别的单位"
    wb.save(no_final)

    res = collect(inbox, UNIT_LIST, tmp_path / "r.xlsx", finals=[FINAL], spec_ref="dept-2020",
                  key=KEY, year=2023).result
    issues = res.issues
    mine = issues[issues["unit_code"] == "303001"]
    final = mine[mine["rule"] == "final.dept.project"]
    assert len(final) == 1
    assert (float(final["expected"].iloc[0]), float(final["actual"].iloc[0])) == (69.85, 88)
    assert "69.85" in final["message"].iloc[0] and "88" in final["message"].iloc[0]
    assert not (issues["unit_code"] == "304001").any() or \
        "final.dept.project" not in set(issues[issues["unit_code"] == "304001"]["rule"])
    assert "final.not_found" not in set(issues["rule"])
    assert "budget.fund" not in set(issues["rule"])

    res = collect(inbox, changed, tmp_path / "r2.xlsx", finals=[no_final],
                  spec_ref="dept-2020", key=KEY, year=2023, db=tmp_path / "r2.db").result
    issues = res.issues
    got = {(r["unit_code"], r["rule"], r["field"]): r for r in issues.to_dict("records")}
    p = got[("303001", "budget.fund", "funds.project.full_year")]
    assert (float(p["expected"]), float(p["actual"])) == (90, 88)
    assert "项目支出（全年预算数）88 万元，预算清单为 90 万元" in p["message"]
    b = got[("303001", "budget.fund", "funds.basic.full_year")]
    assert (float(b["expected"]), float(b["actual"])) == (474.66, 473.52)
    # 年度支出总额 564.66 vs 561.52
    assert ("303001", "budget.fund", "funds.total.full_year") in got
    assert not any(k[0] == "304001" and k[1] == "budget.fund" for k in got)
    got = {(k[0], k[1]): r for k, r in got.items()}
    assert ("304001", "final.dept.not_found") in got
    assert "在项目支出决算表中没有项目" in got[("304001", "final.dept.not_found")]["message"]
    assert ("305001", "return.missing") in got


def test_the_unit_list_ships_as_package_data():
    import fnmatch
    import tomllib
    from importlib import resources

    from conftest import ROOT

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["xlkit.samples"]
    assert any(fnmatch.fnmatch(UNIT_LIST.name, p) for p in patterns)
    assert (resources.files("xlkit.samples") / UNIT_LIST.name).is_file()
