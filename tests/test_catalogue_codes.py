"""Codes the rest of the suite produced without looking at them: each is produced here
through a public interface (read_workbook, collect, the importers, the command line) and
asserted by code, place and message."""

from __future__ import annotations

import os
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from workbooks import cell, fill

from xlkit import read_workbook
from xlkit.cli import main
from xlkit.core.meta import META_SHEET
from xlkit.findings import InputError
from xlkit.inputs.budget_list import read_list, read_targets
from xlkit.round.collect import collect


def only(result, code):
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in result.findings]
    return found[0]


def coordinate(path, field):
    return cell(openpyxl.load_workbook(path), field).coordinate


def _edit_meta(src, dst, edit):
    wb = openpyxl.load_workbook(src)
    for row in wb[META_SHEET].iter_rows():
        if isinstance(row[0].value, str) and row[0].value.startswith("payload."):
            row[1].value = edit(row[1].value)
    wb.save(dst)


# ------------------------------------------------------------------------------ reader


def test_file_missing(tmp_path):
    path = tmp_path / "没有.xlsx"
    r = read_workbook(path)
    assert (r.status, r.code, r.reason) == ("rejected", "file.missing", f"找不到文件：{path}")


def test_meta_no_key(issued):
    f = only(read_workbook(issued), "meta.no_key")
    assert (f.severity, f.sheet, f.message) == ("提示", "_meta", "未提供签名密钥，签名未核验")


def test_meta_damaged(tmp_path, issued, key):
    _edit_meta(issued, tmp_path / "d.xlsx", lambda v: "{坏" + v[5:])
    r = read_workbook(tmp_path / "d.xlsx", key=key)
    assert (r.status, r.code) == ("rejected", "meta.damaged")
    assert r.reason.startswith("_meta 记录损坏，无法识别表式（") and only(r, "meta.damaged").sheet == "_meta"


def test_meta_incompatible(tmp_path, issued, key):
    _edit_meta(issued, tmp_path / "i.xlsx",
               lambda v: v.replace('"fields":{', '"fields":{"zz.extra":"自评表!$A$1",'))
    r = read_workbook(tmp_path / "i.xlsx", key=key)
    assert (r.status, r.code) == ("rejected", "meta.incompatible")
    assert r.reason == ("表式 project-2020 第 1 版的格式与当前版本不同，无法按当前版本读取，"
                        "请用当前下发的表格重新填报")


def test_meta_layout_changed_sheet_renamed(tmp_path, issued, key):
    wb = openpyxl.load_workbook(issued)
    wb.worksheets[0].title = "改过名"
    wb.save(tmp_path / "r.xlsx")
    r = read_workbook(tmp_path / "r.xlsx", key=key)
    assert (r.status, r.code) == ("rejected", "meta.layout_changed")
    assert r.reason == "找不到工作表「自评表」（被改名或删除）"


def test_value_required_error_and_choice(tmp_path, issued, key):
    path = tmp_path / "v.xlsx"
    fill(issued, path, {"ind.0.actual": "#DIV/0!", "ind.1.tier": "很好"})
    r = read_workbook(path, key=key)
    req = [f for f in r.findings if f.code == "value.required"]
    executed = next(f for f in req if f.field == "funds.total.executed")
    assert executed.cell == coordinate(path, "funds.total.executed")
    assert executed.message == "「年度资金总额·全年执行数」未填写"
    err = only(r, "value.error")
    assert (err.cell, err.actual) == (coordinate(path, "ind.0.actual"), "#DIV/0!")
    assert err.message.endswith("是错误值 #DIV/0!")
    choice = only(r, "value.choice")
    assert choice.cell == coordinate(path, "ind.1.tier")
    assert choice.message.endswith("应为 达成 / 部分达成 / 未达成，填的是 '很好'")


def test_value_ambiguous_unit(tmp_path, issued, key):
    path = tmp_path / "u.xlsx"
    fill(issued, path, {"ind.3.actual": "95次"})
    r = read_workbook(path, key=key)
    f = only(r, "value.ambiguous")
    assert f.cell == coordinate(path, "ind.3.actual")
    assert "填的单位是「次」，计量单位却是「" in f.message


# -------------------------------------------------------------------- office's inputs


def test_list_column_and_targets_row(tmp_path):
    src = openpyxl.load_workbook(SAMPLES / "预算清单.xlsx")
    ws = src.worksheets[0]
    header_row = next(r for r in ws.iter_rows() if any(c.value == "单位编码" for c in r))
    extra = ws.cell(header_row[0].row, ws.max_column + 1, "备注列")
    src.save(tmp_path / "清单.xlsx")
    p = next(f for f in read_list(tmp_path / "清单.xlsx").problems if f.code == "list.column")
    assert (p.severity, p.cell, p.message, p.actual) == ("提示", extra.coordinate,
                                                         "未知列，已忽略", "备注列")
    t = openpyxl.Workbook()
    t.active.append(["项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值", "分值"])
    t.active.append(["P1", "产出指标", "数量指标", "人数", "≥", 10, "很多"])
    t.save(tmp_path / "目标.xlsx")
    _, problems = read_targets(tmp_path / "目标.xlsx")
    (p,) = problems
    assert (p.code, p.cell, p.field, p.actual, p.message) == (
        "targets.row", "G2", "weight", "很多", "分值不是数字")


