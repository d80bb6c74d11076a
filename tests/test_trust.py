"""Trust (issue 11, item 4): with the office key only a verified signature makes ``_meta``
trusted; every formula is the spec's; hidden rows, a visible ``_meta``, an emptied 校验
formula are said; collect matches each return to the workbook the manifest says was issued."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from engine import recalculate, recalculate_gnumeric
from workbooks import ISSUE, TARGETS, by_code, cell, codes, fill, unprotected_with

from xlkit import read_workbook
from xlkit.build import build_workbook, write_atomic
from xlkit.build.distribute import issue_all, plan
from xlkit.cli import main
from xlkit.core.layout import build_layout
from xlkit.core.meta import META_SHEET
from xlkit.core.spec import load_spec
from xlkit.read.formulas import normalise

SPEC = load_spec("project-2020")
FILLED = {"funds.total.executed": 1200, "funds.fiscal.executed": 600,
          "funds.carryover.executed": 600, "ind.0.actual": 100,
          "ind.1.tier": "达成", "ind.1.qscore": 30, "ind.2.tier": "达成", "ind.2.qscore": 30,
          "ind.3.actual": 90, "goals.actual": "已保障", "signoff.0": "刘纪"}
TRUST_CODES = ("meta.signature_missing", "calc.formula_changed", "form.check_changed",
               "form.hidden_lines", "meta.visible")


@pytest.fixture
def filled(tmp_path, issued) -> Path:
    path = tmp_path / "filled.xlsx"
    fill(issued, path, FILLED)
    return path


def forge(src: Path, dst: Path, cells: dict, payload: dict[str, str],
          sign: bool = False) -> None:
    """The measured attack: protection off, the signature emptied and the signed flag set
    to no, the same figures edited in the cells and in the payload."""
    wb = unprotected_with(src, cells)
    for row in wb[META_SHEET].iter_rows():
        key = row[0].value
        if key == "payload.0":
            text = row[1].value
            for old, new in payload.items():
                assert old in text
                text = text.replace(old, new)
            row[1].value = text
        elif key == "signature" and not sign:
            row[1].value = None
        elif key == "signed" and not sign:
            row[1].value = "no"
    wb.save(dst)


# ---------------------------------------------------------------------- the signature


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_emptied_signature_with_forged_budget_is_an_error_and_untrusted(tmp_path, filled, key,
                                                                         engine):
    dst = tmp_path / "forged.xlsx"
    forge(filled, dst, {"funds.total.full_year": 1200},
          {'"funds.total.full_year":1500': '"funds.total.full_year":1200'})
    r = read_workbook(dst, key=key, year=2023, engine=engine)
    f = by_code(r, "meta.signature_missing")
    assert f.severity == "错误" and f.sheet == "_meta"
    assert "meta.unsigned" not in codes(r) and "meta.issued_changed" not in codes(r)
    p = r.project
    assert (p["signed"], p["signature_ok"], p["issued_source"]) == (False, None, "不可信")
    assert p["budget_full_year"] == 1200  # what the file says, marked as not trusted
    # without a key nothing can be verified: a hint, as before
    r = read_workbook(dst, year=2023, engine=engine)
    assert by_code(r, "meta.unsigned").severity == "提示"
    assert r.project["issued_source"] == "未核验" and "meta.signature_missing" not in codes(r)


def test_signed_and_other_key_sources(filled, key):
    assert read_workbook(filled, key=key).project["issued_source"] == "签名"
    r = read_workbook(filled, key=b"another-office-key-123456")
    assert by_code(r, "meta.bad_signature").message.endswith("另一把密钥签发")
    assert r.project["issued_source"] == "不可信"


def test_validate_fails_the_forged_return(tmp_path, filled, key):
    dst = tmp_path / "forged.xlsx"
    forge(filled, dst, {"ind.0.weight": 25, "grp.0.weight": 55},
          {'"weight":20': '"weight":25'})
    (tmp_path / "key").write_bytes(key)
    res = CliRunner().invoke(main, ["validate", str(dst), "--key-file", str(tmp_path / "key"),
                                    "--year", "2023", "--format", "json"])
    assert res.exit_code == 1, res.output
    assert "meta.signature_missing" in res.output


# ---------------------------------------------------------------------- formulas


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_a_formula_replaced_by_another_formula_is_named(tmp_path, filled, key, engine):
    wb = openpyxl.load_workbook(filled)
    wb["自评表"].protection.sheet = False
    score = cell(wb, "ind.0.score")
    weight = cell(wb, "ind.0.weight").coordinate
    was = score.value
    score.value = f"=${weight[0]}${weight[1:]}"  # K15 =$H$15: the same 20 while 100% is met
    dst = tmp_path / "k15.xlsx"
    wb.save(dst)
    r = read_workbook(dst, key=key, engine=engine)
    f = by_code(r, "calc.formula_changed")
    assert f.severity == "错误" and (f.sheet, f.cell, f.field) == ("自评表", score.coordinate,
                                                                  "ind.0.score")
    assert (f.expected, f.actual) == (was, score.value)
    assert score.value in f.message and "下发时为 =" in f.message
    assert "calc.formula_overwritten" not in codes(r)
    assert sum(c == "calc.formula_changed" for c in codes(r)) == 1


def test_formula_spellings_that_mean_the_same():
    want = normalise('=IF(AND($H$6<>"",ISNUMBER($H$6)=FALSE),"a b",ROUND($H$6/$F$6,4))')
    for same in ('=if(and(H6<>"", isnumber( H6 )=FALSE()),"a b",round(H6/F6,4))',
                 '=IF(AND($H6<>"",ISNUMBER(H$6)=FALSE),"a b",_xlfn.ROUND($H$6/$F$6,4.0))',
                 '=IF(AND($H$6<>"",ISNUMBER($H$6)=FALSE),"a b",ROUND($H$6/$F$6,4E0))'):
        assert normalise(same) == want, same
    for other in ('=IF(AND($H$6<>"",ISNUMBER($H$6)=FALSE),"a  b",ROUND($H$6/$F$6,4))',
                  '=IF(AND($H$6<>"",ISNUMBER($H$6)=FALSE),"A B",ROUND($H$6/$F$6,4))',
                  '=IF(AND($H$6<>"",ISNUMBER($H$6)=FALSE),"a b",ROUND($H$6/$F$6,2))',
                  '=IF(AND($H$7<>"",ISNUMBER($H$6)=FALSE),"a b",ROUND($H$6/$F$6,4))'):
        assert normalise(other) != want, other
    assert normalise("=0.5+.5") == normalise("=5E-1+0.50")


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_shared_formulas_are_compared_as_their_cells_mean_them(tmp_path, filled, key, engine):
    """A writer that shares one formula over cells (LibreOffice writes ``t="shared"``)
    spells each child as the master moved there: the same formula, no finding; a group
    whose master is not the child's formula moved is a changed formula."""
    wb = openpyxl.load_workbook(filled)
    a, b = cell(wb, "ind.0.score"), cell(wb, "ind.3.score")
    layout = build_layout(SPEC, ISSUE, TARGETS)
    rows = (a.row, b.row)
    # the two rows' score formulas, relative: one shared formula when they move into each other
    rel = layout.formula(layout.fields["ind.0.score"]).replace("$", "")
    moved = re.sub(rf"([A-Z]){rows[0]}\b", lambda m: f"{m[1]}{rows[1]}", rel)
    honest = moved == layout.formula(layout.fields["ind.3.score"]).replace("$", "")
    data = zipfile.ZipFile(filled)
    out = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(out, "w") as z:
        for info in data.infolist():
            body = data.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for addr, f in ((a.coordinate, f'<f t="shared" ref="{a.coordinate}:'
                                 f'{b.coordinate}" si="0">{_esc(rel[1:])}</f>'),
                                (b.coordinate, '<f t="shared" si="0"/>')):
                    text, n = re.subn(rf'(<c r="{addr}"[^>]*>)<f>[^<]*</f>', rf"\g<1>{f}", text)
                    assert n == 1
                body = text.encode()
            z.writestr(info, body)
    r = read_workbook(out, key=key, engine=engine)
    changed = [f.field for f in r.findings if f.code == "calc.formula_changed"]
    assert changed == ([] if honest else ["ind.3.score"])


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.libreoffice
def test_honest_resaves_keep_every_formula(tmp_path, filled, issued, key, libreoffice,
                                            gnumeric):
    """Filled returns re-saved by LibreOffice, Gnumeric (ssconvert --recalc) and openpyxl:
    no formula reads as changed, no 校验 as removed, nothing hidden."""
    blank_dept = tmp_path / "dept.xlsx"
    write_atomic(blank_dept, build_workbook(load_spec("dept-2020"), ISSUE, key=key).data)
    common = tmp_path / "common.xlsx"
    write_atomic(common, build_workbook(load_spec("common-2011"), ISSUE, key=key).data)
    files = [filled, issued, blank_dept, common]
    saved = recalculate(files, tmp_path / "lo") + recalculate_gnumeric(files, tmp_path / "gn")
    again = tmp_path / "openpyxl.xlsx"
    openpyxl.load_workbook(filled).save(again)
    for path in [*saved, again]:
        for engine in ("fast", "openpyxl"):
            r = read_workbook(path, key=key, engine=engine)
            assert r.status == "read", (path, r.reason)
            found = [(f.code, f.cell, f.message[:200]) for f in r.findings
                     if f.code in TRUST_CODES]
            if "gn" in path.parts:  # Gnumeric writes no sheet state at all: _meta shows
                assert [c for c, *_ in found] == ["meta.visible"], (path, found)
            else:
                assert found == [], (path, engine)
            assert r.project["issued_source"] == "签名"


