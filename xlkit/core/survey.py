"""The 满意度调查问卷 block of a form (seed 000 附件4), laid out from the spec's
``questionnaire`` section (xlkit.core.questionnaire), and its rows for the reader's table.

It prints on a page of its own after the form (``Layout.page_starts``), in the form's nine
columns: 序号 | 问题内容 | 选项内容 | 标准分值 | 问卷数 (the unit's counts) | 得分 (the
question's Σ 份数 × 标准分值), then 问卷总分, 有效问卷份数 (the unit's) and 问卷综合得分 =
问卷总分 ÷ 有效问卷份数. A 校验 cell per question (helper column, not printed) says when a
count is not a whole number or the counts do not add up to 有效问卷份数; one beside
有效问卷份数 when it is missing or not a whole number above 0. With ``feeds`` the 实际完成值
of the first row of that 二级指标 is the 满意度 (综合得分 ÷ 满分 × 100).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from xlkit.core import checks
from xlkit.core.expr.tree import COUNT, IF, ISNUMBER, ROUND, SUM, Expr, Lit, Ref, Refs
from xlkit.core.layout import CHECK_COL, NCOLS, Cell, Layout
from xlkit.core.questionnaire import Questionnaire, option_label

#: the printed columns (first, last) of the grid A..I
SEQ, TEXT, OPTION, SCORE, COUNTS, TOTAL = (0, 0), (1, 3), (4, 5), (6, 6), (7, 7), (8, 8)
#: the figures under the questions span the counts and score columns
FIGURE = (7, 8)
TITLE_HEIGHT = 30.0


def count_field(i: int, j: int) -> str:
    return f"quest.{i}.{j}.count"


def question_total_rule(counts: list[str], scores: list[float]) -> Expr:
    """Σ 份数 × 标准分值 of one question, "" while none of its counts is a number; a count
    typed as text does not count (its 校验 cell says so)."""
    terms: list[Any] = [IF(ISNUMBER(Ref(c)), Ref(c) * s, 0)
                        for c, s in zip(counts, scores, strict=True) if s]
    return IF(COUNT(Refs(tuple(counts))) > 0, ROUND(SUM(*(terms or [Lit(0)])), 2), "")


def total_rule(totals: list[str]) -> Expr:
    """问卷总分: the questions' totals added up, "" while none is."""
    return IF(COUNT(Refs(tuple(totals))) > 0, ROUND(SUM(Refs(tuple(totals))), 2), "")


def score_rule(total: Expr, valid: Expr, decimals: int) -> Expr:
    """问卷综合得分 = 问卷总分 ÷ 有效问卷份数, "" until both are numbers and 份数 > 0."""
    return IF(ISNUMBER(total), IF(ISNUMBER(valid), IF(valid > 0, ROUND(total / valid, decimals),
                                                      ""), ""), "")


def percent_rule(score: Expr, full: float, decimals: int) -> Expr:
    """满意度 in percent points: 综合得分 ÷ 满分 × 100 (the 综合得分 itself when 满分 is 100)."""
    value = score if full == 100 else ROUND(score * (100 / full), decimals)
    return IF(ISNUMBER(score), value, "")


def questionnaire_block(lay: Layout) -> None:
    """Lay out the spec's questionnaire from ``lay.row``, on a new printed page."""
    q = lay.spec.questionnaire
    assert q is not None
    if q.feeds is not None:
        _feed(lay, q)  # first: the cells added below refresh the layout's caches
    r = top = lay.row
    lay.page_starts.append(r)
    _put(lay, Cell(r, 0, "title", q.title, last_row=r, last_col=NCOLS - 1))
    lay.heights[r] = TITLE_HEIGHT
    r += 1
    for (c0, c1), head in zip((SEQ, TEXT, OPTION, SCORE, COUNTS, TOTAL),
                              ("序号", "问题内容", "选项内容", "标准分值", q.count_label, "得分"),
                              strict=True):
        _put(lay, Cell(r, c0, "head", head, last_row=r, last_col=c1))
    _put(lay, Cell(r, CHECK_COL, "head", "问卷校验", last_row=r, last_col=CHECK_COL))
    r += 1
    totals = []
    for i in range(len(q.questions)):
        first = r
        r = _question(lay, q, i, r)
        totals.append(f"quest.{i}.total")
        lay.keep.append((top if i == 0 else first, r - 1))
    r = _figures(lay, q, r, totals)
    lay.keep[-1] = (lay.keep[-1][0], r - 1)  # the figures stay with the last question
    lay.row = r


