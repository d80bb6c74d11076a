"""The worksheet shortcut (``_quick_scan``) against the expat scan it stands in for.

Whenever the shortcut answers, its rows are the expat scan's, and the expat scan does not
fail; on anything it does not know (prefixes, comments, references, other encodings, shared
formulas ...) it answers None and the expat scan reads the sheet.
"""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLES
from workbooks import fill

from xlkit.read.fastsource import _expat_scan, _plain_text, _quick_scan, _scan

SHEET = "xl/worksheets/sheet1.xml"
META = "xl/worksheets/sheet3.xml"
ASKS = [(26, 13, None), (1000, 2, None), (12, 8, frozenset({"D6", "F6", "K6", "C3", "A1", "A2"})),
        (40, 13, frozenset({"F7", "H7", "H9", "L15", "M15", "K26", "C26"}))]


def _expat_or_error(data: bytes, max_row: int, max_col: int, wanted):
    try:
        return _expat_scan(data, max_row, max_col, wanted)
    except Exception as exc:  # noqa: BLE001 - any failure is a difference
        return ("raised", type(exc).__name__)


def assert_same(data: bytes) -> bool:
    """The shortcut's rows, where it answers, are the expat scan's; whether it answered."""
    answered = False
    for ask in ASKS:
        quick = _quick_scan(data, *ask)
        if quick is not None:
            answered = True
            assert quick == _expat_or_error(data, *ask), ask
            assert _scan(data, *ask) == quick
    return answered


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


@pytest.fixture
def filled(issued, tmp_path) -> Path:
    """A return typed in with openpyxl (``<c ... />``, ``<v />``: its own spellings)."""
    dst = tmp_path / "filled.xlsx"
    fill(issued, dst, {"funds.total.executed": 1200, "ind.0.actual": 80, "ind.1.actual": "及时",
                       "ind.3.actual": "95%", "signoff.0": "张三 & <李四>"})
    return dst


def test_written_forms_take_the_shortcut_and_read_the_same(issued, filled):
    paths = [issued, filled, *sorted((SAMPLES / "returns").rglob("*.xlsx"))]
    for path in paths:
        parts = _parts(path)
        for name in (SHEET, META):
            assert assert_same(parts[name]), f"{path.name} {name}: the shortcut did not apply"


@pytest.mark.libreoffice
def test_libreoffice_saves_take_the_shortcut(issued, tmp_path, libreoffice):
    from engine import recalculate

    saved = recalculate([issued], tmp_path / "lo")[0]
    parts = _parts(saved)
    for name in (SHEET, META):
        assert assert_same(parts[name]), name


def _form(issued: Path) -> bytes:
    return _parts(issued)[SHEET]


def _first_value_cell(data: bytes) -> bytes:
    at = data.index(b"<v>")
    return data[data.rindex(b"<c ", 0, at):data.index(b"</c>", at) + 4]


