"""A draft 自评报告 (.docx) per returned project — per unit for the unit-level forms
(dept-2020, the rubric forms) — in the sections the seed reports use:

一、项目基本情况  二、资金使用及管理情况  三、绩效目标完成情况  四、绩效指标完成情况与偏差原因
五、自评结论  六、存在的问题  七、改进措施

Every figure is the tables' recomputed one (总分, 等次, 执行率, 指标得分); where the unit's own
sheet shows another, a red note beside the figure says so. What only the unit can write
(项目概况, 存在的问题, 改进措施, anything the return left blank) is a highlighted
【请填写：…】 (:func:`xlkit.docs.wordlib.placeholder`). 存在的问题 is prefilled with the facts:
indicators below their weight with their 偏差原因, an 执行率 below 100 %, the findings on the
return.

Written under ``out/自评报告/<单位编码>_<单位名称>/`` as ``<项目编码>_<项目名称>_自评报告.docx``
(unit forms ``<单位编码>_<单位名称>_自评报告.docx``), in worker processes (``jobs``), one
document at a time each: results stream back, memory stays flat.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from xlkit.docs import wordlib as w
from xlkit.docs.common import (
    REPORTS_DIR,
    OnStart,
    Progress,
    Written,
    safe_file_name,
    unique_file_name,
)
from xlkit.docs.wordlib import Note, Part, placeholder
from xlkit.read.tables import plain, records
from xlkit.report.workbook import issue_sheet_frame, returned_projects
from xlkit.round.result import RoundResult

KIND = "reports"
SUFFIX = "_自评报告.docx"
CHUNK = 8  # documents per worker task: small, so progress moves and every core works
SERIAL_BELOW = 16  # fewer documents than this are written in this process
TOLERANCE = 0.005  # a sheet's figure this close to the recomputed one agrees (2 decimals)
DRAFT_NOTE = ("本报告为草稿，由 xlkit 根据报回的绩效自评表生成：文中数字为重新计算的结果，"
              "与表内显示不一致处以红字注明；标黄的“请填写”处由单位填写。定稿前请删除本段。")

#: section headings by level: (project form, unit form)
SECTIONS = {
    "basic": ("一、项目基本情况", "一、部门（单位）基本情况"),
    "funds": ("二、资金使用及管理情况", "二、部门资金使用及管理情况"),
    "goals": ("三、绩效目标完成情况", "三、年度绩效目标完成情况"),
    "indicators": ("四、绩效指标完成情况与偏差原因", "四、绩效指标完成情况与偏差原因"),
    "conclusion": ("五、自评结论", "五、自评结论"),
    "problems": ("六、存在的问题", "六、存在的问题"),
    "measures": ("七、改进措施", "七、改进措施"),
}
INDICATOR_HEAD = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                  "偏差原因")
INDICATOR_WIDTHS = (1.6, 1.6, 2.4, 1.7, 1.7, 1.1, 2.4, 3.1)  # 15.6 cm: the text width
SCORE_HEAD = ("一级指标", "二级指标", "三级指标", "分值", "得分")
SCORE_WIDTHS = (2.4, 3.0, 5.2, 2.0, 3.0)

_TABLES = {  # table → the columns a report reads
    "funds": ("row", "row_label", "column", "column_label", "amount"),
    "texts": ("field", "label", "text"),
    "indicators": ("level1", "level2", "name", "target_text", "target_value", "target_unit",
                   "actual_text", "actual_value", "weight",
                   "score_entered", "score_computed", "score_shown", "deviation_reason"),
    "scores": ("group", "level2", "name", "weight", "bonus", "score_entered", "score_computed",
               "score_shown"),
    "survey": ("survey_score", "valid"),
}
_ISSUE_COLUMNS = ("severity", "rule", "title", "field", "actual", "message")


# ---------------------------------------------------------------- what to write

@dataclass(frozen=True)
class Job:
    position: int  # in Context.projects
    path: Path
    written: Written


class Grouped:
    """A table's columns as plain lists and each key's row positions: a project's rows in
    a few microseconds, without copying the table."""

    def __init__(self, df: pd.DataFrame, key: str, columns: Sequence[str]) -> None:
        self.columns = {c: plain(df[c]) if c in df.columns else [None] * len(df)
                        for c in columns}
        keys = df[key].astype(object) if key in df.columns else pd.Series([None] * len(df))
        self.groups: dict[Any, list[int]] = {}
        for i, k in enumerate(plain(keys)):
            if k is not None:
                self.groups.setdefault(k, []).append(i)

    def rows(self, key: Any) -> list[dict[str, Any]]:
        cols = self.columns.items()
        return [{c: values[i] for c, values in cols} for i in self.groups.get(key, ())]


@dataclass
class Context:
    """The round's tables, prepared once for every document (and inherited by workers)."""
    projects: list[dict[str, Any]]
    tables: dict[str, Grouped]
    issues: Grouped
    year: int | None
    jobs: list[Job] = field(default_factory=list)


