"""Write the sample inputs of a (fictional) 2023 绩效自评 round, made from the seed documents.

Run ``python samples/make_samples.py``; it writes, next to this file:

* ``预算清单.xlsx`` – the finance office's distribution list (sheet 项目清单), amounts in 万元;
* ``绩效目标.xlsx`` – the approved performance targets per project (sheet 绩效目标);
* ``单位清单.xlsx`` – the unit-level list for 部门整体 forms (dept-2020, sheet 单位清单): one
  row per unit, 人员经费 / 公用经费 / 基本支出 / 项目支出 年初 and 全年 in 万元, 项目支出 being the
  sum of the unit's projects in 预算清单.xlsx.

Units, projects, amounts, contacts and indicators come from /work/shared/seeds/ (001–004):
see README.md in this folder for which seed each unit comes from and what was invented.
The output is byte-for-byte reproducible: document properties and zip entry times are fixed.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2024, 1, 5, 9, 0, 0)
AUTHOR = "某市财政局预算绩效管理科"

BUDGET_FILE = "预算清单.xlsx"
BUDGET_SHEET = "项目清单"
BUDGET_TITLE = "2023年度项目支出绩效自评预算清单（单位：万元）"
BUDGET_HEADERS = [
    "单位编码", "单位名称", "主管部门", "项目编码", "项目名称",
    "年初预算数", "全年预算数", "当年财政拨款", "上年结转资金", "其他资金",
    "联系人", "联系电话",
]
MONEY_COLUMNS = ["年初预算数", "全年预算数", "当年财政拨款", "上年结转资金", "其他资金"]

UNIT_LIST_FILE = "单位清单.xlsx"
UNIT_LIST_SHEET = "单位清单"
UNIT_LIST_TITLE = "2023年度部门整体支出绩效自评单位清单（单位：万元）"
UNIT_LIST_HEADERS = [
    "单位编码", "单位名称", "主管部门",
    "人员经费年初预算数", "人员经费全年预算数", "公用经费年初预算数", "公用经费全年预算数",
    "基本支出年初预算数", "基本支出全年预算数", "项目支出年初预算数", "项目支出全年预算数",
    "联系人", "联系电话",
]
#: 单位编码 → (人员经费 年初, 全年, 公用经费 年初, 全年). 303001 is seed 003's 决算说明 (基本支出
#: 473.52 = 人员经费 434.66 + 公用经费 38.86; 年初 assumed lower, the 全年 adds what was added
#: in the year); the other units' figures are invented.
UNIT_BASIC = {
    "301001": ("286.40", "286.40", "41.25", "41.25"),
    "302001": ("1126.30", "1126.30", "152.80", "152.80"),
    "303001": ("420.00", "434.66", "38.86", "38.86"),
    "304001": ("398.72", "398.72", "57.60", "57.60"),
}

TARGET_FILE = "绩效目标.xlsx"
TARGET_SHEET = "绩效目标"
TARGET_HEADERS = [
    "项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值", "计量单位", "分值",
]
GROUP_WEIGHTS = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
SUBGROUPS = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}
DIRECTIONS = ("≥", "≤", "=", "定性")
MAX_ROWS_PER_SUBGROUP = 2  # templates/project-2020.yaml: rows_per_subgroup


@dataclass(frozen=True)
class Project:
    code: str
    name: str
    initial: Decimal  # 年初预算数
    full_year: Decimal  # 全年预算数
    fiscal: Decimal  # 当年财政拨款
    carryover: Decimal = Decimal("0")  # 上年结转资金
    other: Decimal = Decimal("0")  # 其他资金
    contact: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    department: str
    seed: str
    projects: tuple[Project, ...]


def _d(text: str) -> Decimal:
    return Decimal(text)


def _simple(code: str, name: str, amount: str, contact: str, phone: str) -> Project:
    """A project funded wholly by this year's appropriation, budget unchanged during the year."""
    value = _d(amount)
    return Project(code, name, value, value, value, contact=contact, phone=phone)


