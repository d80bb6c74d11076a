"""`xlkit demo`: the whole round on the bundled samples, end to end.

Issues the sample list (samples/预算清单.xlsx + 绩效目标.xlsx), fills the workbooks as the
seed units did (samples/make_returns.py, with the seeds' real inconsistencies), collects
and reconciles them against the sample 决算, and writes the report.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from .build.distribute import issue_all, plan
from .collect import CollectOutcome, collect
from .distlist import read_list, read_targets
from .meta import load_key
from .spec import load_spec

YEAR = 2023


def samples_dir() -> Path:
    env = os.environ.get("XLKIT_SAMPLES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "samples"


def sample_returns_module(samples: Path) -> ModuleType:
    name = "xlkit_sample_returns"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, samples / "make_returns.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(samples / "make_returns.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_demo(folder: str | Path, jobs: int | None = None) -> CollectOutcome:
    samples = samples_dir()
    if not (samples / "make_returns.py").exists():
        raise FileNotFoundError(f"找不到示例数据目录 {samples}（可用环境变量 XLKIT_SAMPLES 指定）")
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
    sample_returns_module(samples).make_returns(by_code, folder / "returns")
    report = folder / "报告.xlsx"
    return collect(folder / "returns", samples / "预算清单.xlsx", report,
                   finals=[samples / "决算_项目支出.xlsx", samples / "决算_收入支出决算表.xlsx"],
                   targets=samples / "绩效目标.xlsx", key=key, year=YEAR, jobs=jobs,
                   db=folder / "台账.sqlite")
