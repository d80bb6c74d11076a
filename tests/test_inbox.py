"""Issue 13, the inbox as a mailbox leaves it: every entry accounted for (read, rejected or
skipped, in the report's 文件 sheet and in the ledger), symlinks, superseding, a name that
is not UTF-8, locks and temp files, and the mode of every output."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from xlkit.cli import main
from xlkit.core.atomic import TEMP_PREFIX, remove_stale_temps, write_atomic
from xlkit.read import expand
from xlkit.round.collect import collect
from xlkit.round.ledger import Ledger

KEY = (SAMPLES / "示例密钥.txt").read_bytes().strip()
LIST = SAMPLES / "预算清单.xlsx"
ONE = "301001_益阳市医疗保障事务中心"
ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env={"XLKIT_KEY": KEY.decode()})


def run_subprocess(*args, timeout=300, umask: int | None = None):
    """The CLI in a process of its own (a FIFO that blocked would time out, not hang)."""
    env = dict(os.environ, XLKIT_KEY=KEY.decode())
    return subprocess.run([sys.executable, "-m", "xlkit.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


@pytest.fixture
def inbox(tmp_path) -> Path:
    dst = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "returns", dst)
    return dst


def first_return(inbox: Path) -> Path:
    return sorted((inbox / ONE).glob("*.xlsx"))[0]


def files_sheet(report: Path) -> pd.DataFrame:
    return pd.read_excel(report, sheet_name="文件", engine="openpyxl", dtype=str)


def issues(report: Path) -> pd.DataFrame:
    return pd.read_excel(report, sheet_name="问题清单", engine="openpyxl", dtype=str)


def ledger_rows(db: Path) -> dict[str, tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return {p: (s, json.loads(r)["reason"] if r else "")
                for p, s, r in con.execute("SELECT path, status, result FROM files")}
    finally:
        con.close()


def mailbox(inbox: Path, outside: Path) -> dict[str, str]:
    """Every kind of entry a mailbox leaves, name → what its 原因 says (None: read)."""
    ret = first_return(inbox)
    for name in ("a.pdf", "b.docx", "c.zip", "d.ods", "e.txt"):
        (inbox / name).write_bytes(b"not a workbook")
    (inbox / ".hidden.xlsx").write_bytes(ret.read_bytes())
    (inbox / ".git").mkdir()
    (inbox / ".git" / "x.xlsx").write_bytes(b"x")
    (inbox / "~$lock.xlsx").write_bytes(b"owner")
    (inbox / "folder.xlsx").mkdir()
    (inbox / "manifest.xlsx").write_bytes(b"PK")
    os.mkfifo(inbox / "pipe.xlsx")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "sock.xlsx"))
    sock.close()
    (inbox / "dangling.xlsx").symlink_to(inbox / "nowhere.xlsx")
    outside.mkdir()
    shutil.copy(ret, outside / "other.xlsx")
    (inbox / "outside.xlsx").symlink_to(outside / "other.xlsx")
    (inbox / "inside.xlsx").symlink_to(ret)
    (inbox / "loop").symlink_to(inbox)
    unreadable = inbox / "unreadable.txt"
    unreadable.write_bytes(b"x")
    unreadable.chmod(0)  # root reads it anyway; it is no workbook either way
    return {
        "a.pdf": "不是 Excel 工作簿（.pdf）", "b.docx": "不是 Excel 工作簿（.docx）",
        "c.zip": "不是 Excel 工作簿（.zip）", "d.ods": "不是 Excel 工作簿（.ods）",
        "e.txt": "不是 Excel 工作簿（.txt）", "unreadable.txt": "不是 Excel 工作簿（.txt）",
        ".hidden.xlsx": "隐藏文件", ".git": "隐藏文件夹",
        "~$lock.xlsx": "Office 临时锁定文件", "folder.xlsx": "文件夹，不是工作簿",
        "manifest.xlsx": "下发清单", "pipe.xlsx": "命名管道（FIFO），不是普通文件，未打开",
        "sock.xlsx": "套接字（socket），不是普通文件，未打开",
        "dangling.xlsx": "链接指向的文件不存在", "outside.xlsx": "链接指向收件目录之外",
        "inside.xlsx": f"与 {ret.relative_to(inbox)} 是同一个文件（经链接），只读取一次",
        "loop": "链接指向已查看过的文件夹",
    }


def test_every_entry_of_the_inbox_is_accounted_for(tmp_path, inbox):
    """Deliverable 1: every entry, of any type, in 文件 and in the ledger; a FIFO never
    blocks; received = read + rejected + skipped, printed."""
    want = mailbox(inbox, tmp_path / "outside")
    report = tmp_path / "out" / "r.xlsx"
    r = run_subprocess("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never",
                       timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    n = len(want)
    assert f"收到文件 {11 + n}（读取 11 + 无法读取 0 + 跳过 {n}）" in r.stdout
    files = files_sheet(report).set_index("文件")
    for name, reason in want.items():
        assert files.loc[name, "状态"] == "跳过", name
        assert reason in files.loc[name, "原因"], (name, files.loc[name, "原因"])
    assert len(files) == 11 + n and (files["状态"] == "读取").sum() == 11
    summary = pd.read_excel(report, sheet_name="汇总", engine="openpyxl", header=None, dtype=str)
    assert summary.apply(lambda c: c.str.contains(f"= 读取 11 \\+ 无法读取 0 \\+ 跳过 {n}",
                                                  na=False)).any().any()
    ledger = ledger_rows(report.with_name("r.ledger.sqlite"))
    assert len(ledger) == 11 + n
    for name, reason in want.items():
        status, why = ledger[str(inbox / name)]
        assert status == "skipped" and reason in why, name
    assert not (report.parent / "r.ledger.sqlite.lock").exists()  # no lock file outlives a run
    r = run("status", "--db", report.with_name("r.ledger.sqlite"))
    assert r.exit_code == 0 and f"无法读取 0，跳过 {n}" in r.output
    assert f"  跳过    {inbox / 'pipe.xlsx'}：这是命名管道（FIFO），不是普通文件，未打开，已跳过" in r.output
    # nothing changed: the next run reuses everything and counts the same
    r = run_subprocess("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.returncode == 0 and f"跳过 {n}）" in r.stdout


def test_the_account_through_the_api_and_read(tmp_path, inbox):
    """expand itself: the same account for `read` and `validate`; the collect outcome's
    summary adds up."""
    want = mailbox(inbox, tmp_path / "outside")
    files, skipped = expand([inbox])
    assert len(files) == 11
    by_name = {Path(r.path).name: r for r in skipped}
    assert set(by_name) == set(want)
    assert all(r.status == "skipped" and r.reason for r in skipped)
    out = collect(inbox, LIST, tmp_path / "r.xlsx", key=KEY, year=2023)
    s = out.summary
    assert s["收到文件"] == s["读取"] + s["无法读取"] + s["跳过"] == 11 + len(want)


def test_collect_asserts_its_own_account(tmp_path, inbox, monkeypatch):
    """A result lost between the inbox and the report is an internal error, not a report
    that silently counts less."""
    import xlkit.round.collect as collecting

    real = collecting.tables_of
    monkeypatch.setattr(collecting, "tables_of",
                        lambda rs: real([r for r in rs if not r.path.endswith("-01_党建工作经费.xlsx")]))
    with pytest.raises(RuntimeError, match="内部错误：收件目录有 11 个条目，报告中收到 10"):
        collect(inbox, LIST, tmp_path / "r.xlsx", key=KEY, year=2023)


def test_a_symlink_outside_the_inbox_never_supersedes(tmp_path, inbox):
    """Deliverable 2 (symlinks): a link out of the inbox is listed, never followed, even
    when it names a newer copy of a project returned in the inbox."""
    ret = first_return(inbox)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    newer = outside / "newer.xlsx"
    wb = openpyxl.load_workbook(ret)
    wb.save(newer)  # openpyxl stamps a save time of now: newer than the return
    (inbox / "link.xlsx").symlink_to(newer)
    report = tmp_path / "r.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.exit_code == 0, r.output
    files = files_sheet(report).set_index("文件")
    assert files.loc["link.xlsx", "状态"] == "跳过"
    assert files.loc["link.xlsx", "原因"] == f"链接指向收件目录之外（{newer}），未跟随，已跳过"
    assert files["被替代"].isna().all()
    assert not issues(report)["代码"].isin(["return.duplicate", "return.newer_not_used"]).any()


def test_a_symlink_inside_the_inbox_is_read_once(tmp_path, inbox):
    ret = first_return(inbox)
    (inbox / "again.xlsx").symlink_to(ret)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "again2.xlsx").symlink_to(ret)
    (inbox / "unit").symlink_to(inbox / ONE)  # the same folder by another name
    report = tmp_path / "r.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.exit_code == 0, r.output
    assert "读取 11 + 无法读取 0 + 跳过 3）" in r.output
    files = files_sheet(report).set_index("文件")
    same = f"与 {ret.relative_to(inbox)} 是同一个文件（经链接），只读取一次，已跳过"
    assert files.loc["again.xlsx", "原因"] == same
    assert files.loc["sub/again2.xlsx", "原因"] == same
    assert files.loc["unit", "原因"] == f"链接指向已查看过的文件夹 {ONE}，未重复查看"
    assert not issues(report)["代码"].isin(["return.duplicate"]).any()  # no double count


def test_a_newer_unverifiable_copy_does_not_replace_the_signed_one(tmp_path, inbox):
    """Deliverable 2 (superseding): a newer copy whose signature does not verify is
    listed, superseded, with a 错误 saying which copy counts and why."""
    ret = first_return(inbox)
    wb = openpyxl.load_workbook(ret)
    meta = wb["_meta"]
    for row in meta.iter_rows():
        if row[0].value == "signature":
            row[1].value = "0" * 64  # the unit's copy, its signature no longer verifies
    copy = inbox / ONE / "更正版.xlsx"
    wb.save(copy)  # saved now: newer than the signed return
    report = tmp_path / "r.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never", "--year",
            "2023")
    assert r.exit_code == 0, r.output
    files = files_sheet(report).set_index("文件")
    assert files.loc[f"{ONE}/更正版.xlsx", "被替代"] == str(ret.relative_to(inbox))
    assert files.loc[str(ret.relative_to(inbox)), "被替代"] != files.loc[
        str(ret.relative_to(inbox)), "被替代"]  # NaN: the signed one counts
    found = issues(report)
    row = found[found["代码"] == "return.newer_not_used"]
    assert len(row) == 1 and row.iloc[0]["级别"] == "错误"
    text = row.iloc[0]["说明"]
    assert "本文件较新" in text and "签名缺失或无法通过核验" in text
    assert f"采用的是 {ret}" in text and "签名已核验，公式可核对" in text
    # without a key nothing is verified: the newest copy counts, as a 提示
    report2 = tmp_path / "r2.xlsx"
    out = collect(inbox, LIST, report2, year=2023)
    issue = out.result.issues
    dup = issue[issue["rule"] == "return.duplicate"]
    assert list(dup["file"]) == [str(ret)]


@pytest.mark.libreoffice
def test_a_newer_xls_resave_does_not_replace_the_signed_xlsx(tmp_path, inbox, libreoffice):
    """The case of issue 13: a values-only .xls re-save, newer by file time, replaced the
    signed .xlsx silently. Now the .xlsx counts and the .xls is a 错误."""
    ret = first_return(inbox)
    out = tmp_path / "xls"
    subprocess.run([libreoffice, f"-env:UserInstallation=file://{tmp_path}/prof", "--headless",
                    "--convert-to", "xls", "--outdir", str(out), str(ret)], check=True,
                   capture_output=True, timeout=300)
    xls = inbox / ONE / (ret.stem + ".xls")
    shutil.move(out / (ret.stem + ".xls"), xls)
    os.utime(xls, (time.time() + 60, time.time() + 60))
    report = tmp_path / "r.xlsx"
    result = collect(inbox, LIST, report, key=KEY, year=2023).result
    issue = result.issues
    row = issue[issue["rule"] == "return.newer_not_used"]
    assert list(row["file"]) == [str(xls)]
    assert "是只有数值的 .xls 另存，公式无法核对" in row.iloc[0]["message"]
    files = result.tables.files.set_index("path")
    assert files.loc[str(xls), "superseded_by"] == str(ret)


def test_copy_order_is_deterministic_within_a_second():
    from xlkit.round.reconcile import copy_order

    when = "2024-01-05T09:00:00"
    a = {"source_file": "b/x.xlsx", "issued_source": "签名", "_when": when, "_sha": "bb"}
    b = {"source_file": "a/x.xlsx", "issued_source": "签名", "_when": when, "_sha": "aa"}
    c = {"source_file": "c/x.xlsx", "issued_source": "不可信", "_when": "2025-01-01T00:00:00",
         "_sha": "00"}
    d = {"source_file": "d/x.xls", "issued_source": "签名", "_when": "2025-01-01T00:00:00",
         "_sha": "00", "_values_only": True}
    for order in ([a, b, c, d], [d, c, b, a], [c, a, d, b]):
        assert [x["source_file"] for x in copy_order(order)] == [
            "a/x.xlsx", "b/x.xlsx", "d/x.xls", "c/x.xlsx"]
    same = dict(b, source_file="z/x.xlsx")
    assert copy_order([same, b])[0] is b  # same content: by path


def test_a_file_name_that_is_not_utf8(tmp_path, inbox):
    """Issue 13 (Crashes): a return named with bytes 0xFF 0xFE stopped collect with
    UnicodeEncodeError in the ledger. Now it is read, stored and shown as \\xff\\xfe."""
    ret = first_return(inbox)
    name = os.fsencode(inbox) + b"/\xff\xfe.xlsx"
    fd = os.open(name, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, ret.read_bytes())
    os.close(fd)
    report = tmp_path / "r.xlsx"
    r = run_subprocess("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "收到文件 12（读取 12 + 无法读取 0 + 跳过 0）" in r.stdout
    files = files_sheet(report).set_index("文件")
    assert files.loc["\\xff\\xfe.xlsx", "状态"] == "读取"
    ledger = ledger_rows(report.with_name("r.ledger.sqlite"))
    assert ledger[f"{inbox}/\\xff\\xfe.xlsx"][0] == "read"
    # the stored result is found again: nothing is read on the next run
    r = run_subprocess("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.returncode == 0 and "本次读取 0 个文件，沿用 12 个" in r.stdout
    r = run_subprocess("status", "--db", report.with_name("r.ledger.sqlite"))
    assert r.returncode == 0 and "\\xff\\xfe.xlsx" in r.stdout


# ------------------------------------------------------------------ locks and temp files

def test_no_lock_file_stays_and_a_stale_one_is_taken_over(tmp_path, inbox):
    report = tmp_path / "r.xlsx"
    lock = tmp_path / "r.ledger.sqlite.lock"
    lock.write_text("进程 999999，开始于 2026-01-01T00:00:00", encoding="utf-8")  # a killed run's
    r = run("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.exit_code == 0, r.output
    assert not lock.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "r.ledger.sqlite", "r.xlsx"]


def test_a_ledger_named_through_a_symlink_is_locked_as_itself(tmp_path, inbox):
    """Issue 13 (Resources): two collects on one ledger both ran when one named it through
    a symlink."""
    real = tmp_path / "real" / "r.ledger.sqlite"
    real.parent.mkdir()
    (tmp_path / "alias").symlink_to(real.parent)
    with Ledger(real):
        assert (real.parent / "r.ledger.sqlite.lock").exists()
        r = run("collect", inbox, "--list", LIST, "-o", tmp_path / "r.xlsx", "--db",
                tmp_path / "alias" / "r.ledger.sqlite")
        assert r.exit_code == 2, r.output
        assert "正被另一个 collect 使用（进程 " in r.output
    assert not (real.parent / "r.ledger.sqlite.lock").exists()
    r = run("collect", inbox, "--list", LIST, "-o", tmp_path / "r.xlsx", "--db",
            tmp_path / "alias" / "r.ledger.sqlite", "--fail-on", "never")
    assert r.exit_code == 0, r.output


def test_stale_temp_files_are_removed_by_the_next_run(tmp_path, inbox):
    """Issue 13 (Resources): `.~xlkit-*.xlsx` temp files of a run killed during the report
    write were never removed. Only ours go: by prefix, and by a dead pid (or age)."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{TEMP_PREFIX}{dead.pid}-abc123.xlsx"
    old_style = tmp_path / f"{TEMP_PREFIX}k2j4h_8q.xlsx"
    recent_old_style = tmp_path / f"{TEMP_PREFIX}zz9y8x7w.xlsx"
    alive = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-live.xlsx"  # a run writing right now
    foreign = tmp_path / "~xlkit-mine.xlsx"
    for p in (stale, old_style, recent_old_style, alive, foreign):
        p.write_bytes(b"half")
    os.utime(old_style, (time.time() - 7200, time.time() - 7200))
    report = tmp_path / "r.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.exit_code == 0, r.output
    assert not stale.exists() and not old_style.exists()
    assert recent_old_style.exists() and alive.exists() and foreign.exists()
    assert remove_stale_temps(tmp_path / "nowhere") == []


