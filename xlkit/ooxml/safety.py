"""Look at a file before any parser does: what it really is, and whether it is safe to open.

Nothing here parses XML or runs anything: the zip directory gives sizes and ratios, the
first bytes of each XML part show a DOCTYPE (entity bombs, XXE), the OLE directory shows
encryption. Each limit is a named setting.

What is read on the way is kept for the reader (``Precheck.data``, ``zip``, ``parts``), so a
small file is read from disk once and each of its parts decompressed once: the bytes parsed
are the bytes checked.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from xlkit.findings import Finding, finding
from xlkit.ooxml.errors import damage_reason, os_read_reason
from xlkit.ooxml.zip import INFLATE_CHUNK, MemberOverrun, member_chunks, read_bounded, read_member

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
# what decompressing a damaged part raises (zlib.error: deflated data that is not)
_DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# a cell or a merged range however the tag is spelt: any whitespace after the name (tab,
# newline, several spaces), none (<c>, <c/>), a namespace prefix (<x:c r=...>)
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?c[\s/>]")
_MERGE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?mergeCell[\s/>]")
_TAIL = 64  # bytes carried over between chunks, so a tag cut in two is counted once
#: what a path that is not a regular file is, in Chinese
_NOT_REGULAR = ((stat.S_ISDIR, "文件夹"), (stat.S_ISCHR, "字符设备"), (stat.S_ISBLK, "块设备"),
                (stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISSOCK, "套接字"))


@dataclass(frozen=True)
class Limits:
    """Named limits; a file over one is rejected with a finding that names it."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 300 * 1024 * 1024
    max_zip_entries: int = 2000
    max_ratio: float = 200.0  # uncompressed / compressed of one large entry
    max_sheet_bytes: int = 60 * 1024 * 1024
    max_merged_ranges: int = 5000
    max_cells: int = 200_000  # per sheet
    seconds_per_file: float = 60.0
    memory_bytes: int = 3 * 1024 * 1024 * 1024


DEFAULT_LIMITS = Limits()
#: The office's own inputs (budget list, targets, 决算) are one big sheet, not a small form.
OFFICE_INPUT_LIMITS = Limits(max_file_bytes=200 * 1024 * 1024,
                             max_uncompressed_bytes=2 * 1024 * 1024 * 1024,
                             max_sheet_bytes=1024 * 1024 * 1024, max_cells=20_000_000,
                             max_ratio=1000.0)


KEEP_FILE_BYTES = 16 << 20  # a file up to this size is read into memory once
HEAD_BYTES = 65536  # the prolog looked at for a DOCTYPE; a part up to this size is kept whole
KEEP_SHEET_BYTES = 16 << 20  # a worksheet counted up to this size is kept whole
KEEP_PARTS_BYTES = 32 << 20  # parts kept for the reader, in all (a form's are some 100 KB)


@dataclass
class Precheck:
    kind: str = ""  # xlsx | xls
    rejected: Finding | None = None
    hints: list[Finding] = field(default_factory=list)
    data: bytes | None = None  # the file's bytes, when small enough to keep
    zip: zipfile.ZipFile | None = None  # an .xlsx opened over ``data``
    parts: dict[str, bytes] = field(default_factory=dict)  # parts decompressed whole


def precheck(path: Path, limits: Limits = DEFAULT_LIMITS) -> Precheck:
    """What ``path`` is and whether it is safe to open. Only a regular file is read (a
    device such as /dev/zero, a FIFO, a socket or a folder is refused from its ``stat``,
    before a byte is read; a FIFO is opened without blocking), and only after its size
    passed ``max_file_bytes``; no more than that size is ever read."""
    where = {"file": str(path)}
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return Precheck(rejected=finding("file.missing", f"找不到文件：{path}", **where))
    except OSError as exc:
        return Precheck(rejected=finding("file.corrupt", f"无法读取文件：{os_read_reason(exc)}",
                                         **where))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            what = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "特殊文件")
            return Precheck(rejected=finding(
                "file.not_regular", f"{path} 是{what}，不是普通文件，未读取", **where))
        size = st.st_size
        if size > limits.max_file_bytes:
            os.close(fd)
            return Precheck(rejected=finding(
                "file.too_large", f"文件 {size / 1048576:.1f} MB，超过上限 "
                                  f"{limits.max_file_bytes / 1048576:.0f} MB（max_file_bytes）",
                **where))
        with os.fdopen(fd, "rb") as fh:
            # never more than the size stat gave (a file that grows meanwhile is not followed)
            data = fh.read(size) if size <= KEEP_FILE_BYTES else None
            head = fh.read(8) if data is None else data[:8]
    except OSError as exc:
        return Precheck(rejected=finding("file.corrupt", f"无法读取文件：{os_read_reason(exc)}",
                                         **where))
    if head.startswith(ZIP_MAGIC):
        result = _check_zip(path, data, limits)
        result.data = data if result.kind else None
        return result
    if head == OLE_MAGIC:
        result = _check_ole(path, path.read_bytes() if data is None else data)
        result.data = data
        return result
    return Precheck(rejected=finding(
        "file.not_spreadsheet", "不是 Excel 工作簿（文件内容既不是 .xlsx 也不是 .xls），"
                                "请用 Excel 或 WPS 另存为 .xlsx 后报送", **where))


def _check_ole(path: Path, data: bytes) -> Precheck:
    if "EncryptionInfo".encode("utf-16-le") in data or \
            "EncryptedPackage".encode("utf-16-le") in data:
        return Precheck(rejected=finding(
            "file.encrypted", "文件设置了打开密码（已加密），请取消密码后重新报送",
            file=str(path)))
    return Precheck(kind="xls")


def _check_zip(path: Path, data: bytes | None, limits: Limits) -> Precheck:
    where = {"file": str(path)}
    try:
        z = zipfile.ZipFile(path if data is None else io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        return Precheck(rejected=finding("file.corrupt", f"文件损坏，无法打开（{damage_reason(exc)}）",
                                         **where))
    view: mmap.mmap | None = None
    try:
        if data is None:  # a large file: its members inflated from a map of it, not memory
            with path.open("rb") as fh:
                view = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        result = _check_parts(z, infos, data if data is not None else view, data is not None,
                              where, limits)
    except MemberOverrun as exc:
        result = Precheck(rejected=finding(
            "file.zip_bomb", f"部件 {exc.name} 解压后超过其声明的大小 {exc.declared} 字节"
                             "（压缩数据损坏或被篡改，疑似压缩炸弹），已停止解压并拒绝读取", **where))
    except (OSError, ValueError) as exc:  # the map could not be made
        result = Precheck(rejected=finding("file.corrupt", f"文件损坏，无法打开（{damage_reason(exc)}）",
                                           **where))
    except BaseException:
        z.close()
        raise
    finally:
        if view is not None:
            view.close()
    if result.kind and data is not None:
        result.zip = z  # in memory: nothing to leak, and the reader need not open it again
    else:
        z.close()
        result.parts = {}
    return result


def _check_parts(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], data: bytes | mmap.mmap,
                 keep: bool, where: dict[str, str], limits: Limits) -> Precheck:
    """``data``: the zip's bytes, or a map of the file; ``keep``: parts read whole may be
    kept for the reader (``data`` is the bytes it will read). :class:`MemberOverrun` when a
    member inflates past its declared size: every member is inflated, in a stream capped at
    that size, before the file is passed (most once, for the checks below)."""
    names = {i.filename for i in infos}
    rejected = _check_directory(infos, names, where, limits)
    if rejected:
        return Precheck(rejected=rejected)
    kept = _Kept(KEEP_PARTS_BYTES if keep else 0)
    inflated: set[int] = set()  # id() of the members inflated whole on the way
    part = ""
    try:
        for i in infos:
            part = i.filename
            if i.filename.endswith((".xml", ".rels", ".vml")) and \
                    _has_doctype(z, i, data, kept, inflated):
                return Precheck(rejected=finding(
                    "file.xml_unsafe", f"部件 {i.filename} 含有 DOCTYPE / 实体声明"
                                       "（可能是 XML 炸弹或外部实体攻击），拒绝读取", **where))
        part = "xl/workbook.xml"
        book = kept.get(part)
        book_head = book[1][:4096] if book and book[0] is z.getinfo("xl/workbook.xml") else \
            z.open("xl/workbook.xml").read(4096)
    except _DAMAGED as exc:
        return Precheck(rejected=finding(
            "file.corrupt", f"文件损坏，无法解压（部件 {part}：{damage_reason(exc)}）", **where))
    if STRICT_NS in book_head:
        return Precheck(rejected=finding(
            "file.strict_ooxml", "文件是“严格 Open XML”格式，请在 Excel 中另存为"
                                 "“Excel 工作簿(*.xlsx)”后报送", **where))
    rejected = _check_sheets(z, infos, data, kept, inflated, where, limits)
    if rejected:
        return Precheck(rejected=rejected)
    for i in infos:  # the rest (large parts seen only in part, images ...) to their end
        if id(i) not in inflated:
            try:
                for _ in _inflated(z, i, data):
                    pass
            except _DAMAGED as exc:
                return Precheck(rejected=finding(
                    "file.corrupt", f"文件损坏，无法解压（部件 {i.filename}：{damage_reason(exc)}）",
                    **where))
    # what the reader will open by name: the last entry of a name (zipfile's choice)
    parts = {n: data for n, (i, data) in kept.items() if z.getinfo(n) is i}
    result = Precheck(kind="xlsx", parts=parts)
    if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
            n.startswith("xl/macrosheets/") for n in names):
        result.hints.append(finding("file.macro", "工作簿含有宏；宏不会被运行，已按普通工作簿读取",
                                    **where))
    return result


def _check_directory(infos: list[zipfile.ZipInfo], names: set[str], where: dict[str, str],
                     limits: Limits) -> Finding | None:
    """What the zip directory alone shows: too many parts, too large, a bomb, no workbook."""
    if len(infos) > limits.max_zip_entries:
        return finding("file.zip_bomb", f"压缩包内有 {len(infos)} 个部件，超过上限 "
                                        f"{limits.max_zip_entries}（max_zip_entries）", **where)
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        return finding("file.zip_bomb", f"解压后 {total / 1048576:.0f} MB，超过上限 "
                                        f"{limits.max_uncompressed_bytes / 1048576:.0f} MB"
                                        "（max_uncompressed_bytes）", **where)
    for i in infos:
        if i.file_size > 1048576 and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            return finding("file.zip_bomb", f"部件 {i.filename} 压缩比异常（{i.file_size} / "
                                            f"{i.compress_size}，max_ratio）", **where)
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            return finding("file.not_spreadsheet", "这是 .xlsb（二进制工作簿），请另存为 .xlsx 后报送",
                           **where)
        return finding("file.not_spreadsheet", "压缩包中没有工作簿（不是 .xlsx 文件）", **where)
    return None


def _check_sheets(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], data: bytes | mmap.mmap,
                  kept: _Kept, inflated: set[int], where: dict[str, str],
                  limits: Limits) -> Finding | None:
    """Each worksheet's size, cells and merged ranges; a sheet read whole is kept."""
    for i in infos:
        if not (i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")):
            continue
        if i.file_size > limits.max_sheet_bytes:
            return finding("file.too_complex", f"工作表 {i.filename} 解压后 {i.file_size} 字节，"
                                               "超过上限（max_sheet_bytes）", **where)
        try:
            cells, merged = _count_cells(z, i, data, kept, inflated, limits)
        except _DAMAGED as exc:
            return finding("file.corrupt", f"文件损坏，无法解压（部件 {i.filename}："
                                           f"{damage_reason(exc)}）", **where)
        if cells > limits.max_cells:
            return finding("file.too_complex", f"工作表 {i.filename} 有 {cells} 个单元格，超过上限 "
                                               f"{limits.max_cells}（max_cells）", **where)
        if merged > limits.max_merged_ranges:
            return finding("file.too_complex", f"工作表 {i.filename} 有 {merged} 个合并区域，超过上限 "
                                               f"{limits.max_merged_ranges}（max_merged_ranges）",
                           **where)
    return None


class _Kept(dict[str, tuple[zipfile.ZipInfo, bytes]]):
    """Parts read whole on the way (part -> (entry, bytes)), kept while they fit ``room``."""

    def __init__(self, room: int):
        super().__init__()
        self.room = room

    def keep(self, info: zipfile.ZipInfo, data: bytes) -> None:
        if len(data) <= self.room:
            self[info.filename] = (info, data)
            self.room -= len(data)


def _inflated(z: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | mmap.mmap
              ) -> Iterator[bytes]:
    """Member ``info`` in chunks, never inflated past its declared size: from ``data`` (an
    overrun raises :class:`MemberOverrun`), or through zipfile for a member it should read
    itself (its reads are bounded by the declared size too; its errors are its own)."""
    pieces = member_chunks(data, info, z.metadata_encoding)
    if pieces is not None:
        yield from pieces
        return
    with z.open(info) as fh:
        while chunk := fh.read(INFLATE_CHUNK):
            yield chunk


def _count(tag: re.Pattern[bytes], data: bytes) -> int:
    return sum(1 for _ in tag.finditer(data))


def _count_cells(z: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | mmap.mmap,
                 kept: _Kept, inflated: set[int], limits: Limits) -> tuple[int, int]:
    """Cells and merged ranges of one sheet part, counted on the stream (no parsing), their
    tags however spelt (``<c r=``, ``<c\tr=``, ``<x:c r=``); the part is kept when it is
    small enough. A part read whole already is counted only if it is large enough to hold
    more than a limit allows (each cell takes 3 bytes or more, each merged range 11): a form
    never is."""
    hit = kept.get(info.filename)
    if hit and hit[0] is info:
        body = hit[1]
        cells = _count(_CELL_TAG, body) if len(body) > 3 * limits.max_cells else 0
        merged = _count(_MERGE_TAG, body) if len(body) > 11 * limits.max_merged_ranges else 0
        return cells, merged
    cells = merged = 0
    tail = b""
    chunks: list[bytes] | None = \
        [] if info.file_size <= min(KEEP_SHEET_BYTES, kept.room) else None
    for chunk in _inflated(z, info, data):
        both = tail + chunk
        cells += _count(_CELL_TAG, both) - _count(_CELL_TAG, tail)
        merged += _count(_MERGE_TAG, both) - _count(_MERGE_TAG, tail)
        tail = both[-_TAIL:]
        if chunks is not None:
            chunks.append(chunk)
    inflated.add(id(info))
    if chunks is not None:
        kept.keep(info, b"".join(chunks))
    return cells, merged


def _has_doctype(z: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | mmap.mmap,
                 kept: _Kept, inflated: set[int]) -> bool:
    """True when the XML prolog (everything before the root element) declares a DOCTYPE.
    A part no larger than the prolog looked at is read whole: it is kept."""
    if info.file_size <= HEAD_BYTES:
        head = read_member(data, info, z.metadata_encoding)
        if head is None:
            head = read_bounded(z, info)
        else:
            inflated.add(id(info))
        kept.keep(info, head)
    else:
        with z.open(info) as fh:
            head = fh.read(HEAD_BYTES)
    root = None
    for m in _ROOT_START.finditer(head):
        root = m.start()
        break
    prolog = head if root is None else head[:root]
    return bool(_DOCTYPE.search(prolog)) or (root is None and b"<!" in head.upper())
