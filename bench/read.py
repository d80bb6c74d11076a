"""Benchmark: read N filled returns and print the figures.

    python bench/read.py 200 [--jobs 2] [--engine fast|openpyxl]

Builds N pre-filled project-2020 workbooks, fills them as units would, then times
``xlkit.read_many`` over them with the chosen engine (``fast``: zip + expat, the default;
``openpyxl``: the openpyxl path). Prints workbooks per second, wall seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).parent))
from build import TARGETS  # noqa: E402

from xlkit import read_many  # noqa: E402
from xlkit.build import build_workbook, write_atomic  # noqa: E402
from xlkit.core.layout import defined_name  # noqa: E402
from xlkit.core.spec import load_spec  # noqa: E402

KEY = b"bench-office-key-0123456789"


def make(n: int, folder: Path) -> None:
    spec = load_spec("project-2020")
    b = build_workbook(spec, {"year": 2023, "unit_code": "300000", "project_code": "P0",
                              "funds": {("total", "full_year"): 120.0},
                              "file_id": "0123456789abcdef"},  # as issue_all issues them
                       TARGETS, key=KEY, password="pw")
    src = folder / "issued.xlsx"
    write_atomic(src, b.data)
    wb = openpyxl.load_workbook(src)
    names = {n: d.attr_text.split("!")[1].replace("$", "") for n, d in wb.defined_names.items()}
    ws = wb["自评表"]
    values = {"funds.total.executed": 100.0, "ind.5.tier": "达成", "ind.5.qscore": 28,
              "ind.5.reason": "略有差距", "signoff.0": "张三", "signoff.1": "123",
              "signoff.2": "2024-05-20"}
    # 90%..96% as Excel stores them in the %-formatted 实际完成值 of these 计量单位 % rows
    values.update({f"ind.{i}.actual": (90 + i) / 100 for i in (0, 1, 2, 3, 4, 6)})
    values.update({f"ind.{i}.reason": "未达标" for i in (0, 1, 2, 3, 6)})
    for f, v in values.items():
        ws[names[defined_name(f)]] = v
    for i in range(n):
        wb.save(folder / f"r{i:05d}.xlsx")
    src.unlink()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--engine", choices=("fast", "openpyxl"), default="fast")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make(args.n, Path(tmp))
        t0 = time.perf_counter()
        tables = read_many([tmp], key=KEY, jobs=args.jobs, engine=args.engine)
        wall = time.perf_counter() - t0
    assert len(tables.projects) == args.n
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"read ({args.engine} path, {args.jobs} jobs): {args.n} workbooks in {wall:.2f} s = "
          f"{args.n / wall:.1f} workbooks/s ({1000 * wall / args.n:.1f} ms each), "
          f"peak RSS {rss:.0f} MiB (largest worker {kids:.0f} MiB)")


if __name__ == "__main__":
    main()
