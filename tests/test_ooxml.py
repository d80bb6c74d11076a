"""xlkit.ooxml's plumbing: text escaping, sheet parts, zip reading and writing; the bounded cache."""

from __future__ import annotations

import io
import zipfile

import pytest
import xlsxwriter
from xlsxwriter.xmlwriter import XMLwriter

from xlkit.core.cache import BoundedCache
from xlkit.ooxml.parts import parse_rels, resolve_sheets, sheet_parts
from xlkit.ooxml.xml import UnsafeXML, escape_text, feed, parser, text_element
from xlkit.ooxml.zip import (
    ZipMember,
    local_header,
    member_bytes,
    raw_member,
    read_member,
    write_zip,
)

# ----------------------------------------------------------------------------- escaping


def _xlsxwriter(text: str) -> str:
    return XMLwriter()._escape_data(XMLwriter._escape_control_characters(text))


@pytest.mark.parametrize("text", [
    "plain", "a & b < c > d", '"quoted"', "tab\there", "new\nline", "\x00\x01\x08\x0b\x0c\x1f",
    "\ufffe\uffff", "_x000D_", "x_x0041_y", "_x00zz_", "_X000D_", "both\x07_x0007_",
    "全角　文字", "emoji 😀", " edge ", "\r\n",
])
def test_escape_text_is_xlsxwriters(text):
    assert escape_text(text) == _xlsxwriter(text)


def test_control_characters_and_literal_escapes():
    assert escape_text("a\x00b") == "a_x0000_b"
    assert escape_text("\x1f") == "_x001F_"
    assert escape_text("\ufffe") == "_xFFFE_"
    assert escape_text("_x000D_") == "_x005F_x000D_"  # kept literal, as Excel does
    assert escape_text("\x0d_x000D_") == "_x000D__x005F_x000D_"
    assert escape_text("tab\tnl\n") == "tab\tnl\n"  # allowed in XML: left alone


def test_surrogates_pass_through_and_cannot_be_encoded():
    lone = "a\ud800b"
    assert escape_text(lone) == lone
    with pytest.raises(UnicodeEncodeError):
        text_element(lone).encode("utf-8")
    assert escape_text("😀") == "😀"  # a pair is one character in Python


def test_text_element_preserves_edge_space():
    assert text_element("abc") == "<t>abc</t>"
    assert text_element(" abc") == '<t xml:space="preserve"> abc</t>'
    assert text_element("abc\n") == '<t xml:space="preserve">abc\n</t>'
    assert text_element("a&b") == "<t>a&amp;b</t>"
    assert text_element("\x01") == "<t>_x0001_</t>"


def test_shared_strings_as_xlsxwriter_writes_them(tmp_path):
    """text_element gives what xlsxwriter puts in sharedStrings.xml for the same text."""
    texts = ["a & b", " lead", "trail ", "\x01ctl", "_x0041_", "中文", "x\ny"]
    path = tmp_path / "s.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for i, t in enumerate(texts):
        ws.write_string(i, 0, t)
    wb.close()
    sst = zipfile.ZipFile(path).read("xl/sharedStrings.xml").decode("utf-8")
    for t in texts:
        assert f"<si>{text_element(t)}</si>" in sst


def test_parser_refuses_doctype():
    p = parser()
    with pytest.raises(UnsafeXML):
        feed(p, b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')


# ----------------------------------------------------------------------------- sheet parts

BOOK = b"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>
<sheet name="A" sheetId="1" r:id="rId1"/>
<sheet name="B" sheetId="2" state="hidden" r:id="rId2"/>
<sheet name="C" sheetId="3" r:id="rId3"/>
<sheet name="Chart" sheetId="4" r:id="rId4"/>
<sheet name="Gone" sheetId="5" r:id="rId5"/>
<sheet name="NoId" sheetId="6"/>
<sheet name="A" sheetId="7" state="veryHidden" r:id="rId6"/>
</sheets></workbook>"""

WS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
CS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet"
RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{WS}" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{WS}" Target="/xl/worksheets/sheet2.xml"/>
<Relationship Id="rId3" Type="{WS}" Target="./worksheets/../worksheets/sheet3.xml"/>
<Relationship Id="rId4" Type="{CS}" Target="chartsheets/sheet1.xml"/>
<Relationship Id="rId5" Type="{WS}" Target="worksheets/missing.xml"/>
<Relationship Id="rId6" Type="{WS}" Target="worksheets/sheet4.xml"/>
<Relationship Id="rId7" Type="{WS}" Target="http://example.com/x.xml" TargetMode="External"/>
</Relationships>""".encode()

PRESENT = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
           "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml",
           "xl/chartsheets/sheet1.xml"}


def test_rels_targets_made_absolute():
    rels = parse_rels(RELS, "xl/_rels/workbook.xml.rels")
    assert rels["rId1"][1] == "xl/worksheets/sheet1.xml"
    assert rels["rId2"][1] == "xl/worksheets/sheet2.xml"  # absolute target
    assert rels["rId3"][1] == "xl/worksheets/sheet3.xml"  # dots resolved
    assert rels["rId7"][1] == "http://example.com/x.xml"  # external: as written


