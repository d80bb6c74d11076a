"""Rubric forms (issue 14, deliverable 4; weights at every level of deliverable 6).

Seed 003's 单位整体支出绩效评价得分表 (templates/unit-score-2019.yaml) and seed 000's 附件3
部门整体支出绩效评价指标体系 (templates/dept-insurance-2023.yaml): three levels with their own
weights, 指标解释 / 计分标准 / 责任科室 printed, a rule per item (entered, deduction per
occurrence, band, ratio, one minus ratio, bonus with a cap). The filled samples
(samples/make_rubric.py) reproduce the seeds' 93 and 95 through the reader, LibreOffice and
Gnumeric; the in-form checks name the same mistakes on the sheet and in the reader; collect
and the report take them; the printed pages keep the seeds' columns and texts.
"""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pytest
import yaml
from engine import recalculate, recalculate_all, same_value
from pdf import page_size, pages, poppler, sheet_pages, squeeze, to_pdf, to_png
from workbooks import fill, name_map, unprotected_with
from xlkit.samples import make_rubric as mr

from xlkit import read_workbook
from xlkit.build import build_workbook, write_atomic
from xlkit.core.layout import PAGE_HEIGHT, build_layout, defined_name, print_widths
from xlkit.core.meta import load_key
from xlkit.core.spec import load_spec, parse_spec
from xlkit.findings import InputError
from xlkit.read.batch import tables_of

SAMPLES = Path(mr.__file__).resolve().parent
KEY = load_key(SAMPLES / "示例密钥.txt")
SPECS = ("unit-score-2019", "dept-insurance-2023")


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """The two filled samples, made afresh (the script is the source of the committed ones)."""
    tmp = tmp_path_factory.mktemp("rubric")
    out = {}
    for spec_id, year, unit, executed in mr.UNITS:
        spec = load_spec(spec_id)
        src, dst = tmp / f"{spec_id}.issued.xlsx", tmp / f"{spec_id}.xlsx"
        write_atomic(src, build_workbook(spec, mr.issue_of(unit, year), key=KEY,
                                         password="pw").data)
        values = mr.filled_values(spec, mr.FILLS[spec_id], executed, unit["unit_code"])
        mr.ms.type_by_names(src, dst, values)
        out[spec_id] = dst
    return out


def _yaml(spec_id: str) -> dict:
    return yaml.safe_load(Path(load_spec(spec_id).source).read_text(encoding="utf-8"))


def _problems(data: dict) -> list[str]:
    with pytest.raises(InputError) as exc:
        parse_spec(data)
    return exc.value.problems


# ------------------------------------------------------------------------------ spec


def test_the_seed_forms_load_with_three_levels_and_weights_that_add_up():
    s3 = load_spec("unit-score-2019")
    assert s3.weights == {"预算编制": 16, "预算执行": 24, "综合管理": 40, "整体效益": 20}
    assert [len(g.subgroups) for g in s3.scorecard.groups] == [3, 4, 8, 1]
    assert len(s3.scorecard.items) == 30
    assert [c.label for c in s3.scorecard.columns] == [
        "一级指标", "二级指标", "三级指标", "分值", "指标解释", "计分标准（备注）", "自评得分"]
    s0 = load_spec("dept-insurance-2023")
    assert s0.weights == {"A筹资及资金运行": 38, "B数据运行": 4, "C审核稽核及内部管理": 58}
    a1 = s0.scorecard.groups[0].subgroups[0]
    assert (a1.name, a1.weight) == ("A1、参保管理工作", 22)
    bonus = [it for it in s0.scorecard.items if it.bonus]
    assert [(it.name, it.weight, it.rule.params["cap"]) for it in bonus] == [
        ("A11.超额完成参保任务加分", 2, 2), ("A15.超额推广加分", 2, 2)]
    assert sum(it.weight for it in s0.scorecard.items if not it.bonus) == 100
    assert {it.office for it in s0.scorecard.items} >= {"参保管理科", "稽核科", "办公室"}
    kinds = {it.rule.kind for s in (s0, s3) for it in s.scorecard.items}
    assert kinds == {"entered", "deduction", "band", "ratio", "one_minus_ratio", "bonus"}