# ---------------------------------------------------------------------- hints


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_hidden_rows_and_columns_visible_meta_and_emptied_check(tmp_path, filled, key, engine):
    wb = openpyxl.load_workbook(filled)
    ws = wb["自评表"]
    ws.protection.sheet = False
    first = cell(wb, "header.project_name").row  # header and money rows (no spare rows)
    rows = [first, first + 1, first + 2, first + 5]
    for r in rows:
        ws.row_dimensions[r].hidden = True
    ws.column_dimensions["L"].hidden = True
    wb[META_SHEET].sheet_state = "visible"
    check = cell(wb, "ind.0.check")
    check.value = None
    dst = tmp_path / "hidden.xlsx"
    wb.save(dst)
    r = read_workbook(dst, key=key, engine=engine)
    hidden = [f for f in r.findings if f.code == "form.hidden_lines"]
    assert [f.severity for f in hidden] == ["提示", "提示"]
    assert hidden[0].message.startswith(
        f"工作表「自评表」中有隐藏的行：第 {first}–{first + 2} 行、第 {first + 5} 行（")
    assert hidden[0].cell == f"{first}:{first + 5}" and hidden[1].cell == "L:L"
    assert "L 列" in hidden[1].message
    assert by_code(r, "meta.visible").severity == "提示"
    f = by_code(r, "form.check_changed")
    assert (f.severity, f.cell, f.field) == ("提示", check.coordinate, "ind.0.check")
    assert "校验公式被删除" in f.message
    # a 校验 formula made to say nothing
    wb = openpyxl.load_workbook(filled)
    cell(wb, "check.total").value = '=""'
    wb.save(dst)
    f = by_code(read_workbook(dst, key=key, engine=engine), "form.check_changed")
    assert f.field == "check.total" and "被改动" in f.message and '现为 =""' in f.message


