"""The fast reading path (zip + expat) against the openpyxl path: the same results, always.

Every comparison is made twice: on the reader's result (``ReadResult.to_dict()``, i.e. the
tables and the findings) and on the source itself (sheets, names, ``_meta`` rows, save time,
and every cell of every sheet: value, formula, percent format).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import SAMPLES
from engine import recalculate
from workbooks import ISSUE, TARGETS, cell, fill, name_map

from xlkit import read_many, read_workbook
from xlkit.build import build_workbook, write_atomic
from xlkit.core.spec import load_spec
from xlkit.findings import InputError
from xlkit.ooxml.safety import DEFAULT_LIMITS
from xlkit.read.batch import _work
from xlkit.read.fastsource import ZipXmlSource, shows_percent
from xlkit.read.source import OpenpyxlSource, open_source

HOSTILE = Path(__file__).resolve().parent / "data" / "corpus" / "hostile"
SAMPLE_KEY = (SAMPLES / "示例密钥.txt").read_bytes().strip()
SAMPLE_RETURNS = sorted((SAMPLES / "returns").rglob("*.xlsx"))


def both(path: Path, **kw: Any) -> tuple[dict, dict]:
    """``read_workbook`` on both engines, as the batch runs it (a crash is a rejection)."""
    fast = read_workbook(path, engine="fast", **kw)  # never raises, by contract
    slow = _work((str(path), kw.get("key"), kw.get("year"), DEFAULT_LIMITS, "openpyxl"))
    return fast.to_dict(), slow.to_dict()


def assert_same_result(path: Path, **kw: Any) -> dict:
    fast, slow = both(path, **kw)
    if fast != slow:
        diff = {k: (fast[k], slow[k]) for k in fast if fast[k] != slow[k]}
        pytest.fail(f"{path.name}: engines differ in {sorted(diff)}: {str(diff)[:3000]}")
    return fast


def _rectangle(ws) -> list[str]:
    rows, cols = ws.max_row or 60, ws.max_column or 26
    return [f"{openpyxl.utils.get_column_letter(c)}{r}" for r in range(1, rows + 1)
            for c in range(1, cols + 1)]


def assert_same_source(path: Path) -> ZipXmlSource:
    """Source level: sheets, names, _meta rows, save time and every cell of every sheet."""
    fast, slow = ZipXmlSource(path), OpenpyxlSource(path)
    try:
        assert fast.sheets() == slow.sheets()
        assert fast.names() == slow.names()
        assert fast.meta_rows() == slow.meta_rows()
        assert fast.modified() == slow.modified()
        for sheet in slow.sheets():
            addresses = _rectangle(slow.wb_f[sheet])
            fast.load(sheet, addresses)
            slow.load(sheet, addresses)
            for a in addresses:
                f, s = fast.cell(sheet, a), slow.cell(sheet, a)
                assert f == s, f"{path.name} {sheet}!{a}: fast {f} != openpyxl {s}"
                assert type(f.value) is type(s.value), f"{sheet}!{a}: {f.value!r} {s.value!r}"
    finally:
        fast.close()
        slow.close()
    return fast


# ------------------------------------------------------------------- (1) the sample returns


@pytest.mark.parametrize("path", SAMPLE_RETURNS, ids=lambda p: p.name[:18])
def test_sample_returns_read_the_same_on_both_engines(path):
    r = assert_same_result(path, key=SAMPLE_KEY, year=2023)
    assert r["status"] == "read"
    assert_same_source(path)


def test_read_many_engine_option_gives_equal_tables():
    fast = read_many([SAMPLES / "returns"], key=SAMPLE_KEY, year=2023, jobs=2, engine="fast")
    slow = read_many([SAMPLES / "returns"], key=SAMPLE_KEY, year=2023, jobs=2,
                     engine="openpyxl")
    for name in ("projects", "funds", "indicators", "scores", "findings", "files"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.equals(b), name
    assert len(fast.projects) == 11


def test_unknown_engine_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="engine"):
        read_workbook(SAMPLE_RETURNS[0], engine="calamine")
    with pytest.raises(ValueError, match="engine"):
        open_source(SAMPLE_RETURNS[0], "xlsx", "calamine")
    with pytest.raises(ValueError, match="engine"):
        read_many([tmp_path], engine="calamine")
    assert isinstance(open_source(SAMPLE_RETURNS[0], "xlsx"), ZipXmlSource)
    assert isinstance(open_source(SAMPLE_RETURNS[0], "xlsx", "openpyxl"), OpenpyxlSource)


# ------------------------------------------------------------------- (2) a random corpus

TEXTS = ["已完成", "基本完成", "好", "及时拨付", "未统计", "见附件", "  有空格  ", "A&B<C>",
         "第一行\n第二行", "😀 emoji", "x005F_x", "=SUM(1,2)", "'01234", "", "0", "TRUE"]
NUMBER_TEXTS = ["1,200.50", "1，488.78", "95%", "９５％", "８０", "≥90%", "90%以上", "1000万元",
                "2次以上", "－12", "3.5e2", "905", "0.95", "1 200", "12.", ".5", "N/A", "#DIV/0!"]


def _random_value(rng: random.Random, vtype: str) -> Any:
    roll = rng.random()
    if roll < 0.12:
        return None
    if vtype == "tier":
        return rng.choice(["达成", "部分达成", "未达成", "达 成", "完成", 1])
    if vtype == "direction":
        return rng.choice(["≥", "≤", "=", "定性", "大于等于", ">=", "正向", "?"])
    if vtype == "date":
        return rng.choice([dt.datetime(2024, 5, rng.randint(1, 28)), "2024.5.20", "2024-13-01",
                           "2024年5月20日", 45432, dt.date(2024, 6, 1)])
    if vtype in ("text", "longtext", "choice"):
        return rng.choice(TEXTS + [rng.randint(0, 99), True])
    # money, weight, score, any: numbers, typed numbers, text, odd values
    kind = rng.random()
    if kind < 0.35:
        return rng.choice([rng.randint(0, 2000), round(rng.uniform(0, 2000), 2), 0, -5,
                           round(rng.uniform(0, 1), 4), 1e-7, 123456789012, 1.5e15])
    if kind < 0.75:
        return rng.choice(NUMBER_TEXTS)
    if kind < 0.85:
        return rng.choice(TEXTS)
    return rng.choice([True, False, dt.datetime(2023, 12, 31), "=1+1", "=A1"])


def _make_return(rng: random.Random, built: Path, layout, dst: Path) -> str:
    """Fill ``built`` as a unit might; sometimes tamper with it. Returns what was done."""
    values = {f: _random_value(rng, c.vtype) for f, c in layout.fields.items()
              if c.kind == "input" and rng.random() < 0.8}
    wb = openpyxl.load_workbook(built)
    names = name_map(wb)
    done = []
    for f, v in values.items():
        cell(wb, f, names).value = v
    formulas = [f for f, c in layout.fields.items() if c.rule is not None and c.kind != "check"]
    prefilled = [f for f, c in layout.fields.items() if c.kind == "prefill"]
    roll = rng.random()
    if roll < 0.5:  # strip protection, then type over a formula and edit an issued figure
        for ws in wb.worksheets:
            ws.protection.sheet = False
        wb.security = None
        f = rng.choice(formulas)
        cell(wb, f, names).value = rng.choice([20, 0, 99.5, "满分", None])
        done.append(f"overwrote {f}")
        if prefilled and rng.random() < 0.6:
            f = rng.choice(prefilled)
            c = cell(wb, f, names)
            c.value = rng.choice([1200, "改过", 0.5, None])
            done.append(f"edited {f}")
    if rng.random() < 0.3:  # a percent format on some inputs (Excel's % button)
        for f in rng.sample(sorted(values), min(3, len(values))):
            cell(wb, f, names).number_format = rng.choice(["0%", "0.00%", "0.0%;[Red]-0.0%"])
            done.append(f"percent {f}")
    if rng.random() < 0.15:  # a date format on a number (openpyxl reads a datetime)
        f = rng.choice(sorted(values) or formulas)
        cell(wb, f, names).number_format = "yyyy-mm-dd"
        done.append(f"date format {f}")
    wb.save(dst)
    return ", ".join(done) or "filled"


def _corpus(tmp: Path, n: int, seed: int) -> list[tuple[Path, str]]:
    rng = random.Random(seed)
    key = b"test-office-key-0123456789"
    variants = [
        ("project-2020", ISSUE, TARGETS),
        ("project-2020", ISSUE, None),
        ("dept-2020", {"year": 2023, "unit_code": "301001", "unit_name": "益阳市医疗保障局"}, None),
        ("common-2011", {"year": 2023, "project_code": "P1"}, None),
    ]
    built = []
    for i, (sid, issue, targets) in enumerate(variants):
        b = build_workbook(load_spec(sid), issue, targets, key=key, password="pw")
        path = tmp / f"built{i}.xlsx"
        write_atomic(path, b.data)
        built.append((path, b.layout))
    out = []
    for i in range(n):
        path, layout = built[i % len(built)]
        dst = tmp / f"r{i:03d}.xlsx"
        out.append((dst, _make_return(rng, path, layout, dst)))
    return out


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")
def test_random_corpus_reads_the_same_on_both_engines(tmp_path, key):
    corpus = _corpus(tmp_path, 64, seed=20240520)
    statuses = []
    for i, (path, what) in enumerate(corpus):
        try:
            r = assert_same_result(path, key=key, year=2023)
            if i % 4 == 0:
                assert_same_source(path)
        except AssertionError as exc:
            raise AssertionError(f"{path.name} ({what}): {exc}") from None
        statuses.append(r["status"])
    assert statuses.count("read") == len(corpus)
    codes = {f.code for path, _ in corpus for f in read_workbook(path, key=key).findings}
    # the corpus reaches the checks that need formulas, typed text and issued values
    assert {"calc.formula_overwritten", "meta.issued_changed", "value.not_number"} <= codes


# ------------------------------------------------------------------- (3) LibreOffice saves


@pytest.mark.libreoffice
def test_libreoffice_saved_returns_read_the_same(tmp_path, key, libreoffice):
    corpus = _corpus(tmp_path / "in", 8, seed=7)
    saved = recalculate([p for p, _ in corpus], tmp_path / "lo")
    shared = 0
    for path in saved:
        assert_same_result(path, key=key, year=2023)
        assert_same_source(path)
        with zipfile.ZipFile(path) as z:
            sheet = z.read("xl/worksheets/sheet1.xml")
            assert b"sharedStrings" in z.read("[Content_Types].xml")  # LO writes t="s"
        shared += sheet.count(b't="shared"')
    r = read_workbook(saved[0], key=key)
    assert r.status == "read"
    # LibreOffice recalculated every formula: only typed-over formulas stay findings
    assert not [f for f in r.findings if f.code == "calc.stale"]
    print(f"LibreOffice wrote {shared} shared formula cells")  # noqa: T201 - shown with -s


# ------------------------------------------------------------------- (4) hostile and damaged


def test_hostile_corpus_never_raises_and_agrees_with_openpyxl():
    files = sorted(HOSTILE.iterdir())
    assert len(files) >= 50
    differ = {}
    for f in files:
        fast, slow = both(f)
        assert fast["status"] in ("read", "rejected"), f.name
        if fast["status"] == "rejected":
            assert fast["reason"] and fast["findings"][-1]["severity"] == "错误", f.name
        if (fast["status"], fast["code"]) != (slow["status"], slow["code"]):
            differ[f.name] = ((fast["status"], fast["code"]), (slow["status"], slow["code"]))
    assert differ == {}


def _rezip(src: Path, dst: Path, edit) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = edit(info.filename, zin.read(info))
            if body is not None:
                zout.writestr(info.filename, body)
    return dst


@pytest.fixture
def good_return(tmp_path, key) -> Path:
    b = build_workbook(load_spec("project-2020"), ISSUE, TARGETS, key=key, password="pw")
    built = tmp_path / "built.xlsx"
    write_atomic(built, b.data)
    dst = tmp_path / "good.xlsx"
    fill(built, dst, {"funds.total.executed": 1200, "ind.0.actual": 0.8, "ind.3.actual": "95%"})
    return dst


SHEET = "xl/worksheets/sheet1.xml"


def _only(part: str, fn):
    return lambda name, body: fn(body) if name == part else body


DAMAGE = {  # name -> (edit, fast code, openpyxl code when it fails for the same reason)
    "truncated sheet": (_only(SHEET, lambda b: b[: b.index(b"<row r=\"10\"")]),
                        "file.corrupt", "file.corrupt"),
    "unclosed tag": (_only(SHEET, lambda b: b.replace(b"</row>", b"</rw>", 3)),
                     "file.corrupt", "file.corrupt"),
    "bad number": (_only(SHEET, lambda b: re.sub(rb"<v>1200</v>", b"<v>12x0</v>", b)),
                   "file.corrupt", "file.corrupt"),
    "bad reference": (_only(SHEET, lambda b: b.replace(b'r="F6"', b'r="6H"', 1)),
                      "file.corrupt", "file.corrupt"),
    "bad row number": (_only(SHEET, lambda b: b.replace(b'<row r="6"', b'<row r="6.5"', 1)),
                       "file.corrupt", "file.corrupt"),
    "bad shared string": (_only(SHEET, lambda b: b.replace(
        b'<c r="F6" s="', b'<c r="F6" t="s" s="', 1).replace(b"<v>1200</v>", b"<v>999</v>", 1)),
        "file.corrupt", "file.corrupt"),
    "broken workbook": (_only("xl/workbook.xml", lambda b: b[:-20]), "file.corrupt",
                        "file.corrupt"),
    "missing relationship": (_only("xl/_rels/workbook.xml.rels",
                                   lambda b: b.replace(b'Id="rId1"', b'Id="rIdX"')),
                             "file.corrupt", "file.corrupt"),
    "entity in a sheet": (_only(SHEET, lambda b: b.replace(b"<v>1200</v>", b"<v>&big;</v>")),
                          "file.corrupt", "file.corrupt"),
    "DOCTYPE after a long prolog": (
        _only(SHEET, lambda b: b'<?xml version="1.0"?>' + b" " * 70000
              + b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>' + b[b.index(b"<worksheet"):]),
        "file.xml_unsafe", "file.corrupt"),  # openpyxl: its defused parser refuses, differently
    "no _meta part": (lambda name, b: None if name == "xl/worksheets/sheet3.xml" else b,
                      "meta.missing", "meta.missing"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_parts_are_rejected_never_raised(tmp_path, good_return, key, damage):
    edit, fast_code, slow_code = DAMAGE[damage]
    path = _rezip(good_return, tmp_path / "damaged.xlsx", edit)
    fast, slow = both(path, key=key)
    assert (fast["status"], fast["code"]) == ("rejected", fast_code), fast["reason"]
    assert (slow["status"], slow["code"]) == ("rejected", slow_code), slow["reason"]
    assert fast["project"] is None and fast["indicators"] == []  # nothing half-read counts
    assert fast["findings"][-1]["code"] == fast_code


def test_damage_found_late_is_a_source_error(good_return, tmp_path):
    path = _rezip(good_return, tmp_path / "late.xlsx", DAMAGE["bad number"][0])
    src = ZipXmlSource(path)
    src.load("自评表", ["F6"])
    with pytest.raises(InputError) as exc:
        src.cell("自评表", "F6")
    assert exc.value.code == "file.corrupt" and "文件损坏" in str(exc.value)


# ------------------------------------------------------------------- (5) crafted cells

CRAFTED = {
    "[Content_Types].xml": """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>""",
    "_rels/.rels": """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="xl/workbook.xml"/>