def test_kill_9_during_the_report_write_leaves_nothing_after_the_next_run(tmp_path, inbox):
    """A collect killed while it writes the report leaves a temp file (and its lock); the
    next run removes the temp file, takes the lock over and removes it at the end."""
    report = tmp_path / "out" / "r.xlsx"
    code = f"""
import os, signal, sys
import xlkit.core.atomic as atomic
real = atomic.write_atomic_via
def dying(path, write):
    def w(tmp):
        write(tmp)
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 with the temp file written
    real(path, w)
atomic.write_atomic_via = dying
from xlkit.cli import main
sys.argv = ["xlkit", "collect", {str(inbox)!r}, "--list", {str(LIST)!r}, "-o", {str(report)!r}]
main()
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert proc.returncode == -9
    left = [p.name for p in report.parent.iterdir()]
    assert any(n.startswith(TEMP_PREFIX) for n in left) and "r.ledger.sqlite.lock" in left
    r = run_subprocess("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in report.parent.iterdir()) == ["r.ledger.sqlite", "r.xlsx"]


# ------------------------------------------------------------------------ file modes

@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_follow_the_umask(tmp_path, inbox, mask, mode):
    """Issue 13 (Exit codes and outputs): files were created with mode 0600. Every output
    follows the umask: workbooks, manifest, report, ledger, read's xlsx and CSV."""
    out = tmp_path / "issued"
    r = run_subprocess("build", "--spec", "project-2020", "--list", LIST, "--year", "2023",
                       "--out", out, umask=mask)
    assert r.returncode == 0, r.stdout + r.stderr
    built = sorted(out.rglob("*.xlsx"))
    assert len(built) > 2 and (out / "manifest.xlsx") in built
    blank = tmp_path / "blank.xlsx"
    assert run_subprocess("build", "--spec", "project-2020", "--blank", "-o", blank,
                          umask=mask).returncode == 0
    report = tmp_path / "r.xlsx"
    r = run_subprocess("collect", inbox, "--list", LIST, "-o", report, "--fail-on", "never",
                       umask=mask)
    assert r.returncode == 0, r.stdout + r.stderr
    assert run_subprocess("read", inbox, "-o", tmp_path / "t.xlsx", umask=mask).returncode == 0
    assert run_subprocess("read", inbox, "-o", tmp_path / "csv", umask=mask).returncode == 0
    outputs = [*built, blank, report, report.with_name("r.ledger.sqlite"), tmp_path / "t.xlsx",
               *(tmp_path / "csv").glob("*.csv")]
    modes = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in outputs}
    assert set(modes.values()) == {oct(mode)}, modes