# --------------------------------------------------------------------------- units / projects
UNITS: tuple[Unit, ...] = (
    # seed 001: 年度资金总额 1500 = 720 + 780 here; the unit's own form will say 400 + 780.
    Unit(
        "301001", "益阳市医疗保障事务中心", "益阳市医疗保障局", "001",
        (
            Project(
                "P2023-301001-01", "医疗保险基金补助（离休人员、照顾人员门诊、住院补助）",
                _d("1500"), _d("1500"), _d("720"), _d("780"), _d("0"), "刘纪", "6501871",
            ),
        ),
    ),
    # seed 002: five 2021 forms; 预算资金 = 市级预算资金; contact = 经办人 / 联系电话 as printed.
    Unit(
        "302001", "晋中市医疗保障局", "晋中市医疗保障局", "002",
        (
            _simple("P2023-302001-01", "城乡居民基本医疗保险2021年市级财政补助", "12920.21",
                    "武静", "3075523"),
            _simple("P2023-302001-02", "打击欺诈骗保专项行动", "18.00", "闫丽", "0354-3075658"),
            _simple("P2023-302001-03", "晋中市城镇职工大额补充医疗保险特殊药品清算资金",
                    "1488.78", "张慧琴", "3075655"),
            _simple("P2023-302001-04", "离休干部医疗医疗补助(行政、事业、企业、优抚)", "1000.00",
                    "范晓荣", "3075525"),
            _simple("P2023-302001-05", "医疗救助金市级配套资金", "325.00", "邢映梓", "3075659"),
        ),
    ),
    # seed 003: the five 2018 projects (88 万元 in all); the seed names no contact (invented).
    Unit(
        "303001", "达州市达川区医疗保险管理局", "达州市达川区医疗保障局", "003",
        (
            _simple("P2023-303001-01", "党建工作经费", "3", "杨晓琳", "0818-2386015"),
            _simple("P2023-303001-02", "医疗保险网络维护费", "20", "杨晓琳", "0818-2386015"),
            _simple("P2023-303001-03", "城镇职工、居民医保住院核查及本、异地住院监督费", "45",
                    "杨晓琳", "0818-2386015"),
            _simple("P2023-303001-04", "城乡居民保险档案资料整理", "10", "杨晓琳",
                    "0818-2386015"),
            _simple("P2023-303001-05", "城乡居民医疗保险政策宣传", "10", "杨晓琳",
                    "0818-2386015"),
        ),
    ),
    # seed 004: 资金计划 215.11 万元, 财政全额拨款; the seed names no contact (invented).
    Unit(
        "304001", "攀枝花市医疗保障事务中心", "攀枝花市医疗保障局", "004",
        (
            _simple("P2023-304001-01", "业务运行费及追加工作经费", "215.11", "何佳",
                    "0812-3337021"),
        ),
    ),
)

# --------------------------------------------------------------------------- indicators
# (一级指标, 二级指标, 三级指标, 指标方向, 年度指标值, 计量单位, 分值)
Indicator = tuple[str, str, str, str, int | float | str, str, int]

OUT, EFF, SAT = "产出指标", "效益指标", "满意度指标"
QTY, QLT, TIME, COST = SUBGROUPS[OUT]
ECON, SOC, ECO, SUST = SUBGROUPS[EFF]
SVC = SUBGROUPS[SAT][0]

