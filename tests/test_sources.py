"""Budget and 决算 exports as they come: header detection, 元 → 万元, 合计 rows, the 决算
identity, mappings for odd exports, and files that are not what they claim."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlkit.demo import sample_returns_module
from xlkit.findings import CODES, InputError
from xlkit.inputs.exports import (
    Imported,
    load_mapping,
    read_budget,
    read_final,
)
from xlkit.inputs.sheet import number

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
HOSTILE = Path(__file__).resolve().parent / "data" / "corpus" / "hostile"


def xlsx(path: Path, rows, merges=(), title="Sheet1", more_sheets=()) -> Path:
    """A workbook whose first sheet holds ``rows`` (lists, None = empty cell)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    for name, sheet_rows in more_sheets:
        extra = wb.create_sheet(name)
        for r in sheet_rows:
            extra.append(list(r))
    wb.save(path)
    return path


def codes(result: Imported) -> list[tuple[str, str, object, object]]:
    return [(f.code, f.cell, f.expected, f.actual) for f in result.findings]


def yuan(x: Decimal | int | str) -> str:
    """An amount as a text export prints it: thousands separators, two decimals."""
    return f"{Decimal(x):,.2f}"


# --------------------------------------------------------------------------- 收入支出决算表

# seed 000 (寻甸县医疗保险中心 2023年收入支出决算表, 元): 功能科目, 科目名称, {栏次: amount}
# and its own 合计 row — the one transcription, kept with the sample that is built from it.
D = Decimal
_returns = sample_returns_module()
SEED000 = _returns.ACCOUNT_ROWS
SEED000_TOTAL = _returns.ACCOUNT_TOTAL
GROUPS = (
    ("年初结转和结余", ("合计", "基本支出结转", "项目支出结转和结余", "经营结余")),
    ("本年收入", ()),
    ("本年支出", ()),
    ("收支结余", ("合计", "基本支出结转", "项目支出结转和结余", "经营结余")),
    ("使用非财政拨款结余", ()),
    ("结余分配", ("合计", "缴纳企业所得税", "提取专用结余", "事业单位转入事业基金", "其他")),
    ("年末结转和结余", ("合计", "基本支出结转", "项目支出结转和结余", "经营结余")),
)


def accounts_xlsx(path: Path, rows=SEED000, total=SEED000_TOTAL) -> Path:
    """The 收入支出决算表 as the 决算 software exports it: three header rows (group titles
    merged over their sub-columns, a 栏次 / 类 款 项 row), 合计 first, amounts as text with
    thousands separators, the code merged across 类 | 款 | 项."""
    title = ["2023年收入支出决算表"] + [None] * 23
    caption = ["编制单位：寻甸回族彝族自治县医疗保险中心"] + [None] * 11 + ["单位：元"] + \
        [None] * 11
    top, sub, merges = ["项目", None, None, None], ["支出功能分类科目编码", None, None, "科目名称"], \
        ["A1:X1", "A3:D3", "A4:C4"]
    col = 5
    for group, parts in GROUPS:
        letter = openpyxl.utils.get_column_letter
        if parts:
            top += [group] + [None] * (len(parts) - 1)
            sub += list(parts)
            merges.append(f"{letter(col)}3:{letter(col + len(parts) - 1)}3")
            col += len(parts)
        else:
            top.append(group)
            sub.append(None)
            merges.append(f"{letter(col)}3:{letter(col)}4")
            col += 1
    numbering = ["类", "款", "项", "栏次", *range(1, 21)]

    def amounts(values):
        return [yuan(values[n]) if n in values else None for n in range(1, 21)]

    body = [["合计", None, None, None, *amounts(total)]]
    merges.append("A6:D6")
    for k, (code, name, values) in enumerate(rows, start=7):
        body.append([code, None, None, name, *amounts(values)])
        merges.append(f"A{k}:C{k}")
    return xlsx(path, [title, caption, top, sub, numbering, *body], merges, "收入支出决算表")