def prepare(result: RoundResult, out: Path) -> Context:
    """The returned projects, their tables grouped by file, and where each document goes."""
    projects = records(reported(result))
    tables = {name: Grouped(getattr(result.tables, name), "source_file", cols)
              for name, cols in _TABLES.items()}
    issues = issue_sheet_frame(result).assign(source=result.issues["file"])
    ctx = Context(projects, tables, Grouped(issues, "source", _ISSUE_COLUMNS), result.year)
    used: dict[Path, set[str]] = {}  # folder → the names taken in it
    for i, p in enumerate(projects):
        unit = is_unit_form(p)
        folder = out / REPORTS_DIR / safe_file_name(p["unit_code"], p["unit_name"])
        parts = (p["unit_code"], p["unit_name"]) if unit else (p["project_code"],
                                                               p["project_name"])
        # two returns that would share a name: the later gets _2 ...
        path = folder / unique_file_name(*parts, suffix=SUFFIX,
                                         taken=used.setdefault(folder, set()))
        ctx.jobs.append(Job(i, path, Written(KIND, path, p["unit_code"], p["unit_name"],
                                             None if unit else p["project_code"],
                                             None if unit else p["project_name"])))
    return ctx


def reported(result: RoundResult) -> pd.DataFrame:
    """The projects read from a return (files read, not superseded), one per project."""
    projects = returned_projects(result.tables.projects)
    files = result.tables.files
    if len(files) and "source_file" in projects.columns:
        ok = files["status"].astype(object) == "read"
        if "superseded_by" in files.columns:
            ok &= files["superseded_by"].isna()
        projects = projects[projects["source_file"].isin(set(files.loc[ok, "path"]))]
    return projects


def is_unit_form(project: dict[str, Any]) -> bool:
    """A unit-level form (dept-2020, the rubric forms): no 项目编码."""
    return w.blank(project.get("project_code"))


# ---------------------------------------------------------------- writing them

def write_self_reports(result: RoundResult, out: str | Path, jobs: int | None = None,
                       progress: Progress | None = None, on_start: OnStart | None = None
                       ) -> list[Written]:
    """A draft 自评报告 per returned project (per unit for unit-level forms) under
    ``out/自评报告/``; ``jobs`` worker processes (default: the CPUs, at most 8)."""
    ctx = prepare(result, Path(out))
    if on_start:
        on_start(KIND, len(ctx.jobs))
    written: list[Written] = []
    for done in _run(ctx, jobs):
        written += done
        if progress:
            progress(len(done))
    return written


_CONTEXT: Context | None = None  # the workers' copy (fork)


def _run(ctx: Context, jobs: int | None) -> Iterator[list[Written]]:
    jobs = max(1, jobs or min(os.cpu_count() or 1, 8))
    if jobs == 1 or len(ctx.jobs) < SERIAL_BELOW or "fork" not in mp.get_all_start_methods():
        for job in ctx.jobs:
            yield [write_one(ctx, job)]
        return
    global _CONTEXT
    _CONTEXT = ctx
    try:
        chunks = [range(i, min(i + CHUNK, len(ctx.jobs))) for i in range(0, len(ctx.jobs), CHUNK)]
        with mp.get_context("fork").Pool(min(jobs, len(chunks))) as pool:
            yield from pool.imap(_work, chunks)
    finally:
        _CONTEXT = None


