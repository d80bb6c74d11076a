"""Read many returns: every input path accounted for, one bad file never stops the batch.

Each file is read in a worker process with a time and memory limit, so a file that hangs a
parser or balloons in memory is rejected with a finding instead of taking the batch down.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import multiprocessing.pool
import os
import resource
import signal
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from xlkit.core.display import display_path, os_reason
from xlkit.core.meta import normalise_key
from xlkit.findings import finding, message
from xlkit.ooxml.errors import damage_reason
from xlkit.ooxml.safety import DEFAULT_LIMITS, Limits
from xlkit.read.source import ENGINES
from xlkit.read.tables import Tables, frame
from xlkit.read.workbook import ReadResult, finish_result, read_workbook, reject_result

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xltx", ".xlsb", ".et")


#: the build's manifest (xlkit.inputs.manifest.MANIFEST_NAME): never a return
MANIFEST_NAMES = ("manifest.xlsx",)
_KINDS = ((stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISSOCK, "套接字（socket）"),
          (stat.S_ISCHR, "字符设备文件"), (stat.S_ISBLK, "块设备文件"))


def expand(paths: Iterable[str | Path], *, exclude: Mapping[str, str] | None = None
           ) -> tuple[list[Path], list[ReadResult]]:
    """Files to read and the entries skipped, each skipped one with why.

    A folder is walked recursively (sorted) and every entry under it is accounted for: a
    workbook (.xlsx .xlsm .xls .xltx .xlsb .et) is read; anything else is skipped with its
    reason — other files (.pdf .docx .zip .ods .txt: ``file.not_return``), hidden files and
    folders (their contents are not looked at), Office lock files ``~$x.xlsx``
    (``file.lock_file``), the build's manifest.xlsx, our own temp files, a folder named
    x.xlsx (listed, and walked), FIFOs, sockets and devices (``file.special``: never
    opened, so never blocking), dangling symlinks (``file.link_broken``).

    Symlinks: one pointing outside the folder given is not followed
    (``file.link_outside``); inside it, it is followed once — a file reached by two paths
    is read once, by its own path before a link's (``file.same_file``), and a folder link
    back into a folder already walked is not walked again (no loops). ``exclude``: real
    path → what it is (collect's own report and ledger), skipped as ``output``.

    A path given directly (not a folder) is read as given, except a ``~$`` lock file."""
    files: list[Path] = []
    skipped: list[ReadResult] = []
    own = {os.path.realpath(k): v for k, v in (exclude or {}).items()}
    for p in map(Path, paths):
        if p.is_dir():
            walked, left = _walk(p, own)
            files += walked
            skipped += left
        elif p.name.startswith("~$"):
            skipped.append(_skip(str(p), "file.lock_file"))
        else:
            files.append(p)
    return files, skipped


def _skip(path: str, code: str, variant: str = "", **values: Any) -> ReadResult:
    """A skipped entry: its ReadResult with the reason, and the entry's own size (lstat:
    a link or a FIFO is never followed or opened)."""
    r = ReadResult(path, status="skipped", code=code, reason=message(code, variant, **values))
    try:
        st = os.lstat(path)
        size = st.st_size if stat.S_ISREG(st.st_mode) else None
    except OSError:
        size = None
    r.file = {"path": path, "size": size}
    return finish_result(r)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _under(path: str, top: str) -> str:
    """``path`` as under ``top`` (for a message), shown safely."""
    rel = os.path.relpath(path, top)
    return display_path(path if rel.startswith("..") else top if rel == "." else rel)


def _walk(top: Path, own: Mapping[str, str]) -> tuple[list[Path], list[ReadResult]]:
    root = os.path.realpath(top)
    dirs_seen = {root}
    candidates: list[tuple[str, str, bool]] = []  # (path, real path, reached by a link)
    skipped: list[ReadResult] = []

    def visit(folder: str, folder_real: str, via_link: bool) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(_skip(folder, "file.corrupt", "unreadable",
                                 reason=f"无法打开文件夹（{os_reason(exc)}）"))
            return
        for e in entries:
            path, name = e.path, e.name
            try:
                st = os.lstat(path)
            except OSError:  # gone meanwhile
                continue
            link = stat.S_ISLNK(st.st_mode)
            real = os.path.realpath(path) if link else os.path.join(folder_real, name)
            if link:
                target = display_path(os.readlink(path))
                try:
                    st = os.stat(path)
                except OSError:
                    skipped.append(_skip(path, "file.link_broken", target=target))
                    continue
                if not _inside(real, root):
                    skipped.append(_skip(path, "file.link_outside", target=target))
                    continue
            if name.startswith("."):
                skipped.append(_skip(path, "file.not_return", "hidden_folder"
                                     if stat.S_ISDIR(st.st_mode) else
                                     "temp" if name.startswith(".~xlkit-") else "hidden"))
            elif stat.S_ISDIR(st.st_mode):
                if real in dirs_seen:
                    skipped.append(_skip(path, "file.same_file", "folder", other=_under(real, root)))
                    continue
                dirs_seen.add(real)
                if Path(name).suffix.lower() in SPREADSHEET_SUFFIXES:
                    skipped.append(_skip(path, "file.not_return", "folder", name=display_path(name)))
                visit(path, real, via_link or link)
            elif not stat.S_ISREG(st.st_mode):
                kind = next((k for test, k in _KINDS if test(st.st_mode)), "特殊文件")
                skipped.append(_skip(path, "file.special", kind=kind))
            elif real in own:
                skipped.append(_skip(path, "file.not_return", "output", what=own[real]))
            elif name.startswith("~$"):
                skipped.append(_skip(path, "file.lock_file"))
            elif name.lower() in MANIFEST_NAMES:
                skipped.append(_skip(path, "file.not_return", "manifest", name=display_path(name)))
            elif Path(name).suffix.lower() not in SPREADSHEET_SUFFIXES:
                skipped.append(_skip(path, "file.not_return", suffix=display_path(Path(name).suffix) or "无扩展名"))
            else:
                candidates.append((path, real, link or via_link))

    visit(str(top), root, False)
    # one file reached by several paths is read once: by its own path, else the first link
    first: dict[str, str] = {}
    for path, real, _ in sorted(candidates, key=lambda c: (c[2], c[0])):
        first.setdefault(real, path)
    files = []
    for path, real, _ in candidates:
        if first[real] == path:
            files.append(Path(path))
        else:
            skipped.append(_skip(path, "file.same_file", other=_under(first[real], str(top))))
    return files, skipped


class _Overtime(BaseException):
    """Raised in a worker when one file exceeds its time (a BaseException, so no
    ``except Exception`` in a parser can swallow it)."""


def _on_alarm(*_: Any) -> None:
    raise _Overtime


def _init_worker(memory_bytes: int) -> None:
    gc.enable()  # a caller may have turned it off for itself (collect does); parsers make cycles
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ValueError, OSError):  # pragma: no cover - platform without RLIMIT_AS
        pass
    signal.signal(signal.SIGALRM, _on_alarm)


def _timeout(path: str, limits: Limits) -> ReadResult:
    return finish_result(reject_result(ReadResult(path), finding(
        "file.timeout", f"读取超过 {limits.seconds_per_file:g} 秒仍未完成（seconds_per_file），已放弃",
        file=path)))


def _work(args: tuple[str, bytes | None, int | None, Limits, str]) -> ReadResult:
    path, key, year, limits, engine = args
    try:
        return read_workbook(path, key=key, year=year, limits=limits, engine=engine)
    except MemoryError:
        return finish_result(reject_result(ReadResult(path), finding(
            "file.out_of_memory", f"读取时内存超过上限 {limits.memory_bytes >> 20} MB（memory_bytes）",
            file=path)))
    except RecursionError:
        return finish_result(reject_result(ReadResult(path), finding(
            "file.too_complex", "文件结构嵌套过深，无法读取", file=path)))
    except Exception as exc:  # a parser bug must cost one file, not the batch
        # the reason is the clerk's to read: no Python names (damage_reason logs them)
        return finish_result(reject_result(ReadResult(path), finding(
            "file.corrupt", f"读取失败（{damage_reason(exc)}；如文件在 Excel 中能正常打开，"
                            "请把它交给 xlkit 维护人员）", file=path)))


def _work_chunk(paths: list[str], key: bytes | None, year: int | None, limits: Limits,
                engine: str) -> list[ReadResult]:
    """Several files per task: one round trip to the pool instead of one per file. Each
    file still has its own time limit (an alarm in the worker)."""
    out = []
    for path in paths:
        result = None
        signal.setitimer(signal.ITIMER_REAL, limits.seconds_per_file)
        try:
            result = _work((path, key, year, limits, engine))
        except _Overtime:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        out.append(result if result is not None else _timeout(path, limits))
    return out


def _quiet_pool() -> type[multiprocessing.pool.Pool]:
    """multiprocessing's Pool whose worker-handler thread wakes when a worker exits or the
    pool is closed or terminated, not also whenever a result waits in the pipe: while the
    main process is busy, results wait, and the thread spun on them, taking the GIL from
    the thread receiving them: the main process's CPU of a 1,969-return collect
    (bench/collect.py, 2 cores shared) is 1.5-2.0 s with this Pool, median 1.6, and 1.7-2.3 s
    with the plain one, median 1.9; 0.6-1.2 s over 10,000 files. Only terminate() ends a
    pool here (``with``), and it notifies the thread.

    This overrides a private method of CPython's Pool (``_get_sentinels``, 3.8 and later)
    and reads its change notifier's pipe. Guarded: on a Python whose Pool lacks either, the
    plain Pool is used, which behaves the same, a little busier."""
    base = multiprocessing.pool.Pool
    if not callable(getattr(base, "_get_sentinels", None)):
        return base

    class QuietPool(base):  # type: ignore[valid-type, misc]
        def _get_sentinels(self) -> list[Any]:
            reader = getattr(getattr(self, "_change_notifier", None), "_reader", None)
            if reader is None:  # not the Pool this was written for: its own sentinels
                return super()._get_sentinels()  # type: ignore[misc]
            return [reader]

    return QuietPool


#: The pool class :func:`iter_read` uses (``multiprocessing.pool.Pool`` works the same).
POOL = _quiet_pool()


CHUNK = 16  # files per task at most (results stream back); fewer for few files, so every core works
RECYCLE = 10_000  # files a worker reads before it is replaced (returns its memory); a new
# worker is forked from the main process as it is then, so not too often


def _chunks(paths: list[str], jobs: int, singles: int) -> list[list[str]]:
    """The first ``singles`` files one per task (after a hang: to find the file), then
    chunks small enough to keep every worker busy to the end."""
    size = max(1, min(CHUNK, len(paths) // (jobs * 8)))
    head = [[p] for p in paths[:singles]]
    rest = paths[singles:]
    return head + [rest[i:i + size] for i in range(0, len(rest), size)]


def iter_read(paths: str | os.PathLike | Iterable[str | os.PathLike], *,
              key: str | bytes | None = None, year: int | None = None,
              limits: Limits = DEFAULT_LIMITS, jobs: int | None = None,
              engine: str = "fast") -> Iterator[ReadResult]:
    """Read ``paths`` (files, not folders: see :func:`expand`; one str or Path, or a list)
    in worker processes; results come back in input order. ``key``: str or bytes
    (stripped). ``engine``: ``"fast"`` or ``"openpyxl"``, see :func:`read_workbook`."""
    if engine not in ENGINES:  # here, not as one rejected file after another
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    key = normalise_key(key)
    jobs = max(1, jobs or min(os.cpu_count() or 1, 8))
    pending = [str(p) for p in as_paths(paths)]
    singles = 0
    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    while pending:
        chunks = _chunks(pending, jobs, singles)
        recycle = max(1, RECYCLE // max(len(c) for c in chunks))
        with POOL(jobs, initializer=_init_worker, initargs=(limits.memory_bytes,),
                   maxtasksperchild=recycle, context=ctx) as pool:
            futures = [pool.apply_async(_work_chunk, (c, key, year, limits, engine))
                       for c in chunks]
            done = 0
            try:
                for chunk, fut in zip(chunks, futures, strict=True):
                    # each file has its own alarm; this only catches a hang the alarm
                    # cannot interrupt (inside C code)
                    yield from fut.get(timeout=limits.seconds_per_file * (len(chunk) + 2))
                    done += len(chunk)
            except mp.TimeoutError:
                pool.terminate()  # a hung worker cannot be interrupted; start over after it
                if len(chunk) == 1:
                    yield _timeout(chunk[0], limits)
                    done += 1
                    singles = max(0, singles - done)
                else:  # which file hung? read this chunk's files one per task
                    singles = len(chunk)
                pending = pending[done:]
                continue
        pending = []


def as_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The API's file and folder arguments as a list of Paths: one str or Path is one path
    (never its characters), a list or any iterable of str / Path is each of them."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    return [Path(os.fsdecode(p)) if isinstance(p, bytes) else Path(p) for p in paths]


def read_many(paths: str | os.PathLike | Iterable[str | os.PathLike], *,
              key: str | bytes | None = None, year: int | None = None,
              limits: Limits = DEFAULT_LIMITS, jobs: int | None = None,
              on_result: Callable[[ReadResult], None] | None = None,
              engine: str = "fast") -> Tables:
    """Read every workbook under ``paths`` into :class:`xlkit.tables.Tables`. ``paths``:
    one file or folder (str or Path) or a list of them; ``key``: str or bytes (stripped)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    key = normalise_key(key)
    files, skipped = expand(as_paths(paths))
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
        header=frame("header", [x for r in results for x in r.header]),
        indicators=frame("indicators", [x for r in results for x in r.indicators]),
        scores=frame("scores", [x for r in results for x in r.scores]),
        people=frame("people", [x for r in results for x in r.people]),
        texts=frame("texts", [x for r in results for x in r.texts]),
        survey=frame("survey", [x for r in results for x in r.survey]),
        findings=frame("findings", [f.as_dict() for r in results for f in r.findings]),
        files=frame("files", [r.file for r in results]),
    )
