"""Benchmark: every document of a round — feedback per unit, a draft 自评报告 per project and
the 汇总分析报告 — for N projects, as `collect --docs` writes them.

    python bench/docs.py 1000 [--jobs 2] [--also 250]

The round is the demo's, its 11 returned projects copied under new codes until there are N
(bench/docs_reports.py: real seed wording, findings and missing projects scaled alike).
Prints the seconds of each kind, the whole, and peak RSS of this process and of the
workers; ``--also M`` runs M projects first, so the two peaks show whether memory grows
with the number of projects (it should not: documents are written one at a time).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_reports import demo_result, demo_scaled  # noqa: E402

from xlkit.docs import write_documents  # noqa: E402


def run(result, out: Path, jobs: int | None) -> dict[str, float]:
    """Seconds per kind and in all, with the documents written per kind."""
    marks: list[tuple[str, float]] = []
    counts: dict[str, int] = {}
    start = time.perf_counter()
    written = write_documents(result, out, jobs=jobs,
                              on_kind=lambda kind, n: marks.append((kind, time.perf_counter())))
    end = time.perf_counter()
    for w in written:
        if w.path is not None:
            counts[w.kind] = counts.get(w.kind, 0) + 1
    times = {kind: (marks[i + 1][1] if i + 1 < len(marks) else end) - t
             for i, (kind, t) in enumerate(marks)}
    return {"total": end - start, **times, "counts": counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--also", type=int, default=None, help="first run this many projects")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xlkit-bench-docs-"))
    try:
        demo = demo_result(tmp / "demo")
        for n in ([args.also] if args.also else []) + [args.n]:
            result = demo_scaled(n, demo)
            f = run(result, tmp / f"out{n}", args.jobs)
            self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            kinds = "  ".join(f"{k} {f[k]:.2f} s" for k in ("feedback", "reports", "analysis")
                              if k in f)
            print(f"{n} projects: {f['total']:.2f} s in all ({kinds}); written "
                  f"{f['counts']}; peak RSS {self_rss:.0f} MiB, workers {kids:.0f} MiB")
            shutil.rmtree(tmp / f"out{n}", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
