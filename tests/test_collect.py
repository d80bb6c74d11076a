"""`xlkit collect` / `status` / `demo`: the whole round through the public interfaces."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from test_cli_read import HOSTILE

from xlkit.cli import main
from xlkit.round.collect import collect
from xlkit.round.ledger import Ledger

KEY = (SAMPLES / "示例密钥.txt").read_bytes().strip()
LIST = SAMPLES / "预算清单.xlsx"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env={"XLKIT_KEY": KEY.decode()})


@pytest.fixture
def inbox(tmp_path) -> Path:
    dst = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "returns", dst)
    return dst


def _issues(report: Path) -> pd.DataFrame:
    return pd.read_excel(report, sheet_name="问题清单", engine="openpyxl", dtype=str)


def test_collect_cli_summary_report_and_exit_code(tmp_path, inbox):
    report = tmp_path / "out" / "报告.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report, "--year", "2023")
    assert r.exit_code == 1, r.output  # the samples carry 错误
    assert "应报 12  已报 11  未报 1  收到文件 11（读取 11 + 无法读取 0 + 跳过 0）" in r.output
    assert "meta.issued_changed" in r.output and f"报告：{report}" in r.output
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames[:3] == ["汇总", "问题清单", "未报送"]
    missing = pd.read_excel(report, sheet_name="未报送", engine="openpyxl", dtype=str)
    assert list(missing["项目编码"]) == ["P2023-303001-05"]
    r = run("collect", inbox, "--list", LIST, "-o", report, "--year", "2023", "--fail-on",
            "never", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.output[r.output.index("{"):])
    assert data["summary"]["未报"] == 1 and data["read_now"] == 0 and data["reused"] == 11


def test_rerun_reads_nothing_and_a_replaced_file_supersedes(tmp_path, inbox):
    report = tmp_path / "r.xlsx"
    first = collect(inbox, LIST, report, key=KEY, year=2023)
    assert (first.read_now, first.reused) == (11, 0)
    again = collect(inbox, LIST, report, key=KEY, year=2023)
    assert (again.read_now, again.reused) == (0, 11)
    # the unit sends a corrected copy of one project under another name
    old = next(inbox.rglob("P2023-304001-01_*.xlsx"))
    new = old.with_name("业务运行费（修改后）.xlsx")
    shutil.copy(old, new)
    wb = openpyxl.load_workbook(new)
    wb.properties.modified = wb.properties.modified.replace(year=2030)
    wb.save(new)
    third = collect(inbox, LIST, report, key=KEY, year=2023)
    assert (third.read_now, third.reused) == (1, 11)
    files = third.result.tables.files.set_index("path")
    assert files.loc[str(old), "superseded_by"] == str(new)
    assert third.result.summary()["已报"] == 11  # one project, two files
    dup = third.result.issues[third.result.issues["rule"] == "return.duplicate"]
    assert len(dup) == 1 and dup.iloc[0]["file"] == str(old)
    r = run("status", "--db", third.db)
    assert r.exit_code == 0
    assert f"被替代  {old} → {new}" in r.output and "未报    P2023-303001-05" in r.output
    # a touched but unchanged file is not read again
    os.utime(new, (time.time() + 5, time.time() + 5))
    assert collect(inbox, LIST, report, key=KEY, year=2023).read_now == 0


def test_unknown_return_and_match_by_name(tmp_path, inbox):
    lst = tmp_path / "清单.xlsx"
    wb = openpyxl.load_workbook(LIST)
    ws = wb.active
    for row in ws.iter_rows():
        if row[3].value == "P2023-302001-02":
            row[3].value = "P2023-302001-99"  # the office renumbered the project
        if row[3].value == "P2023-304001-01":
            for c in row:
                c.value = None  # and dropped another one from its list
    wb.save(lst)
    out = collect(inbox, lst, tmp_path / "r.xlsx", key=KEY, year=2023).result
    rules = out.issues.set_index("project_code")["rule"]
    assert "return.matched_by_name" in set(out.issues["rule"])
    assert rules.get("P2023-304001-01") is not None
    assert "return.unknown" in set(out.issues[out.issues["project_code"] == "P2023-304001-01"][
        "rule"])
    how = out.matches.set_index("project_code")["matched_by"]
    assert how["P2023-302001-02"] == "单位+项目名称" and how["P2023-301001-01"] == "项目编码"


def test_own_rules_run_and_a_broken_rule_is_reported(tmp_path, inbox):
    rules = tmp_path / "rules.yaml"
    rules.write_text("""