TARGETS: dict[str, tuple[Indicator, ...]] = {
    # seed 001's own table, re-weighted: 产出 10/30/10, 效益 20/10 (its header said 40), 满意度 10.
    # 医保政策知晓比率 stays under 经济效益指标, as the seed filed it.
    "P2023-301001-01": (
        (OUT, QTY, "财政实际补助执行比率%", "≥", 100, "%", 10),
        (OUT, TIME, "医疗补助发放及时性", "定性", "及时拨付", "", 30),
        (OUT, COST, "离休人员、厅级干部补助执行比率%", "≥", 100, "%", 10),
        (EFF, ECON, "医保政策知晓比率%", "≥", 80, "%", 20),
        (EFF, SOC, "社会稳定性", "定性", "较好", "", 10),
        (SAT, SVC, "参保对象满意度%", "≥", 85, "%", 10),
    ),
    # seed 002, form 1.
    "P2023-302001-01": (
        (OUT, QTY, "城乡居民参保人数", "≥", 2501278, "人", 15),
        (OUT, QLT, "门诊大额疾病医疗待遇", "≥", 65, "%", 15),
        (OUT, TIME, "6月底结算到位", "定性", "6月底前结算到位", "", 10),
        (OUT, COST, "市级财政补助资金（由550元/人提高到580元/人）", "≤", 12920.21, "万元", 10),
        (EFF, SOC, "政策范围内住院费用报销比例", "≥", 55, "%", 15),
        (EFF, SOC, "减轻人员就医负担", "定性", "有效减轻", "", 15),
        (SAT, SVC, "政策知晓度", "≥", 95, "%", 10),
    ),
    # seed 002, form 2.
    "P2023-302001-02": (
        (OUT, QTY, "组织开展医保基金监管工作专项治理行动", "≥", 2, "次", 15),
        (OUT, QLT, "医保基金监管重大安全事件响应时间", "≤", 60, "分钟", 15),
        (OUT, TIME, "医保基金监管方式创新试点", "定性", "逐步推开", "", 10),
        (OUT, COST, "会议费", "≤", 5, "万元", 10),
        (EFF, SOC, "参保群众政策知晓率", "定性", "普遍知晓", "", 30),
        (SAT, SVC, "参保人员对医保服务的满意度", "≥", 90, "%", 10),
    ),
    # seed 002, form 3 (its 满意度 row had no name, only 95%; named here).
    "P2023-302001-03": (
        (OUT, QTY, "补齐大额补充保险累计缺口", "≥", 1488.78, "万元", 20),
        (OUT, TIME, "清算资金拨付时限", "定性", "12月底前完成", "", 15),
        (OUT, COST, "补齐大额医疗保险3年累计缺口资金", "≤", 1488.78, "万元", 15),
        (EFF, SOC, "减轻参保人员医疗负担（特殊药品报销比例）", "≥", 60, "%", 30),
        (SAT, SVC, "参保职工满意度", "≥", 95, "%", 10),
    ),
    # seed 002, form 4.
    "P2023-302001-04": (
        (OUT, QTY, "离休干部人数", "=", 343, "人", 15),
        (OUT, QLT, "医疗待遇", "≥", 100, "%", 15),
        (OUT, TIME, "报销时间", "定性", "年底前完成", "", 10),
        (OUT, COST, "总费用", "≤", 1000, "万元", 10),
        (EFF, SOC, "保障离休老干部医疗待遇按时足额报销", "定性", "有效保障", "", 30),
        (SAT, SVC, "政策知晓率", "≥", 90, "%", 5),
        (SAT, SVC, "工作满意度", "≥", 90, "%", 5),
    ),
    # seed 002, form 5.
    "P2023-302001-05": (
        (OUT, QTY, "全市城乡医疗救助受益人群数", "≥", 98676, "人", 15),
        (OUT, QLT, "建立完善的医疗救助体系", "定性", "运行规范，救助效果明显", "", 15),
        (OUT, TIME, "医疗救助金发放时间", "定性", "“一站式”即时结算", "", 10),
        (OUT, COST, "市级医疗救助配套资金", "≤", 325, "万元", 10),
        (EFF, SOC, "是否维护城乡困难群众基本医疗权益", "定性", "有效维护", "", 30),
        (SAT, SVC, "人民群众满意度", "≥", 90, "%", 10),
    ),
    # seed 003's 项目支出绩效目标完成情况表 (its 二级指标 kept, e.g. 党风廉政 as 经济效益);
    # counts such as 12 次 / 2 小时 are invented where the seed is only qualitative.
    "P2023-303001-01": (
        (OUT, QTY, "“三会一课”等党组织活动开展次数", "≥", 12, "次", 20),
        (OUT, QLT, "健全党组织工作机制", "定性", "确保党组织活动有序开展", "", 20),
        (OUT, COST, "党建工作经费", "≤", 3, "万元", 10),
        (EFF, ECON, "完成党风廉政建设工作", "定性", "积极开展“三会一课”等活动", "", 30),
        (SAT, SVC, "公众满意度", "≥", 90, "%", 10),
    ),
    "P2023-303001-02": (
        (OUT, QLT, "保障医疗保险网络高效运行", "定性", "确保网络运行满足工作所需", "", 20),
        (OUT, TIME, "网络故障响应时间", "≤", 2, "小时", 15),
        (OUT, COST, "医疗保险网络维护费", "≤", 20, "万元", 15),
        (EFF, SUST, "定期对“金保工程”进行软硬件建设、维护和管理", "定性",
         "保障医保网络可持续运行", "", 30),
        (SAT, SVC, "公众满意度", "≥", 90, "%", 10),
    ),
    "P2023-303001-03": (
        (OUT, QTY, "定点医疗机构住院核查覆盖率", "≥", 100, "%", 20),
        (OUT, QLT, "保障医保基金安全运行，减少不合理支出", "定性",
         "有效杜绝医疗机构医保违规行为", "", 20),
        (OUT, COST, "住院核查及监督费", "≤", 45, "万元", 10),
        (EFF, ECON, "保障医保基金安全运行", "定性", "确保医保基金良性运行", "", 30),
        (SAT, SVC, "公众满意度", "≥", 90, "%", 10),
    ),
    "P2023-303001-04": (
        (OUT, QTY, "档案整理覆盖率", "≥", 100, "%", 20),
        (OUT, TIME, "年度目标任务完成", "定性", "确保参保群众报账资料完整保存", "", 20),
        (OUT, COST, "档案资料整理经费", "≤", 10, "万元", 10),
        (EFF, ECON, "完成参保群众报账资料的完整归档", "定性", "保障档案整理工作有序开展", "", 30),
        (SAT, SVC, "公众满意度", "≥", 90, "%", 10),
    ),
    "P2023-303001-05": (
        (OUT, QTY, "参保率", "≥", 90, "%", 20),
        (OUT, QLT, "完成医保政策宣传工作", "定性", "全面完成", "", 20),
        (OUT, COST, "政策宣传经费", "≤", 10, "万元", 10),
        (EFF, SOC, "提升群众医疗保障获得感", "定性", "全面落实医保惠民政策，扎实推进全民参保",
         "", 30),
        (SAT, SVC, "公众满意度", "≥", 90, "%", 10),
    ),
    # seed 004's prose (10万份折页, 按时完成费用审核, 到位率 100%, 215.11 万元);
    # its 满意度 is prose only (满意), so 90 % is invented.
    "P2023-304001-01": (
        (OUT, QTY, "印制医保宣传折页", "≥", 10, "万份", 15),
        (OUT, QLT, "费用审核按时完成率", "≥", 100, "%", 15),
        (OUT, TIME, "资金到位率", "≥", 100, "%", 10),
        (OUT, COST, "项目资金支出", "≤", 215.11, "万元", 10),
        (EFF, SOC, "医保公共服务水平", "定性", "稳步提高", "", 15),
        (EFF, SUST, "医保基金运行", "定性", "平稳有序", "", 15),
        (SAT, SVC, "参保人员满意度", "≥", 90, "%", 10),
    ),
}


