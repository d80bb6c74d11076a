"""Benchmark the 汇总分析报告 (xlkit.docs.analysis) on a corpus made by bench/make_corpus.py.

    python bench/make_corpus.py 1000 /tmp/corpus
    python bench/docs_analysis.py /tmp/corpus

Collects the corpus once (not timed), then writes the analysis report and prints the time
(cold: matplotlib's first import and the font's registration included; warm: a second
run in the same process) and the peak of Python allocations while writing (a third run).
``measure(result, out)`` is what bench/docs.py may call.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from docs_runs import collected, three_runs

from xlkit.round.result import RoundResult


def measure(result: RoundResult, out: Path) -> dict[str, Any]:
    """Write the analysis report into ``out`` three times: seconds cold (matplotlib's import
    and the font's registration included) and warm, then the peak of Python allocations
    (MB, traced: slower, so not timed)."""
    def write():
        from xlkit.docs.analysis import write_analysis  # the first import is timed, cold

        return write_analysis(result, out)

    written, cold, warm, peak = three_runs(write)
    path = written[0].path
    return {"cold_s": cold, "warm_s": warm, "peak_mb": peak,
            "size_kb": path.stat().st_size / 1e3 if path else 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = collected(args.corpus, Path(tmp), args.jobs)
        m = measure(result, Path(tmp) / "docs")
    s = result.summary()
    print(f"汇总分析报告: 应报 {s['应报']}, 已报 {s['已报']}, 未报 {s['未报']}; "
          f"cold {m['cold_s']:.2f} s, warm {m['warm_s']:.2f} s, "
          f"peak {m['peak_mb']:.1f} MB (Python allocations), {m['size_kb']:.0f} kB")


if __name__ == "__main__":
    main()