</Relationships>""",
    "docProps/core.xml": """<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dcterms:modified xsi:type="dcterms:W3CDTF">2024-05-20T08:30:15Z</dcterms:modified>
</cp:coreProperties>""",
    "xl/workbook.xml": """<?xml version="1.0" encoding="UTF-8"?>
<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<x:sheets><x:sheet name="表 1" sheetId="1" r:id="rId1"/></x:sheets>
<x:definedNames>
<x:definedName name="one">'表 1'!$C$3</x:definedName>
<x:definedName name="local" localSheetId="0">'表 1'!$A$1</x:definedName>
<x:definedName name="_xlnm.Print_Area">'表 1'!$A$1:$H$9</x:definedName>
<x:definedName name="range">'表 1'!$A$1:$B$2</x:definedName>
</x:definedNames></x:workbook>""",
    "xl/_rels/workbook.xml.rels": """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
 Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
 Target="styles.xml"/>
<Relationship Id="rId3"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
 Target="sharedStrings.xml"/>
</Relationships>""",
    "xl/styles.xml": """<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0%"/>
<numFmt numFmtId="165" formatCode="0&quot;%&quot;"/>
<numFmt numFmtId="166" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="167" formatCode="[h]:mm"/>
</numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="9" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>""",
    "xl/sharedStrings.xml": """<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5">
