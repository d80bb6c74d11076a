"""What precheck reads is what the reader reads: the file once, each part decompressed once.

Precheck keeps the file's bytes and the parts it decompressed whole; the fast source reads
those instead of the file. These tests hold that the kept parts are zipfile's own reading of
them, that a damaged entry is refused as zipfile refuses it, that a source fed by precheck
answers as a source that opens the file itself, and that a signature is checked the same
way whether or not the stored payload text is used.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import SAMPLES
from test_fast_read import SAMPLE_RETURNS, _rectangle

from xlkit.core.meta import canonical, sign, verify
from xlkit.ooxml.errors import damage_reason
from xlkit.ooxml.safety import HEAD_BYTES, precheck
from xlkit.read import read_workbook
from xlkit.read.fastsource import ZipXmlSource
from xlkit.read.source import OpenpyxlSource, open_source


@pytest.mark.parametrize("path", SAMPLE_RETURNS[:4] + sorted(
    (SAMPLES / "returns").rglob("*.xlsx"))[-2:], ids=lambda p: p.name[:18])
def test_kept_parts_are_zipfiles_reading(path):
    assert_kept_as_zipfile_reads(path)


def assert_kept_as_zipfile_reads(path: Path) -> None:
    pre = precheck(path)
    assert pre.kind == "xlsx" and pre.data == path.read_bytes()
    with zipfile.ZipFile(path) as z:
        xml = [i for i in z.infolist() if i.filename.endswith((".xml", ".rels", ".vml"))]
        assert set(pre.parts) == {i.filename for i in xml if i.file_size <= HEAD_BYTES
                                  or i.filename.startswith("xl/worksheets/")}
        for name, data in pre.parts.items():
            assert data == z.read(name), name


def test_stored_parts_are_kept_too(issued, tmp_path):
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(issued) as zin, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    assert_kept_as_zipfile_reads(stored)


def test_a_source_fed_by_precheck_answers_as_one_that_opens_the_file(issued, tmp_path):
    for path in [issued, *SAMPLE_RETURNS[:3]]:
        fed = open_source(path, "xlsx", "fast", precheck(path))
        alone, slow = ZipXmlSource(path), OpenpyxlSource(path)
        assert fed.sheets() == alone.sheets() and fed.names() == alone.names()
        assert fed.meta_rows() == alone.meta_rows() and fed.modified() == alone.modified()
        for sheet in alone.sheets():
            addresses = _rectangle(slow.wb_f[sheet])
            fed.load(sheet, addresses)
            alone.load(sheet, addresses)
            assert [fed.cell(sheet, a) for a in addresses] == \
                [alone.cell(sheet, a) for a in addresses], f"{path.name} {sheet}"
        for src in (fed, alone, slow):
            src.close()


def _edit_entry(src: Path, dst: Path, part: str, edit) -> Path:
    """``src`` with the stored bytes of ``part`` changed by ``edit(data, local header
    offset, data offset)`` (the directory left as it was)."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(part)
    at = info.header_offset
    name_len = int.from_bytes(data[at + 26:at + 28], "little")
    extra_len = int.from_bytes(data[at + 28:at + 30], "little")
    edit(data, at, at + 30 + name_len + extra_len)
    dst.write_bytes(bytes(data))
    return dst


def _flip(data: bytearray, at: int, start: int) -> None:
    data[start + 40] ^= 0xFF  # deflated data damaged


def _rename(data: bytearray, at: int, start: int) -> None:
    data[at + 30] = ord("Y")  # the local header names another part


def _encrypted(data: bytearray, at: int, start: int) -> None:
    data[at + 6] |= 1  # the local flag only; zipfile trusts the directory's


@pytest.mark.parametrize("edit", [_flip, _rename, _encrypted])
@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "docProps/app.xml"])
def test_damaged_entries_are_read_or_refused_as_zipfile_does(issued, tmp_path, edit, part):
    path = _edit_entry(issued, tmp_path / "damaged.xlsx", part, edit)
    with zipfile.ZipFile(path) as z:
        try:
            want: object = z.read(part)
        except Exception as exc:  # noqa: BLE001 - zipfile's own answer is the reference
            want = f"{type(exc).__name__}: {exc}"
    pre = precheck(path)
    if isinstance(want, bytes):
        assert pre.kind == "xlsx" and pre.parts[part] == want
    else:
        assert pre.rejected is not None and pre.rejected.code == "file.corrupt"
        # zipfile's answer, said in Chinese (never its English text or exception name)
        assert part in pre.rejected.message, pre.rejected.message
        assert damage_reason(_exception(str(want))) in pre.rejected.message
        assert "Error" not in pre.rejected.message and str(want).split(": ", 1)[1] \
            not in pre.rejected.message


def _exception(text: str) -> Exception:
    """``"BadZipFile: Bad CRC-32 ..."`` back into the exception (zipfile's or zlib's)."""
    name, _, msg = text.partition(": ")
    kinds = {"BadZipFile": zipfile.BadZipFile, "error": zlib.error, "EOFError": EOFError,
             "NotImplementedError": NotImplementedError, "RuntimeError": RuntimeError}
    return kinds.get(name, ValueError)(msg)


def test_read_results_do_not_depend_on_reuse(issued, tmp_path, key, monkeypatch):
    """The same result when precheck keeps nothing (as for a file too large to keep)."""
    from xlkit.ooxml import safety

    reused = read_workbook(issued, key=key).to_dict()
    monkeypatch.setattr(safety, "KEEP_FILE_BYTES", 0)
    assert precheck(issued).data is None
    assert read_workbook(issued, key=key).to_dict() == reused


def test_signature_checked_on_the_stored_text_or_the_payload(key):
    payload = {"template_id": "project-2020", "year": 2023, "fields": {"a": "$A$1"}, "x": 1.5}
    signature, text = sign(payload, key), canonical(payload)
    assert verify(payload, signature, key, text) and verify(payload, signature, key)
    spaced = text.replace(",", ", ")  # the same payload, stored otherwise: still verified
    assert verify(payload, signature, key, spaced)
    assert not verify({**payload, "year": 2024}, signature, key, text.replace("2023", "2024"))
    assert not verify(payload, signature, b"another-office-key-000", text)
