"""The round's documents, the paper an office sends and files after collecting:

- ``feedback``: one workbook per unit with findings (退回意见) or projects not returned (催报);
- ``reports``: a draft 自评报告 (.docx) per returned project, from its recomputed figures;
- ``analysis``: the office's 汇总分析报告 (.docx) with charts.

Pipeline stage after ``report``: it reads a :class:`~xlkit.round.result.RoundResult` (the
tables, the issues, the missing list) and writes files; it changes nothing it reads.
Every file is written atomically; ``文书索引.xlsx`` lists every document written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from xlkit.docs.common import KIND_NAMES, KINDS, Progress, Written, write_index
from xlkit.round.result import RoundResult

__all__ = ["KINDS", "KIND_NAMES", "Written", "write_documents"]


def write_documents(result: RoundResult, out_dir: str | Path, *,
                    kinds: Iterable[str] = KINDS, jobs: int | None = None,
                    progress: Progress | None = None,
                    on_kind: Callable[[str, int], None] | None = None) -> list[Written]:
    """Write the documents of ``kinds`` under ``out_dir`` (反馈/, 自评报告/, 汇总分析报告.docx)
    and the index 文书索引.xlsx; return what was written. ``progress(n)`` is called as
    documents are finished; ``on_kind(kind, total)`` before each kind starts."""
    from xlkit.docs.analysis import write_analysis
    from xlkit.docs.feedback import write_feedback
    from xlkit.docs.selfreport import write_self_reports

    out = Path(out_dir)
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown document kinds {unknown}")
    written: list[Written] = []
    for kind in KINDS:
        if kind not in kinds:
            continue
        if kind == "feedback":
            written += write_feedback(result, out, progress=progress, on_start=on_kind)
        elif kind == "reports":
            written += write_self_reports(result, out, jobs=jobs, progress=progress,
                                          on_start=on_kind)
        else:
            written += write_analysis(result, out, progress=progress, on_start=on_kind)
    write_index(out, written)
    return written