<si><t>共享</t></si>
<si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space="preserve"> 文本 </t></r><rPh sb="0" eb="1"><t>フ</t>
</rPh></si>
<si><t>=不是公式</t></si>
<si><t>a_x005F_x000D_b</t></si>
<si><t/></si>
</sst>""",
    "xl/worksheets/sheet1.xml": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<dimension ref="A1:H9"/><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>行内</t></is></c><c r="B1" t="inlineStr"><is><r><t>多</t></r>
<r><rPr><i/></rPr><t>段</t></r></is></c><c r="C1" t="inlineStr"><v>ignored</v><is><t>v 不算</t></is>
</c><c r="D1" t="inlineStr"><is/></c><c r="E1" s="1"/><c r="F1" s="1" t="n"><v></v></c></row>
<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c>
<c r="D2" t="s"><v>3</v></c><c r="E2" t="s"><v>4</v></c></row>
<row r="3"><c r="A3"><v>1200</v></c><c r="B3"><v>1.5E3</v></c><c r="C3" s="1"><v>0.95</v></c>
<c r="D3" s="2"><v>0.125</v></c><c r="E3" s="3"><v>95</v></c><c r="F3" s="4"><v>45432</v></c>
<c r="G3" s="5"><v>0.5</v></c><c r="H3" s="6"><v>45433.5</v></c></row>
<row r="4"><c r="A4"><f>SUM(A3:B3)</f><v>2700</v></c><c r="B4" t="str"><f>"a"&amp;"b"</f><v>ab</v>
</c><c r="C4" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="D4"><f>A3</f></c><c r="E4" t="str"><f>""</f>
<v></v></c><c r="F4" s="1"><f>C3</f><v>0.95</v></c><c r="G4" s="7"><v>1.25</v></c></row>
<row r="5"><c r="A5"><f t="shared" ref="A5:C5" si="0">A3*2</f><v>2400</v></c><c r="B5">
<f t="shared" si="0"/><v>3000</v></c><c r="C5" s="1"><f t="shared" si="0"/><v>1.9</v></c><c r="D5">
<f t="shared" si="1"/><v>7</v></c><c r="E5"><f t="shared" ref="E5:F5" si="1">D5+1</f><v>8</v></c>
<c r="F5"><f t="shared" si="1"/><v>9</v></c></row>
<row r="6"><c r="A6" t="b"><v>1</v></c><c r="B6" t="b"><v>0</v></c><c r="C6" t="e"><v>#N/A</v></c>
<c r="D6" t="d"><v>2024-05-20T00:00:00</v></c><c r="E6" t="str"><v>text result</v></c><c r="F6">
<v>-0</v></c><c r="G6"><v>007</v></c><c r="H6"><v>1e-7</v></c></row>
<row r="8"><c r="B8"><v>1</v></c><c><v>2</v></c><c t="inlineStr"><is><t>no r</t></is></c><c r="F8">
<v>4</v></c><c><v>5</v></c></row>
<row><c r="A9" t="inlineStr"><is><t xml:space="preserve">  row without r  </t></is></c><c r="B9">
<v> 12 </v></c></row>
<row r="7"><c r="A7"><v>666</v></c></row>
</sheetData></worksheet>""",
}