ODD = {  # what the shortcut does not read: the expat scan must
    "prefixed cell": lambda d: d.replace(b"<c ", b'<x:c xmlns:x="http://schemas.openxmlformats.org/'
                                              b'spreadsheetml/2006/main" ', 1),
    "cell without r": lambda d: re.sub(rb'<c r="[A-Z]+[0-9]+"( s="[0-9]+"/>)', rb"<c\1", d,
                                        count=1),  # the first blank cell
    "comment": lambda d: d.replace(b"</row>", b"<!-- note --></row>", 1),
    "CDATA": lambda d: d.replace(b"<v>", b"<v><![CDATA[", 1).replace(b"</v>", b"]]></v>", 1),
    "processing instruction": lambda d: d.replace(b"</row>", b"<?pi x?></row>", 1),
    "shared formula": lambda d: d.replace(b"<f>", b'<f t="shared" ref="K6:K7" si="0">', 1),
    "character reference to a control": lambda d: d.replace(b"<v>", b"<v>&#1;", 1),
    "character reference to a line end": lambda d: d.replace(b"<v>", b"<v>&#13;", 1),
    "character reference to ]": lambda d: d.replace(b"<v>", b"<v>&#93;", 1),
    "Latin-1 declared": lambda d: d.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1),
    "UTF-16": lambda d: d.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    .encode("utf-16"),
    "carriage return": lambda d: d.replace(b"</v>", b"\r\n</v>", 1),
    "whitespace between tags": lambda d: d.replace(b"</c><c ", b"</c>\n  <c ", 1),
    "row before sheetData": lambda d: d.replace(b"<sheetData>", b'<row r="1"/><sheetData>', 1),
    "default namespace redeclared": lambda d: d.replace(b'<row r="2"', b'<row xmlns="urn:x" r="2"', 1),
    "unbound prefix on a row": lambda d: d.replace(b'<row r="2"', b'<row r="2" y:a="1"', 1),
    "attribute twice": lambda d: d.replace(b'<row r="2"', b'<row r="2" spans="1:2"', 1)
    .replace(b'spans="1:2" spans=', b'spans="1:2" ht="1" spans=', 1),
    "rich inline text": lambda d: re.sub(rb'<c r="A2".*?</c>',
                                         b'<c r="A2" t="inlineStr"><is><r><t>x</t></r></is></c>', d,
                                         count=1),
    "value with attributes": lambda d: d.replace(b"<v>", b'<v xml:space="preserve">', 1),
    "reference with $": lambda d: d.replace(b'r="B2"', b'r="$B$2"', 1),
    "control character": lambda d: d.replace(b"</v>", b"\x01</v>", 1),
    "U+FFFF": lambda d: d.replace(b"</v>", "\uffff".encode() + b"</v>", 1),
    "bad UTF-8": lambda d: d.replace(b"</v>", b"\xff</v>", 1),
    "]]> in text": lambda d: d.replace(b"</v>", b"]]></v>", 1),
    "undefined entity": lambda d: d.replace(b"</v>", b"&nbsp;</v>", 1),
    "cell outside a row": lambda d: d.replace(b"<sheetData>", b'<sheetData><c r="A1"><v>1</v></c>',
                                              1),
    "row in a row": lambda d: d.replace(b'<row r="2"', b'<row r="9"><row r="2"', 1)
    .replace(b"</sheetData>", b"</row></sheetData>", 1),
    "unclosed row": lambda d: d.replace(b"</row>", b"", 1),
    "stray end tag": lambda d: d.replace(b"</row>", b"</row></row>", 1),
    "a value twice": lambda d: d.replace(b"</v>", b"</v><v>2</v>", 1),
    "a cell in a value": lambda d: d.replace(b"<v>", b'<v><c r="Z1"/>', 1),
}


@pytest.mark.parametrize("odd", sorted(ODD))
def test_odd_sheets_go_through_expat(issued, odd):
    data = ODD[odd](_form(issued))
    assert data != _form(issued), "the edit must change the sheet"
    for ask in ASKS:
        assert _quick_scan(data, *ask) is None, ask
        try:
            want = _expat_scan(data, *ask)
        except Exception as exc:  # noqa: BLE001 - damage: _scan must say so, as expat does
            with pytest.raises(type(exc)):
                _scan(data, *ask)
        else:
            assert _scan(data, *ask) == want


def test_entities_and_spellings_read_as_expat_reads_them(issued):
    d = _form(issued)
    cell = _first_value_cell(d)
    ref = cell[cell.index(b'r="') + 3:cell.index(b'"', cell.index(b'r="') + 3)]
    variants = [
        b'<c r="%s" t="str"><f aca="false">A1&amp;&quot;&lt;&gt;&apos;</f><v>x &amp; y</v></c>',
        b'<c r="%s" t="inlineStr"><is><t xml:space="preserve">  a &lt; b  </t></is></c>',
        b'<c r="%s" t="inlineStr"><is></is></c>',
        b'<c r="%s" s="3"><f>1+1</f><v /></c>',
        b'<c r="%s"><v></v></c>',
        b'<c r="%s" t="e"><v>#N/A</v></c>',
        b'<c r="%s" s="1"></c>',
        b'<c r="%s" t="s" s="2"><v>3</v></c>',  # t before s: not the shortcut's order
    ]
    variants += [  # character references, as openpyxl writes text when lxml is installed
        b'<c r="%s" t="inlineStr"><is><t>&#24180;&#24230; &#38;&#60;b&#62; &#x4E2D;</t></is></c>',
        b'<c r="%s" t="str"><f>A1&amp;&#34;&#24180;&#34;</f><v>&#49;&#50;</v></c>',
    ]
    for v in variants:
        data = d.replace(cell, v % ref, 1)
        assert data != d
        for ask in ASKS:
            quick = _quick_scan(data, *ask)
            assert quick is None or quick == _expat_scan(data, *ask), (v, ask)
    for v in (variants[0], variants[-2], variants[-1]):  # the usual spellings are taken
        assert _quick_scan(d.replace(cell, v % ref, 1), 26, 13, None) is not None, v