# --------------------------------------------------------------------------- checks
def check_data() -> None:
    """Fail loudly if the hand-written data breaks the rules the samples must satisfy."""
    codes = [p.code for u in UNITS for p in u.projects]
    if len(codes) != len(set(codes)):
        raise ValueError("duplicate project code")
    if set(codes) != set(TARGETS):
        raise ValueError(f"targets/projects mismatch: {set(codes) ^ set(TARGETS)}")
    for unit in UNITS:
        for p in unit.projects:
            if not p.code.startswith(f"P2023-{unit.code}-"):
                raise ValueError(f"{p.code}: code does not carry unit code {unit.code}")
            if p.fiscal + p.carryover + p.other != p.full_year:
                raise ValueError(f"{p.code}: funding sources do not add up to 全年预算数")
    if set(UNIT_BASIC) != {u.code for u in UNITS}:
        raise ValueError("UNIT_BASIC must give every unit's 人员经费 / 公用经费")
    for code, rows in TARGETS.items():
        if not 3 <= len(rows) <= 7:
            raise ValueError(f"{code}: {len(rows)} indicator rows, want 3..7")
        sums = dict.fromkeys(GROUP_WEIGHTS, 0)
        per_subgroup: dict[tuple[str, str], int] = {}
        for level1, level2, name, direction, target, unit_text, weight in rows:
            where = f"{code} {name}"
            if level2 not in SUBGROUPS.get(level1, ()):
                raise ValueError(f"{where}: {level1}/{level2} not allowed")
            if direction not in DIRECTIONS:
                raise ValueError(f"{where}: direction {direction!r}")
            if direction == "定性":
                if not isinstance(target, str) or unit_text:
                    raise ValueError(f"{where}: 定性 needs a text target and no unit")
            elif isinstance(target, str) or isinstance(target, bool):
                raise ValueError(f"{where}: quantitative target must be a number")
            sums[level1] += weight
            key = (level1, level2)
            per_subgroup[key] = per_subgroup.get(key, 0) + 1
            if per_subgroup[key] > MAX_ROWS_PER_SUBGROUP:
                raise ValueError(f"{where}: more than {MAX_ROWS_PER_SUBGROUP} rows in {level2}")
        if sums != GROUP_WEIGHTS:
            raise ValueError(f"{code}: group weights {sums} != {GROUP_WEIGHTS}")


