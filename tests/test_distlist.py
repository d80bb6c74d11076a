"""Distribution list and approved targets: reading, row problems, unreadable files."""

from __future__ import annotations

import os
import re

import openpyxl
import pytest

from xlkit.findings import InputError
from xlkit.inputs.budget_list import note, read_list, read_targets

HEADER = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数",
          "全年预算数", "当年财政拨款", "上年结转资金", "其他资金", "联系人", "联系电话"]


def xlsx(tmp_path, rows, name="预算清单.xlsx", merges=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    path = tmp_path / name
    wb.save(path)
    return path


def csv_file(tmp_path, lines, encoding="utf-8", name="预算清单.csv"):
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def row(code="101001", name="某某局", project="P001", pname="项目一", full=100, **kw):
    """One list row in HEADER order; keyword arguments override single cells."""
    cells = {"单位编码": code, "单位名称": name, "主管部门": "某某厅", "项目编码": project,
             "项目名称": pname, "年初预算数": None, "全年预算数": full, "当年财政拨款": None,
             "上年结转资金": None, "其他资金": None, "联系人": "张三", "联系电话": "13800138000"}
    cells.update(kw)
    return [cells[h] for h in HEADER]


def only(problems):
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --------------------------------------------------------------------------- happy path


def rcv(p):
    """(row, column, raw value) of a list finding, as the user reads them."""
    from xlkit.inputs.budget_list import _LABELS

    column = _LABELS[p.field] if p.field else p.actual
    return int(re.sub(r"[A-Z]+", "", p.cell)), column, p.actual if p.field else None


def test_happy_path_xlsx(tmp_path):
    path = xlsx(tmp_path, [
        ["2023年项目预算清单"],
        [],
        [h.replace("全年预算数", "全年预算数（万元）").replace("单位编码", " 单位编码\u3000")
         for h in HEADER],
        row(code=101001, project="'P001", full="1,488.78", 年初预算数=1000, 当年财政拨款=1200,
            上年结转资金="288.78", 其他资金=0),
        [None] * len(HEADER),
        row(code=101002.0, project="P002", pname="项目二", full="１５００", 联系电话=13900139000),
        row(code="合计", name=None, project=None, pname=None, full=2988.78),
    ])
    result = read_list(path)
    assert result.problems == []
    assert result.total_rows == 2
    first, second = result.rows
    assert first == {
        "unit_code": "101001", "unit_name": "某某局", "department": "某某厅",
        "project_code": "P001", "project_name": "项目一", "contact": "张三",
        "phone": "13800138000",
        "funds": {("total", "initial"): 1000, ("total", "full_year"): 1488.78,
                  ("fiscal", "full_year"): 1200, ("carryover", "full_year"): 288.78,
                  ("other", "full_year"): 0},
        "row": 4, "source": str(path),
    }
    assert second["unit_code"] == "101002"
    assert second["phone"] == "13900139000"
    assert second["funds"] == {("total", "full_year"): 1500}
    assert second["row"] == 6


def test_codes_never_in_scientific_notation(tmp_path):
    path = xlsx(tmp_path, [HEADER, row(code=1.01001e15, project=123456789012.0, full=1)])
    (r,) = read_list(path).rows
    assert r["unit_code"] == "1010010000000000"
    assert r["project_code"] == "123456789012"


def test_yuan_is_converted_to_wanyuan_without_rounding(tmp_path):
    path = xlsx(tmp_path, [
        [h.replace("全年预算数", "全年预算数(元)") for h in HEADER],
        row(full="1,488.78", 年初预算数=14887800),
        row(project="P002", full="1500元"),
    ])
    result = read_list(path, money_unit="元")
    assert result.problems == []
    first, second = result.rows
    assert first["funds"][("total", "full_year")] == 1488.78 / 10000
    assert first["funds"][("total", "initial")] == 1488.78
    assert second["funds"][("total", "full_year")] == 0.15


def test_money_with_unit_text(tmp_path):
    path = xlsx(tmp_path, [HEADER, row(full="1500万元"), row(project="P002", full="1500元")])
    result = read_list(path)
    assert [r["funds"][("total", "full_year")] for r in result.rows] == [1500]
    p = only(result.problems)
    assert rcv(p) == (3, "全年预算数", "1500元")
    assert "单位是元" in p.message


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_encodings(tmp_path, encoding):
    path = csv_file(tmp_path, [
        "2023年项目预算清单,,,,",
        "单位编码,单位名称,项目编码,项目名称,全年预算数",
        "'101001,某某局,P001,项目一,\"1,488.78\"",
        ",,,,",
        "101002,另一个局,P002,项目二, 1500 ",
        "合  计,,,,2988.78",
    ], encoding=encoding)
    result = read_list(path)
    assert result.problems == []
    assert result.total_rows == 2
    assert [(r["unit_code"], r["unit_name"], r["row"]) for r in result.rows] == [
        ("101001", "某某局", 3), ("101002", "另一个局", 5)]
    assert [r["funds"] for r in result.rows] == [
        {("total", "full_year"): 1488.78}, {("total", "full_year"): 1500}]
    assert result.rows[0]["department"] == ""


def test_unit_level_needs_no_project_columns(tmp_path):
    path = xlsx(tmp_path, [["单位编码", "单位名称", "全年预算数"], [101001, "某某局", 100]])
    result = read_list(path, level="unit")
    assert result.problems == []
    assert result.rows[0]["project_code"] == ""
    assert result.rows[0]["funds"] == {("total", "full_year"): 100}


def test_fund_split_mismatch_is_not_reported(tmp_path):
    path = xlsx(tmp_path, [HEADER, row(full=100, 当年财政拨款=50, 上年结转资金=20, 其他资金=1)])
    result = read_list(path)
    assert result.problems == []
    assert len(result.rows) == 1


def test_two_row_header_with_group_title(tmp_path):
    path = xlsx(tmp_path, [
        ["单位编码", "单位名称", "项目编码", "项目名称", "全年预算数", "资金来源", None, None],
        [None, None, None, None, None, "当年财政拨款", "上年结转资金", "其他资金"],
        [101001, "某某局", "P001", "项目一", 100, 80, 20, 0],
    ], merges=["A1:A2", "F1:H1"])
    result = read_list(path)
    assert result.problems == []
    assert result.rows[0]["funds"] == {
        ("total", "full_year"): 100, ("fiscal", "full_year"): 80,
        ("carryover", "full_year"): 20, ("other", "full_year"): 0}
    assert result.rows[0]["row"] == 3


def test_merged_unit_cells_fill_down(tmp_path):
    path = xlsx(tmp_path, [
        HEADER,
        row(project="P001"),
        row(code=None, name=None, project="P002"),
    ], merges=["A2:A3", "B2:B3"])
    result = read_list(path)
    assert result.problems == []
    assert [(r["unit_code"], r["unit_name"]) for r in result.rows] == [("101001", "某某局")] * 2


# --------------------------------------------------------------------------- row problems


@pytest.mark.parametrize(("override", "column", "value", "message"), [
    ({"code": None}, "单位编码", None, "缺少单位编码"),
    ({"name": "  "}, "单位名称", None, "缺少单位名称"),
    ({"project": None}, "项目编码", None, "缺少项目编码"),
    ({"pname": None}, "项目名称", None, "缺少项目名称"),
    ({"full": None}, "全年预算数", None, "缺少全年预算数"),
    ({"full": "abc"}, "全年预算数", "abc", "全年预算数不是数字"),
    ({"full": -5}, "全年预算数", "-5", "全年预算数不能为负数"),
    ({"full": "-1,000"}, "全年预算数", "-1,000", "全年预算数不能为负数"),
    ({"年初预算数": "十万"}, "年初预算数", "十万", "年初预算数不是数字"),
    ({"当年财政拨款": -1}, "当年财政拨款", "-1", "当年财政拨款不能为负数"),
    ({"上年结转资金": "n/a"}, "上年结转资金", "n/a", "上年结转资金不是数字"),
    ({"其他资金": "1.2.3"}, "其他资金", "1.2.3", "其他资金不是数字"),
])
def test_row_problem(tmp_path, override, column, value, message):
    path = xlsx(tmp_path, [
        ["2023年项目预算清单"],
        HEADER,
        row(project="P001"),
        row(project="P002", **override) if "project" not in override else row(**override),
        row(project="P003"),
    ])
    result = read_list(path)
    p = only(result.problems)
    assert (*rcv(p), p.message) == (4, column, value, message)
    assert (p.file, p.sheet) == (str(path), "清单")
    assert [r["project_code"] for r in result.rows] == ["P001", "P003"]
    assert result.total_rows == 3


def test_initial_budget_may_be_missing(tmp_path):
    path = xlsx(tmp_path, [HEADER, row(年初预算数=None)])
    result = read_list(path)
    assert result.problems == []
    assert ("total", "initial") not in result.rows[0]["funds"]


def test_several_problems_in_one_row_are_all_reported(tmp_path):
    path = xlsx(tmp_path, [HEADER, row(name=None, full="x")])
    result = read_list(path)
    assert [p.message for p in result.problems] == ["缺少单位名称", "全年预算数不是数字"]
    assert result.rows == []


def test_duplicate_project_code(tmp_path):
    path = xlsx(tmp_path, [
        ["标题"],
        ["说明"],
        HEADER,
        row(project="P001"),
        row(project="P002"),
        row(project="P001", pname="重复一"),
        row(project="P001", pname="重复二"),
    ])
    result = read_list(path)
    assert [(*rcv(p), p.message) for p in result.problems] == [
        (6, "项目编码", "P001", "项目编码 P001 与第 4 行重复"),
        (7, "项目编码", "P001", "项目编码 P001 与第 4 行重复"),
    ]
    assert [r["project_name"] for r in result.rows] == ["项目一", "项目一"]
    assert [r["row"] for r in result.rows] == [4, 5]


def test_duplicate_unit_code_at_unit_level(tmp_path):
    path = xlsx(tmp_path, [
        ["单位编码", "单位名称", "全年预算数"],
        ["101001", "某某局", 1],
        [101002, "乙局", 2],
        [101001.0, "某某局二", 3],
    ])
    result = read_list(path, level="unit")
    p = only(result.problems)
    assert (*rcv(p)[:2], p.message) == (4, "单位编码", "单位编码 101001 与第 2 行重复")
    assert [r["unit_code"] for r in result.rows] == ["101001", "101002"]
    # the same list read per project: duplicate unit codes are normal there
    assert read_list(xlsx(tmp_path, [HEADER, row(), row(project="P002")])).problems == []


def test_unknown_column_reported_once(tmp_path):
    path = xlsx(tmp_path, [
        ["标题"],
        ["序号", *HEADER, "备注"],
        [1, *row(project="P001"), "无"],
        [2, *row(project="P002"), None],
    ])
    result = read_list(path)
    assert [(*rcv(p)[:2], p.message) for p in result.problems] == [
        (2, "序号", "未知列，已忽略"), (2, "备注", "未知列，已忽略")]
    assert len(result.rows) == 2


def test_problem_note(tmp_path):
    """A row problem is a finding (list.row, with file, sheet and cell); the command line
    words it as before, with the row and the column the user sees."""
    path = xlsx(tmp_path, [HEADER, row(full="abc")])
    p = only(read_list(path).problems)
    assert (p.code, p.severity, p.sheet, p.cell, p.field, p.actual) == (
        "list.row", "错误", "清单", "G2", "full_year", "abc")
    assert note(p) == f"{path} 第 2 行「全年预算数」: 全年预算数不是数字（原值：'abc'）"


# --------------------------------------------------------------------------- unreadable files


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="找不到文件") as e:
        read_list(tmp_path / "没有.xlsx")
    assert "没有.xlsx" in str(e.value)