def test_seed000_accounts_pass_every_check(tmp_path):
    result = read_final(accounts_xlsx(tmp_path / "决算.xlsx"))
    assert result.findings == []
    assert (result.kind, result.money_unit, result.header_row) == ("final_functional", "元", 3)
    assert result.columns["opening"] == "年初结转和结余/合计"
    assert result.columns["closing"] == "年末结转和结余/合计"
    assert result.columns["income"] == "本年收入"
    assert len(result.rows) == 15
    first = result.rows.iloc[0]
    assert (first.func_code, first.func_name, first.row) == ("2101501", "行政运行", 7)
    assert first.income == 5359717.88 / 10000
    assert first.spent == 5358809.10 / 10000
    assert first.closing == 6461.91 / 10000
    assert result.rows.set_index("func_code").loc["2210201"].isna()["opening"]
    (total,) = result.totals.itertuples()
    assert (total.row_type, total.row, total.func_code) == ("合计", 6, "合计")
    assert total.spent == pytest.approx(983.561317)
    assert result.rows.spent.sum() == pytest.approx(total.spent)


def test_seed000_accounts_with_one_row_altered(tmp_path):
    rows = list(SEED000)
    code, name, values = rows[0]
    rows[0] = (code, name, {**values, 6: D("5358909.10")})  # 本年支出 100 元 more
    result = read_final(accounts_xlsx(tmp_path / "决算.xlsx", rows))
    assert codes(result) == [
        # J6: the 合计 row's 本年支出 (栏次 6) no longer matches its rows
        ("source.total_mismatch", "J6", 9835713.17, 9835613.17),
        # U7: 行政运行's 年末结转和结余 (栏次 17)
        ("source.identity", "U7", 6361.91, 6461.91),
    ]
    mismatch, identity = result.findings
    assert mismatch.severity == "错误" and mismatch.field == "spent"
    assert "9,835,613.17 元" in mismatch.message and "9,835,713.17 元" in mismatch.message
    assert (mismatch.file, mismatch.sheet) == (str(tmp_path / "决算.xlsx"), "收入支出决算表")
    assert identity.field == "closing" and "第 7 行" in identity.message


def test_seed000_sample_file():
    result = read_final(SAMPLES / "决算_收入支出决算表.xlsx")
    assert result.findings == []
    assert result.kind == "final_functional"
    assert result.rows.set_index("func_code").loc["2080501", "opening"] == 48738.69 / 10000


def test_accounts_csv_with_split_codes_and_levels(tmp_path):
    """GBK CSV: group titles written once, the code in 类 | 款 | 项 columns, 类 and 款 rows
    that sum the 项 rows under them; one 款 row is wrong."""
    lines = [
        "2023年收入支出决算表,,,,,,,,,,,",
        "编制单位：某某医保局,,,,,,,,,金额单位：元,,",
        "项目,,,,年初结转和结余,,,本年收入,本年支出,年末结转和结余,,",
        "支出功能分类科目编码,,,科目名称,合计,基本支出结转,项目支出结转,,,合计,基本支出结转,"
        "项目支出结转",
        "类,款,项,栏次,1,2,3,4,5,6,7,8",
        "合计,,,,\"1,000.00\",\"1,000.00\",0,\"3,500.00\",\"4,000.00\",500.00,500.00,0",
        "208,,,社会保障和就业支出,0,0,0,\"1,500.00\",\"1,500.00\",0,0,0",
        "208,05,,行政事业单位养老支出,0,0,0,\"1,500.00\",\"1,400.00\",0,0,0",
        "208,05,01,行政单位离退休,0,0,0,\"1,000.00\",\"1,000.00\",0,0,0",
        "208,05,05,机关事业单位基本养老保险缴费支出,0,0,0,500.00,500.00,0,0,0",
        ",,,,,,,,,,,",
        "210,,,卫生健康支出,\"1,000.00\",\"1,000.00\",0,\"2,000.00\",\"2,500.00\",500.00,500.00,0",
        "210,15,01,行政运行,\"1,000.00\",\"1,000.00\",0,\"2,000.00\",\"2,500.00\",500.00,500.00,0",
        "注：本表金额单位为元,,,,,,,,,,,",
    ]
    path = tmp_path / "收入支出决算表.csv"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    result = read_final(path)
    assert result.kind == "final_functional"
    assert result.money_unit == "元"
    assert result.columns["func_code"] == "项目/支出功能分类科目编码（类+款+项）"
    assert list(result.rows.func_code) == ["2080501", "2080505", "2101501"]
    assert list(result.totals.row_type) == ["合计", "类", "款", "类"]
    assert list(result.totals.func_code) == ["合计", "208", "20805", "210"]
    # the 款 row says 1,400.00 spent, its 项 rows 1,500.00; its identity fails too
    assert codes(result) == [
        ("source.total_mismatch", "I8", 1500.0, 1400.0),
        ("source.identity", "J8", 100.0, 0.0),
    ]
    assert result.findings[0].sheet == ""
    assert result.rows.set_index("func_code").loc["2101501", "spent"] == 0.25