def test_meta_hidden_as_libreoffice_saves_it_is_fine(tmp_path, filled, key):
    wb = openpyxl.load_workbook(filled)
    wb[META_SHEET].sheet_state = "hidden"
    wb.save(tmp_path / "h.xlsx")
    assert "meta.visible" not in codes(read_workbook(tmp_path / "h.xlsx", key=key))


# ---------------------------------------------------------------------- collect


LIST_HEAD = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数", "全年预算数"]


def _round(tmp_path: Path, key: bytes | None, issue_key: bytes | None = None):
    """A list of two projects issued with targets into ``issued/`` (manifest beside the
    list), a key file, the approved targets."""
    rows = [dict(ISSUE, project_code=f"P{i}", project_name=f"项目{i}") for i in (1, 2)]
    out = tmp_path / "issued"
    issued = issue_all(SPEC, plan(SPEC, rows, out), year=2023, out_dir=out,
                       targets={r["project_code"]: TARGETS for r in rows}, key=issue_key,
                       password="pw")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(LIST_HEAD)
    for r in rows:
        ws.append([r["unit_code"], r["unit_name"], r["department"], r["project_code"],
                   r["project_name"], 1500, 1500])
    wb.save(out / "list.xlsx")
    tg = openpyxl.Workbook()
    ws = tg.active
    ws.append(["项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值", "计量单位", "分值"])
    for r in rows:
        for t in TARGETS:
            ws.append([r["project_code"], t["level1"], t["level2"], t["name"], t["direction"],
                       t["target"], t["unit"], t["weight"]])
    tg.save(tmp_path / "targets.xlsx")
    (tmp_path / "key").write_bytes(key or b"")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return issued, out / "list.xlsx", inbox


