"""The rubric forms' sample round: seed 003's 得分表 and seed 000's 附件3, issued and filled.

Run ``python samples/make_rubric.py`` (``make_returns.py`` runs it too); it (re)creates, next
to this file:

* ``评分表单位清单.xlsx`` – the unit-level list of the two units (万元): 达州市达川区医疗保险管理局
  (seed 003's 决算说明: 人员经费 434.66 + 公用经费 38.86, 项目支出 88) and 寻甸回族彝族自治县
  医疗保险中心 (seed 000: 基本支出 768.69 = 工资福利 633.95 + 对个人和家庭的补助 20.13 (人员经费)
  + 商品和服务 114.61 (公用经费); 项目支出 214.87 = 附件6 本年支出 983.56 − 768.69);
* ``rubric/issued/`` – ``unit-score-2019`` for 303001 and ``dept-insurance-2023`` for 305001,
  signed with the sample key, password "2023", created at a fixed time;
* ``rubric/returns/`` – the two forms filled as the seeds scored them, through the defined
  names: totals 93 (预算编制 15 / 预算执行 22 / 综合管理 38 / 整体效益 18) and 95 (A 37 / B 4 /
  C 54).

Where a seed gives a score but not the figures a rule needs, the sample types figures that
give the seed's score and says so below (``# invented``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
from xlkit.samples import make_samples as ms

from xlkit.build import build_workbook, write_atomic
from xlkit.core.meta import load_key
from xlkit.core.spec import Spec, load_spec

HERE = Path(__file__).resolve().parent
OUT = HERE / "rubric"
LIST_FILE = HERE / "评分表单位清单.xlsx"
KEY_FILE = HERE / "示例密钥.txt"
PASSWORD = "2023"
CREATED = dt.datetime(2024, 5, 6, 9, 0)

#: (spec id, year, unit row of the list, 全年执行数 by fund row (万元))
UNITS: tuple[tuple[str, int, dict[str, Any], dict[str, float]], ...] = (
    ("unit-score-2019", 2018,
     {"unit_code": "303001", "unit_name": "达州市达川区医疗保险管理局",
      "department": "达州市达川区医疗保障局", "personnel": (420.0, 434.66),
      "public": (38.86, 38.86), "project": (88.0, 88.0)},
     {"total": 543.37, "basic": 473.52, "personnel": 434.66, "public": 38.86,
      "project": 69.85}),
    ("dept-insurance-2023", 2023,
     {"unit_code": "305001", "unit_name": "寻甸回族彝族自治县医疗保险中心",
      "department": "寻甸回族彝族自治县医疗保障局", "personnel": (654.08, 654.08),
      "public": (114.61, 114.61), "project": (214.87, 214.87)},
     {"total": 983.56, "basic": 768.69, "personnel": 654.08, "public": 114.61,
      "project": 214.87}),
)

#: seed 003's 自评得分 by 三级指标: a number is the score entered; a mapping the rule's inputs
SEED_003: dict[str, Any] = {
    "基础信息更新": {"count": 0}, "预算编制准确": 3, "部门预算审查": {"count": 0},
    "部门整体目标": 5, "重点项目目标": 3,
    "支付进度控制率": {"value": 80},  # invented: 4 of 5 at 0.1 a point below 90 %
    "预算完成率": 4, "预算调整率": {"value": 0},  # 决算数等于预算数: no 调整
    "人编比率": {"value": 100},  # 在职 39 / 编制 39
    "一般性支出增长率": 3, "人均公用经费率": 4,
    "债务还本付息": {"numerator": 1, "denominator": 1},  # invented: 实际 = 应付
    "非税收入征收情况": {"count": 0}, "非税收入上缴情况": {"count": 0},
    "政府采购实施计划编制": {"numerator": 0, "denominator": 88},  # invented: no 调整
    "政府采购实施计划的执行": {"numerator": 0, "denominator": 88},
    "资产管理信息系统建设情况": 2, "行政事业单位资产清查开展情况": {"count": 0},
    "行政事业单位资产报表上报情况": {"count": 0}, "内部控制度健全完整": 4,
    "预算公开": {"count": 0}, "决算公开": {"count": 0}, "绩效信息公开": {"count": 0},
    "评价项目覆盖率": {"value": 100},  # 5 个项目编制了绩效目标，覆盖率达 100%
    "评价层次": 0, "评价结果利用率": {"numerator": 5, "denominator": 5},
    "是否按要求开展自查自纠": 2, "重点检查发现违规违纪问题": {"count": 0},
    "存在问题整改是否到位": {"count": 0}, "根据部门单位特点针对性设置": 18,
}

#: seed 000 附件3's 得分
SEED_000: dict[str, Any] = {
    "A11.基本医疗保险参保目标任务": {"count": 0}, "A11.超额完成参保任务加分": 0,
    "A12.城乡居民参保缴费工作": 3, "A13.建档立卡贫困人口参保": {"value": 100},
    "A14.缴费基数核定工作": 3,
    "A15.网上申报系统使用推广工作": {"value": 25},  # invented: above the 20 % required
    "A15.超额推广加分": {"count": 0}, "A16.应征核定和实收划账业务": {"count": 0},
    "A17.城乡居民三方对账及财政补助汇算工作": 2, "A18.统计报表": 2,
    "A21.基金财务工作（会计制度）": {"count": 0}, "A21.基金财务工作（基础工作）": {"count": 0},
    "A21.基金财务工作（报表报送）": 2, "A22.基金管理工作（预决算）": {"count": 0},
    "A22.基金管理工作（核对记录）": {"count": 0}, "A22.基金管理工作（及时支付）": 2,
    "A22.基金管理工作（收支平衡）": 2,
    "B11.医疗保险业务系统管理（数据质量）": {"count": 0},
    "B11.医疗保险业务系统管理（数据安全）": 2,
    "C11.费用审核": 5, "C12.不合理费用查处情况": 4, "C13.运行分析及费用信息公示": 2,
    "C14.两定机构结算管理": 3, "C15.两定机构服务": 4, "C16.协议履行和管理情况": 4,
    "C21.大病保险业务管理": 5, "C31.两特病审批": {"count": 0}, "C41.生育保险待遇落实": {"count": 0},
    "C51.医疗费用手工报销": 2, "C61.稽核岗位设置": 2, "C62.缴费基数稽核": 2,
    "C63.基金支出稽核": 8, "C64.内部稽核": 0, "C65.内控制度": 1, "C71.档案管理": 2,
    "C72.群众满意度": 3, "C81.落实离休干部及退休医疗照顾待遇": 1, "C82.落实城乡医疗救助待遇": 2,
}

FILLS = {"unit-score-2019": SEED_003, "dept-insurance-2023": SEED_000}
SIGNOFF = {"303001": ("杨晓琳", "0818-2386015", "2019-05-20"),
           "305001": ("陈燕梅", "0874-5512345", "2024-05-10")}
#: the seeds' totals and group subtotals
EXPECTED = {"unit-score-2019": (93, {"预算编制": 15, "预算执行": 22, "综合管理": 38, "整体效益": 18}),
            "dept-insurance-2023": (95, {"A筹资及资金运行": 37, "B数据运行": 4,
                                         "C审核稽核及内部管理": 54})}


def issue_of(unit: Mapping[str, Any], year: int) -> dict[str, Any]:
    """The issued values of a unit-level row: 基本支出 = 人员 + 公用, 总额 = 基本 + 项目."""
    funds = {}
    for k, col in enumerate(("initial", "full_year")):
        p, q, j = unit["personnel"][k], unit["public"][k], unit["project"][k]
        for row, v in (("personnel", p), ("public", q), ("project", j), ("basic", p + q),
                       ("total", p + q + j)):
            funds[(row, col)] = round(v, 2)
    return {"year": year, **{k: unit[k] for k in ("unit_code", "unit_name", "department")},
            "funds": funds}


def filled_values(spec: Spec, scores: Mapping[str, Any], executed: Mapping[str, float],
                  unit_code: str) -> dict[str, Any]:
    """Field → value a unit types: each item's score or inputs, the 全年执行数, the sign-off."""
    names = [it.name for it in spec.scorecard.items]
    missing = set(names) ^ set(scores)
    if missing:
        raise KeyError(f"{spec.id}: items without a score or not on the form: {missing}")
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        v = scores[name]
        if isinstance(v, Mapping):
            out.update({f"card.{i}.{k}": x for k, x in v.items()})
        else:
            out[f"card.{i}.score"] = v
    out.update({f"funds.{row}.executed": x for row, x in executed.items()})
    out.update({f"signoff.{k}": x for k, x in enumerate(SIGNOFF[unit_code])})
    return out


