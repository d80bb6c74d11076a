"""Hostile inputs (issue 13, "Resources" and the Python-exception reasons): a zip member whose
deflate stream runs past its declared size, /dev/zero and other non-regular files, cells
written ``<c\\tr=``, reasons without Python's exception names, and a reader that stays under
512 MB on every one of them."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

from xlkit.cli import main
from xlkit.ooxml.safety import precheck
from xlkit.ooxml.zip import MemberOverrun, ZipMember, member_chunks, read_member, write_zip
from xlkit.read import read_workbook

HOSTILE = Path(__file__).resolve().parent / "data" / "corpus" / "hostile"
RETURN = sorted((SAMPLES / "returns").rglob("*.xlsx"))[0]
SHEET = "xl/worksheets/sheet1.xml"
CJK = re.compile(r"[\u4e00-\u9fff]")
PYTHON_WORDS = re.compile(r"Error|Exception|Traceback|invalid literal|errno", re.I)
PEAK_MB = 512


def chinese_reason(text: str | None) -> bool:
    """A reason a clerk can read: Chinese, and no Python exception name or text."""
    return bool(text) and bool(CJK.search(text)) and not PYTHON_WORDS.search(text)


# ------------------------------------------------------------------ the stream bomb


def bomb_stream(gib: float) -> bytes:
    """A raw deflate stream of ``gib`` GiB of zeros in about a thousandth of that: one
    16 MiB block ended by a full flush (so it stands alone), repeated, then a final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b"\0" * (1 << 24)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * int(gib * 64) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def bombed(src: Path, dst: Path, part: str, gib: float = 3.0,
           pad: int = 0) -> Path:
    """``src`` rezipped with ``part``'s data replaced by a ``gib`` GiB stream while the
    central directory (and local header) still declare the part's own small size and CRC;
    ``pad``: bytes of a stored random member added (a file too large to be kept in memory)."""
    members = []
    with zipfile.ZipFile(src) as z:
        for info in z.infolist():
            body = z.read(info)
            if info.filename == part:
                members.append(ZipMember(part, zlib.crc32(body), len(body), bomb_stream(gib)))
            else:
                members.append(ZipMember.of(info.filename, body))
    if part not in {m.name for m in members}:  # a member no reader parses (an image)
        members.append(ZipMember(part, 0, 2048, bomb_stream(gib)))
    if pad:
        body = random.Random(1).randbytes(pad)
        c = zlib.compressobj(0, zlib.DEFLATED, -15)  # random bytes: deflate stores them
        members.append(ZipMember("xl/media/pad.bin", zlib.crc32(body), len(body),
                                 c.compress(body) + c.flush()))
    dst.write_bytes(write_zip(members))
    return dst


def test_member_inflated_no_further_than_declared():
    raw = bomb_stream(1.0)
    info = zipfile.ZipInfo("x.xml")
    info.compress_type, info.file_size, info.CRC = zipfile.ZIP_DEFLATED, 100, 0
    info.compress_size, info.header_offset = len(raw), 0
    data = write_zip([ZipMember("x.xml", 0, 100, raw)])
    with pytest.raises(MemberOverrun) as exc:
        read_member(data, info)
    assert exc.value.name == "x.xml" and exc.value.declared == 100
    seen = 0
    with pytest.raises(MemberOverrun):
        for piece in member_chunks(data, info, chunk=1 << 16):
            seen += len(piece)
    assert seen <= 100


