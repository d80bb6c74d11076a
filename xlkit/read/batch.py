"""Read many returns: every input path accounted for, one bad file never stops the batch.

Each file is read in a worker process with a time and memory limit, so a file that hangs a
parser or balloons in memory is rejected with a finding instead of taking the batch down.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..findings import finding
from ..tables import Tables, frame
from .safety import DEFAULT_LIMITS, Limits
from .source import ENGINES
from .workbook import ReadResult, _finish, _reject, read_workbook

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xltx", ".xlsb", ".et")


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[ReadResult]]:
    """Files to read (folders searched recursively, sorted) and skipped Office lock files."""
    files: list[Path] = []
    skipped: list[ReadResult] = []
    for p in map(Path, paths):
        found = sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith(".")
                       and x.suffix.lower() in SPREADSHEET_SUFFIXES) if p.is_dir() else [p]
        for f in found:
            if f.name.startswith("~$"):
                r = ReadResult(str(f), status="skipped", code="file.lock_file",
                               reason="Office 临时锁定文件（~$ 开头），已跳过")
                r.file = {"path": str(f), "size": f.stat().st_size}
                skipped.append(_finish(r))
            else:
                files.append(f)
    return files, skipped


def _limit_memory(limit: int) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # pragma: no cover - platform without RLIMIT_AS
        pass


def _work(args: tuple[str, bytes | None, int | None, Limits, str]) -> ReadResult:
    path, key, year, limits, engine = args
    try:
        return read_workbook(path, key=key, year=year, limits=limits, engine=engine)
    except MemoryError:
        return _finish(_reject(ReadResult(path), finding(
            "file.out_of_memory", f"读取时内存超过上限 {limits.memory_bytes >> 20} MB（memory_bytes）",
            file=path)))
    except RecursionError:
        return _finish(_reject(ReadResult(path), finding(
            "file.too_complex", "文件结构嵌套过深，无法读取", file=path)))
    except Exception as exc:  # a parser bug must cost one file, not the batch
        return _finish(_reject(ReadResult(path), finding(
            "file.corrupt", f"读取失败（{type(exc).__name__}: {str(exc)[:200]}）", file=path)))


def iter_read(paths: list[Path], *, key: bytes | None = None, year: int | None = None,
              limits: Limits = DEFAULT_LIMITS, jobs: int | None = None,
              engine: str = "fast") -> Iterator[ReadResult]:
    """Read ``paths`` in worker processes; results come back in input order. ``engine``:
    ``"fast"`` or ``"openpyxl"``, see :func:`read_workbook`."""
    if engine not in ENGINES:  # here, not as one rejected file after another
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    jobs = max(1, jobs or min(os.cpu_count() or 1, 8))
    pending = list(paths)
    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    while pending:
        with ctx.Pool(jobs, initializer=_limit_memory, initargs=(limits.memory_bytes,),
                      maxtasksperchild=200) as pool:
            futures = [pool.apply_async(_work, ((str(p), key, year, limits, engine),))
                       for p in pending]
            done = 0
            try:
                for fut in futures:
                    yield fut.get(timeout=limits.seconds_per_file * (1 + jobs))
                    done += 1
            except mp.TimeoutError:
                hung = pending[done]
                yield _finish(_reject(ReadResult(str(hung)), finding(
                    "file.timeout", f"读取超过 {limits.seconds_per_file:g} 秒仍未完成"
                                    "（seconds_per_file），已放弃", file=str(hung))))
                pool.terminate()  # the hung worker cannot be interrupted; start over after it
                pending = pending[done + 1:]
                continue
        pending = []


def read_many(paths: Iterable[str | Path], *, key: bytes | None = None, year: int | None = None,
              limits: Limits = DEFAULT_LIMITS, jobs: int | None = None,
              on_result: Callable[[ReadResult], None] | None = None,
              engine: str = "fast") -> Tables:
    """Read every workbook under ``paths`` into :class:`xlkit.tables.Tables`."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    files, skipped = expand(paths)
    results: list[ReadResult] = list(skipped)
    for r in skipped:
        if on_result:
            on_result(r)
    for r in iter_read(files, key=key, year=year, limits=limits, jobs=jobs, engine=engine):
        results.append(r)
        if on_result:
            on_result(r)
    return tables_of(results)


def tables_of(results: Iterable[ReadResult]) -> Tables:
    results = list(results)
    return Tables(
        projects=frame("projects", [r.project for r in results if r.project]),
        funds=frame("funds", [x for r in results for x in r.funds]),
        indicators=frame("indicators", [x for r in results for x in r.indicators]),
        scores=frame("scores", [x for r in results for x in r.scores]),
        findings=frame("findings", [f.as_dict() for r in results for f in r.findings]),
        files=frame("files", [r.file for r in results]),
    )
