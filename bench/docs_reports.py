"""Benchmark: the draft 自评报告 (xlkit/docs/selfreport.py) for N projects.

    python bench/docs_reports.py 1000 [--jobs 2] [--source demo|synthetic] [--keep DIR]

``--source demo`` (default) runs the demo round once and copies its 11 returned projects
(their funds, texts, indicators and issues, real seed wording) under new codes until there
are N; ``synthetic`` uses bench/report.py's round (7 indicators, no texts). Each run is a
fresh process: wall time, ms per document, CPU and peak RSS (this process and the workers)
are printed. :func:`time_reports` is what bench/docs.py may call.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from xlkit.docs.selfreport import write_self_reports
from xlkit.read.tables import SCHEMA, Tables
from xlkit.round.result import RoundResult


def demo_scaled(n: int, demo: RoundResult) -> RoundResult:
    """The demo's returned projects copied under new unit and project codes until there
    are ``n`` (every table and the issues alike; 20 units per copy of the demo)."""
    base = demo.tables
    per = len(base.projects)
    copies = math.ceil(n / per)
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in SCHEMA}

    def renamed(df: pd.DataFrame, k: int, path_col: str) -> pd.DataFrame:
        df = df.copy()
        if path_col in df.columns:
            df[path_col] = df[path_col].astype(object).map(
                lambda p, k=k: None if pd.isna(p) else f"{p}#{k}")
        if "unit_code" in df.columns:
            df["unit_code"] = df["unit_code"].astype(object).map(
                lambda c, k=k: None if pd.isna(c) else f"{c}{k:04d}")
        if "project_code" in df.columns:
            df["project_code"] = df["project_code"].astype(object).map(
                lambda c, k=k: None if pd.isna(c) or c == "" else f"{c}-{k:04d}")
        return df

    issues = []
    for k in range(copies):
        for name in SCHEMA:
            col = {"findings": "file", "files": "path"}.get(name, "source_file")
            tables[name].append(renamed(getattr(base, name), k, col))
        issues.append(renamed(demo.issues, k, "file"))
    out = Tables(**{name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()})
    out.projects = out.projects.iloc[:n]
    return RoundResult(expected=n, tables=out, issues=pd.concat(issues, ignore_index=True),
                       year=demo.year)


def demo_result(folder: Path) -> RoundResult:
    from xlkit.demo import run_demo
    return run_demo(folder).result


def time_reports(result: RoundResult, out: Path, jobs: int | None = None) -> dict[str, Any]:
    """Write the reports of ``result`` under ``out``; wall seconds, ms per document, CPU
    seconds (this process and its workers) and peak RSS in MB of each."""
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    written = write_self_reports(result, out, jobs=jobs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum((a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime)
              for a, b in zip(after, before, strict=True))
    return {"documents": len(written), "seconds": round(wall, 2),
            "ms_per_document": round(1000 * wall / max(1, len(written)), 2),
            "cpu_seconds": round(cpu, 2),
            "peak_rss_mb": round(after[0].ru_maxrss / 1024, 1),
            "worker_peak_rss_mb": round(after[1].ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--source", choices=("demo", "synthetic"), default="demo")
    ap.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xlkit-bench-reports-"))
    try:
        if args.source == "demo":
            result = demo_scaled(args.n, demo_result(tmp / "demo"))
        else:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from report import synthetic
            result = synthetic(args.n)
        out = args.keep or tmp / "out"
        figures = time_reports(result, out, args.jobs)
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