@pytest.mark.parametrize("part,pad", [
    ("xl/styles.xml", 0),              # a small part, read whole by precheck
    (SHEET, 0),                        # the form's sheet, counted on the stream
    ("xl/media/image1.png", 0),        # a member no reader parses
    ("docProps/app.xml", 17 << 20),    # a file too large to keep: inflated from a map
], ids=["styles", "sheet", "image", "large-file"])
def test_stream_bomb_is_rejected_at_its_declared_size(tmp_path, part, pad):
    path = bombed(RETURN, tmp_path / "bomb.xlsx", part, pad=pad)
    assert path.stat().st_size < 8_000_000 + pad  # 3 GiB inflated
    for engine in ("fast", "openpyxl"):
        took = time.perf_counter()
        r = read_workbook(path, engine=engine)
        took = time.perf_counter() - took
        assert (r.status, r.code) == ("rejected", "file.zip_bomb"), r.reason
        assert r.reason == (f"部件 {part} 解压后超过其声明的大小 "
                            f"{zipfile.ZipFile(path).getinfo(part).file_size} 字节"
                            "（压缩数据损坏或被篡改，疑似压缩炸弹），已停止解压并拒绝读取")
        assert took < 5, f"{took:.1f} s: the stream was inflated"


# ------------------------------------------------------------ files that are not files


def _validate(*paths) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["validate", *map(str, paths)])
    return r.exit_code, r.output


def test_dev_zero_and_other_non_regular_files_are_refused_unread(tmp_path):
    fifo = tmp_path / "收件.xlsx"
    os.mkfifo(fifo)  # a writer never comes: opening it for reading must not wait
    took = time.perf_counter()
    code, out = _validate("/dev/zero", fifo)
    assert time.perf_counter() - took < 10
    assert code == 2, out
    assert "/dev/zero 是字符设备，不是普通文件，未读取" in out
    assert f"{fifo} 是命名管道（FIFO），不是普通文件，未读取" in out
    assert "Traceback" not in out
    for path, what in (("/dev/zero", "字符设备"), ("/dev/urandom", "字符设备"), (fifo, "命名管道（FIFO）"),
                       (tmp_path, "文件夹")):
        r = read_workbook(path)
        assert (r.status, r.code) == ("rejected", "file.not_regular")
        assert r.reason == f"{path} 是{what}，不是普通文件，未读取"
        assert r.findings[-1].file == str(path)
    r = CliRunner().invoke(main, ["validate", "--format", "json", "/dev/zero"])
    assert r.exit_code == 2 and json.loads(r.stdout)[0]["reason"] == \
        "/dev/zero 是字符设备，不是普通文件，未读取"


def test_size_limit_is_enforced_before_reading(tmp_path, monkeypatch):
    from xlkit.ooxml.safety import Limits

    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:  # sparse: 60 MB that take no disk
        fh.truncate(60 * 1024 * 1024)
    read = []
    real_open = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: read.append(a) or real_open(*a, **k))
    pre = precheck(big, Limits())
    assert pre.rejected.code == "file.too_large" and read == []
    assert pre.rejected.message == "文件 60.0 MB，超过上限 50 MB（max_file_bytes）"


# ------------------------------------------------------------------ <c\tr=...> cells