def test_a_rubric_prints_on_its_own_grid_and_common_2011_keeps_the_national_one():
    lay = build_layout(load_spec("unit-score-2019"))
    assert len(lay.widths) == 9 and abs(sum(lay.widths) - 138) < 0.1
    assert lay.widths[5] == lay.widths[6] == lay.widths[7]  # 计分标准 spans F:H
    assert print_widths(load_spec("common-2011")) == (9, 11, 18, 26, 13, 14, 7, 8, 32)


@pytest.mark.parametrize("edit, path, words", [
    # a 三级指标 weight that leaves its 二级指标 short
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][1]["items"][0].update(weight=5),
     "scorecard.groups[0].subgroups[1].items",
     "各三级指标分值合计 7（预算编制准确 5 + 部门预算审查 2；加分项不计），应等于二级指标「编制质量」的分值 6"),
    # a 二级指标 weight that leaves its 一级指标 short
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0].update(weight=3),
     "scorecard.groups[0].subgroups[0].items", "应等于二级指标「报送时效」的分值 3"),
    (lambda d: d["scorecard"]["groups"][0].update(weight=17),
     "scorecard.groups[0].subgroups",
     "各二级指标分值合计 16（报送时效 2 + 编制质量 6 + 目标明确 8），应等于一级指标「预算编制」的分值 17"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0]["rule"].update(
        kind="deduct"), "scorecard.groups[0].subgroups[0].items[0].rule.kind",
     "未知的规则种类 'deduct'，是否应为 deduction？"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0]["rule"].pop("per"),
     "scorecard.groups[0].subgroups[0].items[0].rule.per", "必须填写"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0].update(
        rule={"kind": "tiers"}), "scorecard.groups[0].subgroups[0].items[0].rule.kind",
     "tiers 不能用于评分表的三级指标"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0].update(
        rule={"kind": "ratio"}, inputs={"numerator": {"from": "quest.score"}}),
     "scorecard.groups[0].subgroups[0].items[0].inputs.numerator.from",
     "是满意度问卷的数，但本表式没有 questionnaire 部分"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0].update(
        rule={"kind": "ratio"}, inputs={"numerator": {"from": "funds.total.spent"}}),
     "scorecard.groups[0].subgroups[0].items[0].inputs.numerator.from",
     "应写成 funds.<资金行 key>.<资金列 key>"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0].update(
        inputs={"value": 3}), "scorecard.groups[0].subgroups[0].items[0].inputs.value",
     "deduction 规则没有这个输入（它的输入：count）"),
    (lambda d: d["scorecard"]["groups"][0]["subgroups"][0]["items"][0].update(explian="x"),
     "scorecard.groups[0].subgroups[0].items[0].explian", "未知的键是否应为 explain？"),
    (lambda d: d["scorecard"].update(columns=["level1", "level3", "weight"]),
     "scorecard.columns", "缺少 score"),
])
def test_a_wrong_rubric_is_refused_with_its_key_path(edit, path, words):
    data = copy.deepcopy(_yaml("unit-score-2019"))
    edit(data)
    problems = _problems(data)
    assert any(p.startswith(f"{path}：") and words in p for p in problems), problems


def test_rubric_keys_need_declared_columns():
    data = copy.deepcopy(_yaml("common-2011"))
    data["scorecard"]["groups"][0]["items"][0]["rule"] = {"kind": "deduction", "per": 1}
    problems = _problems(data)
    assert any(p.startswith("scorecard.groups[0].items[0].rule：未知的键") for p in problems)


def test_a_questionnaire_figure_feeds_an_item():
    """``from: quest.score`` is accepted once the spec has a questionnaire (the section
    itself is the questionnaire part's); ``from: funds.*`` reads the money block."""
    data = copy.deepcopy(_yaml("unit-score-2019"))
    item = data["scorecard"]["groups"][1]["subgroups"][1]["items"][0]  # 预算完成率
    item.update(rule={"kind": "ratio"}, inputs={"numerator": {"from": "funds.total.executed"},
                                                "denominator": {"from": "funds.total.full_year"}})
    spec = parse_spec(data)
    lay = build_layout(spec, mr.issue_of(mr.UNITS[0][2], 2018))
    i = [it.name for it in spec.scorecard.items].index("预算完成率")
    assert f"card.{i}.numerator" not in lay.fields  # nothing to type: read off the form
    got = lay.evaluate({"funds.total.executed": 449.216})
    assert got[f"card.{i}.score"] == pytest.approx(5 * 449.216 / 561.52, abs=0.005)


