"""The list's money unit (issue 13, "Silent misreads"; deliverable 2): a list titled
"（单位：元）" or with a header 全年预算数（元） is read in 元 (and says so) without
--money-unit; --money-unit contradicting it is refused; a list that says nothing but whose
figures look like 元 is refused with a message naming --money-unit. Build and collect alike."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import KEY, SAMPLES

import xlkit
from xlkit.cli import main
from xlkit.findings import InputError
from xlkit.inputs.budget_list import read_list

HEADER = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数", "全年预算数"]
ROWS = [["301001", "益阳市医疗保障事务中心", "医保局", "P001", "离休人员医疗补助", 14887800, 15000000],
        ["301001", "益阳市医疗保障事务中心", "医保局", "P002", "打击欺诈骗保", 828000, 1500000.5]]


def _list(path: Path, title: str | None = None, header=HEADER, rows=ROWS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "预算清单"
    if title is not None:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _build(lst: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["build", "--list", str(lst), "--year", "2023", "--out",
                                     str(out), *extra], env={"XLKIT_KEY": KEY.decode()})


def _full_years(out: Path) -> list[float]:
    tables = xlkit.read_many(out, key=KEY)
    return sorted(tables.projects["budget_full_year"].tolist())


def test_a_list_titled_yuan_is_read_in_yuan_and_says_so(tmp_path):
    lst = _list(tmp_path / "清单.xlsx", "2023年项目预算清单（单位：元）")
    r = _build(lst, tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "第 1 行「2023年项目预算清单（单位：元）」: 清单注明金额单位为元，已按元读取并换算为万元" in r.output
    assert _full_years(tmp_path / "out") == [150.00005, 1500.0]  # not 10,000 times too large
    listed = read_list(lst)
    assert (listed.money_unit, listed.money_unit_source) == ("元", "A1「2023年项目预算清单（单位：元）」")
    (note,) = listed.problems
    assert (note.code, note.cell, note.severity) == ("list.money_unit", "A1", "提示")


def test_a_header_in_yuan_is_read_in_yuan(tmp_path):
    header = [h.replace("全年预算数", "全年预算数（元）").replace("年初预算数", "年初预算数（元）")
              for h in HEADER]
    lst = _list(tmp_path / "清单.xlsx", header=header)
    r = _build(lst, tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "「全年预算数（元）」" in r.output or "「年初预算数（元）」" in r.output
    assert _full_years(tmp_path / "out") == [150.00005, 1500.0]


def test_money_unit_contradicting_the_caption_is_refused(tmp_path):
    lst = _list(tmp_path / "清单.xlsx", "2023年项目预算清单（单位：元）")
    r = _build(lst, tmp_path / "out", "--money-unit", "万元")
    assert r.exit_code == 2
    assert (f"{lst} 工作表「预算清单」 A1「2023年项目预算清单（单位：元）」注明金额单位是元，"
            "与 --money-unit 万元 矛盾；请核对清单，改用 --money-unit 元") in r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()
    assert _build(lst, tmp_path / "out", "--money-unit", "元").exit_code == 0


def test_two_units_in_one_list_are_refused(tmp_path):
    header = [h.replace("全年预算数", "全年预算数（万元）") for h in HEADER]
    lst = _list(tmp_path / "清单.xlsx", "（单位：元）", header=header)
    with pytest.raises(InputError, match=r"金额单位前后不一致：G2「全年预算数（万元）」、A1「（单位：元）」"):
        read_list(lst)


def test_yuan_looking_figures_without_a_unit_are_refused_naming_money_unit(tmp_path):
    lst = _list(tmp_path / "清单.xlsx")
    r = _build(lst, tmp_path / "out")
    assert r.exit_code == 2
    assert "未注明金额单位，而 4 个金额中有 4 个不小于 100,000（如第 2 行「全年预算数」15,000,000），" \
           "看起来是元；按万元读取会大 10000 倍。若清单是元，请加 --money-unit 元；" \
           "若确是万元，请加 --money-unit 万元" in r.output
    assert not (tmp_path / "out").exists()
    assert _build(lst, tmp_path / "yuan", "--money-unit", "元").exit_code == 0
    assert _full_years(tmp_path / "yuan") == [150.00005, 1500.0]
    assert _build(lst, tmp_path / "wan", "--money-unit", "万元").exit_code == 0  # said so


def test_ordinary_wanyuan_figures_need_nothing(tmp_path):
    rows = [[*r[:5], 1488.78, 1500] for r in ROWS[:1]] + [[*ROWS[1][:5], 82.8, 150]]
    listed = read_list(_list(tmp_path / "清单.xlsx", rows=rows))
    assert listed.money_unit == "万元" and listed.problems == []
    # a few large rows among ordinary ones are not "most": still 万元
    rows += [[f"30100{i}", "某局", "医保局", f"P1{i}", "大项目", 200000, 200000] for i in range(1)]
    assert read_list(_list(tmp_path / "清单2.xlsx", rows=rows)).money_unit == "万元"


def test_collect_reads_the_list_the_same_way(tmp_path):
    inbox = SAMPLES / "returns"
    args = ["collect", str(inbox), "-o", str(tmp_path / "报告.xlsx"),
            "--key-file", str(SAMPLES / "示例密钥.txt")]
    lst = _list(tmp_path / "清单.xlsx")
    r = CliRunner().invoke(main, [*args[:2], "--list", str(lst), *args[2:]])
    assert r.exit_code == 2, r.output
    assert "看起来是元" in r.output and "--money-unit 元" in r.output
    titled = _list(tmp_path / "清单元.xlsx", "（单位：元）")
    r = CliRunner().invoke(main, [*args[:2], "--list", str(titled), *args[2:],
                                  "--money-unit", "万元"])
    assert r.exit_code == 2 and "与 --money-unit 万元 矛盾" in r.output
    r = CliRunner().invoke(main, [*args[:2], "--list", str(titled), *args[2:]])
    assert r.exit_code in (0, 1), r.output
    assert "清单注明金额单位为元，已按元读取并换算为万元" in r.output
