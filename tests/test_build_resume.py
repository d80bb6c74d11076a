"""An interrupted build (issue 13, "Interrupted build"; deliverable 3): Ctrl-C or SIGTERM
finishes the workbook in flight, writes the manifest for what was built and exits 130 with
a Chinese message; the same command again resumes, skipping the workbooks already built from
the same row, spec version and key; a changed row is rebuilt (and said); --force rebuilds all."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import KEY, SAMPLES

from xlkit.build.distribute import BuildInterrupted, issue_all, plan, resume_plan
from xlkit.cli import main
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import read_list
from xlkit.ooxml.protect import legacy_password_hash

HEADER = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数", "全年预算数"]


def _list(path: Path, n: int, changed: int | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(n):
        unit = 100 + i // 20
        full = 100 + i % 50 + (7 if i == changed else 0)
        ws.append([f"U{unit}", f"单位{unit}", "财政局", f"P{i:05d}", f"项目{i:05d}", full, full])
    wb.save(path)
    return path


def _manifest(out: Path) -> list[dict]:
    ws = openpyxl.load_workbook(out / "manifest.xlsx", read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _workbooks(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.xlsx") if p.name != "manifest.xlsx")


def _protection_hashes(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml") + z.read("xl/workbook.xml")
    return set(re.findall(rb'(?:password|workbookPassword)="([0-9A-F]+)"', xml))


def _check_manifest_opens_everything(out: Path) -> list[dict]:
    rows = _manifest(out)
    files = _workbooks(out)
    assert sorted(r["文件"] for r in rows) == sorted(p.relative_to(out).as_posix() for p in files)
    assert len({r["文件编号"] for r in rows}) == len(rows)  # no duplicate file ids
    for r in rows:
        path = out / r["文件"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == r["sha256"]
        assert r["行摘要"] and r["表式"].startswith("project-2020 v")
    for r in rows[::25]:  # the recorded password is the one each sheet is protected with
        assert _protection_hashes(out / r["文件"]) == {legacy_password_hash(r["保护密码"]).encode()}
    return rows


def _cmd(lst: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "xlkit.cli", "build", "--list", str(lst), "--year", "2023",
            "--out", str(out), *extra]


def _interrupt(cmd: list[str], sig: int, at_least: int, out: Path, env) -> tuple[int, str, int]:
    """Start the build, wait until ``at_least`` workbooks exist, send ``sig``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and sum(1 for _ in out.rglob("*.xlsx")) >= at_least:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the build ended before it could be interrupted"
    seen = sum(1 for _ in out.rglob("*.xlsx"))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err, seen


@pytest.fixture
def env(tmp_path):
    key = tmp_path / "office.key"
    key.write_bytes(KEY + b"\n")
    return {**os.environ, "XLKIT_KEY": KEY.decode(), "PYTHONUNBUFFERED": "1"}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_mid_build_writes_the_manifest_and_a_rerun_resumes(tmp_path, env, sig):
    lst = _list(tmp_path / "清单.xlsx", 2000)
    out = tmp_path / "out"
    code, err, seen = _interrupt(_cmd(lst, out), sig, 200, out, env)
    assert code == 130, err
    assert "Traceback" not in err and "Aborted" not in err
    done = _workbooks(out)
    assert seen <= len(done) < 2000
    m = re.search(r"已中止：已生成 (\d+) 个，清单已写入 (.+manifest\.xlsx)；"
                  r"再次运行同一命令将继续生成其余的（还有 (\d+) 个）", err)
    assert m, err
    assert int(m[1]) == len(done) and int(m[3]) == 2000 - len(done)
    assert not list(out.rglob(".~xlkit-*"))  # never half a file
    first = _check_manifest_opens_everything(out)
    assert len(first) == len(done)

    again = subprocess.run(_cmd(lst, out), capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (f"继续上次的生成：{len(done)} 个工作簿已生成且与清单一致，跳过；"
            f"生成其余 {2000 - len(done)} 个") in again.stderr
    assert f"已生成 {2000 - len(done)} 个工作簿（沿用上次生成的 {len(done)} 个，共 2000 个）" \
        in again.stdout
    rows = _check_manifest_opens_everything(out)
    assert len(rows) == 2000
    kept = {r["文件"]: r for r in first}
    for r in rows:  # the earlier run's workbooks and passwords are as they were
        if r["文件"] in kept:
            assert (r["保护密码"], r["sha256"], r["文件编号"]) == (
                kept[r["文件"]]["保护密码"], kept[r["文件"]]["sha256"], kept[r["文件"]]["文件编号"])


def _built(tmp_path: Path, n: int):
    """A list of ``n`` rows built once through the CLI: (list, out, runner, args, env)."""
    lst = _list(tmp_path / "清单.xlsx", n)
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["build", "--list", str(lst), "--year", "2023", "--out", str(out)]
    env = {"XLKIT_KEY": KEY.decode()}
    assert runner.invoke(main, args, env=env).exit_code == 0
    return lst, out, runner, args, env


def test_a_changed_row_is_rebuilt_and_said_and_force_rebuilds_all(tmp_path):
    lst, out, runner, args, env = _built(tmp_path, 30)
    before = {r["文件"]: r for r in _manifest(out)}

    r = runner.invoke(main, args, env=env)  # nothing to do
    assert r.exit_code == 0, r.output
    assert "全部 30 个工作簿已生成且与清单一致，无需重新生成" in r.output
    assert {x["文件"]: x for x in _manifest(out)} == before

    _list(lst, 30, changed=4)
    r = runner.invoke(main, args, env=env)
    assert r.exit_code == 0, r.output
    assert "清单中的行（或表式、密钥、年度、密码）与上次生成时不同，重新生成：" in r.output
    assert "P00004_项目00004.xlsx" in r.output
    assert "已生成 1 个工作簿（沿用上次生成的 29 个，共 30 个）" in r.output
    after = {x["文件"]: x for x in _manifest(out)}
    changed = [f for f in after if after[f]["sha256"] != before[f]["sha256"]]
    assert changed == ["U100_单位100/P00004_项目00004.xlsx"]
    assert after[changed[0]]["文件编号"] != before[changed[0]]["文件编号"]

    r = runner.invoke(main, [*args, "--key-file", str(_key(tmp_path))], env={"XLKIT_KEY": ""})
    assert r.exit_code == 0, r.output  # another key: every workbook rebuilt
    assert r.output.count("重新生成：") == 30

    r = runner.invoke(main, [*args, "--force"], env=env)
    assert r.exit_code == 0 and "已生成 30 个工作簿：" in r.output
    _check_manifest_opens_everything(out)


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "other.key"
    path.write_bytes(b"another-office-key-0123456789\n")
    return path


def test_a_file_no_manifest_records_is_still_never_overwritten(tmp_path):
    lst = _list(tmp_path / "清单.xlsx", 3)
    out = tmp_path / "out"
    args = ["build", "--list", str(lst), "--year", "2023", "--out", str(out)]
    foreign = out / "U100_单位100" / "P00001_项目00001.xlsx"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"someone else's")
    r = CliRunner().invoke(main, args, env={"XLKIT_KEY": ""})
    assert r.exit_code == 2 and "输出目录中已有同名文件" in r.output and "--force" in r.output
    assert foreign.read_bytes() == b"someone else's"
    assert CliRunner().invoke(main, args, env={"XLKIT_KEY": ""}).exit_code == 2
    # once it is gone, the build goes ahead
    (out / "U100_单位100" / "P00001_项目00001.xlsx").unlink()
    assert CliRunner().invoke(main, args, env={"XLKIT_KEY": ""}).exit_code == 0


