"""Issue 13, the command line's part: click's frame in Chinese, OS errors in Chinese with exit
2, meaningful exit codes, non-UTF-8 file names shown safely, Chinese schema / headers /
statuses, and spreadsheet-safe text in every output a spreadsheet opens (checked by opening
them in LibreOffice)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from workbooks import cell, name_map

from xlkit.cli import main
from xlkit.core.display import cannot_write, display_path, display_text, os_reason, sheet_text

KEY = (SAMPLES / "示例密钥.txt").read_bytes().strip()
LIST = SAMPLES / "预算清单.xlsx"
ENGLISH = ("Usage:", "Options:", "Commands:", "Error:", "Traceback", "Show this message",
           "Missing option", "No such", "Invalid value", "Aborted", "does not exist",
           "is not a valid", "is not one of", "Got unexpected", "Permission denied",
           "Not a directory", "Is a directory")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env={"XLKIT_KEY": KEY.decode()},
                              prog_name="xlkit")


def no_english(text: str) -> None:
    for word in ENGLISH:
        assert word not in text, f"{word!r} in {text!r}"


# ------------------------------------------------------------------- 1. click's frame

def test_help_headings_in_chinese():
    r = run("--help")
    assert r.exit_code == 0
    assert r.output.startswith("用法：xlkit [选项] 命令 [参数]...")
    assert "选项：" in r.output and "命令：" in r.output
    assert "显示帮助并退出" in r.output and "显示版本并退出" in r.output
    no_english(r.output)
    r = run("build", "--help")
    assert r.exit_code == 0 and r.output.startswith("用法：xlkit build [选项]")
    assert "[默认：project-2020]" in r.output
    no_english(r.output)
    r = run("--version")
    assert r.exit_code == 0 and "xlkit 版本" in r.output


@pytest.mark.parametrize(("args", "message"), [
    (["status"], "错误：缺少选项 --db"),
    (["nosuch"], "错误：没有这个命令：nosuch"),
    (["statu"], "错误：没有这个命令：statu（是否想用 status？）"),
    (["status", "--db", "/nope/ledger.sqlite"], "错误：--db 的路径 /nope/ledger.sqlite 不存在"),
    (["build", "--year", "abc"], "错误：--year 的值 'abc' 不是有效的整数"),
    (["build", "--year", "1999"], "错误：--year 的值 1999 超出范围"),
    (["collect", "in", "--list", "l.xlsx", "-o", "r.xlsx", "--money-unit", "美元"],
     "错误：--money-unit 的值 '美元' 不是可选的值（可选：万元、元）"),
    (["validate", "--bogus", "x.xlsx"], "错误：没有这个选项：--bogus"),
    (["templates", "extra"], "错误：多余的参数：extra"),
    (["build", "--out"], "错误：选项 --out 需要一个值"),
    (["validate"], "错误：缺少参数 FILES"),
])
def test_usage_errors_in_chinese_exit_2(args, message):
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    no_english(r.output)


def test_usage_error_shows_the_usage_and_where_help_is():
    r = run("status")
    assert "用法：xlkit status [选项]" in r.output
    assert "查看帮助：xlkit status --help" in r.output


def test_ctrl_c_says_aborted_in_chinese_and_exits_130(monkeypatch):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr("xlkit.cli.builtin_specs", interrupted)
    r = run("templates")
    assert r.exit_code == 130
    assert "已中止" in r.output
    no_english(r.output)


def test_ctrl_c_in_a_real_process_exits_130(tmp_path):
    """A real SIGINT delivered to the process while a command runs."""
    code = ("import signal, os, sys\n"
            "from xlkit import cli\n"
            "def slow():\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    import time; time.sleep(5)\n"
            "cli.builtin_specs = slow\n"
            "cli.main(['templates'])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                       env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert p.returncode == 130
    err = p.stderr.decode("utf-8")
    assert "已中止" in err and "Traceback" not in err


# ------------------------------------------------------------------- 2. OS errors

@pytest.fixture
def read_only(tmp_path):
    """A folder nobody may write into, root included (root ignores the mode: the folder is
    made immutable with chattr +i then)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("root ignores file modes and chattr +i is not available here")
        try:
            yield folder
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


