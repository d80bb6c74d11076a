"""The fast report (list sheets' rows written by xlsxrows) against the xlsxwriter-only one.

Same cells (style, type, value: the shared strings byte for byte as xlsxwriter escapes
them), same row heights, the same XML around the rows and the same other members; openpyxl
and LibreOffice read both alike, on awkward values."""

from __future__ import annotations

import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest
from engine import recalculate
from test_report import sample_round

from xlkit.read.tables import SCHEMA, Tables, frame
from xlkit.report import rows as xlsxrows
from xlkit.report.workbook import write_report
from xlkit.round.result import ISSUE_COLUMNS, RoundResult

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
LONG = "长" * 40000
ASTRAL = "😀" * 20000  # 40000 UTF-16 units: cut to 16383 characters, never half of one
TEXTS = ["=1+1", "http://x", "+农村道路", "-@污水处理", " lead", "trail ", "\ttab", "a\nb\n",
         "vt\x0b", "nul\x00end", "_x0041_", "_x000B_\x0b", "&<>\"'", "", " ", "\u3000全角",
         "中文", LONG, ASTRAL, "\ufffe", "mailto:a@b.c", "@SUM(A1)", "1.5", "0012"]
#: object columns: what a hand-made frame may hold
ODD = [None, np.nan, pd.NA, pd.NaT, math.inf, -math.inf, -0.0, 0.0, 1e-7, 1 / 3, 2**60,
       np.int64(7), np.float32(1.5), np.float64("nan"), np.int8(-3), True, False, np.bool_(True),
       Decimal("1.5"), Decimal("NaN"), ["a", 1], ("t",), {"k": 1}, *TEXTS]


def awkward_round() -> RoundResult:
    """Typed tables (frame) and object frames full of awkward values, > 1 chunk of rows."""
    n = len(ODD)
    projects = frame("projects", [
        {"unit_code": f"00{i % 3}", "unit_name": TEXTS[i % len(TEXTS)],
         "project_code": f"P{i}", "project_name": TEXTS[(i + 5) % len(TEXTS)],
         "total_score": [92.5, math.nan, math.inf, -0.0, 0.1 + 0.2, 1e300][i % 6],
         "execution_rate": [0.95, None, 1.2][i % 3], "grade": ["优", None, "差"][i % 3],
         "signed": [True, False, None][i % 3], "errors": [0, None, 3][i % 3]}
        for i in range(n)])
    indicators = frame("indicators", [
        {"unit_code": "001", "project_code": f"P{i}", "row": i, "name": TEXTS[i % len(TEXTS)],
         "target_value": [1.0, -0.0, math.nan, 2**53 + 1.0][i % 4],
         "prefilled": [True, None][i % 2]} for i in range(2 * n)])
    funds = pd.DataFrame({c.name: ODD[i:] + ODD[:i] for i, c in enumerate(SCHEMA["funds"])})
    files = pd.DataFrame({"path": TEXTS * 2, "status": ["read", "rejected", "skipped", None,
                                                        "其他"] * 9 + ["read", "read", "read"],
                          "size": [np.int64(10), None, 3.5] * 16})
    scores = pd.DataFrame({"unit_code": ODD, "weight": pd.array(range(n), dtype="Float64")})
    issues = pd.DataFrame([{c: ODD[(i + j) % n] for j, c in enumerate(ISSUE_COLUMNS)}
                           for i in range(n)], columns=list(ISSUE_COLUMNS))
    issues["severity"] = ["错误", "提示", None] * (n // 3) + ["错误"] * (n % 3)
    issues["rule"] = [TEXTS[i % len(TEXTS)] for i in range(n)]  # grouped by: hashable
    issues["message"] = [f"第{i}行\n" * (i % 5) + TEXTS[i % len(TEXTS)] for i in range(n)]
    missing = pd.DataFrame({"unit_code": TEXTS, "unit_name": ODD[:len(TEXTS)],
                            "project_name": TEXTS[::-1]})
    tables = Tables(projects=projects, funds=funds, indicators=indicators, files=files,
                    scores=scores)
    return RoundResult(expected=n, tables=tables, issues=issues, missing=missing, year=2023)


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    """The awkward round written fast (in chunks of 7 rows) and by xlsxwriter alone."""
    tmp = tmp_path_factory.mktemp("fast")
    result = awkward_round()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(xlsxrows, "CHUNK", 7)
        write_report(tmp / "fast.xlsx", result)
    write_report(tmp / "ref.xlsx", result, fast=False)
    return tmp / "fast.xlsx", tmp / "ref.xlsx"


def styles(z: zipfile.ZipFile) -> list[tuple]:
    """Per style index what it is, whatever the order xlsxwriter numbered things in."""
    root = ElementTree.fromstring(z.read("xl/styles.xml"))
    codes = {e.get("numFmtId"): e.get("formatCode") for e in root.iterfind(".//m:numFmt", NS)}
    parts = {k: [ElementTree.tostring(e) for e in root.find(f"m:{k}s", NS)]
             for k in ("font", "fill", "border")}
    return [(codes.get(xf.get("numFmtId"), xf.get("numFmtId")),
             *(parts[k][int(xf.get(f"{k}Id"))] for k in parts),
             sorted((k, v) for k, v in xf.attrib.items() if k.startswith("apply")),
             [ElementTree.tostring(e) for e in xf]) for xf in root.find("m:cellXfs", NS)]


def cells(z: zipfile.ZipFile, member: str) -> dict[str, tuple]:
    """Cell reference → (style, type, value: a shared string's raw <si> XML)."""
    out, strings, style = {}, shared(z), styles(z)
    for c in ElementTree.fromstring(z.read(member)).iter(f"{{{NS['m']}}}c"):
        v = c.find("m:v", NS)
        value = None if v is None else v.text
        if c.get("t") == "s":
            value = strings[int(value)]
        assert c.find("m:f", NS) is None and c.find("m:is", NS) is None
        out[c.get("r")] = (style[int(c.get("s", 0))], c.get("t"), value)
    return out


def rows(z: zipfile.ZipFile, member: str) -> dict[str, tuple]:
    return {r.get("r"): (r.get("ht"), r.get("customHeight"))
            for r in ElementTree.fromstring(z.read(member)).iter(f"{{{NS['m']}}}row")}


def shared(z: zipfile.ZipFile) -> list[str]:
    return re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.S)