def test_identity_with_surplus_distribution(tmp_path):
    """结余分配 leaves the 结转和结余: 100 + 50 − 30 − 20 = 100."""
    path = xlsx(tmp_path / "决算.xlsx", [
        ["单位：万元"],
        ["科目编码", "科目名称", "年初结转和结余", "本年收入", "本年支出", "结余分配",
         "年末结转和结余"],
        ["2101501", "行政运行", 100, 50, 30, 20, 100],
        ["2101502", "一般行政管理事务", 10, 5, 5, None, 11],
    ])
    result = read_final(path)
    assert result.money_unit == "万元"
    assert codes(result) == [("source.identity", "G4", 10.0, 11.0)]
    assert result.rows.closing.tolist() == [100, 11]


# --------------------------------------------------------------------------- 项目支出决算表

PROJECT_HEADER = ["单位编码", "单位名称", "项目编码", "项目名称", "全年预算数", "本年支出",
                  "年末结转和结余"]


def projects_xlsx(path: Path, spent_b="1,200,000.00") -> Path:
    return xlsx(path, [
        ["2023年度项目支出决算表"],
        [None, None, None, None, None, None, "单位：元"],
        [],
        PROJECT_HEADER,
        [101001.0, "某某局", "'P2023-01", "项目甲", 1500000, "1,200,000.00", "300,000.00"],
        [],
        ["'101001", "某某局", "P2023-０２", "项目乙", "2,000,000", spent_b, 800000],
        [None, None, None, None, None, None, None],
        ["合  计", None, None, None, 3500000, "2,400,000.00", "1,100,000.00"],
        ["单位负责人：张三", None, "制表人：李四"],
    ], merges=["A1:G1"])


def test_project_final_accounts(tmp_path):
    result = read_final(projects_xlsx(tmp_path / "项目支出决算.xlsx"))
    assert result.findings == []
    assert (result.kind, result.money_unit, result.header_row) == ("final_projects", "元", 4)
    assert result.rows[["unit_code", "project_code", "row"]].values.tolist() == [
        ["101001", "P2023-01", 5], ["101001", "P2023-02", 7]]
    assert result.rows.final_spent.tolist() == [120.0, 120.0]
    assert result.rows.budget_full_year.tolist() == [150.0, 200.0]
    assert result.rows.final_balance.tolist() == [30.0, 80.0]
    assert result.totals[["row_type", "row"]].values.tolist() == [["合计", 9]]
    assert set(result.rows.columns) >= {"unit_name", "project_name", "opening", "income"}
    assert result.rows.opening.isna().all()


def test_project_total_mismatch_and_bad_value(tmp_path):
    result = read_final(projects_xlsx(tmp_path / "项目支出决算.xlsx", spent_b="一百二十万"))
    assert codes(result) == [
        ("source.bad_value", "F7", None, "一百二十万"),
        ("source.total_mismatch", "F9", 1200000.0, 2400000.0),
    ]
    assert result.rows.final_spent.isna().tolist() == [False, True]  # the row is kept
    assert "无法识别" in result.findings[0].message


def test_duplicate_and_missing_codes(tmp_path):
    path = xlsx(tmp_path / "决算.xlsx", [
        ["单位：元"],
        ["项目代码", "项目名称", "实际支出", "年末结转和结余"],
        ["P1", "甲", 10, 0],
        [" P1 ", "甲（重复）", 20, 0],
        [None, "没有编码", 5, 1],
    ])
    result = read_final(path)
    assert [(f.code, f.severity, f.cell) for f in result.findings] == [
        ("source.duplicate", "提示", "A4"), ("source.missing_code", "错误", "A5")]
    assert len(result.rows) == 3


def test_headings_footers_dashes_and_caption_in_header(tmp_path):
    path = xlsx(tmp_path / "决算.xlsx", [
        ["序号", "项目编码", "项目名称", "金额（元）", None, "单位：元"],
        [None, None, None, "本年支出", "年末结转和结余", None],
        [None, None, "一、基本支出", None, None, None],
        [1, "P1", "甲", "(1,000.00)", "-", None],
        [2, "P2", "乙", "３００", 0, None],
        ["注：金额为负表示冲回", None, None, None, None, None],
    ], merges=["A1:A2", "B1:B2", "C1:C2", "D1:E1"])
    result = read_final(path)
    assert result.money_unit == "元"
    assert result.findings == []  # no unknown column for the caption, 序号 is expected
    assert result.columns["final_spent"] == "金额（元）/本年支出"
    assert result.rows.project_code.tolist() == ["P1", "P2"]
    assert result.rows.final_spent.tolist() == [-0.1, 0.03]
    assert result.rows.final_balance.isna().tolist() == [True, False]


