"""The fast path (template zip, values patched in) gives what build_workbook gives.

Every comparison opens both files with openpyxl, with formulas and with cached values, and
requires the same cells (value or formula, locked, hidden, number format), sheet states and
protection, defined names, data validations, merged ranges, conditional formats, print
setup, workbook structure lock and ``_meta`` record; the fast files are also valid zips,
are read by the reader like the reference files and open in LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from test_read import FILLED
from workbooks import ISSUE, TARGETS, fill, values_by_field

from xlkit import read_workbook
from xlkit.build import build_workbook, normalise_issue, write_atomic
from xlkit.build.distribute import issue_all, plan
from xlkit.build.fast import _FINAL, FastBuilder, _Const, _inline, _stored
from xlkit.core.expr.tree import percent_flag
from xlkit.core.layout import SHEET, build_layout, header_units, height_key
from xlkit.core.meta import META_SHEET, canonical, issued_digest, parse_rows, verify
from xlkit.core.spec import builtin_specs
from xlkit.ooxml.protect import legacy_password_hash
from xlkit.ooxml.zip import ZipMember, write_zip

KEY = b"fast-office-key-0123456789"
CREATED = dt.datetime(2024, 1, 5, 9, 0, 0)
SPECS = {s.id: s for s in builtin_specs()}


# ----------------------------------------------------------------------------- snapshots


def snapshot(data: bytes, data_only: bool = False) -> dict[str, Any]:
    """Everything a spreadsheet user or the reader can see in a workbook, as plain data."""
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)
    sec = wb.security
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "security": None if sec is None else (sec.lockStructure, sec.workbookPassword),
        "names": {n: d.attr_text for n, d in wb.defined_names.items()},
        "properties": (wb.properties.title, wb.properties.creator, wb.properties.description,
                       wb.properties.created, wb.properties.modified),
    }
    for ws in wb.worksheets:
        p = ws.protection
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                cells[c.coordinate] = (c.value, c.protection.locked, c.protection.hidden,
                                       c.number_format, c.style_id)
        out[ws.title] = {
            "state": ws.sheet_state,
            "protection": (p.sheet, p.password, p.formatRows, p.selectLockedCells,
                           p.selectUnlockedCells, p.objects, p.scenarios),
            "cells": cells,
            "validations": sorted(
                (str(d.sqref), d.type, d.operator, d.formula1, d.formula2, d.prompt,
                 d.promptTitle, d.error, d.errorTitle, d.allow_blank, d.showInputMessage,
                 d.showErrorMessage) for d in ws.data_validations.dataValidation),
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "conditional": sorted((str(cf.sqref), tuple((r.type, r.operator, tuple(r.formula))
                                                        for r in cf.rules))
                                  for cf in ws.conditional_formatting),
            "print": (ws.print_area, ws.print_title_rows, ws.page_setup.orientation,
                      ws.page_setup.paperSize, ws.page_setup.fitToHeight),
            "columns": {k: d.width for k, d in ws.column_dimensions.items()},
            "rows": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
        }
    return out


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'reference' if k in a else 'fast'}")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if type(a) is not type(b) or a != b:
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return []
        return [f"{path}: reference {a!r:.200} != fast {b!r:.200}"]
    return []


def meta_record(data: bytes):
    ws = openpyxl.load_workbook(io.BytesIO(data))[META_SHEET]
    return parse_rows({r[0]: r[1] for r in ws.iter_rows(values_only=True)})


def assert_same(ref: bytes, fast: bytes, key: bytes | None = KEY) -> None:
    """``fast`` is a valid zip holding what ``ref`` holds."""
    z = zipfile.ZipFile(io.BytesIO(fast))
    assert z.testzip() is None
    assert z.namelist() == zipfile.ZipFile(io.BytesIO(ref)).namelist()
    for data_only in (False, True):
        diff = differences(snapshot(ref, data_only), snapshot(fast, data_only))
        assert not diff, f"data_only={data_only}:\n" + "\n".join(diff[:30])
    want, got = meta_record(ref), meta_record(fast)
    assert got.payload == want.payload
    assert (got.signature, got.key_id) == (want.signature, want.key_id)
    if key is not None:
        assert verify(got.payload, got.signature, key)


# ----------------------------------------------------------------------------- built-in specs


@pytest.mark.parametrize("spec_id", sorted(SPECS))
@pytest.mark.parametrize("with_targets", [False, True])
def test_builtin_specs_match_the_reference_path(spec_id, with_targets):
    spec = SPECS[spec_id]
    targets = TARGETS if with_targets else None
    fast = FastBuilder(spec, key=KEY, password="s3cret", created=CREATED)
    ref = build_workbook(spec, ISSUE, targets, key=KEY, password="s3cret", created=CREATED).data
    got = fast.build(ISSUE, targets)
    assert_same(ref, got)
    assert fast.stats.fast == 1 and fast.stats.fallback == 0
    # the second one comes from the cached template
    other = dict(ISSUE, project_name="另一个项目", funds={("total", "full_year"): 99.5,
                                                    ("total", "initial"): 0,
                                                    ("fiscal", "full_year"): 60.25,
                                                    ("carryover", "full_year"): 39.25})
    ref2 = build_workbook(spec, other, targets, key=KEY, password="other",
                          created=CREATED).data
    assert_same(ref2, fast.build(other, targets, password="other"))
    assert fast.stats.fallback == 0


def test_protection_structure_lock_hidden_meta_and_names():
    spec = SPECS["project-2020"]
    data = FastBuilder(spec, key=KEY, password="s3cret").build(ISSUE, TARGETS)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb[SHEET].protection.sheet and wb["填报说明"].protection.sheet
    assert wb[SHEET].protection.password == legacy_password_hash("s3cret")
    assert wb.security.lockStructure
    assert wb.security.workbookPassword == legacy_password_hash("s3cret")
    assert wb[META_SHEET].sheet_state == "veryHidden"
    layout = build_layout(spec, ISSUE, TARGETS)
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    assert set(layout.names()) <= set(names)
    dv_cells = {str(r).split(":")[0] for dv in wb[SHEET].data_validations.dataValidation
                for r in dv.sqref.ranges}
    assert {c.address.replace("$", "") for c in layout.inputs()} <= dv_cells
    book = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode()
    assert book.index("<workbookPr") < book.index("<workbookProtection") < book.index(
        "<bookViews")
    wbv = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    formulas = [c for c in layout.cells if c.rule is not None]
    assert all(wb[SHEET].cell(c.row + 1, c.col + 1).value.startswith("=") for c in formulas)
    assert wbv[SHEET][layout.fields["grp.0.weight"].address.replace("$", "")].value == 50


def test_empty_password_and_no_key():
    spec = SPECS["project-2020"]
    ref = build_workbook(spec, ISSUE, None, key=None, password="", created=CREATED).data
    got = FastBuilder(spec, created=CREATED).build(ISSUE)
    assert_same(ref, got, key=None)
    assert b"assword" not in zipfile.ZipFile(io.BytesIO(got)).read("xl/workbook.xml")


def test_without_created_the_time_of_the_build_is_used():
    spec = SPECS["common-2011"]
    before = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    data = FastBuilder(spec, key=KEY).build(ISSUE)
    issued_at = dt.datetime.fromisoformat(meta_record(data).payload["issued_at"])
    assert before <= issued_at <= before + dt.timedelta(seconds=5)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.properties.created == issued_at


# ----------------------------------------------------------------------------- random issues

TEXTS = ['A&B <c> "d" \'e\'', "医疗😀保障 &amp; 基金", " 前后空格　", "换行\n第二行\t制表",
         "控制\x01字符\x1f", "<![CDATA[x]]>", "]]>", "=SUM(A1)", "+1", "0123", "",
         "益阳市" * 2000]
NUMBERS = [0, 0.0, 1500, 1488.78, 0.1 + 0.2, 1234.567891234567, 1e-07, 12345678901.25, 7.5,
           3]


def random_issue(rng: random.Random, spec) -> dict[str, Any]:
    issue: dict[str, Any] = {"year": rng.choice([2023, 2024, None])}
    for k in ("unit_code", "unit_name", "department", "project_code", "project_name"):
        if rng.random() < 0.85:
            issue[k] = rng.choice(TEXTS + [f"名称{rng.randrange(10**6)}"] * 6)
    funds = {}
    for row in spec.funds.rows:
        for col in spec.funds.columns:
            if col.source and rng.random() < 0.6:
                funds[(row.key, col.key)] = rng.choice(NUMBERS + ["1,500"] * (rng.random() < .1))
    issue["funds"] = funds
    return issue


def random_targets(rng: random.Random, spec) -> list[dict[str, Any]] | None:
    if spec.indicators is None or rng.random() < 0.3:
        return None
    out = []
    for _ in range(rng.randrange(1, 9)):
        g = rng.choice(spec.indicators.groups + (None,))
        level1 = g.name if g else "未知一级"
        level2 = rng.choice(list(g.subgroups) + ["自定二级<&>", "另一个二级"]) if g else "x"
        out.append({
            "level1": level1, "level2": level2, "name": rng.choice(TEXTS[:10] + ["指标"]),
            "direction": rng.choice(["≥", "≤", "=", "定性", None]),
            "target": rng.choice([100, 95.5, "及时拨付", None, 0]),
            "unit": rng.choice(["%", "", None, "万元"]),
            "weight": rng.choice([10, 7.5, 0, None, 20]),
        })
    return out


@pytest.mark.parametrize("spec_id", sorted(SPECS))
def test_random_issues_match_the_reference_path(spec_id):
    spec = SPECS[spec_id]
    rng = random.Random(f"fast-{spec_id}")
    fast = FastBuilder(spec, key=KEY, created=CREATED)
    for i in range(10):
        issue, targets = random_issue(rng, spec), random_targets(rng, spec)
        pw = rng.choice(["", "pw", "密码&<>", f"p{i}"])
        ref = build_workbook(spec, issue, targets, key=KEY, password=pw, created=CREATED).data
        assert_same(ref, fast.build(issue, targets, password=pw))
    assert fast.stats.fast >= 8  # the fallbacks are rare cases only


def test_one_shape_many_values_through_the_caches():
    """Same shape, changing values: formula groups and rendered runs are reused or not."""
    spec = SPECS["project-2020"]
    rng = random.Random("one-shape")
    fast = FastBuilder(spec, key=KEY, created=CREATED)
    seen, built = [], []
    for i in range(8):
        targets = [dict(t, name=rng.choice(TEXTS[:10]), weight=rng.choice([10, 20, 7.5, 0]),
                        target=rng.choice([100, 85, "较好", 0.5]),
                        direction=rng.choice(["≥", "≤", "=", "定性"])) for t in TARGETS]
        issue = dict(ISSUE, project_name=rng.choice([t for t in TEXTS if t]), funds={
            ("total", "initial"): rng.choice(NUMBERS), ("total", "full_year"): rng.choice(NUMBERS),
            ("fiscal", "full_year"): rng.choice(NUMBERS),
            ("carryover", "full_year"): rng.choice(NUMBERS)})
        seen.append((issue, targets))
        if i == 5:  # and an earlier one again
            issue, targets = seen[1]
        ref = build_workbook(spec, issue, targets, key=KEY, password="pw",
                             created=CREATED).data
        assert_same(ref, fast.build(issue, targets, password="pw"))
        built.append((issue, targets))
    # one template per set of row heights the texts need (names of one or two lines)
    heights = {height_key(spec, normalise_issue(i), t, header_units(spec)) for i, t in built}
    assert fast.stats.templates == len(heights) and fast.stats.fallback == 0


def test_a_payload_over_one_chunk_and_a_32000_character_name():
    spec = SPECS["project-2020"]
    issue = dict(ISSUE, project_name="医" * 32000, unit_name="益阳😀" * 200)
    fast = FastBuilder(spec, key=KEY, password="pw", created=CREATED)
    ref = build_workbook(spec, issue, TARGETS, key=KEY, password="pw", created=CREATED).data
    got = fast.build(issue, TARGETS)
    assert fast.stats.fast == 1
    assert_same(ref, got)
    rows = dict(openpyxl.load_workbook(io.BytesIO(got))[META_SHEET].iter_rows(values_only=True))
    assert int(rows["payload_chunks"]) >= 2


def test_text_the_template_cannot_hold_goes_the_reference_way():
    spec = SPECS["project-2020"]
    fast = FastBuilder(spec, key=KEY, password="pw", created=CREATED)
    for issue in (dict(ISSUE, project_name="看起来像转义 _x0041_"),  # openpyxl reads it apart
                  dict(ISSUE, unit_name="医" * 33000),  # over 32767 characters: cut

                  dict(ISSUE, funds={("total", "full_year"): True})):
        ref = build_workbook(spec, issue, None, key=KEY, password="pw", created=CREATED).data
        assert_same(ref, fast.build(issue))
    assert fast.stats.fallback == 3 and fast.stats.fast == 0


def test_shapes_get_their_own_templates_and_come_back():
    spec = SPECS["project-2020"]
    fast = FastBuilder(spec, key=KEY, password="pw", created=CREATED)
    a, b = (ISSUE, TARGETS), (dict(ISSUE, funds={}), TARGETS[:2])
    for issue, targets in (a, b, a, b):
        ref = build_workbook(spec, issue, targets, key=KEY, password="pw",
                             created=CREATED).data
        assert_same(ref, fast.build(issue, targets))
    assert fast.stats.templates == 2 and fast.stats.fast == 4


# ----------------------------------------------------------------------------- the reader



def _read(path: Path) -> dict[str, Any]:
    """What the reader makes of a file, without what names the file itself."""
    r = read_workbook(path, key=KEY, year=2023)

    def strip(rec: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (rec or {}).items()
                if k not in ("source_file", "file_sha256", "modified")}

    return {"status": r.status, "findings": [(f.code, f.severity, f.message, f.cell)
                                             for f in r.findings],
            "project": strip(r.project), "funds": [strip(x) for x in r.funds],
            "indicators": [strip(x) for x in r.indicators],
            "scores": [strip(x) for x in r.scores]}


def test_the_reader_reads_a_filled_fast_workbook_as_the_reference_one(tmp_path):
    spec = SPECS["project-2020"]
    issue = dict(ISSUE, unit_name='益阳市&<医疗>"保障"😀')
    results = {}
    for name, data in (
            ("ref", build_workbook(spec, issue, TARGETS, key=KEY, password="pw").data),
            ("fast", FastBuilder(spec, key=KEY, password="pw").build(issue, TARGETS))):
        write_atomic(tmp_path / f"{name}.xlsx", data)
        fill(tmp_path / f"{name}.xlsx", tmp_path / f"{name}-filled.xlsx", FILLED)
        results[name] = _read(tmp_path / f"{name}-filled.xlsx")
    fast = results["fast"]
    assert fast["status"] == "read"
    assert [f for f in fast["findings"] if f[1] == "错误"] == []
    assert fast["project"]["signature_ok"] is True
    assert fast["project"]["unit_name"] == issue["unit_name"]
    assert fast == results["ref"]


# ----------------------------------------------------------------------------- distribution


def test_issue_all_writes_what_build_workbook_builds(tmp_path):
    spec = SPECS["project-2020"]
    rows = [dict(ISSUE, project_code=f"P{i}", project_name=f"项目{i}&<>") for i in range(3)]
    rows.append(dict(ISSUE, project_code="P9", funds={}))
    issued = issue_all(spec, plan(spec, rows, tmp_path), year=2023, out_dir=tmp_path,
                       targets={"P1": TARGETS}, key=KEY, password="pw", created=CREATED)
    assert (tmp_path / "manifest.xlsx").exists()
    for it in issued:
        targets = TARGETS if it.row["project_code"] == "P1" else None
        ref = build_workbook(spec, dict(it.row, year=2023, file_id=it.file_id), targets,
                             key=KEY, password="pw", created=CREATED)
        assert_same(ref.data, it.path.read_bytes())
        # each workbook has its own id, and the manifest the digest of what it was issued with
        assert len(it.file_id) == 16 and ref.record.payload["file_id"] == it.file_id
        assert it.digest == issued_digest(canonical(ref.record.payload))
    assert len({it.file_id for it in issued}) == len(issued)


# ----------------------------------------------------------------------------- text, zip


def test_inline_text_is_escaped_as_xlsxwriter_escapes_shared_strings():
    import xlsxwriter

    texts = [t for t in TEXTS if t] + ["\ufffe", "a\r\nb", "\u3000全角空格\u3000", "&amp;"]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for i, t in enumerate(texts):
        ws.write_string(i, 0, t)
    wb.close()
    sst = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("xl/sharedStrings.xml").decode()
    want = re.findall(r"<si>(<t[ >].*?</t>)</si>", sst, re.S)
    got = [re.search(r"<is>(.*)</is>", _inline(t), re.S).group(1) for t in texts]
    assert got == want





def test_zip_writer_and_spliced_deflate_streams():
    raw = "".join(random.Random(1).choice("绩效自评表abc<>&") for _ in range(150_000))
    data = raw.encode("utf-8")
    assert zlib.decompress(_stored(data) + _FINAL, -15) == data  # several stored blocks
    a, b = _Const(data[:70_000]), _Const(data[70_000:])
    spliced = a.deflated + _stored(b"middle") + b.deflated + _FINAL
    assert zlib.decompress(spliced, -15) == data[:70_000] + b"middle" + data[70_000:]
    assert b.extend(a.extend(0)) == zlib.crc32(data)
    members = [ZipMember.of("[Content_Types].xml", b"<x/>"),
               ZipMember.of("xl/名字.xml", data), ZipMember.of("empty", b"")]
    z = zipfile.ZipFile(io.BytesIO(write_zip(members)))
    assert z.testzip() is None
    assert [i.filename for i in z.infolist()] == ["[Content_Types].xml", "xl/名字.xml", "empty"]
    assert z.read("xl/名字.xml") == data and z.read("empty") == b""


# ----------------------------------------------------------------------------- LibreOffice


@pytest.mark.libreoffice
def test_fast_workbooks_recalculate_in_libreoffice_to_python(tmp_path, libreoffice):
    from engine import recalculate

    project, common = SPECS["project-2020"], SPECS["common-2011"]
    special = dict(ISSUE, project_name='医疗&<保障>"基金" 😀 ', unit_name="益阳\n医保")
    cases = [
        (project, special, TARGETS, {**FILLED}),
        (project, ISSUE, None, {"funds.total.executed": 828, "ind.0.direction": "≥",
                                "ind.0.target": 100, "ind.0.actual": 26.7,
                                "ind.0.weight": 10}),
        (common, {"year": 2023}, None, {"funds.total.full_year": 12920.21,
                                        "funds.total.arrived": 12579.31,
                                        "funds.total.executed": 12579.31, "card.0.score": 3}),
    ]
    files, expected = [], []
    for i, (spec, issue, targets, inputs) in enumerate(cases):
        built = tmp_path / "in" / f"built{i}.xlsx"
        write_atomic(built, FastBuilder(spec, key=KEY, password="pw").build(issue, targets))
        dst = tmp_path / "in" / f"filled{i}.xlsx"
        fill(built, dst, inputs)  # saved by openpyxl ...
        layout = build_layout(spec, issue, targets)
        prefilled = {f: c.value for f, c in layout.fields.items() if c.kind == "prefill"}
        files += [dst, built]  # ... and as built: LibreOffice reads the fast zip itself
        # a number in a %-formatted 实际完成值 (计量单位 %) counts in percent points
        flags = {percent_flag(f): True for f in inputs if layout.fields[f].percent}
        expected += [(layout, layout.evaluate({**prefilled, **inputs, **flags})),
                     (layout, layout.evaluate(prefilled))]
    assert expected[0][1]["total"] == 92 and expected[4][1]["total"] > 3  # real figures
    out = recalculate(files, tmp_path / "out")
    problems: list[str] = []
    for path, (layout, want) in zip(out, expected, strict=True):
        fields = [f for f, c in layout.fields.items() if c.rule is not None]
        texts = {f: c.value for f, c in layout.fields.items()
                 if c.kind == "prefill" and isinstance(c.value, str) and c.value}
        got = values_by_field(path, fields + list(texts))
        for f, text in texts.items():  # the inline strings, as LibreOffice read them
            if got[f] != text:
                problems.append(f"{path.name} {f}: LibreOffice {got[f]!r} != {text!r}")
        for f in fields:
            a, b = got[f], want.get(f)
            a, b = (None if a == "" else a), (None if b == "" else b)
            same = (math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
                    if isinstance(a, (int, float)) and isinstance(b, (int, float)) else a == b)
            if not same:
                problems.append(f"{path.name} {f}: LibreOffice {a!r} != xlkit {b!r}")
    assert not problems, "\n".join(problems)
