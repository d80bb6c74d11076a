"""Benchmark: collect a corpus made by bench/make_corpus.py and print the figures.

    python bench/make_corpus.py 10000 /tmp/corpus
    python bench/collect.py /tmp/corpus [--jobs 2] [--naive 500]

In one run, on the same files: the fast path (zip + XML reader, both cores), the naive
openpyxl-based reading path (on all files, or on the first --naive files and extrapolated),
the re-collect with nothing changed, and peak memory (main process and largest worker).
Each collect gets a fresh ledger and report in a temp folder.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from xlkit.read import expand, iter_read
from xlkit.round.collect import collect


def _cpu() -> tuple[float, float]:
    """CPU seconds so far: this process, and the reader processes that have ended."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _rss() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--naive", type=int, default=0,
                    help="time the openpyxl path on this many files only (0: all)")
    args = ap.parse_args()
    c = args.corpus
    key = (c / "key.txt").read_bytes().strip()
    files, _ = expand([c / "inbox"])
    n = len(files)
    kw = {"finals": [c / "决算_项目支出.xlsx"], "key": key, "year": 2023, "jobs": args.jobs}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "报告.xlsx"
        cpu0 = _cpu()
        t0 = time.perf_counter()
        out = collect(c / "inbox", c / "预算清单.xlsx", report, **kw)
        fast = time.perf_counter() - t0
        main_cpu, readers_cpu = (b - a for a, b in zip(cpu0, _cpu(), strict=True))
        me, kids = _rss()
        t0 = time.perf_counter()
        again = collect(c / "inbox", c / "预算清单.xlsx", report, **kw)
        rerun = time.perf_counter() - t0
        assert again.unchanged and again.read_now == 0
    sample = files[: args.naive] if args.naive else files
    t0 = time.perf_counter()
    for _ in iter_read(sample, key=key, year=2023, jobs=args.jobs, engine="openpyxl"):
        pass
    naive_read = (time.perf_counter() - t0) / len(sample) * n
    t0 = time.perf_counter()
    for _ in iter_read(sample, key=key, year=2023, jobs=args.jobs, engine="fast"):
        pass
    fast_read = (time.perf_counter() - t0) / len(sample) * n
    s = out.summary
    print(f"collect (fast path, {args.jobs} jobs) of {n} returns: {fast:.1f} s wall = "
          f"{n / fast:.0f} workbooks/s ({1000 * fast / n:.2f} ms each, "
          f"{1000 * fast * args.jobs / n:.2f} ms per workbook·core); "
          f"应报 {s['应报']} 已报 {s['已报']} 错误 {s['错误']} 提示 {s['提示']}")
    print(f"CPU of that collect: main process {main_cpu:.1f} s, readers {readers_cpu:.1f} s; "
          f"{1000 * (main_cpu + readers_cpu) / n:.2f} ms per workbook·core in all "
          f"(the wall figure would be this over the cores, were they free)")
    print(f"re-collect with nothing changed: {rerun:.2f} s")
    print(f"peak RSS: main {me:.0f} MiB, largest worker {kids:.0f} MiB")
    what = f"{len(sample)} files, extrapolated to {n}" if len(sample) < n else f"{n} files"
    print(f"reading alone ({what}): openpyxl path {naive_read:.1f} s, fast path "
          f"{fast_read:.1f} s, ratio {naive_read / fast_read:.1f}x; whole fast collect vs "
          f"openpyxl reading alone: {naive_read / fast:.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
