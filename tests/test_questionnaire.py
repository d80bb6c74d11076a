"""满意度调查问卷 tallied on the form (issue 14, deliverable 5): the spec section, the block's
live formulas and checks, the indicator it feeds, the reader's survey table, and seed 000's
附件4 reproduced (1935, 96.75) by the reader and by LibreOffice and Gnumeric recalculating.
The fast builder is held to the reference path for dept-2020-survey by tests/test_fast_build.py
(every built-in spec).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from engine import recalculate_all, soffice, ssconvert
from workbooks import fill, name_map

from xlkit.build import build_workbook, write_atomic
from xlkit.core.expr.tree import disallowed_in
from xlkit.core.layout import build_layout, defined_name
from xlkit.core.spec import load_spec, parse_spec, templates_dir
from xlkit.findings import InputError
from xlkit.read import read_workbook
from xlkit.read.batch import tables_of

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "samples"
_spec = importlib.util.spec_from_file_location("make_survey", SAMPLES / "make_survey.py")
assert _spec and _spec.loader
survey = importlib.util.module_from_spec(_spec)
sys.modules["make_survey"] = survey
_spec.loader.exec_module(survey)

KEY = b"questionnaire-test-key"
SPEC = "dept-2020-survey"
ENGINES = pytest.mark.skipif(soffice() is None or ssconvert() is None,
                             reason="needs LibreOffice and Gnumeric")


def _data() -> dict[str, Any]:
    return yaml.safe_load((templates_dir() / f"{SPEC}.yaml").read_text(encoding="utf-8"))


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as exc:
        parse_spec(data)
    return exc.value.problems


def _issued(tmp_path: Path, spec_id: str = SPEC, targets=survey.TARGETS) -> Path:
    built = build_workbook(load_spec(spec_id), survey.ISSUE, targets, key=KEY, password="pw")
    path = tmp_path / "issued.xlsx"
    write_atomic(path, built.data)
    return path


def _read(tmp_path: Path, values: dict[str, Any], name: str = "r.xlsx", **kw):
    src = _issued(tmp_path, **kw)
    fill(src, tmp_path / name, values)
    return read_workbook(tmp_path / name, key=KEY)


# ------------------------------------------------------------------------------- the spec


def test_seed_questionnaire_declared():
    q = load_spec(SPEC).questionnaire
    assert q is not None and len(q.questions) == 10
    assert [len(x.options) for x in q.questions] == [3] * 10
    assert q.full == 100 and q.decimals == 2 and q.answers == "all"
    assert q.feeds is not None and q.feeds.level2 == "服务对象满意度指标"
    assert [o.score for o in q.questions[9].options] == [10, 5, 0]


@pytest.mark.parametrize("edit, path, words", [
    (lambda q: q.update(titel="x"), "questionnaire.titel", "是否应为 title"),
    (lambda q: q["questions"][2]["options"][1].update(score=120), "questionnaire.questions[2]"
     ".options[1].score", "0 至 100"),
    (lambda q: q["questions"][0]["options"][1].update(text="经常到基层调研"),
     "questionnaire.questions[0].options[1].text", "重复"),
    (lambda q: q["questions"][1].pop("options"), "questionnaire.questions[1].options",
     "必须填写"),
    (lambda q: q.update(answers="most"), "questionnaire.answers", "some"),
    (lambda q: q.update(decimals=9), "questionnaire.decimals", "0 至 4"),
    (lambda q: q.update(questions=[]), "questionnaire.questions", "不能为空"),
    (lambda q: q.update(feeds={"level2": "满意度"}), "questionnaire.feeds.level2",
     "不是 indicators.groups 中的二级指标"),
    (lambda q: q["questions"][3].update(options=[{"text": "好", "score": 0}]),
     "questionnaire.questions[3].options", "大于 0"),
    (lambda q: q["questions"][3]["options"][0].update(score="十"),
     "questionnaire.questions[3].options[0].score", "应为数字"),
])
def test_spec_mistakes_named_by_key_path(edit, path, words):
    data = _data()
    edit(data["questionnaire"])
    problems = _problems(data)
    assert any(p.startswith(path + "：") and words in p for p in problems), problems


def test_feeds_needs_an_indicators_table():
    data = _data()
    data.pop("indicators")
    data["funds"]["execution"]["weight"] = 100
    problems = _problems(data)
    assert any(p.startswith("questionnaire.feeds：") and "from: quest.score" in p
               for p in problems), problems


def test_shared_options_and_blank_answers():
    data = _data()
    q = data["questionnaire"]
    q["options"] = [{"text": "满意", "score": 4}, {"text": "不满意", "score": 0}]
    q["questions"] = [{"text": "问题一"}, {"text": "问题二"}]
    q["answers"] = "some"
    spec = parse_spec(data)
    assert spec.questionnaire is not None and spec.questionnaire.full == 8
    lay = build_layout(spec)
    site = next(s for s in lay.sites if s.cell == "quest.0.check")
    assert site.checks[-1].check.id == "quest.answers_over"


# ------------------------------------------------------------------------------ the layout


def test_block_fields_formulas_and_page():
    lay = build_layout(load_spec(SPEC), survey.ISSUE, survey.TARGETS)
    q = lay.spec.questionnaire
    for i, question in enumerate(q.questions):
        for j in range(len(question.options)):
            assert lay.fields[f"quest.{i}.{j}.count"].kind == "input"
            assert lay.fields[f"quest.{i}.{j}.count"].vtype == "count"
        assert lay.fields[f"quest.{i}.total"].kind == "formula"
        assert lay.fields[f"quest.{i}.check"].kind == "check"
    assert lay.fields["quest.valid"].kind == "input"
    for fld in ("quest.total", "quest.score"):
        assert lay.fields[fld].kind == "formula"
    # Excel 2010 / WPS functions only
    for c in lay.cells:
        if c.rule is not None:
            assert not disallowed_in(lay.formula(c)), lay.formula(c)
    # the questionnaire starts a printed page; one scale, no head repeated over it
    first = lay.fields["quest.0.0.count"].row - 2
    assert lay.page_starts == [first] and first in lay.breaks
    assert lay.fixed_scale and not lay.one_page and lay.repeat is None
    assert 60 <= lay.print_scale <= 100
    # it feeds the 服务对象满意度指标 row's 实际完成值
    row = next(r for r in lay.indicator_rows if r.level2 == "服务对象满意度指标")
    actual = lay.fields[f"ind.{row.index}.actual"]
    assert actual.kind == "formula" and "quest.score" in repr(actual.rule)


def test_python_evaluation_of_the_seed():
    lay = build_layout(load_spec(SPEC), survey.ISSUE, survey.TARGETS)
    values = lay.evaluate(survey.seed_values())
    assert values["quest.total"] == 1935 and values["quest.score"] == 96.75
    assert [values[f"quest.{i}.total"] for i in range(10)] == [200, 200, 200, 200, 180, 190,
                                                               200, 200, 180, 185]
    assert values == lay.evaluate(survey.seed_values(), walk=True)
    empty = lay.evaluate({})
    assert empty["quest.total"] == "" and empty["quest.score"] == ""


# ------------------------------------------------------------------------------ the reader


def test_seed_through_the_reader_and_the_survey_table(tmp_path: Path):
    r = _read(tmp_path, survey.seed_values())
    assert r.status == "read", r.reason
    assert r.computed["quest.total"] == survey.SEED_TOTAL
    assert r.computed["quest.score"] == survey.SEED_SCORE
    assert not [f for f in r.findings if f.field.startswith("quest.")]
    fed = next(x for x in r.indicators if x["level2"] == "服务对象满意度指标")
    assert fed["actual_value"] == 96.75 and fed["score_computed"] == 10
    t = tables_of([r]).survey
    assert len(t) == 30 and t["count"].sum() == 200
    assert set(t["survey_score"]) == {96.75} and set(t["survey_total"]) == {1935}
    row = t[(t["question"] == 5) & (t["option"] == "C.程序复杂")].iloc[0]
    assert row["count"] == 2 and row["points"] == 0 and row["question_total"] == 180
    assert row["cell"].startswith("自评表!H")
    assert str(t["question"].dtype) == "Int64"


def test_sample_return_reproduces_the_seed(tmp_path: Path):
    issued, returned = survey.make(tmp_path)
    r = read_workbook(returned, key=survey.key())
    assert r.status == "read" and r.project["issued_source"] == "签名"
    assert (r.computed["quest.total"], r.computed["quest.score"]) == (1935, 96.75)


def _codes(r) -> list[tuple[str, str, str]]:
    return [(f.code, f.field, f.message) for f in r.findings if f.field.startswith("quest.")]


def test_counts_checked_with_cell_and_raw_value(tmp_path: Path):
    values = survey.seed_values()
    values["quest.4.2.count"] = "2份"     # text
    values["quest.5.1.count"] = 2.5       # not whole
    values["quest.6.1.count"] = -1        # negative
    values["quest.8.0.count"] = 15        # 15 + 4 + 0 ≠ 20
    r = _read(tmp_path, values)
    got = _codes(r)
    text = [f for f in r.findings if f.code == "value.text_number" and f.field == "quest.4.2.count"]
    assert text and "'2份'" in text[0].message and "第 5 题" in text[0].message
    assert text[0].cell.startswith("H")
    assert any(c == "check.quest_count" and f == "quest.5.1.count" and "2.5" in m
               for c, f, m in got), got
    assert any(c == "check.quest_count" and f == "quest.6.1.count" and "-1" in m
               for c, f, m in got), got
    assert any(c == "check.quest_answers" and f == "quest.8.0.count" and "合计 19" in m
               and "20" in m for c, f, m in got), got
    assert not any(c == "value.not_number" for c, *_ in got)  # said once, by the check


def test_valid_copies_checked(tmp_path: Path):
    values = survey.seed_values()
    values.pop("quest.valid")
    r = _read(tmp_path, values, "blank.xlsx")
    assert [c for c, f, _ in _codes(r) if f == "quest.valid"] == ["value.required"]
    assert r.computed["quest.score"] is None
    values["quest.valid"] = 0
    r = _read(tmp_path, values, "zero.xlsx")
    assert ("check.quest_valid", "quest.valid") in [(c, f) for c, f, _ in _codes(r)]
    values["quest.valid"] = 19
    r = _read(tmp_path, values, "nineteen.xlsx")
    over = [m for c, f, m in _codes(r) if c == "check.quest_answers"]
    assert len(over) == 10 and "应等于有效问卷份数 19" in over[0]


def test_a_total_typed_over_is_found(tmp_path: Path):
    src = _issued(tmp_path)
    wb = openpyxl.load_workbook(src)
    names = name_map(wb)
    for fld, v in {**survey.seed_values(), "quest.total": 2000}.items():
        sheet, addr = names[defined_name(fld)]
        wb[sheet][addr] = v
    wb.save(tmp_path / "over.xlsx")
    r = read_workbook(tmp_path / "over.xlsx", key=KEY)
    f = next(f for f in r.findings if f.code == "calc.formula_overwritten")
    assert f.field == "quest.total" and "问卷总分" in f.message and "2000" in f.message
    assert "1935" in f.message


# ------------------------------------------------------------------ the engines recalculate


@ENGINES
@pytest.mark.libreoffice
def test_engines_reproduce_the_seed_and_show_the_readers_checks(tmp_path: Path):
    bad = survey.seed_values()
    bad.update({"quest.4.2.count": "2份", "quest.5.1.count": 2.5, "quest.8.0.count": 15})
    src = _issued(tmp_path)
    files = []
    for name, values in (("seed.xlsx", survey.seed_values()), ("bad.xlsx", bad),
                         ("empty.xlsx", {})):
        fill(src, tmp_path / name, values)
        files.append(tmp_path / name)
    lay = build_layout(load_spec(SPEC), survey.ISSUE, survey.TARGETS)
    fed = next(f"ind.{r.index}.actual" for r in lay.indicator_rows
               if r.level2 == "服务对象满意度指标")
    out = recalculate_all(files, tmp_path / "rc")
    for engine, paths in out.items():
        for path, src_path in zip(paths, files, strict=True):
            wb = openpyxl.load_workbook(path, data_only=True)
            names = name_map(wb)

            def cell(fld: str, wb=wb, names=names) -> Any:
                sheet, addr = names[defined_name(fld)]
                return wb[sheet][addr].value

            r = read_workbook(src_path, key=KEY)
            python = r.shown
            for fld in ["quest.total", "quest.score", fed] + [f"quest.{i}.total"
                                                              for i in range(10)]:
                want = python.get(fld)
                got = cell(fld)
                assert (got in (None, "") and want is None) or got == pytest.approx(want), \
                    (engine, path.name, fld, got, want)
            if src_path.name == "seed.xlsx":
                assert (cell("quest.total"), cell("quest.score"), cell(fed)) == \
                    (1935, 96.75, 96.75), engine
            # every 校验 cell shows the text of the reader's first finding of its site
            for site in lay.sites:
                if site.scope != "quest":
                    continue
                failing = [b for b in site.shown()
                           if any(f.code == b.check.code and f.field == b.field
                                  for f in r.findings)]
                want_text = failing[0].text if failing else ""
                assert (cell(site.cell) or "") == want_text, (engine, path.name, site.cell)
        # a recalculated return reads clean of calc.stale
        r = read_workbook(paths[0], key=KEY)
        assert not [f for f in r.findings if f.code in ("calc.stale", "calc.as_shown")], engine
        assert r.computed["quest.score"] == 96.75


# ---------------------------------------------------------------------------------- print


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_questionnaire_prints_on_a_page_of_its_own(tmp_path: Path):
    pdf_mod = pytest.importorskip("pdf")
    if not pdf_mod.poppler():
        pytest.skip("poppler-utils is not installed")
    fill(_issued(tmp_path), tmp_path / "seed.xlsx", survey.seed_values())
    pdf = pdf_mod.to_pdf([tmp_path / "seed.xlsx"], tmp_path / "pdf")[0]
    w, h = pdf_mod.page_size(pdf)
    assert w > h and abs(w - 842) < 2  # A4 landscape
    texts = [pdf_mod.squeeze(t) for t in pdf_mod.pages(pdf)]
    quest = [t for t in texts if "调查问卷" in t]
    assert len(quest) == 1, texts
    page = quest[0]
    assert "自评表" not in page.replace("部门整体支出绩效评价调查问卷", "")
    for word in ("问题内容", "选项内容", "标准分值", "问卷数", "1935.00", "96.75",
                 "您对该部门工作现状的总体评价", "C.程序复杂"):
        assert word in page, word
    # the form itself prints before it, on its own page(s), with the 满意度 fed
    first = texts.index(page)
    assert first >= 1 and "96.75" in "".join(texts[:first])
    assert pdf_mod.to_png(pdf, tmp_path / "png")


def test_a_rubric_item_takes_the_questionnaires_score():
    """Seed 000 附件3 C72 群众满意度 "100分满分折算为4分" from 附件4: a rubric item's input
    ``from: quest.score`` (ratio 96.75 ÷ 100 × 4 = 3.87; the seed printed 3)."""
    data = yaml.safe_load((templates_dir() / "dept-insurance-2023.yaml").read_text("utf-8"))
    q = _data()["questionnaire"]
    q.pop("feeds")
    data["questionnaire"] = q

    def c72(x: Any) -> bool:
        if isinstance(x, dict):
            if str(x.get("name", "")).startswith("C72"):
                x["rule"] = {"kind": "ratio"}
                x["inputs"] = {"numerator": {"from": "quest.score"}, "denominator": 100}
                return True
            return any(c72(v) for v in x.values())
        return isinstance(x, list) and any(c72(v) for v in x)

    assert c72(data)
    lay = build_layout(parse_spec(data), {"year": 2023})
    fed = [f for f, c in lay.fields.items() if c.rule is not None and c.kind == "formula"
           and "quest.score" in repr(c.rule) and f.startswith("card.")]
    values = lay.evaluate(survey.seed_values())
    assert [values[f] for f in fed] == [3.87]
    assert lay.page_starts and lay.page_starts[0] in lay.breaks
