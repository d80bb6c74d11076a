"""A form's structure comes from its spec alone (issue 14, deliverable 2): a fund column, a
fund row, a header field and an indicator group added in YAML reach the list, the sheet, the
reader's tables (long format), reconcile and the report with no code change."""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import KEY, ROOT
from workbooks import cell, fill, name_map

from xlkit.cli import main
from xlkit.core import shape
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import list_shape, read_list
from xlkit.read import read_many
from xlkit.round.collect import collect

SPEC_ID = "project-2020-shape"
HEADER = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "项目负责人", "年初预算数",
          "全年预算数", "调整预算数", "当年财政拨款", "上年结转资金", "其他资金", "专项债券资金",
          "专项债券资金调整预算数"]
ROWS = [
    ["301001", "益阳市医疗保障事务中心", "益阳市医疗保障局", "P1", "医疗保险基金补助", "张三",
     1500, 1500, 1600, 700, 500, 100, 200, 300],
    ["302001", "娄底市医疗保障局", "娄底市医疗保障局", "P2", "医保信息化建设", "李四",
     80, 100, 100, 60, 20, 0, 20, 20],
]


def _variant() -> dict:
    """project-2020 plus 调整预算数 (a column from the list), 专项债券资金 (a part of 年度资金
    总额), 项目负责人 (a header field from the list) and a fourth indicator group, the
    weights rebalanced to 100."""
    data = yaml.safe_load((ROOT / "templates" / "project-2020.yaml").read_text("utf-8"))
    data = copy.deepcopy(data)
    data["id"] = SPEC_ID
    data["header"].append({"key": "leader", "label": "项目负责人", "source": "leader"})
    cols = data["funds"]["columns"]
    cols.insert(2, {"key": "adjusted", "label": "调整预算数", "source": "adjusted"})
    rows = data["funds"]["rows"]
    rows.append({"key": "bond", "label": "专项债券资金"})
    rows[0]["parts"].append("bond")
    groups = data["indicators"]["groups"]
    groups[0]["weight"], groups[1]["weight"] = 45, 25
    groups.append({"name": "可持续发展指标", "weight": 10, "subgroups": ["长效机制指标"]})
    return data


@pytest.fixture
def templates(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    path = folder / f"{SPEC_ID}.yaml"
    path.write_text(yaml.safe_dump(_variant(), allow_unicode=True, sort_keys=False), "utf-8")
    monkeypatch.setenv("XLKIT_TEMPLATES", str(folder))
    return path


def _list(path: Path, rows=ROWS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"XLKIT_KEY": KEY.decode()})


# ------------------------------------------------------------------ the naming rule


def test_the_list_columns_come_from_the_spec(templates):
    spec = load_spec(SPEC_ID)
    ls = list_shape(spec)
    assert ls.headers["调整预算数"] == "adjusted"  # top row: the column's label
    assert ls.headers["年度资金总额调整预算数"] == "adjusted"  # or the row's name before it
    assert ls.headers["专项债券资金"] == "bond_full_year"  # a row's name alone: 全年预算数
    assert ls.headers["专项债券资金调整预算数"] == "bond_adjusted"
    assert ls.headers["当年财政拨款"] == "fiscal_full_year"  # 其中： dropped
    assert ls.headers["项目负责人"] == "leader"  # a header field: its label
    assert ls.cells["bond_full_year"] == ("bond", "full_year")
    # what worked before still does: the national forms' list columns
    dept = list_shape(load_spec("dept-2020"))
    assert {dept.headers[h] for h in ("人员经费全年预算数", "公用经费年初预算数", "项目支出全年预算数",
                                      "基本支出全年预算数", "全年预算数")} == {
        "personnel_full_year", "public_initial", "project_full_year", "basic_full_year",
        "full_year"}
    assert dept.required_unit == ("personnel_full_year", "public_full_year", "project_full_year")
    assert shape.projects_row(load_spec("dept-2020").funds) == "project"

    listed = read_list(_list(templates.parent / "清单.xlsx"), spec=spec)
    assert listed.problems == []
    first = listed.rows[0]
    assert first["leader"] == "张三"
    assert first["funds"] == {
        ("total", "initial"): 1500, ("total", "full_year"): 1500, ("total", "adjusted"): 1600,
        ("fiscal", "full_year"): 700, ("carryover", "full_year"): 500,
        ("other", "full_year"): 100, ("bond", "full_year"): 200, ("bond", "adjusted"): 300}