def test_build_out_naming_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = run("build", "--list", LIST, "--year", 2023, "--out", tmp_path / "afile")
    assert r.exit_code == 2
    assert f"错误：--out {tmp_path / 'afile'} 不是文件夹：已有同名文件" in r.output
    r = run("build", "--list", LIST, "--year", 2023, "--out", tmp_path / "afile" / "sub")
    assert r.exit_code == 2
    assert f"{tmp_path / 'afile'} 是文件，不是文件夹" in r.output
    no_english(r.output)
    r = run("demo", tmp_path / "afile")
    assert r.exit_code == 2
    assert f"错误：示例目录 {tmp_path / 'afile'} 不是文件夹：已有同名文件" in r.output


def test_build_blank_onto_a_folder_and_without_xlsx(tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    r = run("build", "--blank", "-o", folder, "--force")
    assert r.exit_code == 2
    assert f"错误：{folder} 是一个文件夹，-o 应为要生成的 .xlsx 文件名" in r.output
    no_english(r.output)
    r = run("build", "--blank", "-o", tmp_path / "name")
    assert r.exit_code == 0, r.output
    assert f"提示：输出文件名已补上 .xlsx：{tmp_path / 'name.xlsx'}" in r.output
    assert (tmp_path / "name.xlsx").is_file() and not (tmp_path / "name").exists()


def test_read_only_output_folder_for_build_blank_demo_and_read(read_only, tmp_path):
    r = run("build", "--blank", "-o", read_only / "x.xlsx")
    assert r.exit_code == 2
    assert f"错误：无法写入 {read_only / 'x.xlsx'}：权限不足" in r.output
    assert ".~xlkit-" not in r.output  # the temp file is ours, not the user's business
    r = run("build", "--list", LIST, "--year", 2023, "--out", read_only)
    assert r.exit_code == 2 and f"错误：无法写入 {read_only}：权限不足" in r.output
    r = run("build", "--list", LIST, "--year", 2023, "--out", read_only / "sub")
    assert r.exit_code == 2 and f"错误：无法写入 {read_only / 'sub'}：权限不足" in r.output
    r = run("demo", read_only)
    assert r.exit_code == 2 and f"错误：无法写入 {read_only}：权限不足" in r.output
    returns = SAMPLES / "returns" / "301001_益阳市医疗保障事务中心"
    r = run("read", returns, "-o", read_only / "t.xlsx")
    assert r.exit_code == 2 and f"错误：无法写入 {read_only / 't.xlsx'}：权限不足" in r.output
    r = run("read", returns, "-o", read_only / "csv")
    assert r.exit_code == 2 and f"错误：无法写入 {read_only / 'csv'}：权限不足" in r.output
    no_english(r.output)
    r = run("collect", returns, "--list", LIST, "-o", read_only / "r.xlsx",
            "--db", tmp_path / "ledger.sqlite")
    assert r.exit_code == 2 and f"错误：无法写入 {read_only}/：权限不足" in r.output
    no_english(r.output)


def test_read_output_under_a_file_and_a_name_too_long(tmp_path):
    (tmp_path / "afile").write_text("x")
    returns = SAMPLES / "returns" / "301001_益阳市医疗保障事务中心"
    r = run("read", returns, "-o", tmp_path / "afile" / "t.xlsx")
    assert r.exit_code == 2
    assert f"-o {tmp_path / 'afile' / 't.xlsx'}：{tmp_path / 'afile'} 是文件，不是文件夹" in r.output
    r = run("read", returns, "-o", tmp_path / "afile")
    assert r.exit_code == 2 and "不是文件夹：已有同名文件" in r.output
    long = tmp_path / ("表" * 100 + ".xlsx")  # 300 bytes: over the 255 of a file name
    r = run("build", "--blank", "-o", long)
    assert r.exit_code == 2 and "：文件名过长" in r.output
    no_english(r.output)


def test_os_reasons_in_chinese():
    cases = {errno.EACCES: "权限不足", errno.ENOTDIR: "不是文件夹", errno.EISDIR: "文件夹",
             errno.ENOSPC: "磁盘已满", errno.ENAMETOOLONG: "文件名过长", errno.EROFS: "只读文件系统"}
    for code, words in cases.items():
        assert words in os_reason(OSError(code, os.strerror(code)))
    exc = OSError(errno.ENOSPC, "No space left on device", "/data/out/.~xlkit-1-abc.xlsx")
    assert cannot_write(exc, "/data/out/t.xlsx") == "无法写入 /data/out/t.xlsx：磁盘已满"
    exc = OSError(errno.EROFS, "Read-only file system", "/data/out/.~xlkit-1-abc.xlsx")
    assert cannot_write(exc) == "无法写入 /data/out/：只读文件系统"
    exc = OSError(errno.EACCES, "Permission denied", "/data/out/sub")
    assert cannot_write(exc, "/data/out") == "无法写入 /data/out：权限不足（/data/out/sub）"


# ------------------------------------------------------------------- 3. exit codes

def test_read_and_validate_a_missing_path_exit_2(tmp_path):
    for cmd in (["read", tmp_path / "nope", "-o", tmp_path / "out"],
                ["validate", tmp_path / "nope"]):
        r = run(*cmd)
        assert r.exit_code == 2
        assert f"错误：找不到 {tmp_path / 'nope'}" in r.output
    assert not (tmp_path / "out").exists()


def test_collect_on_an_empty_or_missing_inbox_exits_2(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = tmp_path / "r.xlsx"
    r = run("collect", inbox, "--list", LIST, "-o", report)
    assert r.exit_code == 2
    assert f"错误：收件目录为空：{inbox}（没有收到任何文件，未写出报告）" in r.output
    assert not report.exists()
    r = run("collect", tmp_path / "nope", "--list", LIST, "-o", report)
    assert r.exit_code == 2 and f"错误：找不到收件目录 {tmp_path / 'nope'}" in r.output
    (tmp_path / "f").write_text("x")
    r = run("collect", tmp_path / "f", "--list", LIST, "-o", report)
    assert r.exit_code == 2 and "不是文件夹" in r.output


def test_read_out_csv_is_refused_not_made_a_folder(tmp_path):
    r = run("read", SAMPLES / "returns", "-o", tmp_path / "out.csv")
    assert r.exit_code == 2
    assert (f"CSV 输出是一个文件夹（每张表一个 .csv 文件），请用 -o {tmp_path / 'out'} 写到文件夹，"
            f"或 -o {tmp_path / 'out.xlsx'} 写成一个工作簿") in r.output
    assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------- 4. non-UTF-8 names

@pytest.fixture
def odd_inbox(tmp_path) -> Path:
    """A folder holding a good return named with the bytes 0xFF 0xFE (not UTF-8)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    src = next((SAMPLES / "returns").rglob("*.xlsx")).read_bytes()
    fd = os.open(os.fsencode(inbox) + b"/\xff\xfe.xlsx", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, src)
    os.close(fd)
    return inbox


def cli(*args: object) -> subprocess.CompletedProcess:
    env = dict(os.environ, XLKIT_KEY=KEY.decode(), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "xlkit.cli", *map(str, args)],
                          capture_output=True, timeout=300, env=env)


def test_display_path_of_undecodable_bytes():
    assert display_path(b"/in/\xff\xfe.xlsx") == "/in/\\xff\\xfe.xlsx"
    assert display_path(os.fsdecode(b"/in/\xff\xfe.xlsx")) == "/in/\\xff\\xfe.xlsx"
    assert display_path(Path("/收件/表.xlsx")) == "/收件/表.xlsx"
    assert display_text("a\ud800b") == "a\ufffdb"


def test_non_utf8_names_through_validate_json_and_read(odd_inbox, tmp_path):
    shown = f"{odd_inbox}/\\xff\\xfe.xlsx"
    p = cli("validate", "--format", "json", odd_inbox)
    out = p.stdout.decode("utf-8")  # strict: valid UTF-8
    assert "Traceback" not in p.stderr.decode("utf-8")
    data = json.loads(out[out.index("["):])
    assert [d["file"] for d in data] == [shown] and data[0]["status"] == "read"
    p = cli("validate", odd_inbox)
    assert f"== {shown}" in p.stdout.decode("utf-8")
    p = cli("read", odd_inbox, "-o", tmp_path / "t.xlsx")
    assert p.returncode == 0, p.stderr.decode("utf-8")
    files = pd.read_excel(tmp_path / "t.xlsx", sheet_name="文件", engine="openpyxl")
    assert list(files["文件"]) == [shown] and list(files["状态"]) == ["已读取"]
    p = cli("read", odd_inbox, "-o", tmp_path / "csv")
    assert p.returncode == 0, p.stderr.decode("utf-8")
    raw = (tmp_path / "csv" / "files.csv").read_bytes().decode("utf-8-sig")  # strict
    assert shown in raw
    projects = (tmp_path / "csv" / "projects.csv").read_bytes().decode("utf-8-sig")
    assert shown in projects


# ------------------------------------------------------------------- 5. Chinese for people

def test_schema_meanings_in_chinese():
    from xlkit.read.tables import SCHEMA

    r = run("schema")
    assert r.exit_code == 0
    assert "各表的列" in r.output and "projects (项目)" in r.output
    for cols in SCHEMA.values():
        for c in cols:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in c.meaning), c
    assert "evaluation year" not in r.output and "评价年度" in r.output


def test_csv_headers_statuses_and_booleans(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "returns" / "301001_益阳市医疗保障事务中心", inbox)
    (inbox / "bad.xlsx").write_bytes(b"garbage")
    (inbox / "~$lock.xlsx").write_bytes(b"x")
    assert run("read", inbox, "-o", tmp_path / "zh").exit_code == 0
    files = pd.read_csv(tmp_path / "zh" / "files.csv", encoding="utf-8-sig")
    assert list(files.columns[:3]) == ["文件", "状态", "原因"]
    assert {"已读取", "无法读取", "已跳过"} <= set(files["状态"])
    projects = pd.read_csv(tmp_path / "zh" / "projects.csv", encoding="utf-8-sig")
    assert set(projects["已签名"]) == {"是"}
    for flag in (["--headers", "en"], ["--english"]):
        out = tmp_path / flag[0].strip("-")
        assert run("read", inbox, "-o", out, *flag).exit_code == 0
        files = pd.read_csv(out / "files.csv", encoding="utf-8-sig")
        assert list(files.columns[:3]) == ["path", "status", "reason"]
        assert {"read", "rejected", "skipped"} <= set(files["status"])
        assert set(pd.read_csv(out / "projects.csv", encoding="utf-8-sig")["signed"]) == {True}
    assert run("read", inbox, "-o", tmp_path / "t.xlsx").exit_code == 0
    sheets = pd.read_excel(tmp_path / "t.xlsx", sheet_name=None, engine="openpyxl")
    assert {"已读取", "无法读取", "已跳过"} <= set(sheets["文件"]["状态"])
    assert set(sheets["项目"]["已签名"]) == {"是"}


# ------------------------------------------------------------------- 6. spreadsheet-safe text

INJECTED = {
    "ind.0.reason": '=HYPERLINK("http://x","y")',
    "ind.1.reason": "=cmd|' /C calc'!A0",
    "ind.1.actual": "+1",
    "goals.actual": "-2+3",
    "signoff.0": "@SUM(A1)",
    "goals.expected": "\t=1+1",
}


def test_sheet_text_rule():
    for text in INJECTED.values():
        assert sheet_text(text, csv=True) == "'" + text
        assert sheet_text(text) == text  # xlsx: a string cell, no prefix
    assert sheet_text("\rx", csv=True) == "'\rx"
    assert sheet_text("保障 =1", csv=True) == "保障 =1"
    assert sheet_text("12.5", csv=True) == "12.5"


@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> Path:
    """The sample inbox with text cells of one return typed as formulas would be (string
    cells holding = + - @ ...), and a negative number in a number cell."""
    inbox = tmp_path_factory.mktemp("inj") / "inbox"
    shutil.copytree(SAMPLES / "returns", inbox)
    path = next(inbox.rglob("P2023-301001-01_*.xlsx"))
    wb = openpyxl.load_workbook(path)
    names = name_map(wb)
    for field, text in INJECTED.items():
        c = cell(wb, field, names)
        c.value = text
        c.data_type = "s"  # typed as text, as a unit's '=... or a text-formatted cell
    cell(wb, "ind.0.actual", names).value = -2.5
    wb.save(path)
    return inbox


def libreoffice_open(files: list[Path], outdir: Path, infilter: str | None = None) -> list[Path]:
    """Open each file in LibreOffice (CSV as UTF-8, comma-separated) and save it as xlsx."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    with tempfile.TemporaryDirectory(prefix="xlkit-lo-") as profile:
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        cmd += ["--convert-to", "xlsx", "--outdir", str(outdir), *map(str, files)]
        subprocess.run(cmd, capture_output=True, timeout=300, env=dict(os.environ, HOME=profile))
    out = [outdir / (f.stem + ".xlsx") for f in files]
    assert all(p.exists() for p in out), out
    return out


def cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    yield ws.title, c


def assert_texts_stay_text(path: Path, prefixed: bool, fields=tuple(INJECTED)) -> None:
    found = {}
    for sheet, c in cells(path):
        v = c.value
        if isinstance(v, str) and ("HYPERLINK" in v or "cmd|" in v or "SUM(A1)" in v):
            assert c.data_type == "s", (path.name, sheet, c.coordinate, v, c.data_type)
        if c.data_type == "s":
            found[v] = c.data_type
    for text in (INJECTED[f] for f in fields):
        want = ("'" + text) if prefixed else text
        assert any(want.strip() in v.strip() for v in found), (path.name, text)


def test_read_csv_and_xlsx_keep_injected_texts_text_in_libreoffice(libreoffice, injected,
                                                                   tmp_path):
    assert run("read", injected, "-o", tmp_path / "csv").exit_code == 0
    assert run("read", injected, "-o", tmp_path / "t.xlsx").exit_code == 0
    raw = (tmp_path / "csv" / "indicators.csv").read_text(encoding="utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in raw and "'=cmd|' /C calc'!A0" in raw
    # a negative number is written as it is (实际值 in percent points); what was typed
    # (实际完成值, a text column) keeps its apostrophe
    assert "'+1" in raw and ",'-2.5,-250.0," in raw
    csvs = [tmp_path / "csv" / f"{t}.csv" for t in ("indicators", "texts", "projects")]
    opened = libreoffice_open(csvs, tmp_path / "lo-csv", "CSV:44,34,76,1")
    where = {"indicators": ("ind.0.reason", "ind.1.reason", "ind.1.actual"),
             "texts": ("goals.actual", "goals.expected"), "projects": ("signoff.0",)}
    for path in opened:
        assert_texts_stay_text(path, prefixed=True, fields=where[path.stem])
        assert not [c for _, c in cells(path) if c.data_type == "f"], path
    indicators = opened[0]
    numbers = [c.value for _, c in cells(indicators) if c.data_type == "n"]
    assert -250.0 in numbers  # a negative number stays a number
    [xlsx] = libreoffice_open([tmp_path / "t.xlsx"], tmp_path / "lo-xlsx")
    assert_texts_stay_text(xlsx, prefixed=False)
    assert not [c for _, c in cells(xlsx) if c.data_type == "f"]


def test_collect_report_keeps_injected_texts_text_in_libreoffice(libreoffice, injected,
                                                                  tmp_path):
    report = tmp_path / "r.xlsx"
    r = run("collect", injected, "--list", LIST, "-o", report, "--year", 2023)
    assert r.exit_code in (0, 1), r.output
    [opened] = libreoffice_open([report], tmp_path / "lo")
    # the report's 指标 sheet shows what was typed as 实际完成值 and 偏差原因
    assert_texts_stay_text(opened, prefixed=False,
                           fields=("ind.0.reason", "ind.1.reason", "ind.1.actual"))
