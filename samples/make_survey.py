"""Write the sample 满意度调查问卷 return: seed 000's 附件4 on the ``dept-2020-survey`` form.

Run ``python samples/make_survey.py``; it (re)creates ``survey/`` next to this file with the
form issued to 寻甸回族彝族自治县医疗保险中心 (signed with the sample key, a fixed time) and
the return with the seed's counts typed in (20 valid questionnaires; 问卷总分 1935, 问卷综合得分
1935 ÷ 20 = 96.75, which is the 实际完成值 of its 服务对象满意度指标 row).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlkit.samples import make_samples as ms

from xlkit.build import build_workbook, write_atomic
from xlkit.core.spec import load_spec

HERE = Path(__file__).resolve().parent
OUT = HERE / "survey"
SPEC = "dept-2020-survey"
CREATED = dt.datetime(2024, 3, 1, 9, 0, 0)
ISSUE: dict[str, Any] = {"year": 2023, "unit_code": "530129001",
                         "unit_name": "寻甸回族彝族自治县医疗保险中心",
                         "department": "寻甸回族彝族自治县医疗保障局"}
TARGETS = [{"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "群众满意度",
            "direction": "≥", "target": 90, "unit": "%", "weight": 10}]
#: seed 000 附件4: per question, how many of the 20 valid questionnaires chose A / B / C
SEED_COUNTS = ((20, 0, 0), (20, 0, 0), (20, 0, 0), (20, 0, 0), (18, 0, 2),
               (18, 2, 0), (20, 0, 0), (20, 0, 0), (16, 4, 0), (17, 3, 0))
SEED_VALID = 20
SEED_TOTAL, SEED_SCORE = 1935, 96.75


def seed_values() -> dict[str, Any]:
    """The seed's counts and 有效问卷份数 by field."""
    out: dict[str, Any] = {f"quest.{i}.{j}.count": n for i, row in enumerate(SEED_COUNTS)
                           for j, n in enumerate(row)}
    out["quest.valid"] = SEED_VALID
    return out


def key() -> bytes:
    return (HERE / "示例密钥.txt").read_bytes().strip()


def make(out: Path = OUT) -> tuple[Path, Path]:
    """The issued form and the filled return (paths)."""
    out.mkdir(parents=True, exist_ok=True)
    built = build_workbook(load_spec(SPEC), ISSUE, TARGETS, key=key(), password="2023",
                           created=CREATED)
    issued = out / "已下发_寻甸县医疗保险中心.xlsx"
    write_atomic(issued, built.data)
    returned = out / "报回_寻甸县医疗保险中心.xlsx"
    ms.type_by_names(issued, returned, seed_values())
    return issued, returned


if __name__ == "__main__":
    for p in make():
        print(p)