def test_sheet_parts_as_openpyxl_takes_them():
    parts = {"xl/workbook.xml": BOOK, "xl/_rels/workbook.xml.rels": RELS}
    assert sheet_parts(parts.__getitem__, PRESENT) == {
        "A": "xl/worksheets/sheet1.xml",  # the first sheet of a name
        "B": "xl/worksheets/sheet2.xml",
        "C": "xl/worksheets/sheet3.xml",
    }
    from xlkit.ooxml.parts import parse_workbook
    book = parse_workbook(BOOK)
    resolved = resolve_sheets(book.sheets, parse_rels(RELS, "xl/_rels/workbook.xml.rels"),
                              PRESENT)
    assert resolved.states == {"A": "veryHidden", "B": "hidden", "C": "visible"}


def test_sheet_parts_of_an_unknown_relationship_raise():
    book = BOOK.replace(b'r:id="rId1"', b'r:id="rId99"')
    parts = {"xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": RELS}
    with pytest.raises(KeyError):
        sheet_parts(parts.__getitem__, PRESENT)


def test_sheet_parts_of_an_xlsxwriter_workbook(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("一", "two", "_meta"):
        wb.add_worksheet(name)
    wb.close()
    z = zipfile.ZipFile(path)
    assert sheet_parts(z.read, z.namelist()) == {
        "一": "xl/worksheets/sheet1.xml", "two": "xl/worksheets/sheet2.xml",
        "_meta": "xl/worksheets/sheet3.xml"}


# ----------------------------------------------------------------------------- zip


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors (flag bit 3)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.buf += b
        return len(b)


def _zip_with_descriptors(members: dict[str, bytes]) -> bytes:
    out = _Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return bytes(out.buf)


def test_members_with_data_descriptors_read_as_zipfile_reads_them():
    members = {"a.xml": b"<a/>" * 100, "目录/b.xml": "中文".encode() * 50, "empty": b""}
    data = _zip_with_descriptors(members)
    z = zipfile.ZipFile(io.BytesIO(data))
    for info in z.infolist():
        assert info.flag_bits & 0x08  # written with a data descriptor
        head = local_header(data, info.header_offset)
        assert head is not None and head.flags & 0x08
        assert read_member(data, info, z.metadata_encoding) == members[info.filename]
        raw = member_bytes(data, info)
        assert raw is not None and len(raw) == info.compress_size
        m = raw_member(data, info)
        assert (m.crc, m.size) == (info.CRC, info.file_size)


def test_read_member_leaves_odd_members_to_zipfile():
    data = _zip_with_descriptors({"a.xml": b"<a/>" * 100})
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.infolist()[0]
    damaged = bytearray(data)
    damaged[info.header_offset] = 0  # no local header signature
    assert read_member(bytes(damaged), info) is None
    bad_crc = zipfile.ZipInfo("a.xml")
    for attr in ("header_offset", "compress_size", "file_size", "compress_type", "flag_bits"):
        setattr(bad_crc, attr, getattr(info, attr))
    bad_crc.CRC = info.CRC ^ 1
    assert read_member(data, bad_crc) is None
    assert local_header(data[:10], 0) is None


def test_stored_member_read():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("s.txt", b"stored bytes")
    data = buf.getvalue()
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert read_member(data, info) == b"stored bytes"
    with pytest.raises(ValueError):
        raw_member(data, info)  # only deflated members are copied as they are


def test_write_zip_round_trip():
    members = [ZipMember.of("a.xml", b"<a/>"), ZipMember.of("中文.xml", "内容".encode()),
               ZipMember.of("big", bytes(range(256)) * 1000, level=1)]
    data = write_zip(members)
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    assert z.read("中文.xml") == "内容".encode()
    for info in z.infolist():
        assert read_member(data, info, z.metadata_encoding) == z.read(info)
    copied = write_zip([raw_member(data, i) for i in z.infolist()])
    assert copied == data


# ----------------------------------------------------------------------------- cache


def test_bounded_cache_keeps_its_bound_and_its_newest():
    c: BoundedCache[int, int] = BoundedCache(16)
    for i in range(100):
        assert c.put(i, i * i) == i * i
        assert len(c) <= 16
    assert c.get(99) == 99 * 99 and 0 not in c


def test_bounded_cache_recent_is_lru():
    c: BoundedCache[str, int] = BoundedCache(8)
    for i in range(8):
        c.put(str(i), i)
    assert c.recent("0") == 0  # used: now the newest
    c.put("new", 1)  # full: the oldest eighth (one entry) goes
    assert "0" in c and "1" not in c
    assert c.recent("missing") is None
    with pytest.raises(ValueError):
        BoundedCache(0)


def test_hidden_lines_read_from_the_tags_agree_with_the_parser():
    """The quick path (only the tags that say hidden) and the parser give the same lines."""
    import io

    from xlkit.ooxml.parts import hidden_lines

    cases = [
        b'<worksheet><cols><col min="3" max="4" hidden="1"/></cols><sheetData>'
        b'<row r="2" hidden="1"><c r="A2" t="inlineStr"><is><t>x hidden="1"</t></is></c></row>'
        b'<row r="5" spans="1:2" hidden=\'true\'/><row r="6" hidden="0"/></sheetData></worksheet>',
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="9" hidden="1"/>'
        b'</x:sheetData></x:worksheet>',
        b'<worksheet><sheetData><row hidden="1"/><row/><row hidden="1"/></sheetData></worksheet>',
        b'<worksheet><sheetData><row r="3"><c r="A3"><v>1</v></c></row></sheetData>'
        b'<rowBreaks><brk id="3" hidden="1"/></rowBreaks></worksheet>',
    ]
    for xml in cases:
        assert hidden_lines(xml) == hidden_lines(io.BytesIO(xml)), xml
