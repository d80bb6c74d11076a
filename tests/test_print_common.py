"""common-2011 printed as seed 002 prints it, and the seal lines of every form (issue 12, item 4).

Every form is rendered by LibreOffice to PDF in one soffice call and read back with pdftotext:
seed 002's sections in its order, no 评分表 group split across pages, the seal and signature
lines on every form. A filled common-2011 reads its 评价人员 and texts back into the tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf import page_count, pages, poppler, sheet_pages, squeeze, to_pdf
from workbooks import fill

from xlkit import read_workbook
from xlkit.build import build_workbook, write_atomic
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec, parse_spec
from xlkit.findings import InputError
from xlkit.read.batch import tables_of

#: seed 002's first form (城乡居民基本医疗保险2021年市级财政补助), as its unit filled it
ISSUE = {"year": 2021, "unit_code": "302001", "unit_name": "晋中市医疗保障局",
         "department": "社保科", "project_code": "P2021-302001-01",
         "project_name": "城乡居民基本医疗保险2021年市级财政补助",
         "funds": {("total", "full_year"): 12920.21, ("fiscal", "full_year"): 12920.21}}
FILLED = {
    "header.project_kind": "经常性项目", "header.project_period": "20210101至20211231",
    "funds.total.arrived": 12579.31, "funds.fiscal.arrived": 12579.31,
    "funds.total.executed": 12579.31, "funds.fiscal.executed": 12579.31,
    "narr.overview": "为建立统一的城乡居民基本医疗保险，进一步健全全民医保体系。",
    "narr.fund_use": "城乡居民医保实行个人缴费与政府补助相结合的筹资方式。",
    "narr.implementation": "严格按照《晋中市城乡居民基本医疗保险实施办法》进行补偿。",
    "ind.0.name": "城乡居民参保人数", "ind.0.target": "2501278人", "ind.0.actual": 2455592,
    "ind.0.progress": "已完成",
    "narr.performance": "城乡居民医保市级财政补助资金使用率达到100%。",
    "narr.other_issues": "强化基金管理，定期不定期对定点医疗机构进行检查。",
    **{f"card.{i}.score": s for i, s in enumerate(
        [3, 4, 4, None, 3, None, 3, 3, 3, 3, 3, 3, 7, 7, 7, 7, 5, 4, 5, 5, 10])
       if s is not None},
    "people.0.name": "牛建军", "people.0.title": "副主任", "people.0.phone": "3075630",
    "people.1.name": "武静", "people.1.title": "科员", "people.1.office": "居民科",
    "people.1.phone": "3075523",
    "people.2.name": "张慧琴", "people.2.title": "副主任科员", "people.2.office": "财务科",
    "people.2.phone": "3075550",
    "signoff.0": "牛建军", "signoff.1": "武静", "signoff.2": "3075523",
    "signoff.3": "2022-06-27",
}

#: seed 002's sections, top down, as pdftotext reads them (spaces removed; 绩效目标实现情况
#: wraps in its narrow column, its 情况 read after the heads)
SEED_002 = ("财政支出项目绩效自评表", "年度）", "填报单位（公章）", "项目名称", "主管部门", "预算单位",
            "项目属性", "项目期", "项目资金情况", "项目概况", "项目资金使用情况", "项目组织实施情况",
            "绩效目标实现", "项目绩效情况", "其他需说明的问题", "评分表", "综合得分",
            "评价结果等次", "评价人员", "姓名", "职称/职务", "科室", "联系电话", "负责人", "经办人",
            "填报日期", "单位负责人（签章）", "年月日")
#: seed 001's closing lines on the national forms, and the stamp under the title
SEED_001 = ("填报单位（公章）", "填表人", "联系电话", "填报日期", "单位负责人签字")


@pytest.fixture(scope="module")
def printed(tmp_path_factory, libreoffice):
    """Blank and filled common-2011, blank project-2020 and dept-2020 → their PDFs' pages
    (the form's pages only, without 填报说明), in one soffice call."""
    if not poppler():
        pytest.skip("poppler-utils (pdftotext, pdfinfo) is not installed")
    tmp = tmp_path_factory.mktemp("print")
    common = load_spec("common-2011")
    files = {}
    for name, spec, issue in (("common_blank", common, {}), ("common_issued", common, ISSUE),
                              ("project_blank", load_spec("project-2020"), {}),
                              ("dept_blank", load_spec("dept-2020"), {})):
        files[name] = tmp / f"{name}.xlsx"
        write_atomic(files[name], build_workbook(spec, issue, password="pw").data)
    files["common_filled"] = tmp / "common_filled.xlsx"
    fill(files["common_issued"], files["common_filled"], FILLED)
    del files["common_issued"]
    pdfs = dict(zip(files, to_pdf(list(files.values()), tmp / "pdf"), strict=True))
    out = {}
    for name, pdf in pdfs.items():  # the form's pages: the 填报说明 sheet prints after them
        out[name] = sheet_pages(pages(pdf), "金额单位", "填报说明")
        assert 1 <= len(out[name]) < page_count(pdf)
    return out


def _in_order(text: str, labels) -> list[str]:
    """The labels not found in ``text`` after the previous one's place."""
    at, missing = 0, []
    for label in labels:
        k = text.find(label, at)
        if k < 0:
            missing.append(label)
        else:
            at = k + len(label)
    return missing


@pytest.mark.parametrize("name", ["common_blank", "common_filled"])
def test_common_2011_prints_every_seed_002_section_in_order(printed, name):
    text = "".join(squeeze(p) for p in printed[name])
    assert _in_order(text, SEED_002) == []
    assert "（2021年度）" in text if name == "common_filled" else "（年度）" in text
    if name == "common_filled":
        for typed in ("经常性项目", "20210101至20211231", "牛建军", "副主任科员", "财务科",
                      "3075550", "2022-06-27", "强化基金管理"):
            assert typed in text, typed


@pytest.mark.parametrize("name", ["common_blank", "common_filled"])
def test_no_scorecard_group_is_split_across_pages(printed, name):
    spec = load_spec("common-2011")
    texts = [squeeze(p) for p in printed[name]]
    for g in spec.scorecard.groups:
        label = f"{g.name}（{g.weight:g}分）"
        where = [k for k, t in enumerate(texts) if label in t]
        assert len(where) == 1, (label, where)
        page = texts[where[0]]
        for item in g.items:
            assert item.name in page, (g.name, item.name)
            assert item.level2 in page, (g.name, item.level2)
    card = next(t for t in texts if "评分表" in t)
    assert "一级指标" in card and "计算方式" in card  # the heads print with the first group


@pytest.mark.parametrize("name", ["project_blank", "dept_blank"])
def test_the_national_forms_print_seed_001s_seal_and_signature_lines(printed, name):
    text = "".join(squeeze(p) for p in printed[name])
    assert _in_order(text, SEED_001) == []
    first = squeeze(printed[name][0])
    assert "填报单位（公章）" in first  # under the title, as seed 002 places it
    last = squeeze(printed[name][-1])
    assert "单位负责人签字" in last and "填表人" in last  # signature with the sign-off


def test_seal_lines_sign_off_and_evaluators_on_one_page(printed):
    for name in ("common_blank", "common_filled"):
        last = squeeze(printed[name][-1])
        for label in ("评价人员", "姓名", "负责人", "经办人", "填报日期", "单位负责人（签章）"):
            assert label in last, (name, label)


# ------------------------------------------------------------------------------ reader


def test_a_filled_common_2011_reads_evaluators_and_texts_into_the_tables(tmp_path):
    spec = load_spec("common-2011")
    src, dst = tmp_path / "issued.xlsx", tmp_path / "returned.xlsx"
    write_atomic(src, build_workbook(spec, ISSUE, password="pw").data)
    fill(src, dst, FILLED)
    for engine in ("fast", "openpyxl"):
        r = read_workbook(dst, year=2021, engine=engine)
        assert r.status == "read", r.findings
        assert "value.recommended" not in {f.code for f in r.findings}
        t = tables_of([r])
        people = t.people.to_dict("records")
        assert [(p["row"], p["name"], p["title"], p["office"], p["phone"]) for p in people] == [
            (1, "牛建军", "副主任", None, "3075630"), (2, "武静", "科员", "居民科", "3075523"),
            (3, "张慧琴", "副主任科员", "财务科", "3075550")]
        assert {p["project_code"] for p in people} == {"P2021-302001-01"}
        assert people[0]["cell"].startswith("自评表!")
        texts = dict(zip(t.texts["label"], t.texts["text"], strict=True))
        assert texts == {
            "项目概况": FILLED["narr.overview"], "项目资金使用情况": FILLED["narr.fund_use"],
            "项目组织实施情况": FILLED["narr.implementation"],
            "项目绩效情况": FILLED["narr.performance"],
            "其他需说明的问题": FILLED["narr.other_issues"]}
        assert list(t.texts["field"])[-2:] == ["narr.performance", "narr.other_issues"]
        p = r.project
        assert p["filled_by"] == "武静" and p["phone"] == "3075523"
        assert p["filled_date"] == "2022-06-27"
        assert p["total_score"] == pytest.approx(3 + 4 + 4 + 3 * 12579.31 / 12920.21 + 3 + 3
                                                 + 18 + 28 + 29, abs=0.01)


def test_an_empty_evaluator_table_is_recommended_and_fields_have_chinese_names(tmp_path):
    from xlkit.read.workbook import field_label

    spec = load_spec("common-2011")
    src, dst = tmp_path / "issued.xlsx", tmp_path / "returned.xlsx"
    write_atomic(src, build_workbook(spec, ISSUE, password="pw").data)
    fill(src, dst, {k: v for k, v in FILLED.items() if not k.startswith("people.")})
    r = read_workbook(dst, year=2021)
    rec = [f for f in r.findings if f.code == "value.recommended"]
    assert [f.field for f in rec] == ["people.0.name"]
    assert "评价人员" in rec[0].message
    layout = build_layout(spec, ISSUE)
    assert field_label(layout, "people.1.office") == "评价人员第 2 行·科室"
    assert field_label(layout, "narr.other_issues") == "其他需说明的问题"
    assert tables_of([r]).people.empty


# ------------------------------------------------------------------------------ spec


def _common() -> dict:
    import yaml

    return yaml.safe_load(Path(load_spec("common-2011").source).read_text(encoding="utf-8"))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["seal"].update(left=["x"]), "seal.left：未知的键"),
    (lambda d: d.update(seal=["单位负责人（签章）"]), "seal：应为映射"),
    (lambda d: d["seal"].update(top=[""]), "seal.top[0]：应为非空文字"),
    (lambda d: d["people"].update(colour="red"), "people.colour：未知的键"),
    (lambda d: d["people"].update(rows=0), "people.rows：0 应在 1 至 20 之间"),
    (lambda d: d["people"]["columns"].append({"key": "email", "label": "邮箱"}),
     "people.columns[4].key：'email' 应为 name, title, office, phone 之一"),
    (lambda d: d["narratives"][3].update(after="scorecard"), "narratives[3].after：'scorecard'"),
    (lambda d: d["narratives"][0].update(place="top"), "narratives[0].place：未知的键"),
])
def test_the_new_sections_refuse_mistakes_with_their_key_path(edit, message):
    data = _common()
    edit(data)
    with pytest.raises(InputError) as exc:
        parse_spec(data)
    assert message in str(exc.value)


def test_a_form_without_seal_people_or_year_line_lays_out_as_before():
    data = _common()
    for k in ("seal", "people", "year_line"):
        del data[k]
    data["narratives"] = data["narratives"][:3]
    lay = build_layout(parse_spec(data), {"year": 2021})
    assert lay.cells[0].value == "2021年度财政支出项目绩效自评表"
    assert not any(f.startswith("people.") for f in lay.fields)
    assert not any(c.kind == "seal" for c in lay.cells)