def test_cells_spelt_with_tabs_newlines_or_prefixes_count_against_the_limit(tmp_path):
    rng = random.Random(13)
    seps = [b"\t", b"\n", b"   ", b"\r\n "]
    cells = []
    for n in range(1_000_000):
        row, col = divmod(n, 10)
        cells.append(b"<c" + seps[n % 4] + b'r="' + b"ABCDEFGHIJ"[col:col + 1]
                     + str(row + 1).encode() + b'"><v>' + str(rng.randrange(10 ** 6)).encode()
                     + b"</v></c>")
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
             + b"".join(cells) + b"</row></sheetData></worksheet>")
    path = tmp_path / "cells.xlsx"
    with zipfile.ZipFile(RETURN) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, sheet if info.filename == SHEET else zin.read(info))
    r = read_workbook(path)
    assert (r.status, r.code) == ("rejected", "file.too_complex"), r.reason
    assert r.reason == f"工作表 {SHEET} 有 1000000 个单元格，超过上限 200000（max_cells）"
    # the same count whether the sheet is kept in memory or streamed, and prefixed tags
    from xlkit.ooxml import safety

    prefixed = sheet.replace(b"<c", b"<x:c").replace(b"</c>", b"</x:c>").replace(
        b"<worksheet xmlns=", b"<x:worksheet xmlns:x=")
    for body in (sheet, prefixed):
        with zipfile.ZipFile(tmp_path / "one.zip", "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("s.xml", body)
        with zipfile.ZipFile(tmp_path / "one.zip") as z:
            data = (tmp_path / "one.zip").read_bytes()
            kept = safety._Kept(0)  # nothing kept: counted on the stream, chunk by chunk
            cells_n, _ = safety._count_cells(z, z.getinfo("s.xml"), data, kept, set(),
                                             safety.DEFAULT_LIMITS)
        assert cells_n == 1_000_000


# -------------------------------------------------------- reasons without Python names


def _rezip(dst: Path, edit) -> Path:
    with zipfile.ZipFile(RETURN) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = edit(info.filename, zin.read(info))
            if body is not None:
                zout.writestr(info.filename, body)
    return dst


F6 = b'<c r="F6" s="27" t="n"><v>828</v>'


def _cell(new: bytes):
    def edit(name, body):
        if name == SHEET:
            assert F6 in body
            return body.replace(F6, new)
        return body
    return edit


#: case -> (edit, the fast reader's reason, what the openpyxl reader's reason holds)
REASONS = {
    "<v>inf</v>": (_cell(b'<c r="F6" s="27" t="n"><v>inf</v>'),
                   "文件损坏，无法读取（工作表 自评表 单元格 F6：数值「inf」不是数字）", "「inf」"),
    "NaN": (_cell(b'<c r="F6" s="27" t="n"><v>NaN</v>'),
            "文件损坏，无法读取（工作表 自评表 单元格 F6：数值「NaN」不是数字）", "「NaN」"),
    "t=s without sharedStrings": (
        _cell(b'<c r="F6" s="27" t="s"><v>3</v>'),
        "文件损坏，无法读取（工作表 自评表 单元格 F6：引用共享字符串第 3 项，"
        "但文件中没有共享字符串表（sharedStrings））", "工作表 自评表"),
    "400 digits": (_cell(b'<c r="F6" s="27" t="n"><v>' + b"9" * 400 + b"</v>"),
                   "文件损坏，无法读取（工作表 自评表 单元格 F6：数值「" + "9" * 60
                   + "…」超出 Excel 能表示的范围）", "超出 Excel 能表示的范围"),
    "bad style": (_cell(b'<c r="F6" s="x" t="n"><v>828</v>'),
                  "文件损坏，无法读取（工作表 自评表 单元格 F6：样式编号「x」不是整数）", "「x」"),
    "bad boolean": (_cell(b'<c r="F6" s="27" t="b"><v>yes</v>'),
                    "文件损坏，无法读取（工作表 自评表 单元格 F6：逻辑值「yes」不是 0 或 1）", "「yes」"),
    "truncated sheet": (lambda n, b: b[:len(b) // 2] if n == SHEET else b,
                        "文件损坏，无法读取（部件 xl/worksheets/sheet1.xml：XML 格式错误：",
                        "XML 格式错误"),
    "no workbook relationships": (
        lambda n, b: None if n == "xl/_rels/workbook.xml.rels" else b,
        "文件损坏，无法读取（部件 xl/_rels/workbook.xml.rels：压缩包中缺少部件 "
        "xl/_rels/workbook.xml.rels）", "压缩包中缺少部件 xl/_rels/workbook.xml.rels"),
    "damaged _meta": (lambda n, b: b.replace(b"payload", b"paylaod")
                      if n == "xl/worksheets/sheet3.xml" else b,
                      "_meta 记录损坏，无法识别表式（其中的数据记录不完整或不是 xlkit 写入的格式）",
                      "_meta 记录损坏"),
}


@pytest.mark.parametrize("case", sorted(REASONS))
def test_reasons_name_the_cell_and_value_never_python(tmp_path, case):
    edit, fast_reason, slow_has = REASONS[case]
    path = _rezip(tmp_path / "r.xlsx", edit)
    fast = read_workbook(path)
    slow = read_workbook(path, engine="openpyxl")
    assert fast.status == slow.status == "rejected"
    assert fast.reason.startswith(fast_reason), fast.reason
    assert slow_has in slow.reason, slow.reason
    for r in (fast, slow):
        assert chinese_reason(r.reason), r.reason


def test_unsupported_zip_version_said_in_chinese(tmp_path):
    data = bytearray(RETURN.read_bytes())
    at = data.index(b"PK\x01\x02")  # the first central directory entry
    data[at + 6] = 84  # "version needed to extract" 8.4: zipfile refuses the archive
    (tmp_path / "v.xlsx").write_bytes(bytes(data))
    for engine in ("fast", "openpyxl"):
        r = read_workbook(tmp_path / "v.xlsx", engine=engine)
        assert (r.status, r.code) == ("rejected", "file.corrupt")
        assert r.reason == "文件损坏，无法打开（压缩包标明的版本不受支持（文件可能已损坏））"


def test_crc_and_zip_damage_said_in_chinese(tmp_path):
    data = bytearray(RETURN.read_bytes())
    with zipfile.ZipFile(RETURN) as z:
        info = z.getinfo("xl/styles.xml")
    data[info.header_offset + 30 + len(info.filename) + 5] ^= 0xFF
    (tmp_path / "crc.xlsx").write_bytes(bytes(data))
    (tmp_path / "cut.xlsx").write_bytes(RETURN.read_bytes()[:-300])
    for name in ("crc.xlsx", "cut.xlsx"):
        r = read_workbook(tmp_path / name)
        assert r.status == "rejected" and chinese_reason(r.reason), r.reason


def test_no_reason_is_built_from_an_exception_name():
    """Where read/ and ooxml/ build a reason, no exception's name or text goes in (only the
    debug log keeps it)."""
    bad = re.compile(r"type\(exc\)\.__name__|\{exc\}|\{str\(exc\)|\{repr\(exc\)|\{exc!r\}")
    found = [f"{p.relative_to(ROOT)}:{n}" for folder in ("read", "ooxml")
             for p in sorted((ROOT / "xlkit" / folder).glob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if bad.search(line) and not line.strip().startswith("LOG.debug(")]
    assert found == []


# ----------------------------------------------------------------- bounded memory

_PEAK = """
import json, resource, sys
from pathlib import Path
from xlkit.read import read_many, read_workbook
paths = [Path(p) for p in json.loads(sys.argv[1])]
out = {}
for p in paths:  # as a worker reads them, one after another, both engines
    for engine in ("fast", "openpyxl"):
        r = read_workbook(p, engine=engine)
        out[f"{p.name} {engine}"] = [r.status, r.code]
tables = read_many(paths, jobs=1)  # and through the worker pool
self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"self": self_mb, "workers": workers_mb, "results": out,
                  "files": len(tables.files)}))
"""


def test_reader_stays_under_512_mb_on_every_hostile_input(tmp_path):
    crafted = [bombed(RETURN, tmp_path / f"bomb{i}.xlsx", part, pad=pad) for i, (part, pad) in
               enumerate([("xl/styles.xml", 0), (SHEET, 0), ("docProps/app.xml", 17 << 20)])]
    fifo = tmp_path / "fifo.xlsx"
    os.mkfifo(fifo)
    paths = sorted(HOSTILE.iterdir()) + crafted + [fifo, Path("/dev/zero")]
    paths = [p for p in paths if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xltx", "")]
    proc = subprocess.run([sys.executable, "-c", _PEAK, json.dumps([str(p) for p in paths])],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"peak RSS: reader {got['self']:.0f} MB, pool workers {got['workers']:.0f} MB, "
          f"{len(paths)} files")  # noqa: T201 - shown with -s
    assert got["files"] == len(paths)
    for i in range(3):
        for engine in ("fast", "openpyxl"):
            assert got["results"][f"bomb{i}.xlsx {engine}"] == ["rejected", "file.zip_bomb"]
    assert got["self"] <= PEAK_MB and got["workers"] <= PEAK_MB, got