# --------------------------------------------------------------------------- writing
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
MONEY_FORMAT = "#,##0.00"


def _number(value: Decimal) -> int | float:
    """A Decimal as the plainest Excel number: 1500 stays an integer, 12920.21 a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _new_workbook(sheet_title: str) -> tuple[Workbook, object]:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    props = wb.properties
    props.creator = AUTHOR
    props.lastModifiedBy = AUTHOR
    props.title = sheet_title
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    return wb, ws


def _header(ws, row: int, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=col, value=text)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = CENTER
        cell.border = BORDER


def _widths(ws, widths: dict[str, float]) -> None:
    for col, header in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = widths[header]


def build_budget() -> Workbook:
    wb, ws = _new_workbook(BUDGET_SHEET)
    ncol = len(BUDGET_HEADERS)
    ws.cell(row=1, column=1, value=BUDGET_TITLE)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    _header(ws, 2, BUDGET_HEADERS)

    money_cols = {BUDGET_HEADERS.index(h) + 1 for h in MONEY_COLUMNS}
    totals = dict.fromkeys(MONEY_COLUMNS, Decimal("0"))
    row = 2
    for unit in UNITS:
        for p in unit.projects:
            row += 1
            money = {
                "年初预算数": p.initial, "全年预算数": p.full_year, "当年财政拨款": p.fiscal,
                "上年结转资金": p.carryover, "其他资金": p.other,
            }
            for key, value in money.items():
                totals[key] += value
            values = [
                unit.code, unit.name, unit.department, p.code, p.name,
                *(_number(money[h]) for h in MONEY_COLUMNS),
                p.contact, p.phone,
            ]
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=col, value=value)
                cell.border = BORDER
                if col in money_cols:
                    cell.number_format = MONEY_FORMAT
                else:
                    cell.number_format = "@"  # codes and phone numbers stay text
                    cell.alignment = Alignment(vertical="center", wrap_text=col == 5)

    row += 1
    _total_row(ws, row, ncol, {h: BUDGET_HEADERS.index(h) + 1 for h in MONEY_COLUMNS}, totals)

    ws.freeze_panes = "A3"
    _widths(ws, dict(zip(BUDGET_HEADERS, (10, 28, 24, 18, 46, 13, 13, 13, 13, 11, 9, 14),
                         strict=True)))
    return wb


def build_unit_list() -> Workbook:
    """The unit-level list: 项目支出 = the sum of the unit's projects (年初, 全年), 基本支出 =
    人员经费 + 公用经费 (UNIT_BASIC), a 合计 row; contact as the unit's first project's."""
    wb, ws = _new_workbook(UNIT_LIST_SHEET)
    ncol = len(UNIT_LIST_HEADERS)
    ws.cell(row=1, column=1, value=UNIT_LIST_TITLE)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    _header(ws, 2, UNIT_LIST_HEADERS)
    money_headers = UNIT_LIST_HEADERS[3:11]
    totals = dict.fromkeys(money_headers, Decimal("0"))
    row = 2
    for unit in UNITS:
        row += 1
        p_init, p_full, o_init, o_full = (_d(x) for x in UNIT_BASIC[unit.code])
        money = dict(zip(money_headers, (
            p_init, p_full, o_init, o_full, p_init + o_init, p_full + o_full,
            sum((p.initial for p in unit.projects), Decimal("0")),
            sum((p.full_year for p in unit.projects), Decimal("0"))), strict=True))
        for key, value in money.items():
            totals[key] += value
        first = unit.projects[0]
        values = [unit.code, unit.name, unit.department,
                  *(_number(money[h]) for h in money_headers), first.contact, first.phone]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.border = BORDER
            if 4 <= col <= 11:
                cell.number_format = MONEY_FORMAT
            else:
                cell.number_format = "@"
                cell.alignment = Alignment(vertical="center")
    row += 1
    _total_row(ws, row, ncol, {h: UNIT_LIST_HEADERS.index(h) + 1 for h in money_headers}, totals)
    ws.freeze_panes = "A3"
    _widths(ws, dict(zip(UNIT_LIST_HEADERS, (10, 28, 24, *([12] * 8), 9, 14), strict=True)))
    return wb


def build_targets() -> Workbook:
    wb, ws = _new_workbook(TARGET_SHEET)
    _header(ws, 1, TARGET_HEADERS)
    row = 1
    for unit in UNITS:
        for p in unit.projects:
            for indicator in TARGETS[p.code]:
                row += 1
                level1, level2, name, direction, target, unit_text, weight = indicator
                values = [p.code, level1, level2, name, direction, target, unit_text or None,
                          weight]
                for col, value in enumerate(values, start=1):
                    cell = ws.cell(row=row, column=col, value=value)
                    cell.border = BORDER
                    if col in (1, 4):
                        cell.alignment = Alignment(vertical="center", wrap_text=col == 4)
                    elif col != 6:
                        cell.alignment = CENTER
                if isinstance(target, float):
                    ws.cell(row=row, column=6).number_format = "0.00"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(TARGET_HEADERS))}{row}"
    _widths(ws, dict(zip(TARGET_HEADERS, (18, 11, 18, 44, 9, 22, 9, 7), strict=True)))
    return wb


def _repack(data: bytes) -> bytes:
    """Rewrite a zip with every entry dated FIXED_TIME (openpyxl dates entries with now,
    or with a temp file's mtime for worksheets), keeping entry order and content."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def type_by_names(src: Path, dst: Path, values: dict) -> None:
    """Type ``values`` (field → value) into the workbook ``src`` through its defined names,
    as a unit would, and save it as ``dst`` (reproducibly)."""
    from xlkit.core.layout import defined_name

    wb = load_workbook(src)
    for fld, v in values.items():
        dn = wb.defined_names[defined_name(fld)]
        sheet, addr = dn.attr_text.split("!")
        wb[sheet.strip("'")][addr.replace("$", "")].value = v
    wb.properties.lastModifiedBy = "xlkit samples"
    save_reproducibly(wb, dst)


def save_reproducibly(wb: Workbook, path: Path) -> None:
    """Save like ``wb.save`` but without stamping the current time anywhere in the file.

    ``openpyxl.writer.excel.save_workbook`` overwrites ``properties.modified`` with now, so
    the writer is driven directly; zip entry dates are then fixed by ``_repack``.
    """
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    data = _repack(buffer.getvalue())
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def main() -> None:
    check_data()
    save_reproducibly(build_budget(), HERE / BUDGET_FILE)
    save_reproducibly(build_targets(), HERE / TARGET_FILE)
    save_reproducibly(build_unit_list(), HERE / UNIT_LIST_FILE)
    n_projects = sum(len(u.projects) for u in UNITS)
    n_rows = sum(len(rows) for rows in TARGETS.values())
    print(f"wrote {HERE / BUDGET_FILE} ({len(UNITS)} units, {n_projects} projects)")
    print(f"wrote {HERE / TARGET_FILE} ({n_rows} indicator rows)")
    print(f"wrote {HERE / UNIT_LIST_FILE} ({len(UNITS)} units)")



def _total_row(ws, row: int, ncol: int, money_cols: dict[str, int], totals) -> None:
    """The bold 合计 row of a list sheet: the money columns summed."""
    ws.cell(row=row, column=1, value="合计")
    for col in range(1, ncol + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = BOLD
        cell.fill = TOTAL_FILL
        cell.border = BORDER
    for header, col in money_cols.items():
        cell = ws.cell(row=row, column=col)
        cell.value = _number(totals[header])
        cell.number_format = MONEY_FORMAT

if __name__ == "__main__":
    main()
