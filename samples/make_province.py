"""The province example's sample (templates/project-2020-province.yaml): issued and filled.

Run ``python samples/make_province.py``; it (re)creates, next to this file:

* ``省级示例清单.xlsx`` – a one-project list (万元): 益阳市医疗保障事务中心's project of
  ``预算清单.xlsx`` (seed 001), 1500 万元;
* ``province/issued/`` – the project's form of the 省级 example, signed with the sample key,
  password "2023", created at a fixed time;
* ``province/returns/`` – the form as the unit filled it, where the province's rules bite:
  全年执行数 1125 of 1500 (执行率 75 %: 执行得分 7.5; 总分 capped at 89) and 培训人次
  130 against 100 (30 % above: 偏离 −2).

The figures, by the province's rules (checked by tests/test_rules_samples.py):

==================  =========  ======  ======  ====  ==========================
三级指标             方向       指标值   实际    分值  得分
==================  =========  ======  ======  ====  ==========================
培训人次             ≥          100     130     10    10 − 2 (偏离) = 8
覆盖乡镇数           ≥          20      20      10    10
单位成本（元）       ≤          100     150     10    (1 − 50 ÷ 100) × 10 = 5
安全责任事故（起）   =          0       0       10    10 (目标 0，实际 ≤ 0)
资料归档             定性       及时归档  已归档  10    10 (达成)
受益人数             ≥          5000    5600    30    30 (12 % above: no 偏离)
服务对象满意度（%）  ≥          90      92      10    10
==================  =========  ======  ======  ====  ==========================

指标 83 + 执行 7.5 = 90.5, capped at 89 (执行率 70–80 %): 总分 89, 等次 良.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
from xlkit.samples import make_samples as ms

from xlkit.build import build_workbook, write_atomic
from xlkit.core.meta import load_key
from xlkit.core.spec import load_spec

HERE = Path(__file__).resolve().parent
OUT = HERE / "province"
LIST_FILE = HERE / "省级示例清单.xlsx"
KEY_FILE = HERE / "示例密钥.txt"
SPEC = "project-2020-province"
PASSWORD = "2023"
CREATED = dt.datetime(2024, 5, 6, 9, 0)
YEAR = 2023

PROJECT = {"unit_code": "301001", "unit_name": "益阳市医疗保障事务中心",
           "department": "益阳市医疗保障局", "project_code": "P2023-301001-01",
           "project_name": "医疗保险基金补助（离休人员、照顾人员门诊、住院补助）"}
BUDGET = {"initial": 1500.0, "full_year": 1500.0}
EXECUTED = 1125.0  # 执行率 75 %

#: (一级, 二级, 三级指标, 方向, 指标值, 计量单位, 分值): the approved targets
TARGETS = (
    ("产出指标", "数量指标", "培训人次", "≥", 100, "人次", 10),
    ("产出指标", "数量指标", "覆盖乡镇数", "≥", 20, "个", 10),
    ("产出指标", "成本指标", "单位成本", "≤", 100, "元", 10),
    ("产出指标", "质量指标", "安全责任事故", "=", 0, "起", 10),
    ("产出指标", "时效指标", "资料归档", "定性", "及时归档", "", 10),
    ("效益指标", "社会效益指标", "受益人数", "≥", 5000, "人", 30),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", 90, "%", 10),
)
#: 三级指标 → (实际完成值, 定性档次, 定性得分, 偏差原因)
ACTUAL: dict[str, tuple[Any, str | None, float | None, str | None]] = {
    "培训人次": (130, None, None, "年初目标偏低，下年按实际需求调整"),
    "覆盖乡镇数": (20, None, None, None),
    "单位成本": (150, None, None, "物价上涨，成本超出预算"),
    "安全责任事故": (0, None, None, None),
    "资料归档": ("已归档", "达成", 10, None),
    "受益人数": (5600, None, None, None),
    "服务对象满意度": (92, None, None, None),
}
SIGNOFF = ("刘纪", "6501871", "2024-05-10")
#: what the return must score: field → value
EXPECTED = {"exec.rate": 0.75, "exec.score": 7.5, "ind.0.score": 8, "ind.2.score": 5,
            "ind.3.score": 10, "total": 89, "grade": "良"}


def targets() -> list[dict[str, Any]]:
    keys = ("level1", "level2", "name", "direction", "target", "unit", "weight")
    return [dict(zip(keys, t, strict=True)) for t in TARGETS]


def issue() -> dict[str, Any]:
    funds = {("total", col): v for col, v in BUDGET.items()}
    funds.update({("fiscal", col): v for col, v in BUDGET.items()})
    return {"year": YEAR, **PROJECT, "funds": funds}


def filled_values(layout) -> dict[str, Any]:
    """Field → value the unit types: 执行数, each row's 实际完成值 (定性: 档次 and 得分), the
    reasons, the sign-off."""
    out: dict[str, Any] = {"funds.total.executed": EXECUTED, "funds.fiscal.executed": EXECUTED,
                           "funds.carryover.full_year": 0, "funds.other.full_year": 0}
    for row in layout.indicator_rows:
        name = layout.fields[f"ind.{row.index}.name"].value
        if name not in ACTUAL:
            continue
        actual, tier, qscore, reason = ACTUAL[name]
        p = f"ind.{row.index}."
        # a 计量单位 % row's 实际完成值 cell is formatted as a percentage: Excel stores 92
        # typed there as 0.92
        pct = layout.fields[p + "actual"].percent
        out[p + "actual"] = actual / 100 if pct else actual
        for k, v in (("tier", tier), ("qscore", qscore), ("reason", reason)):
            if v is not None:
                out[p + k] = v
    out["goals.expected"] = "完成离休人员、照顾人员医疗补助的培训、覆盖和发放工作"
    out["goals.actual"] = "培训与覆盖超额完成，单位成本超支，资金执行率 75%"
    out.update({f"signoff.{k}": v for k, v in enumerate(SIGNOFF)})
    return out


def write_list(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "预算清单"
    ws.append(["省级变体示例预算清单（单位：万元）"])
    ws.append(["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数",
               "全年预算数", "当年财政拨款", "上年结转资金", "其他资金"])
    ws.append([PROJECT["unit_code"], PROJECT["unit_name"], PROJECT["department"],
               PROJECT["project_code"], PROJECT["project_name"], BUDGET["initial"],
               BUDGET["full_year"], BUDGET["full_year"], 0, 0])
    wb.properties.creator = "xlkit samples"
    wb.properties.created = wb.properties.modified = CREATED
    wb.save(path)


def main() -> Path:
    """Issue and fill the form; the filled return."""
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "issued").mkdir(parents=True)
    (OUT / "returns").mkdir()
    write_list(LIST_FILE)
    spec = load_spec(SPEC)
    name = f"{PROJECT['unit_code']}_{PROJECT['unit_name']}_{PROJECT['project_code']}.xlsx"
    built = build_workbook(spec, issue(), targets(), key=load_key(KEY_FILE),
                           password=PASSWORD, created=CREATED)
    write_atomic(OUT / "issued" / name, built.data)
    ms.type_by_names(OUT / "issued" / name, OUT / "returns" / name, filled_values(built.layout))
    return OUT / "returns" / name


if __name__ == "__main__":
    print(main().relative_to(HERE))