def test_python_api_keyboard_interrupt_writes_the_manifest_and_resumes(tmp_path, monkeypatch):
    """issue_all itself: a KeyboardInterrupt raised while a workbook is written (not in the
    main thread's signal handler) loses that one workbook only; resume_plan goes on."""
    import xlkit.build.distribute as distribute

    spec = load_spec("project-2020")
    rows = read_list(_list(tmp_path / "清单.xlsx", 12)).rows
    out = tmp_path / "out"
    the_plan = plan(spec, rows, out)
    real = distribute.write_atomic
    calls = {"n": 0}

    def flaky(path, data):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(distribute, "write_atomic", flaky)
    with pytest.raises(BuildInterrupted) as info:
        issue_all(spec, the_plan, year=2023, out_dir=out, key=KEY)
    assert info.value.built == 5 and info.value.remaining == 7
    assert len(_manifest(out)) == 5 == len(_workbooks(out))
    monkeypatch.setattr(distribute, "write_atomic", real)
    previous = {r["文件"]: {k: str(v or "") for k, v in r.items()} for r in _manifest(out)}
    resume = resume_plan(spec, the_plan, previous, year=2023, out_dir=out, key=KEY)
    assert (len(resume.kept), len(resume.build), resume.changed, resume.foreign) == (5, 7, [], [])
    issued = issue_all(spec, the_plan, year=2023, out_dir=out, key=KEY, resume=resume)
    assert len(issued) == 12 and sum(it.kept for it in issued) == 5
    assert len(_check_manifest_opens_everything(out)) == 12


def test_sample_list_resumes_after_files_are_deleted(tmp_path):
    """The bundled sample list: a workbook deleted after the build is built again."""
    out = tmp_path / "out"
    args = ["build", "--list", str(SAMPLES / "预算清单.xlsx"), "--year", "2023", "--out", str(out)]
    assert CliRunner().invoke(main, args, env={"XLKIT_KEY": ""}).exit_code == 0
    gone = _workbooks(out)[0]
    gone.unlink()
    r = CliRunner().invoke(main, args, env={"XLKIT_KEY": ""})
    assert r.exit_code == 0 and "已生成 1 个工作簿（沿用上次生成的 11 个，共 12 个）" in r.output
    assert gone.exists()


def test_a_killed_builds_temp_files_are_removed_by_the_next_build(tmp_path):
    """kill -9 between writing a temp file and renaming it leaves ``.~xlkit-<pid>-…``: the
    next build of the same folder removes those whose process is gone, nothing else."""
    lst, out, runner, args, env = _built(tmp_path, 5)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid no process has now
    books = _workbooks(out)
    stale = books[0].parent / f".~xlkit-{gone.pid}-abc123.xlsx"
    stale.write_bytes(b"half a workbook")
    mine = books[0].parent / "单位的备注.txt"
    mine.write_text("not ours")
    books[1].unlink()  # something to build again
    r = runner.invoke(main, args, env=env)
    assert r.exit_code == 0, r.output
    assert not stale.exists() and mine.exists() and books[1].exists()
