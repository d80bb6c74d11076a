"""Benchmark the feedback workbooks (xlkit.docs.feedback) on a corpus made by
bench/make_corpus.py.

    python bench/make_corpus.py 1000 /tmp/corpus
    python bench/docs_feedback.py /tmp/corpus

Collects the corpus once (not timed), then writes the feedback three times: the first run
(the forms' specs loaded cold), the second (warm), the third under tracemalloc for the peak
of Python allocations. ``--units N`` spreads the projects over N units (the corpus has one
unit per 20 projects; an office of 1,000 projects may have 200). ``measure(result, out)``
is what bench/docs.py may call.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
from docs_runs import collected, three_runs

from xlkit.round.result import RoundResult


def measure(result: RoundResult, out: Path) -> dict[str, Any]:
    """Write the feedback into ``out``: seconds (first, second), peak MB (a third run
    under tracemalloc), files written and units passed."""
    from xlkit.docs.feedback import write_feedback

    written, first, second, peak = three_runs(lambda: write_feedback(result, out))
    files = [w.path for w in written if w.path]
    return {"first_s": first, "second_s": second, "peak_mb": peak, "files": len(files),
            "passed": len(written) - len(files),
            "size_kb": sum(p.stat().st_size for p in files) / 1e3}


def spread(result: RoundResult, units: int) -> RoundResult:
    """The same round with its projects spread over ``units`` units (by project code)."""
    def remap(df: pd.DataFrame) -> pd.DataFrame:
        if not len(df):
            return df
        codes = [f"9{zlib.crc32(p.encode()) % units:05d}" if isinstance(p, str) else None
                 for p in df["project_code"]]
        return df.assign(
            unit_code=[c or u for c, u in zip(codes, df["unit_code"], strict=True)],
            unit_name=[f"测试单位{c}" if c else n for c, n in zip(codes, df["unit_name"],
                                                               strict=True)])

    tables = dataclasses.replace(result.tables, projects=remap(result.tables.projects))
    return dataclasses.replace(result, tables=tables, issues=remap(result.issues),
                               missing=remap(result.missing))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--units", type=int, default=0, help="spread the projects over N units")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = collected(args.corpus, Path(tmp), args.jobs)
        if args.units:
            result = spread(result, args.units)
        m = measure(result, Path(tmp) / "docs")
    s = result.summary()
    print(f"反馈: 应报 {s['应报']}, 未报 {s['未报']}, 错误 {s['错误']}, 提示 {s['提示']}; "
          f"{m['files']} workbooks ({m['size_kb']:.0f} KB), {m['passed']} units 通过; "
          f"first {m['first_s']:.2f} s, second {m['second_s']:.2f} s, "
          f"peak Python allocations {m['peak_mb']:.1f} MB (third run)")


if __name__ == "__main__":
    main()