def test_rows_out_of_order_and_past_the_last_are_as_expat_reads_them(issued):
    d = _form(issued)
    late = d.replace(b'<row r="3"', b'<row r="1"', 1)  # a row numbered below one seen: skipped
    assert _quick_scan(late, 26, 13, None) == _expat_scan(late, 26, 13, None)
    zero = d.replace(b'<row r="2"', b'<row r="0"', 1)
    assert _quick_scan(zero, 26, 13, None) == _expat_scan(zero, 26, 13, None)
    tail = d.replace(b'<row r="20"', b'<row r="20"><<<', 1)  # damage after the last row asked
    assert _quick_scan(tail, 12, 13, None) == _expat_scan(tail, 12, 13, None)  # unseen by both
    assert _quick_scan(tail, 26, 13, None) is None
    with pytest.raises(Exception, match="not well-formed"):
        _scan(tail, 26, 13, None)


def test_plain_text_refuses_what_expat_would_judge():
    assert _plain_text(b"x<v>a &amp; b</v>y", 1, 17) == "<v>a &amp; b</v>"
    for bad in (b"&#9;", b"&#xD;", b"&#93;", b"&#xFFFE;", b"&#xD800;", b"&#1114112;", b"&x;",
                b"\r", b"\x00", b"\x1f", b"]]>", b"\xff", "\ufffe".encode()):
        assert _plain_text(b"<v>" + bad + b"</v>", 0, 8 + len(bad)) is None, bad
    # character references (openpyxl writes text so when lxml is installed) are the characters
    # expat gives; those standing for markup stay entities, so the text scans as written
    refs = b"<v>&#24180;&#x5EA6;</v>"
    assert _plain_text(refs, 0, len(refs)) == "<v>年度</v>"
    markup = b"<v>&#38;&#60;&#x3E;&#34;&#39;</v>"
    assert _plain_text(markup, 0, len(markup)) == \
        "<v>&amp;&lt;&gt;&quot;&apos;</v>"
    assert _plain_text(b"<v>]] ]></v>", 0, 13) == "<v>]] ]></v>"  # "]" alone is text
    assert _plain_text(b"<v>\t\n</v>", 0, 9) == "<v>\t\n</v>"


PIECES = [b"<", b">", b"&", b"&#65;", b"&lt;", b'"', b" ", b"\r", b"\n", b"\x01", b"]]>",
          b"<!-- x -->", b"<![CDATA[x]]>", b'<x:c r="A1"/>', b"</row>", b'<row r="3">',
          b'<row r="3"/>', b' xmlns="a"', b"x:", b' xmlns:x="u"', b"\xef\xbf\xbe", b"\xff",
          b'<c r="A1"/>', b'<c r="Z9"><v>1</v></c>', b"<v>2</v>", b"<f>A1</f>", b"<is><t>q</t></is>",
          b' s="1"', b' t="s"', b' r="B2"', b"<?pi x?>", b"/", b"=", b"'", b"0", b"<c>",
          b'<f t="shared" si="0"/>', b' x14ac:dyDescent="1"', b' y:a="1"', b' r="4"', b"</c>",
          b"&amp;", b"&#0;", b"\x00", "中".encode(), b'encoding="latin-1"']


def test_damaged_sheets_never_read_differently(issued, filled):
    """Random damage in and around sheetData: the shortcut answers only as expat would."""
    rng = random.Random(20240520)
    sheets = [_form(issued), _parts(filled)[SHEET], _parts(issued)[META]]
    answered = 0
    for _ in range(1500):
        d = rng.choice(sheets)
        lo, hi = d.index(b"<sheetData>"), d.index(b"</sheetData>") + 12
        for _ in range(rng.choice((1, 1, 2))):
            at = rng.randrange(rng.choice((0, lo)), min(rng.choice((hi, len(d))), len(d)))
            op = rng.random()
            cut = rng.randint(1, 4) if op < 0.3 else 1 if op > 0.7 else 0
            d = d[:at] + (b"" if op < 0.3 else rng.choice(PIECES)) + d[at + cut:]
        answered += assert_same(d)
    assert answered > 500  # most damage is elsewhere or harmless; the shortcut still serves