def test_wrong_extension(tmp_path):
    path = tmp_path / "清单.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"不支持的文件类型.*清单\.xls.*\.xlsx 或 \.csv"):
        read_list(path)


@pytest.mark.parametrize("content", [os.urandom(2048), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 64])
def test_corrupt_or_encrypted_xlsx(tmp_path, content):
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match="坏文件.xlsx 无法打开（文件损坏或已加密）"):
        read_list(path)


def test_missing_required_column_lists_seen_headers(tmp_path):
    path = xlsx(tmp_path, [["单位编码", "单位名称", "项目编码", "项目名称", "预算金额"]])
    with pytest.raises(InputError) as e:
        read_list(path)
    assert str(e.value) == (f"{path} 缺少必需的列「全年预算数」；"
                            "找到的列：单位编码、单位名称、项目编码、项目名称、预算金额")


def test_project_columns_required_at_project_level(tmp_path):
    path = xlsx(tmp_path, [["单位编码", "单位名称", "全年预算数"]])
    with pytest.raises(InputError, match="「项目编码」「项目名称」"):
        read_list(path)


def test_no_header_row(tmp_path):
    path = xlsx(tmp_path, [["标题"], *[[f"说明{i}"] for i in range(10)], HEADER])
    with pytest.raises(InputError, match="找不到表头"):
        read_list(path)