@pytest.fixture
def crafted(tmp_path) -> Path:
    path = tmp_path / "crafted.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in CRAFTED.items():
            z.writestr(name, text.encode("utf-8"))
    return path


def test_crafted_cells_equal_openpyxl(crafted):
    fast, slow = ZipXmlSource(crafted), OpenpyxlSource(crafted)
    sheet = "表 1"
    assert fast.sheets() == slow.sheets() == {sheet: "visible"}
    assert fast.names() == slow.names() == {"one": (sheet, "C3")}
    assert fast.modified() == slow.modified() == "2024-05-20T08:30:15"
    addresses = [f"{c}{r}" for r in range(1, 10) for c in "ABCDEFGH"]
    fast.load(sheet, addresses)
    slow.load(sheet, addresses)
    got = {a: fast.cell(sheet, a) for a in addresses}
    want = {a: slow.cell(sheet, a) for a in addresses}
    # the one deliberate difference: 0"%" shows 95 as "95%" and does not scale it
    assert (got["E3"].percent, want["E3"].percent) == (False, True)
    got["E3"] = got["E3"].__class__(got["E3"].value, got["E3"].formula, True)
    for a in addresses:
        assert got[a] == want[a], f"{a}: fast {got[a]} != openpyxl {want[a]}"
        assert type(got[a].value) is type(want[a].value), a
    # and what that is, spelled out
    v = {a: c.value for a, c in got.items()}
    assert (v["A1"], v["B1"], v["C1"], v["D1"]) == ("行内", "多段", "v 不算", "")
    assert (v["A2"], v["B2"], v["D2"], v["E2"]) == ("共享", "富 文本 ", "a_x000D_b", "")
    assert got["C2"] == got["C2"].__class__("=不是公式", "=不是公式", False)  # as openpyxl
    assert (v["A3"], v["B3"]) == (1200, 1500.0) and type(v["A3"]) is int
    assert [got[a].percent for a in ("C3", "D3", "G3", "F1", "E1")] == [True, True, True,
                                                                      False, False]
    assert v["F3"] == dt.datetime(2024, 5, 20) and v["H3"] == dt.datetime(2024, 5, 21, 12)
    assert v["G4"] == dt.timedelta(hours=30)
    assert (got["A4"].formula, v["A4"], got["B4"].value, v["C4"]) == ("=SUM(A3:B3)", 2700, "ab",
                                                                        "#DIV/0!")
    assert got["D4"] == got["D4"].__class__(None, "=A3", False)  # formula, no cached value
    assert [got[a].formula for a in ("A5", "B5", "C5")] == ["=A3*2", "=B3*2", "=C3*2"]
    assert (v["B5"], got["C5"].percent) == (3000, True)
    assert (got["D5"].formula, got["E5"].formula, got["F5"].formula) == ("=", "=D5+1", "=E5+1")
    assert (v["A6"], v["B6"], v["C6"], v["D6"], v["E6"]) == (True, False, "#N/A",
                                                             dt.datetime(2024, 5, 20),
                                                             "text result")
    assert (v["F6"], v["G6"], v["H6"]) == (0, 7, 1e-7)
    assert (v["B8"], v["C8"], v["D8"], v["F8"], v["G8"]) == (1, 2, "no r", 4, 5)
    assert (v["A9"], v["B9"], v["A7"]) == ("  row without r  ", 12, None)  # row 7 came late
    fast.close()
    slow.close()