def _work(indices: range) -> list[Written]:
    assert _CONTEXT is not None
    return [write_one(_CONTEXT, _CONTEXT.jobs[i]) for i in indices]


def write_one(ctx: Context, job: Job) -> Written:
    p = ctx.projects[job.position]
    source = p.get("source_file")
    data = {name: g.rows(source) for name, g in ctx.tables.items()}
    report = SelfReport(p, data, ctx.issues.rows(source), p.get("year") or ctx.year)
    w.save(report.build(), job.path)
    return job.written


# ---------------------------------------------------------------- the document

def sheet_note(computed: Any, *shown: Any, unit: str = "分") -> Note | None:
    """（表内显示 91.04 分，与重新计算不一致，请核对） when the sheet's figure — the first of
    ``shown`` given — differs from the recomputed one; None when they agree."""
    value = next((s for s in shown if not w.blank(s)), None)
    if value is None or w.blank(computed):
        return None
    if isinstance(computed, str) or isinstance(value, str):
        if str(value) == str(computed):
            return None
        return Note(f"（表内显示“{value}”，与重新计算不一致，请核对）")
    if abs(float(value) - float(computed)) < TOLERANCE:
        return None
    return Note(f"（表内显示 {w.points(value)} {unit}，与重新计算不一致，请核对）")


def target(row: dict[str, Any]) -> str:
    """年度指标值 as the form shows it: a percentage as 85%, else the text as typed."""
    return _as_shown(row["target_text"], row["target_value"], row.get("target_unit"))


def actual(row: dict[str, Any]) -> str:
    """实际完成值 as the form shows it (the form keeps 26.7 % as 0.267): 26.7%."""
    return _as_shown(row["actual_text"], row["actual_value"], row.get("target_unit"))


def _as_shown(text: Any, value: Any, unit: Any) -> str:
    if unit == "%" and not w.blank(value):
        return f"{w.points(value)}%"
    if not w.blank(text):
        return str(text)
    return "" if w.blank(value) else f"{w.points(value)}{'' if w.blank(unit) else unit}"