def test_kind_in_mapping_forces_the_shape(tmp_path):
    path = accounts_xlsx(tmp_path / "决算.xlsx")
    with pytest.raises(InputError, match="缺少项目支出决算表必需的列「项目编码」"):
        read_final(path, mapping={"kind": "final_projects"})
    with pytest.raises(InputError, match="kind"):
        read_budget(path, mapping={"kind": "final_functional"})


# --------------------------------------------------------------------------- 预算批复


def test_budget_synonyms_subtotals_and_sub_items(tmp_path):
    path = xlsx(tmp_path / "预算批复.xlsx", [
        ["2023年项目预算批复表"],
        ["预算单位编码", "预算单位名称", "项目代码", "项目", "年初预算", "调整后预算数（万元）",
         "资金来源", None, None, "备注", "资金性质"],
        [None, None, None, None, None, None, "财政拨款", "上年结转", "其他资金", None, None],
        ["101001", "某某局", "P01", "项目一", 100, 120, 100, 20, 0, None, "一般公共预算"],
        [None, None, None, "其中：中央资金", None, 50, None, None, None, None, None],
        ["101001", "某某局", "P02", "项目二", 10, "10.5", 10.5, 0, 0, None, None],
        [None, "某某局小计", None, None, 110, 130.5, 110.5, 20, 0, None, None],
        ["101002", "另一局", "P03", "项目三", 5, 5, 5, 0, 0, None, None],
        [None, "另一局小计", None, None, 5, 6, 5, 0, 0, None, None],
        ["总计", None, None, None, 115, 135.5, 115.5, 20, 0, None, None],
    ], merges=["A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3", "G2:I2"])
    result = read_budget(path)
    assert result.kind == "budget" and result.money_unit == "万元" and result.header_row == 2
    assert result.columns["budget_full_year"] == "调整后预算数（万元）"
    assert result.columns["fiscal"] == "资金来源/财政拨款"
    assert result.rows.project_code.tolist() == ["P01", "P02", "P03"]
    assert result.rows.budget_full_year.tolist() == [120, 10.5, 5]
    assert result.rows.carryover.tolist() == [20, 0, 0]
    assert result.totals.row_type.tolist() == ["其中", "小计", "小计", "总计"]
    assert [(f.code, f.cell, f.expected, f.actual) for f in result.findings] == [
        ("source.unknown_column", "K2", None, "资金性质"),
        ("source.total_mismatch", "F9", 5.0, 6.0),  # 另一局小计
    ]  # the 总计 adds up: the 其中 row (50) is no detail row


def test_budget_in_yuan_from_caption_and_override(tmp_path):
    rows = [["金额单位：元"], ["项目编码", "项目名称", "全年预算数"], ["P01", "项目一", "14,887,800"]]
    path = xlsx(tmp_path / "预算.xlsx", rows)
    result = read_budget(path)
    assert result.money_unit == "元"
    assert result.rows.budget_full_year.tolist() == [1488.78]
    forced = read_budget(path, money_unit="万元")
    assert forced.money_unit == "万元"
    assert forced.rows.budget_full_year.tolist() == [14887800]


def test_budget_without_unit_is_assumed_wanyuan(tmp_path):
    path = xlsx(tmp_path / "预算.xlsx", [["项目编码", "项目名称", "全年预算数"], ["P01", "甲", 5]])
    result = read_budget(path)
    assert result.money_unit == "万元"
    assert [f.code for f in result.findings] == ["source.unit_assumed"]


def test_unit_caption_contradicting_header_suffix(tmp_path):
    path = xlsx(tmp_path / "预算.xlsx", [
        ["单位：元"], ["项目编码", "项目名称", "全年预算数（万元）"], ["P01", "甲", 5]])
    with pytest.raises(InputError, match="金额单位不一致.*A1「单位：元」"):
        read_budget(path)


