"""kill -9 at any moment of `collect`: the ledger stays consistent, the report is the old one
or the new one, and the next run finishes the work."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
N = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_corpus.py"), str(N), str(out),
                    "--missing", "0"], check=True, capture_output=True, timeout=600)
    return out


def _collect(corpus: Path, report: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "xlkit.cli", "collect", str(corpus / "inbox"), "--list",
           str(corpus / "预算清单.xlsx"), "--final", str(corpus / "决算_项目支出.xlsx"), "-o",
           str(report), "--key-file", str(corpus / "key.txt"), "--year", "2023", "--jobs", "1",
           "--engine", "openpyxl", "--fail-on", "never", "--format", "json"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _ledger_is_consistent(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute("SELECT path, sha256, result FROM files").fetchall()
        for path, sha, result in rows:
            data = json.loads(result)
            assert data["path"] == path and data["file"]["sha256"] == sha
        return len(rows)
    finally:
        con.close()


def _report_is_whole(report: Path) -> bool:
    if not report.exists():
        return False
    wb = openpyxl.load_workbook(report, read_only=True)
    assert wb.sheetnames[:3] == ["汇总", "问题清单", "未报送"]
    return True


def test_kill_9_at_several_points_then_finish(tmp_path, corpus):
    report = tmp_path / "报告.xlsx"
    db = tmp_path / "报告.ledger.sqlite"
    stored = 0
    for delay in (0.5, 2.5, 4.5, 6.5, 9.0):
        proc = _collect(corpus, report)
        time.sleep(delay)
        if proc.poll() is not None:
            break  # finished before this kill point
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if db.exists():
            now = _ledger_is_consistent(db)
            assert now >= stored  # work done before a kill is kept
            stored = now
        _report_is_whole(report)
    proc = _collect(corpus, report)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0
    data = json.loads(out[out.index(b"{"):])
    assert data["summary"]["收到文件"] == N and data["summary"]["已报"] == N
    assert data["read_now"] + data["reused"] == N
    assert _ledger_is_consistent(db) == N
    assert _report_is_whole(report)
    assert stored > 0, "no kill landed while files were being read"
    # no lock or temp file of the killed runs outlives the run that finished (issue 13)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([report.name, db.name])


def test_a_second_collect_waits_for_none_and_refuses(tmp_path, corpus):
    report = tmp_path / "r.xlsx"
    first = _collect(corpus, report)
    time.sleep(0.5)
    second = _collect(corpus, tmp_path / "r.xlsx")
    second.wait(timeout=120)
    first.wait(timeout=600)
    assert second.returncode == 2
    assert first.returncode == 0
    assert _ledger_is_consistent(tmp_path / "r.ledger.sqlite") == N