def test_percent_formats():
    assert shows_percent("0%") and shows_percent("0.00%") and shows_percent("#,##0.0%;-0%")
    assert shows_percent('0.0%" done"') and shows_percent("[Red]0%")
    assert not shows_percent('0"%"') and not shows_percent("0\\%") and not shows_percent("0_%")
    assert not shows_percent("General") and not shows_percent(None) and not shows_percent("")


def test_doctype_anywhere_is_refused_by_the_parser(crafted, tmp_path):
    """precheck looks at the first 64 KB; the parser itself refuses any DOCTYPE too."""
    def edit(name, body):
        if name == "xl/worksheets/sheet1.xml":
            return (b'<?xml version="1.0"?>' + b" " * 70000
                    + b'<!DOCTYPE worksheet [<!ENTITY e "boom">]>'
                    + body[body.index(b"<worksheet"):].replace(b"<v>1200</v>", b"<v>&e;</v>"))
        return body

    path = _rezip(crafted, tmp_path / "doctype.xlsx", edit)
    src = ZipXmlSource(path)
    with pytest.raises(InputError) as exc:
        src.load("表 1", ["A3"])
    assert exc.value.code == "file.xml_unsafe"
    src.close()


def test_only_the_needed_rows_are_parsed(crafted, tmp_path):
    """Rows after the last needed one are never parsed: damage there goes unnoticed, as it
    does for openpyxl's streaming reader."""
    path = _rezip(crafted, tmp_path / "tail.xlsx", _only(
        "xl/worksheets/sheet1.xml", lambda b: b.replace(b"<row r=\"8\">", b"<row r=\"8\"><<<")))
    src = ZipXmlSource(path)
    src.load("表 1", ["A3", "C4"])
    assert src.cell("表 1", "A3").value == 1200
    with pytest.raises(InputError) as exc:
        src.load("表 1", ["A8"])
    assert exc.value.code == "file.corrupt"
    src.close()