def test_budget_csv_encodings(tmp_path):
    for encoding in ("utf-8", "utf-8-sig", "gbk"):
        path = tmp_path / f"预算_{encoding}.csv"
        path.write_bytes("\r\n".join([
            "单位：万元,,",
            "项目编号,项目名称,预算资金",
            "'０１０２,甲,\"1,488.78\"",
        ]).encode(encoding))
        result = read_budget(path)
        assert result.rows.project_code.tolist() == ["0102"], encoding
        assert result.rows.budget_full_year.tolist() == [1488.78]
        assert result.sheet == ""


# --------------------------------------------------------------------------- odd exports


def odd_export(tmp_path) -> Path:
    return xlsx(tmp_path / "导出.xlsx", [["说明：本工作簿由系统导出"]], title="说明", more_sheets=[
        ("Sheet2", [["无关内容"]]),
        ("Sheet3", [
            ["项目支出情况"], [], ["导出时间：2024-01-05"], [],
            ["代码", "名称", "金额（预算）", "金额（实际）", "余额"],
            ["P01", "项目一", 100, 80, 20],
            ["P02", "项目二", 50, 50, 0],
        ]),
    ])


MAPPING = {"sheet": "Sheet3", "header_row": 5, "money_unit": "万元",
           "columns": {"project_code": "代码", "project_name": "名称",
                       "budget_full_year": "金额（预算）", "final_spent": "金额（实际）",
                       "final_balance": "余额"}}


def test_odd_export_fails_without_mapping(tmp_path):
    path = odd_export(tmp_path)
    with pytest.raises(InputError) as e:
        read_final(path)
    message = str(e.value)
    assert str(path) in message and "找不到表头" in message
    assert "工作表「Sheet3」第 5 行：代码、名称、金额（预算）、金额（实际）、余额" in message


def test_odd_export_reads_with_mapping(tmp_path):
    path = odd_export(tmp_path)
    result = read_final(path, mapping=MAPPING)
    assert (result.kind, result.sheet, result.header_row) == ("final_projects", "Sheet3", 5)
    assert result.columns["final_spent"] == "金额（实际）"
    assert result.rows.final_spent.tolist() == [80, 50]
    assert result.rows.project_code.tolist() == ["P01", "P02"]
    assert result.findings == []

    yaml_file = tmp_path / "映射.yaml"
    yaml_file.write_text(
        "sheet: Sheet3\nheader_row: 5\nmoney_unit: 元\ncolumns:\n  project_code: 代码\n"
        "  project_name: 名称\n  final_spent: 金额（实际）\n  final_balance: 余额\n",
        encoding="utf-8")
    assert load_mapping(yaml_file)["columns"]["final_spent"] == "金额（实际）"
    result = read_final(path, mapping=yaml_file)
    assert result.money_unit == "元"
    assert result.rows.final_spent.tolist() == [0.008, 0.005]


def test_mapping_column_not_found_lists_seen_headers(tmp_path):
    mapping = {**MAPPING, "columns": {**MAPPING["columns"], "final_spent": "实际支出数"}}
    with pytest.raises(InputError) as e:
        read_final(odd_export(tmp_path), mapping=mapping)
    assert "columns.final_spent" in str(e.value) and "「实际支出数」" in str(e.value)
    assert "找到的列：代码、名称、金额（预算）、金额（实际）、余额" in str(e.value)


def test_missing_required_column_lists_seen_headers(tmp_path):
    path = xlsx(tmp_path / "决算.xlsx", [["项目编码", "项目名称", "预算数", "支出数"], ["P1", "甲", 1, 1]])
    with pytest.raises(InputError) as e:
        read_final(path)
    assert str(e.value) == (
        f"{path} 工作表「Sheet1」第 1 行的表头缺少项目支出决算表必需的列「本年支出」「年末结转和结余」；"
        "找到的列：项目编码、项目名称、预算数、支出数（可用映射文件指定列名）")


@pytest.mark.parametrize(("content", "message"), [
    ("header_row: abc\n", "header_row 应为正整数"),
    ("header_row: 0\n", "header_row 应为正整数"),
    ("money_unit: 千元\n", "money_unit 应为 元 或 万元"),
    ("colums: {}\n", "未知的键「colums」"),
    ("columns:\n  spent_final: 支出\n", "columns.spent_final 不是可用的列键"),
    ("columns:\n  final_spent: null\n", "columns.final_spent 应为表头文字"),
    ("columns: [a, b]\n", "columns 应为"),
    ("kind: 决算\n", "kind 应为"),
    ("- a\n- b\n", "应为键值表"),
    ("a: [\n", "不是有效的 YAML"),
])
def test_mapping_errors_name_the_key(tmp_path, content, message):
    path = tmp_path / "映射.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as e:
        load_mapping(path)
    assert str(path) in str(e.value)