def _collect(tmp_path, inbox, listed, *extra, key=True):
    args = ["collect", str(inbox), "--list", str(listed), "-o", str(tmp_path / "r.xlsx"),
            "--targets", str(tmp_path / "targets.xlsx"), "--year", "2023", "--format", "json",
            *extra]
    if key:
        args += ["--key-file", str(tmp_path / "key")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code in (0, 1), res.output
    report = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    issues = [dict(zip([c.value for c in next(report["问题清单"].iter_rows(max_row=1))],
                       [c.value for c in row], strict=False))
              for row in report["问题清单"].iter_rows(min_row=2)]
    projects = list(report["项目"].iter_rows(values_only=True))
    head = projects[0]
    return res, issues, [dict(zip(head, p, strict=True)) for p in projects[1:]]


def _codes_of(issues) -> list[str]:
    return [next(v for k, v in i.items() if k in ("规则", "代码", "code")) for i in issues]


def test_collect_compares_an_untrusted_return_with_the_list_and_targets(tmp_path, key):
    issued, listed, inbox = _round(tmp_path, key, key)
    (listed.parent / "manifest.xlsx").rename(tmp_path / "manifest.xlsx")  # not beside it
    good, bad = issued
    fill(good.path, inbox / "good.xlsx", FILLED)
    fill(bad.path, tmp_path / "bad.xlsx", FILLED)
    forge(tmp_path / "bad.xlsx", inbox / "bad.xlsx",
          {"funds.total.full_year": 1200, "funds.total.initial": 1200, "ind.0.target": 80},
          {'"funds.total.full_year":1500': '"funds.total.full_year":1200',
           '"funds.total.initial":1500': '"funds.total.initial":1200',
           '"target":100': '"target":80', '"ind.0.target":100': '"ind.0.target":80'})
    res, issues, projects = _collect(tmp_path, inbox, listed)
    assert res.exit_code == 1
    got = {(Path(i["文件"]).name, c) for i, c in zip(issues, _codes_of(issues), strict=True)}
    assert ("bad.xlsx", "meta.signature_missing") in got
    assert ("bad.xlsx", "budget.fund") in got  # the list's 1500, not the forged 1200
    assert ("bad.xlsx", "target.untrusted") in got  # never "下发时 … 80"
    assert not any(c == "target.changed" for _, c in got)
    assert not any(n == "good.xlsx" and c.startswith(("meta.", "target.", "budget."))
                   for n, c in got)
    msg = next(i["说明"] for i, c in zip(issues, _codes_of(issues), strict=True)
               if c == "target.untrusted")
    assert "绩效目标为 100" in msg and "表内年度指标值为 80" in msg and "下发时" not in msg
    src = {Path(p["文件"]).name: p["预填数据来源"] for p in projects}
    assert src == {"good.xlsx": "签名", "bad.xlsx": "预算清单"}


def test_collect_matches_returns_to_the_manifest(tmp_path, key):
    # issued unsigned, collected with a key: the manifest vouches for intact _meta
    issued, listed, inbox = _round(tmp_path, key, issue_key=None)
    one_, two = issued
    fill(one_.path, inbox / "intact.xlsx", FILLED)
    fill(two.path, tmp_path / "t.xlsx", FILLED)
    forge(tmp_path / "t.xlsx", inbox / "forged.xlsx", {"ind.0.weight": 25},
          {'"weight":20': '"weight":25'})
    # a workbook this office never issued (a project of its unit, built elsewhere). Not of
    # P1: two returns of one project keep the newer by save time, which within one second
    # is either of them, so the intact return's row could be the superseded one
    other = build_workbook(SPEC, dict(ISSUE, project_code="P9", project_name="项目9",
                                      file_id="0123456789abcdef"), TARGETS, password="pw")
    write_atomic(inbox / "other.xlsx", other.data)
    res, issues, projects = _collect(tmp_path, inbox, listed)  # manifest found beside the list
    got = {(Path(i["文件"]).name, c) for i, c in zip(issues, _codes_of(issues), strict=True)}
    assert ("forged.xlsx", "manifest.digest_mismatch") in got
    assert ("other.xlsx", "manifest.unmatched") in got
    assert not any(n == "intact.xlsx" and c.startswith("manifest.") for n, c in got)
    src = {Path(p["文件"]).name: p["预填数据来源"] for p in projects}
    assert src["intact.xlsx"] == "下发清单" and src["forged.xlsx"] == "预算清单"
    # --manifest names it explicitly; the same result
    moved = tmp_path / "elsewhere.xlsx"
    shutil.copy(listed.parent / "manifest.xlsx", moved)
    (listed.parent / "manifest.xlsx").unlink()
    res, issues2, _ = _collect(tmp_path, inbox, listed, "--manifest", str(moved), "--db",
                               str(tmp_path / "other.sqlite"))
    assert sorted(_codes_of(issues2)) == sorted(_codes_of(issues))


def test_a_manifest_from_before_file_ids_matches_by_code(tmp_path, key):
    issued, listed, inbox = _round(tmp_path, key, key)
    fill(issued[0].path, inbox / "a.xlsx", FILLED)
    manifest = listed.parent / "manifest.xlsx"
    wb = openpyxl.load_workbook(manifest)
    ws = wb.active
    ws.delete_cols(12, 2)  # 文件编号, 预填摘要: as xlkit wrote it before
    wb.save(manifest)
    other = build_workbook(SPEC, dict(ISSUE, project_code="P9", project_name="项目9"), TARGETS,
                           key=key, password="pw")
    write_atomic(inbox / "p9.xlsx", other.data)
    res, issues, _ = _collect(tmp_path, inbox, listed)
    got = {(Path(i["文件"]).name, c) for i, c in zip(issues, _codes_of(issues), strict=True)}
    assert ("manifest.xlsx", "manifest.no_ids") in got
    assert ("p9.xlsx", "manifest.unmatched") in got
    assert not any(n == "a.xlsx" and c.startswith("manifest.") for n, c in got)


def test_a_file_that_is_no_manifest_is_refused(tmp_path, key):
    issued, listed, inbox = _round(tmp_path, key, key)
    inbox.mkdir(exist_ok=True)
    shutil.copy(issued[0].path, inbox / "r1.xlsx")  # an empty inbox is refused before
    res = CliRunner().invoke(main, ["collect", str(inbox), "--list", str(listed), "-o",
                                    str(tmp_path / "r.xlsx"), "--manifest", str(listed)])
    assert res.exit_code == 2 and "下发清单" in res.output, res.output