# ------------------------------------------------------------------------------ reading


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_the_filled_samples_reproduce_the_seeds_totals(returns, engine):
    for spec_id, path in returns.items():
        total, groups = mr.EXPECTED[spec_id]
        r = read_workbook(path, key=KEY, engine=engine)
        assert r.status == "read" and r.findings == [], [(f.code, f.message) for f in
                                                         r.findings]
        assert (r.project["total_score"], r.project["grade"]) == (total, "优")
        assert r.project["total_score_shown"] == total
        spec = load_spec(spec_id)
        subtotals = {g.name: r.computed[f"card.g{k}.subtotal"]
                     for k, g in enumerate(spec.scorecard.groups)}
        assert subtotals == groups
        t = tables_of([r]).scores
        assert len(t) == len(spec.scorecard.items)
        assert t["score_computed"].sum() == total
        row = t[t["name"] == ("支付进度控制率" if spec_id == "unit-score-2019"
                              else "A13.建档立卡贫困人口参保")].iloc[0]
        assert (row["rule"], row["computed_item"]) == ("区间", True)
        assert row["value"] == (80 if spec_id == "unit-score-2019" else 100)
        assert row["cell"].startswith("自评表!")


def test_seed_003s_figures_by_rule():
    """Each rule kind on seed 003's items, as the sheet computes them."""
    spec = load_spec("unit-score-2019")
    lay = build_layout(spec)
    idx = {it.name: i for i, it in enumerate(spec.scorecard.items)}

    def score(name: str, **inputs) -> object:
        i = idx[name]
        return lay.evaluate({f"card.{i}.{k}": v for k, v in inputs.items()})[f"card.{i}.score"]

    assert score("基础信息更新", count=3) == 0.5  # 2 − 3 × 0.5
    assert score("基础信息更新", count=9) == 0  # 直至扣完
    assert score("支付进度控制率", value=95) == 5 and score("支付进度控制率", value=115) == 4.5
    assert score("预算调整率", value=20) == 4 and score("预算调整率", value=20.5) == 0
    assert score("评价项目覆盖率", value=50) == 0 and score("评价项目覆盖率", value=51) == 2
    assert score("债务还本付息", numerator=30, denominator=40) == 1.5
    assert score("政府采购实施计划编制", numerator=10, denominator=40) == 1.5
    assert score("基础信息更新") == ""  # blank while the count is missing


def test_in_form_mistakes_are_findings_at_their_cells(returns, tmp_path):
    spec = load_spec("dept-insurance-2023")
    idx = {it.name: i for i, it in enumerate(spec.scorecard.items)}
    bad = tmp_path / "bad.xlsx"
    fill(returns["dept-insurance-2023"], bad, {
        f"card.{idx['A16.应征核定和实收划账业务']}.count": "两次",
        f"card.{idx['C31.两特病审批']}.count": 1.5,
        f"card.{idx['C41.生育保险待遇落实']}.count": None,
        f"card.{idx['C11.费用审核']}.score": 6,
        f"card.{idx['A11.超额完成参保任务加分']}.score": 2.5,
    })
    r = read_workbook(bad, key=KEY)
    got = {(f.code, f.field): f.message for f in r.findings}
    i = idx["A16.应征核定和实收划账业务"]
    assert "两次" in got[("value.text_number", f"card.{i}.count")]
    i = idx["C31.两特病审批"]
    assert got[("value.not_number", f"card.{i}.count")] == \
        "「C31.两特病审批·次数」应为不小于 0 的整数（次数），填的是 1.5"
    i = idx["C41.生育保险待遇落实"]
    assert got[("value.required", f"card.{i}.count")] == "「C41.生育保险待遇落实·次数」未填写"
    i = idx["C11.费用审核"]
    assert got[("check.score_over_weight", f"card.{i}.score")] == "「C11.费用审核」得分 6 超过分值 5"
    i = idx["A11.超额完成参保任务加分"]
    assert got[("check.score_over_weight", f"card.{i}.score")] == \
        "「A11.超额完成参保任务加分」得分 2.5 超过分值 2"