rules:
  - id: own.executed_within_budget
    severity: 错误
    check: executed <= budget_full_year * 0.99
    message: "全年执行数 {executed} 超过全年预算数的 99%"
  - id: own.broken
    check: no_such_column > 1
    message: x
""", encoding="utf-8")
    out = collect(inbox, LIST, tmp_path / "r.xlsx", rules_path=rules, key=KEY, year=2023).result
    own = out.issues[out.issues["rule"] == "own.executed_within_budget"]
    assert len(own) >= 5 and own["severity"].eq("错误").all()
    broken = out.issues[out.issues["rule"] == "rules.broken"]
    assert len(broken) == 1 and "own.broken" in broken.iloc[0]["message"]
    assert "no_such_column" in broken.iloc[0]["message"]


def test_inputs_that_cannot_be_used_exit_2(tmp_path, inbox):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    r = run("collect", inbox, "--list", bad, "-o", tmp_path / "r.xlsx")
    assert r.exit_code == 2 and "错误：" in r.output
    r = run("collect", tmp_path / "nowhere", "--list", LIST, "-o", tmp_path / "r.xlsx")
    assert r.exit_code == 2 and "收件目录" in r.output
    broken_rules = tmp_path / "r.yaml"
    broken_rules.write_text("rules: {", encoding="utf-8")
    r = run("collect", inbox, "--list", LIST, "-o", tmp_path / "r.xlsx", "--rules", broken_rules)
    assert r.exit_code == 2 and "无法解析" in r.output


def test_a_second_run_on_the_same_ledger_is_refused(tmp_path, inbox):
    report = tmp_path / "r.xlsx"
    with Ledger(tmp_path / "r.ledger.sqlite"):
        r = run("collect", inbox, "--list", LIST, "-o", report)
        assert r.exit_code == 2 and "正被另一个 collect 使用" in r.output
    assert not report.exists()


def test_hostile_files_in_the_inbox_are_all_listed(tmp_path, inbox):
    shutil.copytree(HOSTILE, inbox / "hostile")
    report = tmp_path / "r.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.exit_code == 0, r.output
    n = len(list(HOSTILE.iterdir()))
    assert f"收到文件 {11 + n}（读取 11 + 无法读取 {n} + 跳过 0）" in r.output
    files = pd.read_excel(report, sheet_name="文件", engine="openpyxl", dtype=str)
    hostile = files[files["文件"].str.startswith("hostile/")]  # under the inbox
    assert len(hostile) == n and hostile["原因"].notna().all()
    assert set(hostile["状态"]) == {"无法读取"}


def test_demo_runs_the_whole_round(tmp_path):
    r = run("demo", tmp_path / "demo")
    assert r.exit_code == 0, r.output
    assert "应报 12  已报 11  未报 1" in r.output
    assert (tmp_path / "demo" / "报告.xlsx").exists()


def test_end_to_end_each_seeded_inconsistency_under_its_rule(tmp_path, inbox):
    report = tmp_path / "报告.xlsx"
    out = collect(inbox, LIST, report, finals=[SAMPLES / "决算_项目支出.xlsx",
                                               SAMPLES / "决算_收入支出决算表.xlsx"],
                  targets=SAMPLES / "绩效目标.xlsx", key=KEY, year=2023).result
    issues = _issues(report)
    rules = {code: set(g["代码"]) for code, g in issues.groupby("项目编码")}
    errors = {code: set(g["代码"]) for code, g in issues[issues["级别"] == "错误"].groupby(
        "项目编码")}
    # seed 001: 400 + 780 ≠ 1500; full marks for 26.70% against 100%, typed over the formula
    assert errors["P2023-301001-01"] == {"check.fund_parts", "calc.formula_overwritten",
                                         "indicator.full_marks_missed"}
    # seed 002: 实际支出 1000 while its own narrative (and the 决算) say 754 was paid
    assert errors["P2023-302001-04"] == {"final.spent"}
    row = issues[(issues["项目编码"] == "P2023-302001-04")].iloc[0]
    assert (row["应为"], row["实际"], float(row["差额"])) == ("754", "1000", 246)
    # seed 002: a percentage typed as the text "905": the sheet scores it 0, xlkit 905%
    assert rules["P2023-302001-05"] == {"value.implausible", "value.text_number",
                                        "calc.as_shown"}
    # seed 002: 全年执行数 pasted as "12,579.31", 参保人数 as "2455592人": the sheet shows
    # 总分 75 / 中, xlkit 99.47 / 优, each figure with its finding
    assert errors["P2023-302001-01"] == {"value.text_number", "calc.as_shown"}
    # seed 003: the 决算 shows 69.85 of project spending, the forms claim 88 executed
    for code in ("P2023-303001-02", "P2023-303001-03", "P2023-303001-04"):
        assert "final.spent" in errors[code], code
    assert "meta.issued_changed" in errors["P2023-303001-02"]  # budget edited 20 → 25
    assert rules["P2023-303001-05"] == {"return.missing"}
    # the consistent returns raise nothing at all
    for code in ("P2023-302001-02", "P2023-302001-03", "P2023-303001-01", "P2023-304001-01"):
        assert code not in rules, (code, rules.get(code))
    # seed 000's 决算 identity holds row by row and in 合计: no importer findings
    assert not [r for r in issues["代码"] if r.startswith("source.")]
    # 9, and what the sheets show otherwise: 9 for 302001-01 (3 texts, 执行率 执行得分 得分
    # 小计 总分 等次), 4 for "905" (the text, 得分 小计 总分), 3 for the edited budget of
    # 303001-02 (执行率 执行得分 总分)
    assert out.summary()["错误"] == 25


def test_an_odd_final_export_needs_mapping(tmp_path, inbox):
    odd = tmp_path / "odd.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet3"
    ws.append(["导出时间 2024-03-01"])
    ws.append([])
    ws.append(["代号", "名目", "花费（实际）", "剩余"])
    ws.append(["P2023-302001-04", "离休干部医疗补助", 7540000, 2460000])
    wb.save(odd)
    r = run("collect", inbox, "--list", LIST, "-o", tmp_path / "r.xlsx", "--final", odd)
    assert r.exit_code == 2 and "代号" in r.output and "花费（实际）" in r.output
    mapping = tmp_path / "m.yaml"
    mapping.write_text("""