def test_same_cells_rows_and_parts(pair: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(pair[0]) as fast, zipfile.ZipFile(pair[1]) as ref:
        assert sorted(fast.namelist()) == sorted(ref.namelist())
        strings = shared(fast)
        assert len(strings) == len(set(strings))  # no string twice
        assert sorted(styles(fast)) == sorted(styles(ref))
        count = re.search(r'count="(\d+)"', fast.read("xl/sharedStrings.xml").decode())
        for name in ref.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert cells(fast, name) == cells(ref, name), name
                assert rows(fast, name) == rows(ref, name), name
                strip = re.compile(r"<sheetData>.*</sheetData>", re.S)
                assert strip.sub("", fast.read(name).decode()) == \
                    strip.sub("", ref.read(name).decode()), name
            elif name not in ("xl/sharedStrings.xml", "xl/styles.xml", "docProps/core.xml"):
                assert fast.read(name) == ref.read(name), name
        assert fast.testzip() is None
        refs = sum(v[1] == "s" for n in fast.namelist() if n.startswith("xl/worksheets/sheet")
                   for v in cells(fast, n).values())
        assert int(count.group(1)) == refs


def look(c) -> tuple:
    return (c.value, c.data_type, c.number_format,
            *map(repr, (c.font, c.border, c.fill, c.alignment)))  # style proxies: by value


def test_openpyxl_reads_both_alike(pair: tuple[Path, Path]) -> None:
    fast, ref = (openpyxl.load_workbook(p) for p in pair)
    assert fast.sheetnames == ref.sheetnames
    for a, b in zip(fast.worksheets, ref.worksheets, strict=True):
        assert (a.dimensions, a.freeze_panes, a.auto_filter.ref) == \
            (b.dimensions, b.freeze_panes, b.auto_filter.ref), a.title
        assert {k: d.width for k, d in a.column_dimensions.items()} == \
            {k: d.width for k, d in b.column_dimensions.items()}
        assert {k: d.height for k, d in a.row_dimensions.items()} == \
            {k: d.height for k, d in b.row_dimensions.items()}
        for ra, rb in zip(a.iter_rows(), b.iter_rows(), strict=True):
            for ca, cb in zip(ra, rb, strict=True):
                assert look(ca) == look(cb), ca.coordinate


def test_awkward_values_as_written(pair: tuple[Path, Path]) -> None:
    ws = openpyxl.load_workbook(pair[0])["资金"]  # column i holds ODD rotated by i
    col = [ws.cell(r, 1) for r in range(2, len(ODD) + 2)]
    got = {repr(v): (c.value, c.data_type) for v, c in zip(ODD, col, strict=True)}
    for blank in (None, np.nan, pd.NA, pd.NaT, math.inf, -math.inf, Decimal("NaN")):
        assert got[repr(blank)] == (None, "n")
    assert got[repr(-0.0)][0] == 0 and got[repr(2**60)][0] == 2**60
    assert got[repr(1 / 3)][0] == pytest.approx(1 / 3, rel=1e-15)
    assert got[repr(np.int64(7))] == (7, "n") and got[repr(np.float32(1.5))] == (1.5, "n")
    assert got[repr(True)] == ("是", "s") and got[repr(np.bool_(True))] == ("是", "s")
    assert got[repr(False)] == ("否", "s") and got[repr(Decimal("1.5"))] == ("1.5", "s")
    assert got[repr(["a", 1])] == ("['a', 1]", "s")
    for text in ("=1+1", "http://x", " lead", "trail ", "&<>\"'", "中文", "", "0012"):
        assert got[repr(text)] == (text, "s")
    assert got[repr("vt\x0b")][0] == "vt_x000B_"  # openpyxl leaves Excel's escape as is
    assert got[repr("_x0041_")][0] == "_x0041_"
    assert got[repr(LONG)][0] == "长" * 32767
    assert got[repr(ASTRAL)][0] == "😀" * 16383
    with zipfile.ZipFile(pair[0]) as z:
        si = shared(z)
    assert '<t xml:space="preserve"> lead</t>' in si and "<t>_x005F_x0041_</t>" in si
    assert "<t>&amp;&lt;&gt;\"'</t>" in si and "<t>nul_x0000_end</t>" in si
    issues = openpyxl.load_workbook(pair[0])["问题清单"]
    assert issues.row_dimensions[6].height == 69.75  # 5 lines of text, in whole pixels
    assert issues.cell(6, 9).alignment.wrap_text  # 说明


def test_sample_round_is_the_same_either_way(tmp_path: Path) -> None:
    write_report(tmp_path / "fast.xlsx", sample_round())
    write_report(tmp_path / "ref.xlsx", sample_round(), fast=False)
    fast, ref = (openpyxl.load_workbook(tmp_path / n) for n in ("fast.xlsx", "ref.xlsx"))
    for a, b in zip(fast.worksheets, ref.worksheets, strict=True):
        assert [[(c.value, c.data_type) for c in r] for r in a.iter_rows()] == \
            [[(c.value, c.data_type) for c in r] for r in b.iter_rows()]


def test_all_blank_rows_and_columns(tmp_path: Path) -> None:
    """Rows with nothing to write are left out, and the dimension ends at the last one used."""
    files = frame("files", [{"path": "a.xlsx"}, {}, {"size": 3}, {}, {}])
    result = RoundResult(expected=0, tables=Tables(files=files))
    write_report(tmp_path / "fast.xlsx", result)
    write_report(tmp_path / "ref.xlsx", result, fast=False)
    for name in ("fast.xlsx", "ref.xlsx"):
        ws = openpyxl.load_workbook(tmp_path / name)["文件"]
        assert (ws.dimensions, ws.auto_filter.ref) == ("A1:M4", "A1:M6")
        assert [ws.cell(r, 1).value for r in (2, 3)] == ["a.xlsx", None]
        assert ws.cell(4, 5).value == 3


@pytest.mark.libreoffice
def test_libreoffice_reads_both_alike(pair: tuple[Path, Path], tmp_path: Path,
                                      libreoffice: str) -> None:
    fast, ref = recalculate([pair[0]], tmp_path / "a")[0], recalculate([pair[1]], tmp_path / "b")[0]
    wa, wb = openpyxl.load_workbook(fast), openpyxl.load_workbook(ref)
    assert wa.sheetnames == wb.sheetnames
    for a, b in zip(wa.worksheets, wb.worksheets, strict=True):
        assert [[(c.value, c.data_type) for c in r] for r in a.iter_rows()] == \
            [[(c.value, c.data_type) for c in r] for r in b.iter_rows()], a.title
    projects = wa["项目"]
    names = {projects.cell(r, 6).value for r in range(2, 20)}
    assert {"=1+1", "http://x", "&<>\"'"} <= names
    assert not any(c.data_type == "f" for ws in wa.worksheets for r in ws.iter_rows() for c in r)
