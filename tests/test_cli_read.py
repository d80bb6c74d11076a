"""`xlkit validate`, `xlkit read`, `xlkit schema`, and the hostile corpus through both."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import KEY
from test_read import FILLED
from workbooks import ISSUE, TARGETS, fill

from xlkit.build import build_workbook, write_atomic
from xlkit.cli import main
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec

#: Apache POI's hostile spreadsheets (Apache-2.0: data/corpus/LICENSE-apache-poi.txt, NOTICE).
HOSTILE = Path(__file__).resolve().parent / "data" / "corpus" / "hostile"


#: the 偏差原因 cell of the first indicator, where check.reason_missing points
REASON = build_layout(load_spec("project-2020"), ISSUE, TARGETS).fields[
    "ind.0.reason"].address.replace("$", "")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env={"XLKIT_KEY": KEY.decode()})


@pytest.fixture
def returns(tmp_path) -> Path:
    issued = tmp_path / "issued.xlsx"
    write_atomic(issued, build_workbook(load_spec("project-2020"), ISSUE, TARGETS, key=KEY,
                                        password="pw").data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill(issued, inbox / "good.xlsx", FILLED)
    fill(issued, inbox / "bad.xlsx", dict(FILLED, **{"ind.0.reason": None}))
    return inbox


def test_validate_verdicts_and_exit_codes(returns):
    r = run("validate", returns / "good.xlsx")
    assert r.exit_code == 0, r.output
    assert "通过" in r.output
    r = run("validate", returns / "good.xlsx", returns / "bad.xlsx")
    assert r.exit_code == 1
    assert f"== {returns / 'bad.xlsx'}" in r.output
    assert f"[错误] check.reason_missing 自评表!{REASON}" in r.output
    assert "有 1 个错误" in r.output
    (returns / "x.xlsx").write_bytes(b"garbage")
    r = run("validate", returns)
    assert r.exit_code == 2 and "无法读取：不是 Excel 工作簿" in r.output


def test_validate_json(returns):
    r = run("validate", "--format", "json", returns / "bad.xlsx")
    data = json.loads(r.output[r.output.index("["):])
    assert data[0]["errors"] == 1
    f = next(x for x in data[0]["findings"] if x["code"] == "check.reason_missing")
    assert (f["sheet"], f["cell"], f["severity"]) == ("自评表", REASON, "错误")


def test_read_writes_xlsx_with_chinese_headers_csv_and_parquet_message(tmp_path, returns):
    out = tmp_path / "tables.xlsx"
    r = run("read", returns, "-o", out)
    assert r.exit_code == 0, r.output  # findings go into the tables, not the exit code
    assert "收到 2 个文件：读取 2，无法读取 0" in r.output
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["项目", "资金", "表头", "指标", "评分表", "评价人员", "文字说明",
                            "满意度问卷", "问题清单", "文件"]
    assert {"单位编码", "项目编码", "总分", "等次", "执行率"} <= set(sheets["项目"].columns)
    assert len(sheets["指标"]) == 8
    csv = tmp_path / "csv"
    assert run("read", returns, "-o", csv).exit_code == 0
    projects = pd.read_csv(csv / "projects.csv", encoding="utf-8-sig", dtype={"单位编码": str})
    assert list(projects["单位编码"]) == ["301001", "301001"]  # Chinese headers by default
    assert run("read", returns, "-o", tmp_path / "en", "--headers", "en").exit_code == 0
    projects = pd.read_csv(tmp_path / "en" / "projects.csv", encoding="utf-8-sig",
                           dtype={"unit_code": str})
    assert list(projects["unit_code"]) == ["301001", "301001"]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        r = run("read", returns, "-o", tmp_path / "t.parquet")
        assert r.exit_code == 2 and "pyarrow" in r.output


def test_schema_lists_columns_and_codes():
    r = run("schema")
    assert r.exit_code == 0
    assert "projects (项目)" in r.output and "total_score" in r.output
    assert "check.reason_missing" in r.output


def test_hostile_corpus_through_validate_and_read(tmp_path):
    files = sorted(HOSTILE.iterdir())
    assert len(files) >= 50
    inbox = tmp_path / "hostile"
    shutil.copytree(HOSTILE, inbox)
    t0 = time.monotonic()
    r = run("validate", "--format", "json", inbox)
    took = time.monotonic() - t0
    assert r.exit_code == 2  # some cannot be read, and that is said, not crashed on
    data = json.loads(r.output[r.output.index("["):])
    seen = {Path(x["file"]).name: x for x in data}
    assert set(seen) == {f.name for f in files}  # every file accounted for
    for name, x in seen.items():
        assert x["status"] in ("read", "rejected"), name
        if x["status"] == "rejected":
            assert x["reason"] and x["findings"][-1]["severity"] == "错误", name
    assert seen["poc-xmlbomb.xlsx"]["findings"][0]["code"] == "file.xml_unsafe"
    assert seen["password.xls"]["findings"][0]["code"] == "file.encrypted"
    assert seen["SimpleStrict.xlsx"]["findings"][0]["code"] == "file.strict_ooxml"
    assert seen["SimpleMacro.xlsm"]["findings"][0]["code"] == "file.macro"
    assert took < 120, f"hostile corpus took {took:.0f} s"
    out = tmp_path / "t.xlsx"
    r = run("read", inbox, "-o", out)
    assert r.exit_code == 0 and f"收到 {len(files)} 个文件" in r.output
    listed = pd.read_excel(out, sheet_name="文件", engine="openpyxl")
    assert len(listed) == len(files) and listed["原因"].notna().all()
    assert "Traceback" not in r.output


def hang_on_slow(args):
    """A worker that hangs on slow.xlsx as a parser stuck in a loop would (module level, so
    the worker process can unpickle it)."""
    from xlkit.read import batch

    if args[0].endswith("slow.xlsx"):
        time.sleep(60)
    return batch.read_workbook(args[0])


def test_per_file_time_limit_rejects_a_hanging_file(tmp_path, monkeypatch):
    """A file that hangs a parser costs its own time limit, not the batch."""
    from xlkit.ooxml.safety import Limits
    from xlkit.read import batch

    slow = tmp_path / "slow.xlsx"
    slow.write_bytes(b"x")
    ok = tmp_path / "ok.xlsx"
    ok.write_bytes(b"y")

    monkeypatch.setattr(batch, "_work", hang_on_slow)
    t0 = time.monotonic()
    results = list(batch.iter_read([slow, ok], limits=Limits(seconds_per_file=1), jobs=1))
    assert time.monotonic() - t0 < 20
    assert [r.code for r in results] == ["file.timeout", "file.not_spreadsheet"]


def allocate_a_lot(path, **kw):
    """A parser that balloons in memory (module level, for the worker process)."""
    block = bytearray(1 << 30)
    return block


def test_memory_limit_rejects_a_ballooning_file(tmp_path, monkeypatch):
    from xlkit.ooxml.safety import Limits
    from xlkit.read import batch

    vm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
              if line.startswith("VmSize"))
    monkeypatch.setattr(batch, "read_workbook", allocate_a_lot)
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"x")
    [r] = batch.iter_read([path], limits=Limits(memory_bytes=vm + (300 << 20)), jobs=1)
    assert r.status == "rejected" and r.code == "file.out_of_memory"
    assert "memory_bytes" in r.reason


def hang_uninterruptibly(args):
    """A worker stuck where the per-file alarm cannot reach it (as inside C code)."""
    import signal

    from xlkit.read import batch

    if args[0].endswith("stuck.xlsx"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return batch.read_workbook(args[0])


def test_a_hang_the_alarm_cannot_stop_costs_only_its_file(tmp_path, monkeypatch):
    """Files are read several per task; when a whole task hangs, its files are read again
    one per task so that only the stuck file is given up, and the rest still come back."""
    from xlkit.ooxml.safety import Limits
    from xlkit.read import batch

    paths = []
    for i in range(12):
        p = tmp_path / ("stuck.xlsx" if i == 5 else f"f{i:02d}.xlsx")
        p.write_bytes(b"x")
        paths.append(p)
    monkeypatch.setattr(batch, "_work", hang_uninterruptibly)
    monkeypatch.setattr(batch, "CHUNK", 4)
    t0 = time.monotonic()
    results = list(batch.iter_read(paths, limits=Limits(seconds_per_file=1), jobs=1))
    assert time.monotonic() - t0 < 30
    assert [r.path for r in results] == [str(p) for p in paths]
    assert [r.code for r in results] == ["file.not_spreadsheet"] * 5 + ["file.timeout"] + \
        ["file.not_spreadsheet"] * 6


def report_gc(args):
    """A worker that says whether the cycle collector runs in it (module level, for pickling)."""
    import gc

    from xlkit.read.workbook import ReadResult

    return ReadResult(args[0], reason=str(gc.isenabled()))


def test_workers_collect_cycles_even_when_the_caller_does_not(tmp_path, monkeypatch):
    """collect turns the cycle collector off for itself; forked workers must not inherit
    that (parser objects form cycles: a worker would grow by ~1 GB over 10,000 files)."""
    import gc

    from xlkit.read import batch

    path = tmp_path / "a.xlsx"
    path.write_bytes(b"x")
    monkeypatch.setattr(batch, "_work", report_gc)
    gc.disable()
    try:
        [r] = batch.iter_read([path], jobs=1)
    finally:
        gc.enable()
    assert r.reason == "True"