class SelfReport:
    """One draft report from one project's rows (plain dicts)."""

    def __init__(self, project: dict[str, Any], data: dict[str, list[dict[str, Any]]],
                 issues: list[dict[str, Any]], year: Any) -> None:
        self.p, self.data, self.issues = project, data, issues
        self.year = None if w.blank(year) else int(year)
        self.unit = is_unit_form(project)
        self.texts = {t["field"]: t for t in data["texts"] if not w.blank(t["text"])}
        self.doc = w.new_document(self.title)

    # -- words
    def section(self, key: str) -> None:
        w.heading(self.doc, SECTIONS[key][self.unit], 1)

    @property
    def unit_name(self) -> str:
        return self.p.get("unit_name") or "本单位"

    @property
    def subject(self) -> str:
        """本项目 / 本单位: what the report is about, in the running text."""
        return "本单位" if self.unit else "本项目"

    @property
    def title(self) -> str:
        year = f"{self.year}年度" if self.year else ""
        if self.unit:
            return f"{self.unit_name}{year}部门整体支出绩效自评报告"
        return f"{year}“{self.p.get('project_name') or '（未命名项目）'}”项目支出绩效自评报告"

    def text_or_placeholder(self, fld: str, what: str) -> Part:
        t = self.texts.get(fld)
        return t["text"] if t else placeholder(what)

    # -- the whole
    def build(self) -> Any:
        doc = self.doc
        w.heading(doc, self.title, 0)
        w.paragraph(doc, self.unit_name, style="Subtitle")
        w.paragraph(doc, DRAFT_NOTE, style="Remark")
        year = f"{self.year}年度" if self.year else "本年度"
        about = "部门整体支出" if self.unit else f"“{self.p.get('project_name')}”项目"
        w.paragraph(doc, "根据", placeholder("绩效评价文件依据"), f"等文件规定，{self.unit_name}对",
                    f"{year}{about}开展了绩效自评，现将自评情况报告如下：")
        self.basic()
        self.funds()
        self.goals()
        self.indicators()
        self.conclusion()
        self.problems()
        self.measures()
        self.signature()
        return doc

    def basic(self) -> None:
        doc, p = self.doc, self.p
        self.section("basic")
        w.heading(doc, "（一）基本信息", 2)
        if self.unit:
            w.paragraph(doc, f"单位名称：{self.unit_name}（单位编码：{p.get('unit_code') or ''}）；"
                        f"主管部门：", *self.value(p.get("department"), "主管部门"),
                        f"；评价年度：{self.year or ''}年。")
        else:
            w.paragraph(doc, f"项目名称：{p.get('project_name') or ''}（项目编码："
                        f"{p.get('project_code') or ''}）；主管部门：",
                        *self.value(p.get("department"), "主管部门"),
                        f"；实施单位：{self.unit_name}；评价年度：{self.year or ''}年。")
        top = self.top_funds()
        if top:
            label, cells = top
            parts: list[Part] = [f"{label}："]
            for i, (column, amount) in enumerate(cells):
                parts += ["，" if i else "", f"{column} "]
                parts += [f"{w.money(amount)} 万元"] if not w.blank(amount) else \
                    [placeholder(column)]
            w.paragraph(doc, *parts, "。")
        w.heading(doc, "（二）" + ("部门（单位）概况" if self.unit else "项目概况"), 2)
        narratives = [t for f, t in self.texts.items() if f.startswith("narr.")]
        for t in narratives:
            w.paragraph(doc, f"{t['label']}：{t['text']}")
        if not narratives:
            what = ("部门（单位）概况（职能职责、机构设置、人员情况）" if self.unit
                    else "项目概况（项目主管部门职能、立项依据、资金来源、主要内容）")
            w.paragraph(doc, placeholder(what))
        if not self.unit or "goals.expected" in self.texts:
            w.heading(doc, "（三）年度总体目标", 2)
            w.paragraph(doc, self.text_or_placeholder("goals.expected", "年度总体目标"))

    def value(self, value: Any, what: str) -> list[Part]:
        return [placeholder(what)] if w.blank(value) else [str(value)]

    def top_funds(self) -> tuple[str, list[tuple[str, Any]]] | None:
        """The money block's first row (年度资金总额 / 年度支出总额) with its columns."""
        funds = self.data["funds"]
        if not funds:
            return None
        first = funds[0]["row"]
        cells = [(f["column_label"] or f["column"], f["amount"]) for f in funds
                 if f["row"] == first]
        return funds[0]["row_label"] or "资金", cells

    def funds(self) -> None:
        doc, p = self.doc, self.p
        self.section("funds")
        w.heading(doc, "（一）资金执行情况", 2)
        budget, executed, rate = p.get("budget_full_year"), p.get("executed"), \
            p.get("execution_rate")
        parts: list[Part] = ["全年预算数 "]
        parts += [f"{w.money(budget)} 万元"] if not w.blank(budget) else \
            [placeholder("全年预算数")]
        parts += ["，全年执行数 "]
        parts += [f"{w.money(executed)} 万元"] if not w.blank(executed) else \
            [placeholder("全年执行数")]
        if not w.blank(rate):
            parts += [f"，预算执行率 {w.percent(rate)}"]
            for issue in self.issues_on("exec.rate"):
                shown = pd.to_numeric(pd.Series([issue["actual"]]), errors="coerce")[0]
                parts.append(Note(f"（表内{'为空白' if w.blank(shown) else '显示 ' + w.percent(shown)}"
                                  "，与重新计算不一致，请核对）"))
            weight, score = p.get("execution_weight"), p.get("execution_score")
            if not w.blank(score):
                parts += [f"，执行率得分 {w.points(score)} 分"]
                if not w.blank(weight):
                    parts += [f"（分值 {w.points(weight)} 分）"]
        elif not (w.blank(budget) or w.blank(executed)):
            parts += ["（本表式不计执行率）"]
        w.paragraph(doc, *parts, "。")
        funds = self.data["funds"]
        if funds:
            columns = list(dict.fromkeys(f["column"] for f in funds))
            labels = {f["column"]: f["column_label"] or f["column"] for f in funds}
            rows: dict[str, dict[str, Any]] = {}
            names: dict[str, str] = {}
            for f in funds:
                rows.setdefault(f["row"], {})[f["column"]] = f["amount"]
                names.setdefault(f["row"], f["row_label"] or f["row"])
            body = [[names[r], *(w.money(rows[r].get(c)) for c in columns)] for r in rows]
            first = 4.6
            rest = (w.TEXT_WIDTH_CM - first) / max(1, len(columns))
            w.paragraph(doc, "资金情况如下表（单位：万元）：", keep_next=True)
            w.table(doc, ["资金项目", *(labels[c] for c in columns)], body,
                    [first, *[rest] * len(columns)], align=["left", *["right"] * len(columns)])
        w.heading(doc, "（二）资金管理情况", 2)
        w.paragraph(doc, placeholder("资金管理情况（资金到位、拨付、专款专用、财务管理制度执行等）"))

    def issues_on(self, fld: str) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["field"] == fld and str(i["rule"]).startswith("calc.")]

    def goals(self) -> None:
        doc = self.doc
        self.section("goals")
        goals = [t for t in self.data["texts"] if str(t["field"]).startswith("goals.")]
        if not goals and self.unit:
            w.paragraph(doc, placeholder("年度主要任务及完成情况"))
            return
        labels = {t["field"]: t["label"] for t in goals}
        head = [labels.get("goals.expected") or "预期目标",
                labels.get("goals.actual") or "实际完成情况"]
        w.paragraph(doc, "年度总体目标完成情况如下：", keep_next=True)
        w.table(doc, head, [[self.text_or_placeholder("goals.expected", head[0]),
                             self.text_or_placeholder("goals.actual", head[1])]],
                [w.TEXT_WIDTH_CM / 2] * 2)

    def indicators(self) -> None:
        doc, p = self.doc, self.p
        self.section("indicators")
        inds, scores = self.data["indicators"], self.data["scores"]
        if inds:
            rows = [self.indicator_row(i) for i in inds]
            w.paragraph(doc, "绩效指标完成情况如下表：", keep_next=True)
            w.table(doc, INDICATOR_HEAD, rows, INDICATOR_WIDTHS, merge_down=(0, 1),
                    align=[None, None, None, None, None, "center", "center", None])
            if not w.blank(p.get("indicator_score")):
                w.paragraph(doc, f"各项指标得分合计 {w.points(p.get('indicator_score'))} 分。")
        if scores:
            rows = [[s["group"], s["level2"], s["name"],
                     ("加分≤" if s.get("bonus") else "") + w.points(s["weight"]),
                     self.score_cell(s)] for s in scores]
            w.paragraph(doc, "评分表各项得分如下：", keep_next=True)
            w.table(doc, SCORE_HEAD, rows, SCORE_WIDTHS, merge_down=(0, 1),
                    align=[None, None, None, "center", "center"])
            if not w.blank(p.get("scorecard_score")):
                w.paragraph(doc, f"评分表得分合计 {w.points(p.get('scorecard_score'))} 分。")
        survey = next((s for s in self.data["survey"] if not w.blank(s["survey_score"])), None)
        if survey:
            w.paragraph(doc, f"满意度问卷综合得分 {w.points(survey['survey_score'])} 分"
                        + (f"（有效问卷 {w.points(survey['valid'])} 份）"
                           if not w.blank(survey["valid"]) else "") + "。")
        if not inds and not scores:
            w.paragraph(doc, placeholder("绩效指标完成情况"))

    def score_cell(self, row: dict[str, Any]) -> list[Part]:
        computed = row["score_computed"]
        if w.blank(computed):
            return [placeholder("得分")]
        note = sheet_note(computed, row["score_entered"], row["score_shown"])
        return [w.points(computed), *([note] if note else [])]

    def indicator_row(self, i: dict[str, Any]) -> list[Any]:
        below = self.below_weight(i)
        reason: Any = i["deviation_reason"]
        if w.blank(reason):
            reason = placeholder("偏差原因") if below else ""
        shown = actual(i)
        return [i["level1"], i["level2"], i["name"], target(i),
                placeholder("实际完成值") if not shown else shown,
                w.points(i["weight"]), self.score_cell(i) if not w.blank(i["weight"]) else "",
                reason]

    @staticmethod
    def below_weight(row: dict[str, Any]) -> bool:
        score, weight = row["score_computed"], row["weight"]
        return not (w.blank(score) or w.blank(weight)) and float(score) < float(weight) - 1e-9

    def conclusion(self) -> None:
        doc, p = self.doc, self.p
        self.section("conclusion")
        total, grade = p.get("total_score"), p.get("grade")
        if w.blank(total):
            w.paragraph(doc, "经自评，", self.subject, "总分 ", placeholder("总分及等次"),
                        "（表内填报不完整，未能重新计算出总分，请核对自评表）。")
            return
        parts: list[Part] = [f"经自评，{self.subject}总分 {w.points(total)} 分"]
        note = sheet_note(total, p.get("total_score_in_file"), p.get("total_score_shown"))
        parts += [note] if note else []
        if not w.blank(grade):
            parts += [f"，等次为“{grade}”"]
            note = sheet_note(grade, p.get("grade_in_file"), p.get("grade_shown"))
            parts += [note] if note else []
        w.paragraph(doc, *parts, "。")
        made = [(label, p.get(key)) for label, key in (
            ("执行率得分", "execution_score"), ("指标得分", "indicator_score"),
            ("评分表得分", "scorecard_score")) if not w.blank(p.get(key))]
        if len(made) > 1:
            w.paragraph(doc, "其中：" + "，".join(f"{label} {w.points(v)} 分"
                                               for label, v in made) + "。")

    def facts(self) -> list[list[Part]]:
        """存在的问题 the tables show: indicators below their weight, 执行率 below 100 %,
        the findings on the return."""
        out: list[list[Part]] = []
        rate = self.p.get("execution_rate")
        if not w.blank(rate) and float(rate) < 1 - 1e-9:
            out.append([f"预算执行率 {w.percent(rate)}，全年预算数 "
                        f"{w.money(self.p.get('budget_full_year'))} 万元中执行 "
                        f"{w.money(self.p.get('executed'))} 万元，未全部执行。"])
        for i in self.data["indicators"]:
            if self.below_weight(i):
                reason = i["deviation_reason"]
                out.append([f"“{i['name']}”年度指标值 {target(i) or '（空白）'}，"
                            f"实际完成值 {actual(i) or '（空白）'}，得 "
                            f"{w.points(i['score_computed'])} 分（分值 {w.points(i['weight'])} 分）；"
                            "偏差原因：", str(reason).rstrip("。；;.， ") if not w.blank(reason)
                            else placeholder("偏差原因"), "。"])
        for s in self.data["scores"]:
            if self.below_weight(s) and not s.get("bonus"):
                out.append([f"“{s['name']}”得 {w.points(s['score_computed'])} 分"
                            f"（分值 {w.points(s['weight'])} 分）。"])
        for issue in self.issues:
            out.append([f"自评表审核发现（{issue['severity']}）：{issue['title'] or issue['rule']}"
                        f"——{issue['message']}"])
        return out

    def problems(self) -> None:
        self.section("problems")
        facts = self.facts()
        if facts:
            w.paragraph(self.doc, "根据自评表，", self.subject, "存在以下情况：")
            for n, fact in enumerate(facts, start=1):
                w.paragraph(self.doc, f"{n}. ", *fact)
            w.paragraph(self.doc, "此外：", placeholder("存在的问题"))
        else:
            w.paragraph(self.doc, placeholder("存在的问题"))

    def measures(self) -> None:
        self.section("measures")
        w.paragraph(self.doc, placeholder("改进措施"))

    def signature(self) -> None:
        doc, p = self.doc, self.p
        filled = [f"{label}：{p.get(key)}" for label, key in (("填报人", "filled_by"),
                                                            ("联系电话", "phone"))
                  if not w.blank(p.get(key))]
        w.paragraph(doc)  # a blank line before the signature
        if filled:
            w.paragraph(doc, "　".join(filled), style="Remark")
        w.paragraph(doc, self.unit_name, align="right")
        w.paragraph(doc, placeholder("报告日期"), align="right")