def test_an_alias_names_a_list_column(tmp_path):
    data = _variant()
    data["funds"]["rows"][1]["aliases"] = ["财政拨款"]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert list_shape(load_spec(path)).headers["财政拨款"] == "fiscal_full_year"
    data["funds"]["rows"][1]["aliases"] = [""]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(Exception, match=r"funds\.rows\[1\]\.aliases\[0\]：应为非空文字"):
        load_spec(path)


# ------------------------------------------------------------- the round, end to end


def test_a_new_column_row_header_field_and_group_reach_every_output(templates, tmp_path):
    spec = load_spec(SPEC_ID)
    lst = _list(tmp_path / "清单.xlsx")
    out = tmp_path / "issued"
    res = run("build", "--spec", SPEC_ID, "--list", str(lst), "--year", "2023",
              "--out", str(out))
    assert res.exit_code == 0, res.output
    (form,) = out.glob("301001_*/*.xlsx")

    # the sheet: pre-filled from the list, the new group printed with its weight
    wb = openpyxl.load_workbook(form)
    names = name_map(wb)
    assert cell(wb, "funds.total.adjusted", names).value == 1600
    assert cell(wb, "funds.bond.full_year", names).value == 200
    assert cell(wb, "funds.bond.adjusted", names).value == 300
    assert cell(wb, "funds.bond.executed", names).value is None  # the unit fills it
    assert cell(wb, "header.leader", names).value == "张三"
    texts = {str(c.value) for row in wb["自评表"].iter_rows() for c in row if c.value}
    assert any("可持续发展指标" in t for t in texts)

    # the in-form checks and the indicator rows know the new group and row
    lay = build_layout(spec, {"year": 2023})
    (new,) = [r for r in lay.indicator_rows if r.level1 == "可持续发展指标" and not r.spare][:1]
    group_checks = {b.field: b.text for s in lay.sites if s.scope == "group" for b in s.checks}
    assert group_checks["grp.3.weight"] == "本组分值合计应为 10"
    fund_checks = {(b.check.id, b.field): b for s in lay.sites if s.scope == "funds"
                   for b in s.checks}
    assert "专项债券资金" in fund_checks[("funds.over_execution", "funds.bond.executed")].text
    parts = fund_checks[("funds.parts", "funds.total.adjusted")]
    assert "funds.bond.adjusted" in str(parts.when)

    # the unit fills it in: the new row's 执行数 and an indicator of the new group
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    p = f"ind.{new.index}."
    fill(form, inbox / "301001.xlsx", {
        "funds.total.executed": 1400, "funds.fiscal.executed": 700,
        "funds.carryover.executed": 450, "funds.other.executed": 50,
        "funds.bond.executed": 200, p + "name": "长效管理制度", p + "direction": "定性",
        p + "target": "建立", p + "actual": "已建立", p + "weight": 10,
        p + "tier": "达成", p + "qscore": 9})

    # the reader's tables: funds long, the header table, the new group's indicator
    tables = read_many([inbox], key=KEY, year=2023)
    funds = tables.funds
    cellrow = funds[(funds["row"] == "bond") & (funds["column"] == "executed")]
    assert list(cellrow["amount"]) == [200] and list(cellrow["row_label"]) == ["专项债券资金"]
    adj = funds[(funds["row"] == "total") & (funds["column"] == "adjusted")]
    assert list(adj["amount"]) == [1600] and list(adj["column_label"]) == ["调整预算数"]
    assert bool(adj["prefilled"].iloc[0])
    assert len(funds) == 5 * 4  # every row × column of this spec, nothing hard-coded
    head = tables.header.set_index("key")
    assert head.loc["leader", "value"] == "张三" and head.loc["leader", "label"] == "项目负责人"
    ind = tables.indicators
    mine = ind[ind["level1"] == "可持续发展指标"].dropna(subset=["name"])
    assert list(mine["name"]) == ["长效管理制度"] and list(mine["score_computed"]) == [9]
    proj = tables.projects.iloc[0]
    assert (proj["budget_full_year"], proj["executed"]) == (1500, 1400)

    # the list changed since: 专项债券资金 250 now; reconcile names the row
    changed = [list(r) for r in ROWS]
    changed[0][HEADER.index("专项债券资金")] = 250
    report = tmp_path / "report.xlsx"
    outcome = collect(inbox, _list(tmp_path / "清单2.xlsx", changed), report,
                      spec_ref=SPEC_ID, key=KEY, year=2023)
    issues = outcome.result.issues
    fund = issues[issues["rule"] == "budget.fund"]
    assert list(fund["field"]) == ["funds.bond.full_year"], issues[["rule", "message"]]
    assert "专项债券资金（全年预算数）200 万元，预算清单为 250 万元" in fund["message"].iloc[0]
    assert (float(fund["expected"].iloc[0]), float(fund["actual"].iloc[0])) == (250, 200)

    # the report: the new row and column in 资金, the header field in 表头, the finding
    rb = openpyxl.load_workbook(report)
    shown = {str(c.value) for row in rb["资金"].iter_rows() for c in row if c.value}
    assert {"专项债券资金", "调整预算数"} <= shown
    shown = {str(c.value) for row in rb["表头"].iter_rows() for c in row if c.value}
    assert {"项目负责人", "张三"} <= shown
    shown = {str(c.value) for row in rb["问题清单"].iter_rows() for c in row if c.value}
    assert "资金表与预算清单不一致" in shown

    # and through the command line, `read` writes the long tables
    res = run("read", str(inbox), "-o", str(tmp_path / "t.xlsx"), "--headers", "en")
    assert res.exit_code == 0, res.output
    got = pd.read_excel(tmp_path / "t.xlsx", sheet_name=None, engine="openpyxl")
    assert {"funds", "header"} <= set(got)
    assert "leader" in set(got["header"]["key"])
    assert "bond" in set(got["funds"]["row"])


