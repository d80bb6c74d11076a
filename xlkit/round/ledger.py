"""The collect ledger: every file ever seen in the inbox, what it supplied, and when.

SQLite, one row per path: size, mtime, sha256, first / last seen, status, the project it
supplied, what superseded it, and the reader's result as JSON — so a re-run reads only new
or changed files. Each run holds an exclusive lock (a second run is refused with a clear
message) and writes in transactions (a killed run leaves the ledger as it was before the
interrupted transaction).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlkit.core.display import display_text
from xlkit.findings import InputError
from xlkit.read.workbook import ReadResult, file_sha256

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    first_seen TEXT, last_seen TEXT,
    status TEXT,               -- read | rejected | skipped | gone
    unit_code TEXT, project_code TEXT,
    superseded_by TEXT,
    context TEXT,              -- key id, year and xlkit build the result was read with
    result TEXT                -- ReadResult as JSON
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT, finished TEXT, inbox TEXT, report TEXT, summary TEXT,
    fingerprint TEXT           -- inputs, files and report of the run: equal means nothing to do
);
CREATE TABLE IF NOT EXISTS expected (
    unit_code TEXT, unit_name TEXT, project_code TEXT, project_name TEXT,
    contact TEXT, phone TEXT
);
"""


def ledger_path(path: str) -> str:
    """The text the ledger stores for ``path``: the path itself, or, for a name that is not
    valid UTF-8 (bytes 0xFF 0xFE, which Python holds as surrogate escapes), the name as
    :func:`xlkit.core.display.display_path` shows it (``\\xff``), so SQLite can store it and
    a person can read it. Every lookup goes through here: one file, one row."""
    return display_text(path)


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


@dataclass
class Seen:
    path: str
    size: int
    mtime_ns: int


