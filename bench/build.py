"""Benchmark: build N pre-filled project-2020 workbooks and print the figures.

    python bench/build.py 200 [--targets]

Prints workbooks per second, wall seconds and peak RSS. Not a test: figures vary by machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from xlkit.build import build_workbook, write_atomic
from xlkit.spec import load_spec

TARGETS = [
    {"level1": "产出指标", "level2": "数量指标", "name": f"数量指标{i}", "direction": "≥",
     "target": 100, "unit": "%", "weight": 10} for i in range(5)
] + [
    {"level1": "效益指标", "level2": "社会效益指标", "name": "社会效益", "direction": "定性",
     "target": "有效保障", "unit": "", "weight": 30},
    {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "满意度", "direction": "≥",
     "target": 90, "unit": "%", "weight": 10},
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--targets", action="store_true", help="pre-fill approved targets too")
    args = ap.parse_args()
    spec = load_spec("project-2020")
    key = b"bench-office-key-0123456789"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        size = 0
        for i in range(args.n):
            issue = {"year": 2023, "unit_code": f"{300000 + i // 20}", "unit_name": f"单位{i // 20}",
                     "department": "某某局", "project_code": f"P{i:06d}",
                     "project_name": f"项目{i}",
                     "funds": {("total", "initial"): 100.0 + i, ("total", "full_year"): 120.0 + i}}
            b = build_workbook(spec, issue, TARGETS if args.targets else None, key=key,
                               password="pw")
            write_atomic(Path(tmp) / f"{i}.xlsx", b.data)
            size += len(b.data)
        wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"build: {args.n} workbooks in {wall:.2f} s = {args.n / wall:.1f} workbooks/s "
          f"({1000 * wall / args.n:.1f} ms each), avg {size / args.n / 1024:.1f} KiB, "
          f"peak RSS {rss:.0f} MiB", file=sys.stdout)


if __name__ == "__main__":
    main()