def test_a_rule_may_name_any_fund_cell_and_list_column(templates, tmp_path):
    """The rules see <row>_<column> and list_<row>_<column> of whatever the spec has."""
    lst = _list(tmp_path / "清单.xlsx")
    out = tmp_path / "issued"
    assert run("build", "--spec", SPEC_ID, "--list", str(lst), "--year", "2023",
               "--out", str(out)).exit_code == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (form,) = out.glob("301001_*/*.xlsx")
    fill(form, inbox / "a.xlsx", {"funds.total.executed": 1400, "funds.bond.executed": 260})
    rules = tmp_path / "r.yaml"
    rules.write_text(yaml.safe_dump({"rules": [{
        "id": "own.bond", "check": "bond_executed <= list_bond_adjusted",
        "message": "专项债券资金执行 {bond_executed} 超过调整预算 {list_bond_adjusted}"}]},
        allow_unicode=True), "utf-8")
    issues = collect(inbox, lst, tmp_path / "r.xlsx", spec_ref=SPEC_ID, key=KEY, year=2023,
                     rules_path=rules).result.issues
    assert "rules.broken" not in set(issues["rule"])
    own = issues[issues["rule"] == "own.bond"]
    assert len(own) == 0  # 260 ≤ 300
    rules.write_text(rules.read_text("utf-8").replace("list_bond_adjusted",
                                                       "list_bond"), "utf-8")
    issues = collect(inbox, lst, tmp_path / "r2.xlsx", spec_ref=SPEC_ID, key=KEY, year=2023,
                     rules_path=rules, db=tmp_path / "r2.db").result.issues
    own = issues[issues["rule"] == "own.bond"]
    assert "专项债券资金执行 260 超过调整预算 200" in own["message"].iloc[0]


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["funds"]["columns"][2].update(source="full_year"),
     "funds.columns[2].source：'full_year' 与前面的列重复"),
    (lambda d: d["funds"]["columns"][2].update(source="调整"),
     "funds.columns[2].source：'调整' 应为预算清单的列代码"),
    (lambda d: d["funds"]["rows"][0].update(aliases="总额"),
     "funds.rows[0].aliases：应为列表"),
])
def test_a_wrong_source_or_alias_is_refused_with_its_path(tmp_path, edit, expected):
    data = _variant()
    edit(data)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(Exception) as exc:
        load_spec(path)
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems
