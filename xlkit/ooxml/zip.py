"""Zip I/O below zipfile: members read straight from a file's bytes, and zips written whole.

Reading: zipfile reads the central directory (its ``ZipInfo``\\ s are the truth: names,
sizes, CRC, where each local header is); :func:`local_header` reads a local header from the
bytes with this module's own layout of it (APPNOTE 4.3.7), :func:`member_bytes` the stored
bytes that follow it, :func:`read_member` a member decompressed in one call (None whenever
zipfile should decide instead), :func:`member_chunks` a member inflated piece by piece,
:func:`read_bounded` a member through zipfile never past its declared size, :func:`raw_member`
a member as it is, to copy into another zip. A member written with a data descriptor (flag
bit 3: zeros in its local header, the sizes and CRC after the data) reads the same: sizes
and CRC come from the directory.

Bounded: a member is inflated in a stream capped at the size the directory declares for it
(``decompressobj`` with ``max_length``, never ``zlib.decompress`` nor ``ZipFile.read``, which
inflate whatever the stream holds): a member whose deflate stream runs past its declared size
(a stream bomb: the directory says 2 KB, the data inflate to gigabytes) raises
:class:`MemberOverrun` having inflated no more than one byte past what it declared.

Writing: :func:`write_zip` makes a zip of already deflated :class:`ZipMember`\\ s, its
headers as xlsxwriter writes them (1980-01-01, version 2.0, no zip64); the builder's
per-workbook assembly uses :func:`write_local_header`, :func:`central_entry` and
:func:`finish_zip` directly.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["CENTRAL_OFFSET_AT", "INFLATE_CHUNK", "OFFSET", "LocalHeader", "MemberOverrun",
           "ZipMember", "central_entry", "finish_zip", "local_header", "member_bytes",
           "member_chunks", "raw_member", "read_bounded", "read_member", "write_local_header",
           "write_zip"]

LOCAL_SIGNATURE = b"PK\x03\x04"
_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # APPNOTE 4.3.7, 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # APPNOTE 4.3.12, 46 bytes
_EOCD = struct.Struct("<IHHHHIIH")
OFFSET = struct.Struct("<I")
#: Where a central entry (:func:`central_entry`) holds its local header's offset: bytes
#: 42-46, between the fixed fields and the name.
CENTRAL_OFFSET_AT = 42
DOS_DATE = (1 << 5) | 1  # 1980-01-01 00:00, as xlsxwriter writes
_ATTR = 0o600 << 16
_ENCRYPTED = 0x1 | 0x20 | 0x40  # encrypted, patched data, strong encryption


# ----------------------------------------------------------------------------- reading


class LocalHeader(NamedTuple):
    """A local file header as it stands in the file."""

    flags: int
    method: int
    name: bytes
    data_start: int  # where the member's stored bytes begin


def local_header(data: bytes, offset: int) -> LocalHeader | None:
    """The local header at ``offset`` of ``data``; None when there is none (no signature,
    cut short)."""
    try:
        sig, _, flags, method, _, _, _, _, _, name_len, extra_len = _LOCAL.unpack_from(data, offset)
    except struct.error:
        return None
    if sig != LOCAL_SIGNATURE:
        return None
    start = offset + _LOCAL.size
    name = data[start:start + name_len]
    if len(name) != name_len:
        return None
    return LocalHeader(flags, method, name, start + name_len + extra_len)


def member_bytes(data: bytes, info: zipfile.ZipInfo,
                 metadata_encoding: str | None = None) -> bytes | None:
    """The stored (compressed) bytes of member ``info`` of the zip ``data``, when its local
    header is there and names it as the directory does; None otherwise."""
    head = local_header(data, info.header_offset)
    if head is None:
        return None
    encoding = "utf-8" if head.flags & 0x800 else metadata_encoding or "cp437"
    if encoding in ("utf-8", "cp437") and head.name.isascii():
        encoding = "ascii"  # reads the same, without cp437's codec in Python
    try:
        name = head.name.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if name != info.orig_filename:
        return None
    raw = data[head.data_start:head.data_start + info.compress_size]
    return raw if len(raw) == info.compress_size else None


INFLATE_CHUNK = 1 << 20  # bytes inflated at a time, at most


class MemberOverrun(Exception):
    """A member whose stored stream inflates past the size the zip directory declares (not
    a ValueError: no "damaged part" handler may take it for ordinary damage)."""

    def __init__(self, name: str, declared: int):
        super().__init__(name, declared)
        self.name, self.declared = name, declared


def member_chunks(data: bytes, info: zipfile.ZipInfo, metadata_encoding: str | None = None,
                  chunk: int = INFLATE_CHUNK) -> Iterator[bytes] | None:
    """Member ``info`` of the zip ``data`` (bytes, or a read-only mmap of the file) inflated
    ``chunk`` bytes at a time, never past its declared ``file_size``: :class:`MemberOverrun`
    when the stream holds more; ``zlib.error`` when it is damaged or cut short;
    ``zipfile.BadZipFile`` on a wrong CRC (as zipfile says). None, before anything is
    inflated, for a member zipfile should read (or refuse) itself: encrypted, another method,
    a local header that does not name it as the directory does."""
    if info.flag_bits & _ENCRYPTED or info.compress_type not in (zipfile.ZIP_STORED,
                                                                zipfile.ZIP_DEFLATED):
        return None
    raw = member_bytes(data, info, metadata_encoding)
    if raw is None:
        return None
    return _inflate(raw, info, chunk)


def _inflate(raw: bytes, info: zipfile.ZipInfo, chunk: int) -> Iterator[bytes]:
    size, crc = info.file_size, 0
    if info.compress_type == zipfile.ZIP_STORED:
        body = raw[:size]
        for i in range(0, len(body), chunk):
            piece = body[i:i + chunk]
            crc = zlib.crc32(piece, crc)
            yield piece
    else:
        d = zlib.decompressobj(-15)
        left, pending = size, raw
        while not d.eof:
            # at most one byte past what is left: enough to tell an overrun, never more
            out = d.decompress(pending, min(chunk, left + 1))
            pending = d.unconsumed_tail
            if len(out) > left:
                raise MemberOverrun(info.filename, size)
            if not out and not pending:
                if d.eof:
                    break
                raise zlib.error("incomplete or truncated stream")
            left -= len(out)
            crc = zlib.crc32(out, crc)
            if out:
                yield out
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def read_member(data: bytes, info: zipfile.ZipInfo,
                metadata_encoding: str | None = None) -> bytes | None:
    """``ZipFile.read(info)`` taken straight from the zip's bytes ``data``, for a member
    zipfile would read without a question: stored or deflated, not encrypted, its local
    header as the directory says, its CRC right. None for anything else, which zipfile
    then reads (or refuses) itself (use :func:`read_bounded`), so the answer and any error
    are zipfile's; :class:`MemberOverrun` for a stream longer than declared (inflated no
    further than the declared size). Saves zipfile's stream machinery on the dozen small
    parts of every workbook."""
    pieces = member_chunks(data, info, metadata_encoding, max(info.file_size, 1))
    if pieces is None:
        return None
    try:
        return b"".join(pieces)
    except (zlib.error, zipfile.BadZipFile):  # damaged: zipfile reads it, and says so
        return None


def read_bounded(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """``z.read(info)`` that never inflates past the member's declared size (zipfile's own
    ``read()`` inflates the whole stream first, then cuts it). Errors are zipfile's."""
    with z.open(info) as fh:
        return fh.read(max(info.file_size, 1))  # zipfile stops at the declared size


# ----------------------------------------------------------------------------- writing


@dataclass
class ZipMember:
    """One member: its name, CRC-32, uncompressed size and raw-deflate bytes."""

    name: str
    crc: int
    size: int
    data: bytes

    @classmethod
    def of(cls, name: str, raw: bytes, level: int = 6) -> ZipMember:
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        return cls(name, zlib.crc32(raw), len(raw), c.compress(raw) + c.flush())


def raw_member(data: bytes, info: zipfile.ZipInfo) -> ZipMember:
    """Deflated member ``info`` of the zip ``data`` as it is (bytes, CRC and size kept), to
    copy into another zip."""
    raw = member_bytes(data, info) if info.compress_type == zipfile.ZIP_DEFLATED else None
    if raw is None:
        raise ValueError(f"unexpected zip member {info.filename}")
    return ZipMember(info.filename, info.CRC, info.file_size, raw)


def _flags(name: bytes) -> int:
    return 0 if name.isascii() else 0x800  # bit 11: the name is UTF-8


def write_local_header(name: bytes, crc: int, csize: int, usize: int) -> bytes:
    """The local header of a deflated member (then its ``csize`` bytes follow)."""
    return _LOCAL.pack(LOCAL_SIGNATURE, 20, _flags(name), 8, 0, DOS_DATE, crc, csize, usize,
                       len(name), 0) + name


def central_entry(name: bytes, crc: int, csize: int, usize: int, offset: int) -> bytes:
    """The central-directory entry of a deflated member whose local header is at ``offset``."""
    return _CENTRAL.pack(0x02014B50, (3 << 8) | 20, 20, _flags(name), 8, 0, DOS_DATE, crc,
                         csize, usize, len(name), 0, 0, 0, 0, _ATTR, offset) + name


def finish_zip(out: list[bytes], central: list[bytes], offset: int) -> bytes:
    """``out`` (local headers and data, ``offset`` bytes) closed with the central directory
    ``central`` and the end record: the zip's bytes."""
    cd = b"".join(central)
    n = len(central)
    if offset + len(cd) >= 0xFFFFFFFF or n >= 0xFFFF:
        raise ValueError("too large for a zip without zip64")
    out.append(cd)
    out.append(_EOCD.pack(0x06054B50, 0, 0, n, n, len(cd), offset, 0))
    return b"".join(out)


def write_zip(members: Sequence[ZipMember]) -> bytes:
    """A zip of already deflated members: local headers, data, central directory (no zip64)."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        name = m.name.encode("utf-8")
        head = write_local_header(name, m.crc, len(m.data), m.size)
        central.append(central_entry(name, m.crc, len(m.data), m.size, offset))
        out += (head, m.data)
        offset += len(head) + len(m.data)
    return finish_zip(out, central, offset)
