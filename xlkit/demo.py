"""`xlkit demo`: the whole round on the bundled samples, end to end.

Issues the sample list (samples/预算清单.xlsx + 绩效目标.xlsx), fills the workbooks as the
seed units did (samples/make_returns.py, with the seeds' real inconsistencies), collects
and reconciles them against the sample 决算, and writes the report and the documents
(文书: feedback per unit, a draft 自评报告 per project, the 汇总分析报告).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from types import ModuleType

from xlkit.build.distribute import issue_all, plan
from xlkit.core.meta import load_key
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import read_list, read_targets
from xlkit.round.collect import CollectOutcome, collect

YEAR = 2023
DOCS = "文书"  # the documents' folder in the demo's folder, beside 报告.xlsx


def samples_dir() -> Path:
    """The bundled sample round: package data ``xlkit.samples`` (the repository's samples/)."""
    return Path(str(resources.files("xlkit.samples")))


def sample_returns_module() -> ModuleType:
    """samples/make_returns.py, which fills the issued workbooks as the seed units did."""
    from xlkit.samples import make_returns
    return make_returns


def run_demo(folder: str | Path, jobs: int | None = None) -> CollectOutcome:
    samples = samples_dir()
    folder = Path(folder)
    key = load_key(samples / "示例密钥.txt")
    spec = load_spec("project-2020")
    listed = read_list(samples / "预算清单.xlsx")
    targets, _ = read_targets(samples / "绩效目标.xlsx")
    issued_dir = folder / "issued"
    the_plan = plan(spec, listed.rows, issued_dir)
    issued = issue_all(spec, the_plan, year=YEAR, out_dir=issued_dir, targets=targets, key=key,
                       password="2023", created=dt.datetime(2024, 1, 5, 9, 0))
    by_code = {it.row["project_code"]: it.path for it in issued}
    sample_returns_module().make_returns(by_code, folder / "returns")
    report = folder / "报告.xlsx"
    return collect(folder / "returns", samples / "预算清单.xlsx", report,
                   finals=[samples / "决算_项目支出.xlsx", samples / "决算_收入支出决算表.xlsx"],
                   targets=samples / "绩效目标.xlsx", key=key, year=YEAR, jobs=jobs,
                   db=folder / "台账.sqlite", documents=folder / DOCS)
