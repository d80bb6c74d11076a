"""Outputs are written to a temp file in the same folder and renamed: never half a file.

The temp file is named ``.~xlkit-<pid>-<random><suffix>``; a run killed (kill -9) while
writing leaves it behind, and :func:`remove_stale_temps` (called by the next run) removes
the ones whose process is gone. The renamed file gets the mode an ordinary ``open()`` would
give it (``0o666 & ~umask``: 0644 under umask 022), not mkstemp's 0600.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TEMP_PREFIX = ".~xlkit-"
#: ours: the prefix, then the writing process's pid (files named before pids were part of
#: the name have none, and are removed by age)
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"(?:(\d+)-)?[A-Za-z0-9_]+(\.\w+)?\Z")
#: a temp file without a pid in its name is left alone until it is this old
LEGACY_TEMP_AGE = 3600.0


def umask() -> int:
    """The process's umask, read without changing it where Linux says it
    (/proc/self/status), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def output_mode() -> int:
    """The mode of a file created by ``open(path, "w")``: 0o666 less the umask."""
    return 0o666 & ~umask()


def write_atomic_via(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)``, flush it to disk, give it the usual mode, then rename it
    over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=path.suffix,
                               dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), output_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: bytes) -> None:
    write_atomic_via(path, lambda tmp: tmp.write_bytes(data))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_temps(folder: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove the temp files an earlier, killed xlkit left in ``folder``: only names of our
    pattern (``.~xlkit-<pid>-…``) whose process no longer runs, and pid-less ones of ours
    older than :data:`LEGACY_TEMP_AGE`. Nothing else is touched. Returns what was removed."""
    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if not m:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if m.group(1) is not None:
                stale = int(m.group(1)) != os.getpid() and not _alive(int(m.group(1)))
            else:
                stale = now - entry.stat(follow_symlinks=False).st_mtime > LEGACY_TEMP_AGE
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