def test_no_styles_no_shared_strings_no_core(tmp_path):
    """The smallest workbook a producer may write still reads, and reads as openpyxl does."""
    parts = {k: v for k, v in CRAFTED.items() if k not in ("xl/styles.xml", "docProps/core.xml")}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        '<c r="A2" t="s"><v>0</v></c>', "")
    path = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    src = ZipXmlSource(path)
    assert src.modified() is None
    src.load("表 1", ["A3", "C3", "B2"])
    assert src.cell("表 1", "A3").value == 1200 and src.cell("表 1", "C3").percent is False
    assert src.cell("表 1", "B2").value == "富 文本 "
    src.close()


def test_stale_value_and_overwritten_formula_on_the_fast_path(tmp_path, good_return, key):
    """The checks that need formula text work on the fast path (the default)."""
    wb = openpyxl.load_workbook(good_return)
    wb["自评表"].protection.sheet = False
    names = name_map(wb)
    cell(wb, "ind.0.score", names).value = 20
    dst = tmp_path / "over.xlsx"
    wb.save(dst)
    r = read_workbook(dst, key=key)
    f = next(f for f in r.findings if f.code == "calc.formula_overwritten")
    assert f.field == "ind.0.score" and (f.expected, f.actual) == ("16", "20")
    data = io.BytesIO(dst.read_bytes())
    with zipfile.ZipFile(data) as z:
        assert b"<f>" in z.read(SHEET)