def test_a_weight_edited_after_unprotecting_is_a_group_weights_finding(returns, tmp_path):
    spec = load_spec("unit-score-2019")
    i = [it.name for it in spec.scorecard.items].index("部门预算审查")
    path = tmp_path / "edited.xlsx"
    unprotected_with(returns["unit-score-2019"], {f"card.{i}.weight": 3}).save(path)
    r = read_workbook(path, key=KEY)
    msgs = {f.message for f in r.findings if f.code == "check.group_weights"}
    assert msgs == {"预算编制·编制质量各三级指标分值之和为 7，应为 6",
                    "预算编制各三级指标分值之和为 17，应为 16"}
    assert "meta.issued_changed" in {f.code for f in r.findings}


# ------------------------------------------------------------------------------ engines


@pytest.mark.libreoffice
def test_libreoffice_and_gnumeric_give_the_seeds_totals(returns, tmp_path, engines):
    files = list(returns.values())
    out = recalculate_all(files, tmp_path / "recalc")
    for engine, recalced in out.items():
        for (spec_id, path), got in zip(returns.items(), recalced, strict=True):
            total, groups = mr.EXPECTED[spec_id]
            r = read_workbook(path, key=KEY)
            wb = openpyxl.load_workbook(got, data_only=True)
            names = name_map(wb)

            def value(fld: str, wb=wb, names=names):
                sheet, addr = names[defined_name(fld)]
                return wb[sheet][addr].value

            assert value("total") == total and value("grade") == "优", (engine, spec_id)
            spec = load_spec(spec_id)
            assert {g.name: value(f"card.g{k}.subtotal")
                    for k, g in enumerate(spec.scorecard.groups)} == groups
            for fld, want in r.computed.items():  # every formula as Python computes it
                if fld.startswith("card.") or fld in ("total", "grade"):
                    assert same_value(value(fld), want), (engine, spec_id, fld, value(fld),
                                                         want)


@pytest.mark.libreoffice
def test_the_sheet_shows_the_checks_the_reader_reports(returns, tmp_path, libreoffice):
    """Each 校验 cell shows the first failing check's text of its site, as the reader names
    it (the rubric's share of tests/test_checks.py)."""
    spec = load_spec("unit-score-2019")
    idx = {it.name: i for i, it in enumerate(spec.scorecard.items)}
    bad = tmp_path / "bad.xlsx"
    fill(returns["unit-score-2019"], bad, {
        f"card.{idx['基础信息更新']}.count": "3次", f"card.{idx['部门预算审查']}.count": -1,
        f"card.{idx['预算编制准确']}.score": None, f"card.{idx['部门整体目标']}.score": 7,
        f"card.{idx['人编比率']}.value": None, f"card.{idx['债务还本付息']}.numerator": "1,0",
    })
    layout = build_layout(spec)
    r = read_workbook(bad, key=KEY)
    (recalced,) = recalculate([bad], tmp_path / "out")
    wb = openpyxl.load_workbook(recalced, data_only=True)
    names = name_map(wb)
    shown = 0
    for site in layout.sites:
        if site.cell is None or not site.cell.startswith("card."):
            continue
        sheet, addr = names[defined_name(site.cell)]
        text = wb[sheet][addr].value or ""
        named = [b for b in site.shown() if any(f.code == b.check.code and f.field == b.field
                                                 for f in r.findings)]
        assert text == (named[0].text if named else ""), (site.cell, text, named)
        shown += bool(text)
    assert shown == 6


# ------------------------------------------------------------------------------ the round


