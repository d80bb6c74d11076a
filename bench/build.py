"""Benchmark: issue N pre-filled project-2020 workbooks, naive path against fast path.

    python bench/build.py 2000 [--targets] [--naive-sample 200]

In one run, on the same issues (and the same per-workbook passwords, as ``issue_all`` makes
them when no ``--password`` is given), times

* naive: ``build_workbook`` (xlsxwriter from scratch) + ``write_atomic``, on the first
  ``min(N, --naive-sample)`` issues, extrapolated per workbook to N;
* fast: one ``FastBuilder`` + ``write_atomic``, on all N issues;

each in its own forked process, so each has its own peak RSS; the time spent building is
also summed apart ("writing" is the rest: ``write_atomic`` and the manifest's sha256).
Files go to a temp folder laid out as ``issue_all`` lays them out
(``DIR/<单位>/<项目>.xlsx``, written atomically: temp file, fsync, rename). Not a test:
figures vary by machine.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from xlkit.build import build_workbook, write_atomic
from xlkit.build.distribute import plan
from xlkit.build.fast import FastBuilder
from xlkit.core.meta import canonical, issued_digest, new_file_id
from xlkit.core.spec import load_spec

TARGETS = [
    {"level1": "产出指标", "level2": "数量指标", "name": f"数量指标{i}", "direction": "≥",
     "target": 100, "unit": "%", "weight": 10} for i in range(5)
] + [
    {"level1": "效益指标", "level2": "社会效益指标", "name": "社会效益", "direction": "定性",
     "target": "有效保障", "unit": "", "weight": 30},
    {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "满意度", "direction": "≥",
     "target": 90, "unit": "%", "weight": 10},
]
KEY = b"bench-office-key-0123456789"
YEAR = 2023


def rows(n: int) -> list[dict[str, Any]]:
    return [{"unit_code": f"{300000 + i // 20}", "unit_name": f"单位{i // 20}",
             "department": "某某局", "project_code": f"P{i:06d}", "project_name": f"项目{i}",
             "funds": {("total", "initial"): 100.0 + i, ("total", "full_year"): 120.0 + i}}
            for i in range(n)]


def run(path: str, n: int, targets: bool, out, conn) -> None:
    """One timed path in a child process; sends wall, build and write seconds, bytes,
    peak RSS (MiB) and the builder's counts."""
    spec = load_spec("project-2020")
    items = plan(spec, rows(n), Path(out)).items
    passwords = [secrets.token_urlsafe(9) for _ in items]
    mine = TARGETS if targets else None
    fast = FastBuilder(spec, key=KEY) if path != "naive" else None
    size = 0
    building = 0.0
    clock = time.perf_counter
    t0 = clock()
    for (row, dst), pw in zip(items, passwords, strict=True):
        t1 = clock()
        issue = dict(row, year=YEAR, file_id=new_file_id())  # as issue_all
        if fast is None:
            built = build_workbook(spec, issue, mine, key=KEY, password=pw)
            data, text = built.data, canonical(built.record.payload)
        else:
            data = fast.build(issue, mine, password=pw)
            text = fast.payload_text
        issued_digest(text)  # issue_all records it in the manifest
        building += clock() - t1
        write_atomic(dst, data)
        hashlib.sha256(data).hexdigest()  # issue_all records it in the manifest
        size += len(data)
    wall = clock() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stats = fast.stats if fast else None
    conn.send((wall, building, size, rss,
               None if stats is None else (stats.fast, stats.fallback, stats.templates)))
    conn.close()


def timed(path: str, n: int, targets: bool) -> tuple[float, float, int, float, Any]:
    ctx = mp.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="xlkit-bench-") as out:
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=run, args=(path, n, targets, out, send))
        p.start()
        result = recv.recv()
        p.join()
        if p.exitcode:
            raise SystemExit(f"{path} failed with exit code {p.exitcode}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--targets", action="store_true", help="pre-fill approved targets too")
    ap.add_argument("--naive-sample", type=int, default=200,
                    help="time the naive path on at most this many workbooks (default 200)")
    args = ap.parse_args()
    n_naive = min(args.n, args.naive_sample)
    what = "with 7 approved targets" if args.targets else "without targets"
    print(f"project-2020, {args.n} workbooks {what}, signed, a password per workbook")
    results = {}
    for path, n in (("naive", n_naive), ("fast", args.n)):
        wall, building, size, rss, stats = timed(path, n, args.targets)
        ms = 1000 * wall / n
        results[path] = ms, 1000 * building / n
        note = ""
        if path == "naive" and n < args.n:
            note = (f"  [timed on {n} of {args.n} workbooks; {args.n} would take "
                    f"~{ms * args.n / 1000:.1f} s]")
        if stats:
            note += f"  [fast {stats[0]}, reference fallbacks {stats[1]}, templates {stats[2]}]"
        label = {"naive": "naive (build_workbook)", "fast": "fast (FastBuilder)"}[path]
        print(f"{label:23s}: {n / wall:7.1f} workbooks/s  {ms:7.3f} ms/workbook "
              f"(building {1000 * building / n:.3f}, writing {ms - 1000 * building / n:.3f})"
              f"  wall {wall:6.2f} s  avg {size / n / 1024:4.1f} KiB  peak RSS {rss:4.0f} MiB"
              f"{note}", file=sys.stdout)
    (naive, naive_b), (fast, fast_b) = results["naive"], results["fast"]
    print(f"fast / naive: {naive / fast:.1f}x as many workbooks per second, atomic writes "
          f"included ({naive:.2f} → {fast:.3f} ms per workbook); building alone "
          f"{naive_b / fast_b:.0f}x ({naive_b:.2f} → {fast_b:.3f} ms)")


if __name__ == "__main__":
    main()