def test_mapping_file_missing(tmp_path):
    with pytest.raises(InputError, match="找不到映射文件"):
        load_mapping(tmp_path / "没有.yaml")


def test_mapping_sheet_missing(tmp_path):
    with pytest.raises(InputError, match="找不到工作表「Sheet9」.*「说明」「Sheet2」「Sheet3」"):
        read_final(odd_export(tmp_path), mapping={"sheet": "Sheet9"})


# --------------------------------------------------------------------------- samples


def test_sample_project_final_accounts():
    result = read_final(SAMPLES / "决算_项目支出.xlsx")
    assert result.kind == "final_projects"
    assert result.money_unit == "元"
    assert result.findings == []  # the 合计 row adds up
    assert len(result.rows) == 12
    by_code = result.rows.set_index("project_code")
    assert by_code.loc["P2023-302001-04", "final_spent"] == 754
    assert by_code.loc["P2023-302001-04", "project_name"].startswith("离休干部")
    assert by_code.loc["P2023-303001-03", "final_spent"] == pytest.approx(40.70)
    (total,) = result.totals.itertuples()
    assert total.final_spent == pytest.approx(result.rows.final_spent.sum())


def test_sample_budget_list_reads_as_budget():
    result = read_budget(SAMPLES / "预算清单.xlsx")
    assert result.kind == "budget"
    assert len(result.rows) == 12
    assert not [f for f in result.findings if f.severity == "错误"]


# --------------------------------------------------------------------------- bad files


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(InputError, match="找不到文件.*没有.xlsx"):
        read_final(tmp_path / "没有.xlsx")
    path = tmp_path / "决算.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 64)
    with pytest.raises(InputError, match=r"不支持的文件类型.*决算\.xls"):
        read_final(path)


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, b"PK\x03\x04garbage" * 50,
                                     "项目编码\n".encode("utf-16")])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_garbage_is_a_source_error(tmp_path, content, suffix):
    path = tmp_path / f"坏{suffix}"
    path.write_bytes(content)
    for read in (read_final, read_budget):
        with pytest.raises(InputError, match="坏"):
            read(path)


HOSTILE_FILES = sorted(HOSTILE.iterdir())


@pytest.mark.parametrize("path", HOSTILE_FILES, ids=lambda p: p.name)
def test_hostile_files_never_crash(tmp_path, path):
    """As shipped, and renamed to .xlsx and .csv: an InputError or a result, nothing else."""
    copies = [path]
    for suffix in (".xlsx", ".csv"):
        copy = tmp_path / (path.stem + suffix)
        shutil.copyfile(path, copy)
        copies.append(copy)
    for p in copies:
        for read in (read_final, read_budget):
            try:
                result = read(p)
            except InputError as e:
                assert str(e)
            else:
                assert isinstance(result, Imported)


# --------------------------------------------------------------------------- shared bits


def test_source_codes_are_declared():
    assert CODES["source.total_mismatch"] == ("错误", "合计行与明细行之和不一致")
    assert CODES["source.duplicate"][0] == "提示"


@pytest.mark.parametrize(("text", "value"), [
    ("9,787,783.26", 9787783.26), ("１，５００", 1500), ("-1,000", -1000), ("'12", 12),
    ("1,5", None), ("1,2345", None), ("12,34,567", None), ("", None), ("abc", None),
])
def test_number_parsing(text, value):
    assert number(text) == value


def test_unknown_and_duplicate_columns_are_hints(tmp_path):
    path = xlsx(tmp_path / "决算.xlsx", [
        ["单位：元"],
        ["项目编码", "项目名称", "本年支出", "实际支出", "年末结转和结余", "备注", "经济分类"],
        ["P1", "甲", 1, 2, 0, None, "302"],
    ])
    result = read_final(path)
    assert [(f.code, f.severity, f.cell, f.actual) for f in result.findings] == [
        ("source.unknown_column", "提示", "G2", "经济分类"),
        ("source.unknown_column", "提示", "D2", "实际支出"),
    ]
    assert "与 C2 同为「本年支出」" in result.findings[1].message
    assert result.rows.final_spent.tolist() == [0.0001]  # the first 本年支出 column wins
