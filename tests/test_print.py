"""The national printed grid of project-2020 and dept-2020, as LibreOffice prints it.

Blank, issued, filled (long texts typed by a unit) and large (30 indicators) forms of both
specs go through ONE soffice call to PDF; the assertions read the PDF back: A4 landscape,
one page for the form sheet up to 12 indicators, a larger form broken only between groups
with the column heads on every page, no helper (校验 / 填报辅助) text on paper, the target
texts ("≥100%") printed, long texts printed to their end. ``XLKIT_PRINT_PNG=DIR`` keeps PNGs
of every page to look at.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from engine import soffice
from pdf import page_size, pages, poppler, sheet_pages, squeeze, to_pdf, to_png
from workbooks import ISSUE, TARGETS, cell, name_map, values_by_field

from xlkit.build import build_workbook
from xlkit.build.guide import GUIDE_SHEET
from xlkit.core.layout import LINE_HEIGHT, ROW_PAD, build_layout, column_units, text_lines
from xlkit.core.spec import load_spec

pytestmark = pytest.mark.skipif(soffice() is None or not poppler(),
                                reason="LibreOffice or poppler not installed")

HEAD = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
        "偏差原因分析及改进措施")
LONG_REASON = ("受年初预算编制较为宽松、离休人员自然减员以及上年结转资金较多等多方面因素影响，"
               "实际补助支出低于年初预算，下一步将加强预算编制的科学性和精准性，结束语甲乙丙")
LONG_ACTUAL = "全年共发放补助资金六百五十万元，惠及离休人员一百二十人，收尾丁戊"
GROUP_SUBS = {"产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
              "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
              "满意度指标": ("服务对象满意度指标",)}


def large_targets(n: int = 30) -> list[dict]:
    """``n`` approved indicators spread over the three groups, each named by its group
    (产出甲01 ...), weights summing to 90."""
    per = {"产出指标": n // 2, "效益指标": n - n // 2 - 3, "满意度指标": 3}
    weights = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    out = []
    for level1, k in per.items():
        subs = GROUP_SUBS[level1]
        for j in range(k):
            w = weights[level1] / k
            out.append({"level1": level1, "level2": subs[j % len(subs)],
                        "name": f"{level1[:2]}考核事项{j + 1:02d}号", "direction": "≥",
                        "target": 100, "unit": "%", "weight": round(w, 4) if j < k - 1
                        else round(weights[level1] - round(w, 4) * (k - 1), 4)})
    return out


def has_head(layout_text: str) -> bool:
    """A printed line reads the national column heads, in order (pdftotext -layout)."""
    for line in layout_text.splitlines():
        line = squeeze(line)
        pos = 0
        for h in HEAD:
            pos = line.find(h, pos)
            if pos < 0:
                break
            pos += len(h)
        else:
            return True
    return False


def fill_as_excel(src: Path, dst: Path, values: dict, layout) -> None:
    """Type ``values`` as a unit in Excel or WPS does: a row the builder wrote without
    ``customHeight`` grows to fit what is typed into it (estimated here as the builder
    estimates), and keeps no ``customHeight`` when saved. openpyxl itself marks every row
    with a height as custom; that mark is taken off the rows the builder left unmarked.
    (LibreOffice 7 neither fits such a row on load nor on edit in headless conversion: its
    user fits it with 格式 → 行 → 最佳行高, which the sheet protection allows.)"""
    wb = openpyxl.load_workbook(src)
    names = name_map(wb)
    ws = wb["自评表"]
    for fld, value in values.items():
        cell(wb, fld, names).value = value
        c = layout.fields[fld]
        if c.row in layout.auto_rows:
            h = text_lines(value, column_units(c.col, c.last_col or c.col)) * LINE_HEIGHT + ROW_PAD
            dim = ws.row_dimensions[c.row + 1]
            dim.height = max(dim.height or 0, h)
    wb.save(dst)
    zin = zipfile.ZipFile(dst)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                def sub(m):
                    if int(m.group(1)) - 1 in layout.auto_rows:
                        return m.group(0).replace(' customHeight="1"', "")
                    return m.group(0)
                data = re.sub(r'<row r="(\d+)"[^>]*>', sub, data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)
    zin.close()
    dst.write_bytes(out.getvalue())


def _forms(tmp: Path) -> dict[str, tuple[Path, object]]:
    """name → (xlsx, layout): blank, issued, filled and large forms of both specs."""
    out = {}
    for sid in ("project-2020", "dept-2020"):
        spec = load_spec(sid)
        tag = sid.split("-")[0]
        issue = dict(ISSUE, funds={}) if sid == "dept-2020" else ISSUE
        for kind, iss, tg in (("blank", {"year": 2023}, None), ("issued", issue, TARGETS),
                              ("large", issue, large_targets())):
            p = tmp / f"{tag}_{kind}.xlsx"
            built = build_workbook(spec, iss, tg)
            p.write_bytes(built.data)
            out[f"{tag}_{kind}"] = (p, built.layout)
        issued, lay = out[f"{tag}_issued"]
        filled = tmp / f"{tag}_filled.xlsx"
        fill_as_excel(issued, filled, {"ind.0.actual": 0.267, "ind.0.reason": LONG_REASON,
                              "ind.1.actual": LONG_ACTUAL, "ind.1.qscore": 30,
                              "ind.1.tier": "达成", "funds.total.executed": 828},
                      lay)
        out[f"{tag}_filled"] = (filled, lay)
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    forms = _forms(tmp)
    pdfs = to_pdf([p for p, _ in forms.values()], tmp / "pdf")
    keep = os.environ.get("XLKIT_PRINT_PNG")
    out = {}
    for (name, (_, lay)), pdf in zip(forms.items(), pdfs, strict=True):
        if keep:
            to_png(pdf, Path(keep))
        texts = pages(pdf, layout=False)  # each cell's lines together
        guide_head = squeeze(f"{lay.spec.title}填报说明")
        form = sheet_pages(texts, "年度" + lay.spec.title, guide_head)
        # the same pages with their lines as printed (for the head row)
        rows = pages(pdf)[texts.index(form[0]):texts.index(form[0]) + len(form)]
        out[name] = (pdf, texts, form, lay, rows)
    return out


def test_a4_landscape_and_guide_fits(printed):
    for name, (pdf, texts, form, _, _) in printed.items():
        w, h = page_size(pdf)
        assert abs(w - 842) < 3 and abs(h - 595) < 3, (name, w, h)
        guide = [t for t in texts if "填报说明" in squeeze(t) and t not in form]
        assert guide, name
        # the guide's longest line prints whole: its end is on the page
        assert any("之和须等于所属一级指标分值" in squeeze(t) for t in guide), name


@pytest.mark.parametrize("tag", ["project", "dept"])
@pytest.mark.parametrize("kind", ["blank", "issued", "filled"])
def test_typical_form_one_page(printed, tag, kind):
    _, _, form, lay, rows = printed[f"{tag}_{kind}"]
    assert len(form) == 1, (tag, kind, len(form))
    page = squeeze(form[0])
    assert has_head(rows[0])
    assert "总分" in page and "等次" in page
    for helper in ("校验", "填报辅助", "资金校验", "指标方向", "定性档次"):
        assert helper not in page, helper
    if kind != "blank":
        assert "≥100%" in page and "及时拨付" in page and "≥85%" in page
        assert "产出指标（50分）" in page  # 产出指标 / （50分） on two lines of one cell


@pytest.mark.parametrize("tag", ["project", "dept"])
def test_long_texts_printed_whole(printed, tag):
    _, _, form, _, _ = printed[f"{tag}_filled"]
    page = squeeze(form[0])
    assert "结束语甲乙丙" in page  # the end of the 偏差原因
    assert "收尾丁戊" in page  # the end of the 实际完成值
    assert "26.70%" in page


@pytest.mark.parametrize("tag", ["project", "dept"])
def test_large_form_breaks_between_groups(printed, tag):
    _, _, form, lay, rows = printed[f"{tag}_large"]
    assert len(form) >= 2
    assert lay.breaks and not lay.one_page
    for k, t in enumerate(form):
        page = squeeze(t)
        has_rows = any(f"考核事项{j:02d}号" in page for j in range(1, 31))
        if has_rows:
            assert has_head(rows[k]), f"page {k + 1} has indicator rows without the column heads"
        assert "校验" not in page and "填报辅助" not in page
    # every group's indicators on one page
    for level1 in GROUP_SUBS:
        names = [f"{level1[:2]}考核事项{j:02d}号" for j in range(1, 31)]
        holding = {k for k, t in enumerate(form) for nm in names if nm in squeeze(t)}
        assert len(holding) == 1, (level1, holding)


def test_large_layout_breaks_only_at_group_starts():
    spec = load_spec("project-2020")
    lay = build_layout(spec, ISSUE, large_targets())
    starts = {a for a, _ in lay.keep}
    assert lay.breaks and set(lay.breaks) <= starts | {lay.row}
    assert lay.repeat is not None


def test_guide_sheet_landscape(printed):
    pdf, texts, form, lay, _ = printed["project_issued"]
    assert any(GUIDE_SHEET in squeeze(t) for t in texts)


# --- the printed 年度指标值: one formula over 指标方向 / 指标值 / 计量单位 ----------------------

TARGET_CASES = [  # (direction, target, unit, percent-formatted target, what Python shows)
    ("≥", 100, "%", False, "≥100%"), ("≤", 60, "分钟", False, "≤60分钟"),
    ("定性", "及时拨付", None, False, "及时拨付"), ("=", 12, "次", False, "12次"),
    ("≥", 0.95, None, True, "≥95%"), ("≥", 0.57, "%", True, "≥57%"),
    ("≥", 12579.31, "万元", False, "≥12579.31万元"), ("≤", 0.3, None, False, "≤0.3"),
    ("≥", 1234567.891, "元", False, "≥1234567.891元"), ("=", 0, "起", False, "0起"),
    ("≥", 100 / 3, "%", False, "≥33.3333333333%"), ("≥", 0.00001, None, False, "≥0.00001"),
    ("≥", 0.955, None, True, "≥95.5%"), (None, 85, "%", False, "85%"),
]
#: Gnumeric turns a small number into text with an exponent (1e-05) where Excel, WPS and
#: LibreOffice show 0.00001 (the formula rounds to 10 decimals, so digits agree otherwise)
GNUMERIC_DIFFERS = {11}


def test_target_text_in_libreoffice_and_gnumeric(tmp_path):
    """The 年度指标值 formula shows in LibreOffice and Gnumeric what Python computes
    (numbers as text in General: 15 significant digits), and a read of the recalculated
    file finds nothing to say about it (cached = recomputed)."""
    from engine import recalculate_all, ssconvert

    from xlkit import read_workbook
    from xlkit.core.expr.tree import percent_flag, percent_shown
    if ssconvert() is None:
        pytest.skip("Gnumeric (ssconvert) not installed")
    spec = load_spec("project-2020")
    built = build_workbook(spec, {"year": 2023})
    lay = built.layout
    src = tmp_path / "blank.xlsx"
    src.write_bytes(built.data)
    wb = openpyxl.load_workbook(src)
    names = name_map(wb)
    env = {}
    for i, (d, t, u, pct, _) in enumerate(TARGET_CASES):
        for k, v in (("direction", d), ("target", t), ("unit", u)):
            if v is not None:
                c = cell(wb, f"ind.{i}.{k}", names)
                c.value = v
                env[f"ind.{i}.{k}"] = v
                if k == "target" and pct:
                    c.number_format = "0.0%"
                    env[percent_flag(f"ind.{i}.target")] = True
                    env[percent_shown(f"ind.{i}.target")] = True
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    want = lay.evaluate(env, walk=True)
    for i, case in enumerate(TARGET_CASES):
        assert want[f"ind.{i}.target_text"] == case[-1], case
        assert lay.evaluate(env)[f"ind.{i}.target_text"] == case[-1]  # compiled alike
    out = recalculate_all([filled], tmp_path / "recalc")
    for engine, (path,) in out.items():
        got = values_by_field(path, [f"ind.{i}.target_text" for i in range(len(TARGET_CASES))])
        bad = [(case, got[f"ind.{i}.target_text"]) for i, case in enumerate(TARGET_CASES)
               if got[f"ind.{i}.target_text"] != case[-1]
               and not (engine == "gnumeric" and i in GNUMERIC_DIFFERS)]
        assert not bad, (engine, bad)
    res = read_workbook(out["libreoffice"][0])
    noisy = [f for f in res.findings if f.code in ("calc.as_shown", "calc.stale")]
    assert not noisy, [(f.code, f.message) for f in noisy]


# --- spare indicator rows -------------------------------------------------------------

def _spare(lay, level2: str):
    return next(r for r in lay.indicator_rows if r.spare and r.level2 == level2)


def test_spare_rows_hidden_as_issued_and_counted(tmp_path):
    from xlkit import read_workbook
    from xlkit.core.spec import parse_spec
    spec = load_spec("project-2020")
    built = build_workbook(spec, ISSUE, TARGETS)
    lay = built.layout
    assert lay.hidden_rows and all(lay.fields[f"ind.{r.index}.name"].kind == "input"
                                   for r in lay.indicator_rows if r.spare)
    issued = tmp_path / "issued.xlsx"
    issued.write_bytes(built.data)
    res = read_workbook(issued)
    assert "form.hidden_lines" not in [f.code for f in res.findings]
    assert len(res.indicators) == len(TARGETS)  # the unused spare rows are not read
    # a unit adds a 4th indicator in 数量指标 (its weight taken from the first)
    sp = _spare(lay, "数量指标")
    add = {"ind.0.weight": 10, f"ind.{sp.index}.name": "新增考核事项",
           f"ind.{sp.index}.direction": "≥", f"ind.{sp.index}.target": 100,
           f"ind.{sp.index}.unit": "%", f"ind.{sp.index}.actual": 100,
           f"ind.{sp.index}.weight": 10}
    wb = openpyxl.load_workbook(issued)
    names = name_map(wb)
    for f, v in add.items():
        cell(wb, f, names).value = v
    still_hidden = tmp_path / "hidden.xlsx"
    wb.save(still_hidden)
    wb["自评表"].row_dimensions[sp.row + 1].hidden = False
    shown = tmp_path / "shown.xlsx"
    wb.save(shown)
    res = read_workbook(still_hidden)
    codes = [f.code for f in res.findings]
    assert "form.spare_hidden" in codes and "form.hidden_lines" not in codes
    res = read_workbook(shown)
    codes = [f.code for f in res.findings]
    assert "form.spare_hidden" not in codes and "form.hidden_lines" not in codes
    added = [r for r in res.indicators if r["name"] == "新增考核事项"]
    assert len(added) == 1 and added[0]["score_computed"] == 10
    assert lay.evaluate({**{f: c.value for f, c in lay.fields.items() if c.kind == "prefill"},
                         **add})["grp.0.weight"] == 50 - 20 + 10 + 10
    # the spec key: validated
    import yaml

    from xlkit.core.spec import templates_dir
    data = yaml.safe_load((templates_dir() / "project-2020.yaml").read_text(encoding="utf-8"))
    data["indicators"]["spare_rows_per_subgroup"] = 3
    assert parse_spec(data).indicators.spare_rows_per_subgroup == 3
    data["indicators"]["spare_rows_per_subgroup"] = 11
    with pytest.raises(Exception, match="spare_rows_per_subgroup"):
        parse_spec(data)
