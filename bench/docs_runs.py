"""What the documents' benchmarks share: a corpus collected once (not timed), and a writer
run three times — first (cold), second (warm), third under tracemalloc for the peak of
Python allocations."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xlkit.round.collect import collect
from xlkit.round.result import RoundResult


def three_runs(write: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """``write()`` three times: (what the first returned, its seconds, the second's
    seconds, the third's peak of Python allocations in MB)."""
    t0 = time.perf_counter()
    written = write()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    write()
    second = time.perf_counter() - t0
    tracemalloc.start()
    write()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return written, first, second, peak


def collected(corpus: Path, tmp: Path, jobs: int) -> RoundResult:
    """The round of a bench/make_corpus.py corpus, collected into ``tmp`` (said, not timed)."""
    key = (corpus / "key.txt").read_bytes().strip()
    t0 = time.perf_counter()
    result = collect(corpus / "inbox", corpus / "预算清单.xlsx", tmp / "报告.xlsx",
                     finals=[corpus / "决算_项目支出.xlsx"], key=key, year=2023,
                     jobs=jobs).result
    print(f"collected {len(result.tables.projects)} returns in "
          f"{time.perf_counter() - t0:.1f} s (not part of the figure)")
    return result