def _question(lay: Layout, q: Questionnaire, i: int, r: int) -> int:
    """Question ``i`` from row ``r``: its options one a row; the next free row."""
    question = q.questions[i]
    n = len(question.options)
    last = r + n - 1
    _put(lay, Cell(r, SEQ[0], "label", i + 1, last_row=last, last_col=SEQ[1], vtype="weight"))
    _put(lay, Cell(r, TEXT[0], "label", question.text, last_row=last, last_col=TEXT[1]))
    counts, labels = [], []
    for j, option in enumerate(question.options):
        labels.append(option_label(j, option))
        counts.append(count_field(i, j))
        _put(lay, Cell(r + j, OPTION[0], "label", labels[-1], last_row=r + j,
                       last_col=OPTION[1]))
        _put(lay, Cell(r + j, SCORE[0], "label", option.score, last_row=r + j,
                       last_col=SCORE[1], vtype="weight"))
        _put(lay, Cell(r + j, COUNTS[0], "input", None, counts[-1], r + j, COUNTS[1], "count",
                       prompt=f"第 {i + 1} 题选 {labels[-1]} 的有效问卷份数（不小于 0 的整数）"))
    _put(lay, Cell(r, TOTAL[0], "formula", None, f"quest.{i}.total", last, TOTAL[1], "score",
                   rule=question_total_rule(counts, [o.score for o in question.options])))
    site = checks.question_site(i, counts, labels, q.count_label, "quest.valid", q.answers,
                                f"quest.{i}.check")
    lay.site(site)
    _put(lay, Cell(r, CHECK_COL, "check", None, f"quest.{i}.check", last, CHECK_COL,
                   rule=site.rule()))
    return last + 1


def _figures(lay: Layout, q: Questionnaire, r: int, totals: list[str]) -> int:
    """问卷总分 (with the 满分 of one questionnaire), 有效问卷份数, 问卷综合得分."""
    _put(lay, Cell(r, 0, "head", "问卷总分", last_row=r, last_col=SCORE[0] - 1))
    _put(lay, Cell(r, SCORE[0], "label", q.full, last_row=r, last_col=SCORE[1], vtype="weight"))
    _put(lay, Cell(r, FIGURE[0], "formula", None, "quest.total", r, FIGURE[1], "score",
                   rule=total_rule(totals)))
    r += 1
    _put(lay, Cell(r, 0, "head", "有效问卷份数", last_row=r, last_col=SCORE[1]))
    _put(lay, Cell(r, FIGURE[0], "input", None, "quest.valid", r, FIGURE[1], "count",
                   prompt="收回的有效问卷份数（大于 0 的整数）：综合得分 = 问卷总分 ÷ 有效问卷份数"))
    site = checks.valid_site("quest.valid", "quest.check")
    lay.site(site)
    _put(lay, Cell(r, CHECK_COL, "check", None, "quest.check", r, CHECK_COL, rule=site.rule()))
    r += 1
    _put(lay, Cell(r, 0, "head", "问卷综合得分（问卷总分 ÷ 有效问卷份数）", last_row=r,
                   last_col=SCORE[1]))
    _put(lay, Cell(r, FIGURE[0], "formula", None, "quest.score", r, FIGURE[1], "score",
                   rule=score_rule(Ref("quest.total"), Ref("quest.valid"), q.decimals)))
    return r + 1


def _feed(lay: Layout, q: Questionnaire) -> None:
    """The 实际完成值 of the first issued (not spare) row of 二级指标 ``feeds.level2``
    becomes the 满意度; a form whose targets have no such row has nothing fed."""
    assert q.feeds is not None
    row = next((x for x in lay.indicator_rows
                if x.level2 == q.feeds.level2 and not x.spare), None)
    cell = lay.fields.get(f"ind.{row.index}.actual") if row is not None else None
    if cell is None or cell.kind != "input":
        return
    cell.kind, cell.value, cell.vtype, cell.percent = "formula", None, "score", False
    cell.prompt = ""
    cell.rule = percent_rule(Ref("quest.score"), q.full, q.decimals)


def _put(lay: Layout, cell: Cell) -> Cell:
    return lay.add(cell)


def survey_records(q: Questionnaire, keys: Mapping[str, Any], val: Callable[[str], Any],
                   shown: Callable[[str], Any], cell: Callable[[str], str]
                   ) -> list[dict[str, Any]]:
    """The reader's ``survey`` rows (tables.SCHEMA["survey"]), long format: one per option,
    with its question's and the questionnaire's figures recomputed (``val``) and as the
    workbook shows them (``shown``)."""
    whole = {"survey_total": val("quest.total"), "survey_total_in_file": shown("quest.total"),
             "valid": val("quest.valid"), "survey_score": val("quest.score"),
             "survey_score_in_file": shown("quest.score"), "survey_full": q.full}
    out: list[dict[str, Any]] = []
    for i, question in enumerate(q.questions):
        for j, option in enumerate(question.options):
            fld = count_field(i, j)
            count = val(fld)
            out.append({**keys, "question": i + 1, "question_text": question.text,
                        "option": option_label(j, option), "standard_score": option.score,
                        "count": count,
                        "points": round(count * option.score, 2)
                        if isinstance(count, float) else None,
                        "question_total": val(f"quest.{i}.total"),
                        "question_total_in_file": shown(f"quest.{i}.total"),
                        **whole, "cell": cell(fld)})
    return out