def test_header_unit_contradicting_money_unit(tmp_path):
    path = xlsx(tmp_path, [[h.replace("全年预算数", "全年预算数（元）") for h in HEADER], row()])
    with pytest.raises(InputError, match="「全年预算数（元）」注明金额单位是元，与 --money-unit 万元 矛盾"):
        read_list(path, money_unit="万元")
    # not given: the header says 元, so it is read as 元 (tests/test_money_unit.py)
    assert read_list(path).money_unit == "元"


def test_undecodable_csv(tmp_path):
    path = tmp_path / "清单.csv"
    path.write_bytes(b"\xff\xfe\x00\xd8" * 10)
    with pytest.raises(InputError, match="编码"):
        read_list(path)


# --------------------------------------------------------------------------- targets

TARGET_HEADER = ["项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值",
                 "计量单位", "分值"]


def target(code="P001", level1="产出指标", level2="数量指标", name="培训人数",
           direction="≥", value=95, unit="人次", weight=10):
    return [code, level1, level2, name, direction, value, unit, weight]


def test_targets_happy_path(tmp_path):
    path = xlsx(tmp_path, [
        ["2023年绩效目标"],
        TARGET_HEADER,
        target(),
        target(code=101.0, direction=">=", value="1,000", weight="20"),
        target(direction="反向", value=" ９５ ", weight=5.5),
        target(direction="＜＝", value=3),
        target(direction="等于", value="100", unit=None),
        target(level1="效益指标", level2="社会效益指标", name="保障水平", direction="定性",
               value="有效保障", unit=None),
        target(direction=None, value="待定"),
        [None] * 8,
        ["合计", None, None, None, None, None, None, 100],
    ], name="目标.xlsx")
    targets, problems = read_targets(path)
    assert problems == []
    assert list(targets) == ["P001", "101"]
    p1 = targets["P001"]
    assert p1[0] == {"level1": "产出指标", "level2": "数量指标", "name": "培训人数",
                     "direction": "≥", "target": 95, "unit": "人次", "weight": 10, "row": 3}
    assert targets["101"][0]["target"] == 1000
    assert targets["101"][0]["weight"] == 20
    assert [(t["direction"], t["target"], t["weight"]) for t in p1[1:]] == [
        ("≤", 95, 5.5), ("≤", 3, 10), ("=", 100, 10), ("定性", "有效保障", 10),
        (None, "待定", 10)]
    assert p1[3]["unit"] == ""
    assert [t["row"] for t in p1] == [3, 5, 6, 7, 8, 9]