def test_collect_and_report_take_both_rubric_forms(returns, tmp_path):
    from xlkit.round.collect import collect

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in returns.values():
        (inbox / path.name).write_bytes(path.read_bytes())
    report = tmp_path / "report.xlsx"
    out = collect(inbox, SAMPLES / "评分表单位清单.xlsx", report, spec_ref="unit-score-2019",
                  key=KEY, jobs=1)
    projects = out.result.tables.projects
    got = dict(zip(projects["template_id"], projects["total_score"], strict=True))
    assert got == {"unit-score-2019": 93, "dept-insurance-2023": 95}
    assert set(projects["unit_code"]) == {"303001", "305001"}
    assert out.result.issues.empty, out.result.issues[["rule", "message"]].to_string()
    wb = openpyxl.load_workbook(report, read_only=True)
    sheet = wb["评分表"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    names = {r[i] for r in rows for i in range(len(r)) if isinstance(r[i], str)}
    assert {"A11.超额完成参保任务加分", "基础信息更新", "按次扣分"} <= names


# ------------------------------------------------------------------------------ print


@pytest.fixture(scope="module")
def printed(returns, tmp_path_factory, libreoffice):
    """The filled samples printed to PDF: (pdf, the form's pages as pdftotext reads each
    cell's lines, the layout); PNGs of every page beside them to look at."""
    if not poppler():
        pytest.skip("poppler-utils (pdftotext, pdfinfo) is not installed")
    tmp = tmp_path_factory.mktemp("rubric_print")
    pdfs = to_pdf(list(returns.values()), tmp / "pdf")
    out = {}
    for (spec_id, _), pdf in zip(returns.items(), pdfs, strict=True):
        to_png(pdf, tmp / "png")
        spec, unit = load_spec(spec_id), next(u for s, _, u, _ in mr.UNITS if s == spec_id)
        out[spec_id] = (pdf, sheet_pages(pages(pdf, layout=False), "金额单位", "填报说明"),
                        build_layout(spec, mr.issue_of(unit, 2023)))
    return out


def _pieces(text: str, page: str) -> list[str]:
    """``text`` cut into the longest runs found in ``page``: a wrapped cell's lines, which
    pdftotext gives between other cells' lines; [] when some character is not printed."""
    out, i = [], 0
    while i < len(text):
        j = i + 1
        if text[i:j] not in page:
            return []
        while j < len(text) and text[i:j + 1] in page:
            j += 1
        out.append(text[i:j])
        i = j
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("spec_id", SPECS)
def test_printed_a4_landscape_every_text_complete_heads_on_every_page(printed, spec_id):
    pdf, texts, _ = printed[spec_id]
    w, h = page_size(pdf)
    assert w > h and abs(w - 842) < 2
    spec = load_spec(spec_id)
    squeezed = [squeeze(t) for t in texts]
    for it in spec.scorecard.items:  # each text whole on one page, in few wrapped lines
        for part in (it.name, it.explain, it.standard, it.office):
            part = squeeze(part)
            if not part:
                continue
            found = [_pieces(part, t) for t in squeezed]
            best = min((x for x in found if x), key=len, default=[])
            assert best and len(best) <= len(part) / 6 + 1, (spec_id, it.name, part[:30], best)
    last = squeezed[-1]
    assert "总分" in last and f"{mr.EXPECTED[spec_id][0]}.00" in last and "优" in last
    for t in squeezed[1:]:  # the heads repeat on every page after the first
        assert spec.scorecard.columns[-1].label in t


@pytest.mark.libreoffice
@pytest.mark.parametrize("spec_id", SPECS)
def test_pages_break_between_subgroups_and_groups_that_fit_stay_whole(printed, spec_id):
    """A 二级指标 the plan finds room for prints on one page, a 一级指标 too; a longer one
    breaks between rows (seed 000's A1 has ten items of long 评分细则)."""
    _, texts, lay = printed[spec_id]
    squeezed = [squeeze(t) for t in texts]
    spec = load_spec(spec_id)
    rows = {it.name: c.row for c in lay.cells for it in spec.scorecard.items
            if c.kind == "label" and c.value == it.name}
    page_of = {name: [k for k, t in enumerate(squeezed) if _pieces(squeeze(name)[:8], t)
                      and squeeze(name)[:8] in t] for name in rows}
    room = PAGE_HEIGHT - sum(lay.heights[r] for r in range(lay.repeat[0], lay.repeat[1] + 1))
    long = []
    for g in spec.scorecard.groups:
        for sub in g.subgroups:
            first, last = rows[sub.items[0].name], rows[sub.items[-1].name]
            if sum(lay.heights[r] for r in range(first, last + 1)) * lay.print_scale / 100 > room:
                long.append(sub.name)  # longer than a page: breaks between its rows
                continue
            assert not any(first < b <= last for b in lay.breaks), (spec_id, sub.name)
            assert len({k for it in sub.items for k in page_of[it.name][:1]}) == 1, \
                (spec_id, sub.name, {it.name: page_of[it.name] for it in sub.items})
    assert long == ([] if spec_id == "unit-score-2019" else ["A1、参保管理工作", "C1、两定机构管理"])