class Ledger:
    """The ledger at ``path``, locked for this run. The lock is ``<ledger>.lock`` beside the
    ledger's real path (a ledger named through a symlink is the same ledger), held with
    flock: a run killed with kill -9 releases it with its process, and the next run takes
    the file over (its text says which process had it). The lock file is removed when the
    run ends."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = os.path.realpath(self.path) + ".lock"
        self._lock_fh = _take_lock(self._lock_path, self.path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        _add_missing_columns(self.db)

    def close(self) -> None:
        self.db.close()
        if self._lock_fh is not None:
            # removed while still held: a run that opened it meanwhile finds it gone (see
            # _take_lock) instead of locking a file nobody else will see
            with contextlib.suppress(OSError):
                os.unlink(self._lock_path)
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reuse or re-read
    def plan(self, paths: Iterable[Path], context: str) -> tuple[list[str], list[Path]]:
        """Paths whose stored result is still valid (same size and mtime, or same content),
        and the files that must be read."""
        known = {r[0]: r for r in self.db.execute(
            "SELECT path, size, mtime_ns, sha256, context, result IS NOT NULL, status FROM files")}
        reuse: list[str] = []
        todo: list[Path] = []
        touched: list[tuple[int, int, str]] = []
        for p in paths:
            row = known.get(ledger_path(str(p)))
            try:
                st = p.stat()
            except OSError:
                todo.append(p)
                continue
            if row is None or row[4] != context or not row[5] or row[6] == "skipped":
                todo.append(p)
            elif (row[1], row[2]) == (st.st_size, st.st_mtime_ns):
                reuse.append(str(p))
            elif row[1] == st.st_size and file_sha256(p) == row[3]:
                touched.append((st.st_size, st.st_mtime_ns, row[0]))  # touched, not changed
                reuse.append(str(p))
            else:
                todo.append(p)
        if touched:
            with self.transaction():
                self.db.executemany("UPDATE files SET size=?, mtime_ns=? WHERE path=?", touched)
        return reuse, todo

    def load(self, paths: Iterable[str], batch: int = 500) -> Iterable[list[ReadResult]]:
        """Stored results of ``paths``, a batch at a time (memory stays flat)."""
        paths = list(paths)
        for i in range(0, len(paths), batch):
            chunk = [ledger_path(p) for p in paths[i:i + batch]]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT result FROM files WHERE path IN ({marks})", chunk)
            yield [ReadResult.from_dict(json.loads(r[0])) for r in rows]

    def last_run(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT fingerprint, summary, report FROM runs ORDER BY id DESC "
                              "LIMIT 1").fetchone()
        if row is None:
            return None
        return {"fingerprint": row[0], "summary": json.loads(row[1]), "report": row[2]}

    def fingerprint_of_files(self, paths: Iterable[str]) -> str:
        """sha256 over the present paths and their stored sha256 (what this run would read)."""
        import hashlib

        shas = dict(self.db.execute("SELECT path, sha256 FROM files"))
        h = hashlib.sha256()
        for p in sorted(paths):
            k = ledger_path(p)
            h.update(f"{k}\0{shas.get(k)}\n".encode())
        return h.hexdigest()

    def record(self, results: Iterable[tuple[ReadResult, Seen | None]], context: str) -> None:
        """Store freshly read results in one transaction."""
        now = _now()
        rows = []
        for r, seen in results:
            if seen is None:
                continue  # changed while being read: leave it to the next run
            p = r.project or {}
            key = ledger_path(r.path)
            # a name that is not UTF-8 keeps its exact text in the JSON (\udcff escapes)
            rows.append((key, seen.size, seen.mtime_ns, r.file.get("sha256"), now, now,
                         r.status, p.get("unit_code"), p.get("project_code"), context,
                         json.dumps(r.to_dict(), ensure_ascii=key != r.path, default=str)))
        with self.transaction():
            self.db.executemany(
                """INSERT INTO files (path, size, mtime_ns, sha256, first_seen, last_seen,
                       status, unit_code, project_code, context, result)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(path) DO UPDATE SET size=excluded.size,
                       mtime_ns=excluded.mtime_ns, sha256=excluded.sha256,
                       last_seen=excluded.last_seen, status=excluded.status,
                       unit_code=excluded.unit_code, project_code=excluded.project_code,
                       context=excluded.context, result=excluded.result,
                       superseded_by=NULL""", rows)

    def finish_run(self, present: Iterable[str], superseded: Mapping[str, str],
                   expected: Iterable[Mapping[str, Any]], inbox: str, report: str,
                   summary: Mapping[str, Any], started: str, fingerprint: str = "") -> None:
        present = list(present)
        now = _now()
        with self.transaction():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS present (path TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM present")
            self.db.executemany("INSERT OR IGNORE INTO present VALUES (?)",
                                [(ledger_path(p),) for p in present])
            self.db.execute("UPDATE files SET last_seen=? WHERE path IN (SELECT path FROM "
                            "present)", (now,))
            self.db.execute("UPDATE files SET status='gone' WHERE path NOT IN (SELECT path "
                            "FROM present)")
            # only the rows that change: an update rewrites a row's whole record
            self.db.execute("UPDATE files SET superseded_by=NULL WHERE superseded_by IS NOT NULL")
            self.db.executemany("UPDATE files SET superseded_by=? WHERE path=?",
                                [(ledger_path(new), ledger_path(old))
                                 for old, new in superseded.items()])
            self.db.execute("DELETE FROM expected")
            self.db.executemany(
                "INSERT INTO expected VALUES (?, ?, ?, ?, ?, ?)",
                [(e.get("unit_code"), e.get("unit_name"), e.get("project_code"),
                  e.get("project_name"), e.get("contact"), e.get("phone")) for e in expected])
            self.db.execute("INSERT INTO runs (started, finished, inbox, report, summary, "
                            "fingerprint) VALUES (?, ?, ?, ?, ?, ?)",
                            (started, now, inbox, report, json.dumps(summary, ensure_ascii=False),
                             fingerprint))

    def transaction(self):
        return _Transaction(self.db)

    # ---------------------------------------------------------------------------- status
    def status(self) -> dict[str, Any]:
        def rows(sql: str) -> list[dict[str, Any]]:
            cur = self.db.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur]

        files = rows("SELECT path, status, unit_code, project_code, superseded_by, first_seen, "
                     "last_seen FROM files ORDER BY path")
        reasons = {p: json.loads(r).get("reason") for p, r in self.db.execute(
            "SELECT path, result FROM files WHERE status IN ('rejected', 'skipped') "
            "AND result IS NOT NULL")}
        for f in files:
            f["reason"] = reasons.get(f["path"], "")
        expected = rows("SELECT * FROM expected")
        last = rows("SELECT started, finished, inbox, report, summary FROM runs "
                    "ORDER BY id DESC LIMIT 1")
        if last:
            last[0]["summary"] = json.loads(last[0]["summary"])
        return {"files": files, "expected": expected, "last_run": last[0] if last else None}


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a ledger made by an earlier xlkit up to SCHEMA: a column added since (as
    runs.fingerprint) is added, empty; an empty fingerprint or context only means the
    next run reads and reports afresh. Nothing is dropped or rewritten."""
    model = sqlite3.connect(":memory:")
    try:
        model.executescript(SCHEMA)
        tables = [r[0] for r in model.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                              "AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
            for _, name, kind, *_ in model.execute(f"PRAGMA table_info({table})"):
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    finally:
        model.close()


def _take_lock(lock_path: str, ledger: Path):
    """Open and flock ``lock_path`` (created with the usual mode); refused with a Chinese
    message while another run holds it. A lock file left by a killed run is not held by
    anyone and is simply taken over."""
    for _ in range(20):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        fh = os.fdopen(fd, "r+", encoding="utf-8", errors="replace")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            who = fh.read().strip()
            fh.close()
            raise InputError("input.ledger_busy", f"台账 {ledger} 正被另一个 collect 使用（{who or '进程未知'}），"
                             "请等它结束后再运行") from None
        try:  # the holder may have removed the file between our open and our flock
            same = os.path.samestat(os.fstat(fh.fileno()), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()
    else:  # pragma: no cover - only under a storm of runs
        raise InputError("input.ledger_busy", f"台账 {ledger} 的锁文件 {lock_path} 反复变化，请稍后再运行")
    fh.seek(0)
    fh.truncate()
    fh.write(f"进程 {os.getpid()}，开始于 {_now()}")
    fh.flush()
    return fh


def open_readonly(path: str | Path) -> Ledger:
    """For ``xlkit status``: no lock needed, nothing written."""
    led = Ledger.__new__(Ledger)
    led.path = Path(path)
    uri = f"file:{led.path}?mode=ro"
    led.db = sqlite3.connect(uri, uri=True)
    led._lock_fh = None  # type: ignore[assignment]
    return led