@pytest.mark.parametrize("args, code, text", [
    (["build", "--spec", "没有的表式", "--blank", "-o", "x.xlsx"], "input.spec", "没有这个表式"),
    (["build", "--blank", "-o", "x.xlsx", "--key-file", "short.key"], "input.key", "太短"),
    (["build", "--list", "清单.csv", "--year", "2023", "--out", "o"], "input.list", "找不到表头"),
    (["build", "--list", "LIST", "--targets", "目标.csv", "--year", "2023", "--out", "o"],
     "input.targets", "缺少必需的列"),
])
def test_inputs_that_cannot_be_used_exit_2(tmp_path, args, code, text):
    (tmp_path / "short.key").write_text("abc")
    (tmp_path / "清单.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    (tmp_path / "目标.csv").write_text("项目编码,一级指标\nP1,产出\n", encoding="utf-8")
    args = [str(SAMPLES / "预算清单.xlsx") if a == "LIST" else a for a in args]
    os.chdir(tmp_path)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "错误：" in r.output and text in r.output, r.output


def _inbox(tmp_path, issued):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(issued, inbox / "a.xlsx")
    return inbox


def test_collect_inputs_that_cannot_be_used(tmp_path, issued):
    inbox = _inbox(tmp_path, issued)
    report = tmp_path / "r.xlsx"
    with pytest.raises(InputError, match="收件目录 .* 不存在") as e:
        collect(tmp_path / "无", SAMPLES / "预算清单.xlsx", report)
    assert e.value.code == "input.inbox"
    (tmp_path / "bad.yaml").write_text("rules: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="应为规则列表") as e:
        collect(inbox, SAMPLES / "预算清单.xlsx", report, rules_path=tmp_path / "bad.yaml")
    assert e.value.code == "input.rules"
    (tmp_path / "m.yaml").write_text("nonsense: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="未知的键「nonsense」") as e:
        collect(inbox, SAMPLES / "预算清单.xlsx", report, finals=[SAMPLES / "预算清单.xlsx"],
                mapping=tmp_path / "m.yaml")
    assert e.value.code == "input.mapping"
    with pytest.raises(InputError, match="缺少") as e:
        collect(inbox, SAMPLES / "预算清单.xlsx", report, finals=[SAMPLES / "预算清单.xlsx"])
    assert e.value.code == "input.export"


def test_ledger_busy(tmp_path, issued):
    from xlkit.round.ledger import Ledger

    inbox = _inbox(tmp_path, issued)
    db = tmp_path / "l.sqlite"
    with Ledger(db), pytest.raises(InputError, match="正被另一个 collect 使用") as e:
        collect(inbox, SAMPLES / "预算清单.xlsx", tmp_path / "r.xlsx", db=db)
    assert e.value.code == "input.ledger_busy"


def test_file_changed_while_read(tmp_path, issued):
    inbox = _inbox(tmp_path, issued)

    def touch(_n):
        for p in inbox.iterdir():
            st = p.stat()
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    out = collect(inbox, SAMPLES / "预算清单.xlsx", tmp_path / "r.xlsx", jobs=1, on_start=touch)
    issues = out.result.issues
    row = issues[issues["rule"] == "file.changed"].iloc[0]
    assert row["message"] == "文件在读取过程中被改动，下次收集时将重新读取"
    assert row["file"] == str(inbox / "a.xlsx") and row["severity"] == "提示"


def test_target_changed_since_issue(tmp_path, issued):
    """The approved targets now differ from those the return was issued with."""
    from workbooks import ISSUE, TARGETS

    inbox = _inbox(tmp_path, issued)
    wb = openpyxl.Workbook()
    wb.active.append(["项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值",
                      "计量单位", "分值"])
    for t in TARGETS[1:]:  # the first indicator is no longer approved
        weight = 25 if t["name"] == "医疗补助发放及时性" else t["weight"]
        wb.active.append([ISSUE["project_code"], t["level1"], t["level2"], t["name"],
                          t["direction"], t["target"], t["unit"], weight])
    wb.save(tmp_path / "目标.xlsx")
    out = collect(inbox, SAMPLES / "预算清单.xlsx", tmp_path / "r.xlsx", jobs=1,
                  targets=tmp_path / "目标.xlsx")
    issues = out.result.issues
    rows = issues[issues["rule"] == "target.changed"].sort_values("message")
    assert list(rows["message"]) == ["「医疗补助发放及时性」下发时分值为 30.0，现行绩效目标为 25",
                                     "「财政实际补助执行比率」不在现行的绩效目标中"]
    assert set(rows["severity"]) == {"提示"} and all(rows["where"].str.startswith("自评表!"))
