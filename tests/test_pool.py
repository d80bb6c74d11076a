"""The reader pool: the quiet Pool (private CPython hook, guarded) and the plain Pool it falls
back to both retire and replace workers and bring every file back."""

from __future__ import annotations

import multiprocessing.pool
import time

import pytest

from xlkit.read import batch


def report_pid(args):
    """A worker that says which process read the file (module level, for pickling)."""
    import os

    from xlkit.read.workbook import ReadResult

    return ReadResult(args[0], reason=str(os.getpid()))


@pytest.mark.parametrize("pool", ["quiet", "plain"])
def test_either_pool_recycles_workers_and_returns_every_file(tmp_path, monkeypatch, pool):
    """Workers retire after RECYCLE files and the pool starts new ones. The quiet pool's
    handler thread only wakes for a worker's exit or a change of the pool (not for waiting
    results), so a retired worker must still be noticed and replaced, and the batch finish."""
    if pool == "plain":
        monkeypatch.setattr(batch, "POOL", multiprocessing.pool.Pool)
    paths = []
    for i in range(12):
        p = tmp_path / f"f{i:02d}.xlsx"
        p.write_bytes(b"x")
        paths.append(p)
    monkeypatch.setattr(batch, "_work", report_pid)
    monkeypatch.setattr(batch, "CHUNK", 2)
    monkeypatch.setattr(batch, "RECYCLE", 2)  # twelve files one per task, two per worker
    t0 = time.monotonic()
    results = list(batch.iter_read(paths, jobs=2))
    assert time.monotonic() - t0 < 30
    assert [r.path for r in results] == [str(p) for p in paths]
    assert len({r.reason for r in results}) >= 6  # so at least six workers read them


def test_quiet_pool_falls_back_when_the_hook_is_gone(monkeypatch):
    assert batch.POOL is not multiprocessing.pool.Pool  # CPython 3.11 has the hook
    monkeypatch.delattr(multiprocessing.pool.Pool, "_get_sentinels")
    assert batch._quiet_pool() is multiprocessing.pool.Pool