def test_targets_csv_and_merged_cells(tmp_path):
    path = xlsx(tmp_path, [
        TARGET_HEADER,
        target(name="a"),
        target(code=None, level1=None, level2=None, name="b"),
        target(code=None, level1=None, level2="质量指标", name="c"),
    ], name="目标.xlsx", merges=["A2:A4", "B2:B4", "C2:C3"])
    targets, problems = read_targets(path)
    assert problems == []
    assert [(t["level1"], t["level2"], t["name"]) for t in targets["P001"]] == [
        ("产出指标", "数量指标", "a"), ("产出指标", "数量指标", "b"), ("产出指标", "质量指标", "c")]

    path = csv_file(tmp_path, [",".join(TARGET_HEADER),
                               "P001,产出指标,数量指标,培训人数,≥,95,人次,10"],
                    encoding="gbk", name="目标.csv")
    targets, problems = read_targets(path)
    assert problems == [] and targets["P001"][0]["target"] == 95


@pytest.mark.parametrize(("override", "column", "value", "message"), [
    ({"code": None}, "项目编码", None, "缺少项目编码"),
    ({"level1": None}, "一级指标", None, "缺少一级指标"),
    ({"level2": ""}, "二级指标", None, "缺少二级指标"),
    ({"name": None}, "三级指标", None, "缺少三级指标"),
    ({"weight": None}, "分值", None, "缺少分值"),
    ({"weight": "十分"}, "分值", "十分", "分值不是数字"),
    ({"weight": 120}, "分值", "120", "分值应在 0 到 100 之间"),
    ({"weight": -1}, "分值", "-1", "分值应在 0 到 100 之间"),
    ({"direction": "越大越好"}, "指标方向", "越大越好",
     "指标方向「越大越好」无法识别，应为 ≥、≤、= 或 定性"),
    ({"value": "95%"}, "年度指标值", "95%", "定量指标的年度指标值应为数字"),
    ({"direction": "≤", "value": None}, "年度指标值", None, "定量指标的年度指标值应为数字"),
])
def test_target_problem(tmp_path, override, column, value, message):
    path = xlsx(tmp_path, [
        TARGET_HEADER,
        target(name="前"),
        target(**{"name": "坏", **override}),
        target(name="后"),
    ], name="目标.xlsx")
    targets, problems = read_targets(path)
    p = only(problems)
    assert (*rcv(p), p.message) == (3, column, value, message)
    assert [t["name"] for t in targets["P001"]] == ["前", "后"]


def test_targets_unknown_column_and_missing_column(tmp_path):
    path = xlsx(tmp_path, [[*TARGET_HEADER, "备注"], target()], name="目标.xlsx")
    targets, problems = read_targets(path)
    assert [(*rcv(p)[:2], p.message) for p in problems] == [(1, "备注", "未知列，已忽略")]
    assert len(targets["P001"]) == 1

    path = xlsx(tmp_path, [["项目编码", "一级指标", "二级指标", "三级指标"]], name="缺列.xlsx")
    with pytest.raises(InputError, match="缺少必需的列「分值」；找到的列：项目编码、一级指标"):
        read_targets(path)