kind: final_projects
sheet: Sheet3
header_row: 3
money_unit: 元
columns: {project_code: 代号, project_name: 名目, final_spent: 花费（实际）, final_balance: 剩余}
""", encoding="utf-8")
    r = run("collect", inbox, "--list", LIST, "-o", tmp_path / "r.xlsx", "--final", odd,
            "--mapping", mapping, "--fail-on", "never")
    assert r.exit_code == 0, r.output
    issues = _issues(tmp_path / "r.xlsx")
    spent = issues[issues["代码"] == "final.spent"]
    assert list(spent["项目编码"]) == ["P2023-302001-04"]


OLD_SCHEMA = """
CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    first_seen TEXT, last_seen TEXT, status TEXT, unit_code TEXT, project_code TEXT,
    superseded_by TEXT, context TEXT, result TEXT);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT, finished TEXT,
    inbox TEXT, report TEXT, summary TEXT);
CREATE TABLE expected (unit_code TEXT, unit_name TEXT, project_code TEXT, project_name TEXT,
    contact TEXT, phone TEXT);
"""


def test_a_ledger_from_an_earlier_xlkit_is_brought_up_to_date(tmp_path, inbox):
    """A ledger made before runs.fingerprint existed (xlkit of 2026-11-22): the run goes on
    (no traceback), the column is added, and what it had stays."""
    import sqlite3

    report = tmp_path / "r.xlsx"
    db = tmp_path / "r.ledger.sqlite"
    old = sqlite3.connect(db)
    old.executescript(OLD_SCHEMA)
    old.execute("INSERT INTO runs (started, finished, inbox, report, summary) VALUES "
                "('2026-11-22T22:00:00', '2026-11-22T22:00:05', 'x', 'y', '{}')")
    old.commit()
    old.close()
    r = run("collect", inbox, "--list", LIST, "-o", report, "--year", "2023", "--fail-on",
            "never")
    assert r.exit_code == 0, r.output
    con = sqlite3.connect(db)
    assert "fingerprint" in {row[1] for row in con.execute("PRAGMA table_info(runs)")}
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    con.close()
    again = collect(inbox, LIST, report, key=KEY, year=2023)
    assert again.unchanged and again.read_now == 0


def test_results_are_reused_only_by_the_build_that_read_them(tmp_path, inbox, monkeypatch):
    """After an upgrade (another build of xlkit) every return is read again and the report
    written again: a newer reader may judge a file differently."""
    from xlkit.round import codeid
    from xlkit.round import collect as collect_module

    report = tmp_path / "r.xlsx"
    assert collect(inbox, LIST, report, key=KEY, year=2023).read_now == 11
    assert collect(inbox, LIST, report, key=KEY, year=2023).unchanged
    monkeypatch.setattr(collect_module, "code_id", lambda: "9.9.9+another")
    upgraded = collect(inbox, LIST, report, key=KEY, year=2023)
    assert not upgraded.unchanged and (upgraded.read_now, upgraded.reused) == (11, 0)
    assert codeid.code_id() != "9.9.9+another"