def test_write_atomic_gives_the_usual_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.bin", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def _account_with_eacces(account, locked: Path) -> list:
    """``account()`` with opening ``locked`` refused as the system refuses a user without
    read permission (errno EACCES)."""
    import errno
    from unittest import mock

    real = os.open

    def refusing(path, *args, **kw):
        if Path(os.fsdecode(path)) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kw)

    with mock.patch("os.open", refusing):
        return account()


def test_an_unreadable_file_is_rejected_with_why(tmp_path):
    """chmod 000: root reads it anyway (test_every_entry... reads one as root); any other
    user gets 无法读取 with the reason. As root, the read runs in a child that became
    nobody (what a reader worker does: expand, then read_workbook)."""
    import tempfile

    from xlkit.read import read_workbook

    src = first_return(SAMPLES / "returns")
    d = Path(tempfile.mkdtemp(dir="/tmp"))  # nobody must reach it
    try:
        d.chmod(0o755)
        shutil.copy(src, d / "ok.xlsx")
        shutil.copy(src, d / "locked.xlsx")
        (d / "locked.xlsx").chmod(0)
        read_workbook(d / "ok.xlsx")  # every module the read needs, imported while root

        def account() -> list:
            files, skipped = expand([d])
            return [(Path(f).name, read_workbook(f).status, read_workbook(f).reason)
                    for f in files] + [(Path(r.path).name, r.status, r.reason) for r in skipped]

        if os.geteuid() != 0:
            seen = account()
        else:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    import xlkit.findings as findings

                    findings.observe(None)  # the suite's code recorder writes as root
                    os.close(r)
                    os.setgid(65534)
                    os.setuid(65534)
                    os.write(w, json.dumps(account(), ensure_ascii=False).encode())
                except BaseException as exc:
                    os.write(w, json.dumps(repr(exc)).encode())
                finally:
                    os._exit(0)
            os.close(w)
            data = b"".join(iter(lambda: os.read(r, 65536), b""))
            os.close(r)
            os.waitpid(pid, 0)
            seen = json.loads(data)
            if isinstance(seen, str):
                # the child could not work as nobody (seen once in a whole-suite run: e.g. a
                # module still to import lies under /root, which nobody cannot enter): the
                # same read, with the permission refused where the reader opens the file
                warnings.warn(f"read as nobody failed ({seen}); EACCES simulated instead",
                              stacklevel=1)
                seen = _account_with_eacces(account, d / "locked.xlsx")
        assert sorted(map(tuple, seen)) == [("locked.xlsx", "rejected", "无法读取文件：没有读取权限"),
                                             ("ok.xlsx", "read", "")]
    finally:
        shutil.rmtree(d)