def write_list(path: Path) -> None:
    """The unit-level list of the two units (dept-2020's columns)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位清单"
    ws.append(["评分表样例单位清单（单位：万元）"])
    ws.append(["单位编码", "单位名称", "主管部门", "人员经费年初预算数", "人员经费全年预算数",
               "公用经费年初预算数", "公用经费全年预算数", "项目支出年初预算数", "项目支出全年预算数"])
    for _, _, u, _ in UNITS:
        ws.append([u["unit_code"], u["unit_name"], u["department"], *u["personnel"],
                   *u["public"], *u["project"]])
    wb.properties.creator = "xlkit samples"
    ms.save_reproducibly(wb, path)


def main() -> dict[str, Path]:
    """Issue and fill both forms; spec id → the filled return."""
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "issued").mkdir(parents=True)
    (OUT / "returns").mkdir()
    write_list(LIST_FILE)
    key = load_key(KEY_FILE)
    out = {}
    for spec_id, year, unit, executed in UNITS:
        spec = load_spec(spec_id)
        name = f"{unit['unit_code']}_{unit['unit_name']}_{spec.title}.xlsx"
        built = build_workbook(spec, issue_of(unit, year), key=key, password=PASSWORD,
                               created=CREATED)
        write_atomic(OUT / "issued" / name, built.data)
        ms.type_by_names(OUT / "issued" / name, OUT / "returns" / name,
             filled_values(spec, FILLS[spec_id], executed, unit["unit_code"]))
        out[spec_id] = OUT / "returns" / name
    return out


if __name__ == "__main__":
    for spec_id, path in main().items():
        print(f"{spec_id}: {path.relative_to(HERE)}")
