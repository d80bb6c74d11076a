"""The office's 汇总分析报告 (.docx): the round's figures in words, tables and charts.

一、总体情况 (应报 / 已报 / 未报, the files received), 二、评价结果 (等次 and 总分 distributions),
三、预算执行 (执行率 by unit = Σ全年执行数 ÷ Σ全年预算数), 四、主要问题, 五、催报名单 and
六、下一步工作 (a marked place for the office's own text). Every figure comes from the
function the report workbook's 汇总 uses (xlkit.report.workbook: collection_counts,
grade_counts, band_counts, score_stats, unit_lines, total_line, rule_titles), so the two
never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from xlkit.docs import wordlib as w
from xlkit.docs.charts import COLORS, Chart, count_chart, rate_charts
from xlkit.docs.common import ANALYSIS_FILE, OnStart, Progress, Written
from xlkit.report.workbook import (
    ISSUES,
    MISSING,
    NOT_COMPUTED,
    NOTHING,
    RATE_BANDS,
    RATE_NOTE,
    SCORE_BANDS,
    UnitLine,
    band_counts,
    collection_counts,
    column_values,
    grade_counts,
    mean,
    returned_projects,
    rule_titles,
    score_stats,
    share_rows,
    total_line,
    unit_lines,
)
from xlkit.round.result import MISSING_COLUMNS, RoundResult

UNIT_HEAD = ("单位", "应报", "已报", "平均总分", "Σ全年预算数", "Σ全年执行数", "执行率")
UNIT_WIDTHS = (4.5, 1.2, 1.2, 1.9, 2.5, 2.5, 1.8)
MISSING_WIDTHS = (1.9, 3.1, 3.1, 3.3, 1.5, 2.7)
RATE_TITLE = "各单位执行率（Σ全年执行数 ÷ Σ全年预算数）"
NEXT_STEPS = ("结合本年度评价结果和存在的问题，写明下一步工作安排（督促整改、评价结果应用、"
              "完善预算管理等）")


@dataclass(frozen=True)
class Figures:
    """The report's figures for one round, each from the report workbook's own function."""

    year: int | None
    summary: dict[str, Any]
    collection: list[tuple[str, int, str]]
    grades: list[tuple[str, int]]
    scores: list[tuple[str, int]]
    rates: list[tuple[str, int]]  # 执行率 by project, in RATE_BANDS
    average: float | None
    median: float | None
    scored: int
    units: list[UnitLine]
    total: UnitLine
    top: list[tuple[str, str, int]]  # (title, 级别, 数量), most frequent first
    missing: pd.DataFrame


def figures(result: RoundResult) -> Figures:
    """Everything the analysis report shows, computed once."""
    summary = result.summary()
    projects = returned_projects(result.tables.projects)
    units, _unknown = unit_lines(result)
    top = summary["主要问题"]
    titles = rule_titles(pd.Series([t["规则"] for t in top], dtype=object), result.titles)
    average, median, scored = score_stats(projects)
    return Figures(
        year=result.year, summary=summary, collection=collection_counts(summary),
        grades=grade_counts(projects),
        scores=band_counts(column_values(projects, "total_score"), SCORE_BANDS),
        rates=band_counts(column_values(projects, "execution_rate"), RATE_BANDS, NOT_COMPUTED),
        average=average, median=median, scored=scored, units=units, total=total_line(units),
        top=[(str(name), str(t["级别"]), int(t["数量"])) for t, name in zip(
            top, titles.tolist(), strict=True)],
        missing=result.missing)


def analysis_title(year: int | None) -> str:
    return f"{year}年度预算绩效自评汇总分析报告" if year else "预算绩效自评汇总分析报告"


def write_analysis(result: RoundResult, out: str | Path, progress: Progress | None = None,
                   on_start: OnStart | None = None) -> list[Written]:
    """Write ``out``/汇总分析报告.docx (atomically); one :class:`Written` whose note names
    any character of a chart label no font could draw."""
    if on_start:
        on_start("analysis", 1)
    path = Path(out) / ANALYSIS_FILE
    doc, charts = analysis_document(figures(result))
    w.save(doc, path)
    if progress:
        progress(1)
    lost = "".join(dict.fromkeys("".join(c.missing for c in charts)))
    note = f"图表中以下字符没有可用的字体，显示为方框：{lost}" if lost else ""
    return [Written("analysis", path, note=note)]


def analysis_document(f: Figures) -> tuple[Any, list[Chart]]:
    """The document and the charts drawn into it."""
    doc = w.new_document(analysis_title(f.year))
    w.heading(doc, analysis_title(f.year), 0)
    w.paragraph(doc, "本报告根据本年度绩效自评表的收集、审核结果生成，各项数字与收集报告"
                "工作簿「汇总」表一致；金额单位：万元。", style="Remark", align="center")
    charts: list[Chart] = []
    overview(doc, f)
    charts += results(doc, f)
    charts += execution(doc, f)
    problems(doc, f)
    chase(doc, f)
    w.heading(doc, "六、下一步工作")
    w.paragraph(doc, w.placeholder(NEXT_STEPS))
    return doc, charts


def count(n: int, unit: str = "个") -> str:
    return f"{n} {unit}"


def share(n: int, total: int) -> str:
    return w.percent(n / total) if total else ""


def two(value: float | None) -> str:
    """An average score as the report shows it: two decimals."""
    return "" if value is None else f"{value:.2f}"


def overview(doc: Any, f: Figures) -> None:
    """一、总体情况: 应报 / 已报 / 未报, files received, findings."""
    s = f.summary
    w.heading(doc, "一、总体情况")
    rate = (f"，报送率 {share(s['已报'], s['应报'])}" if s["应报"] else "")
    w.paragraph(doc, f"本年度应报送绩效自评表 {count(s['应报'], '份')}，已报送 "
                f"{count(s['已报'], '份')}，未报送 {count(s['未报'], '份')}{rate}。"
                f"收件目录共收到文件 {count(s['收到文件'])}，其中读取 {count(s['读取'])}、"
                f"无法读取 {count(s['无法读取'])}、跳过 {count(s['跳过'])}。"
                f"审核共发现错误 {s['错误']} 处、提示 {s['提示']} 处。")
    w.table(doc, ("项目", "数量", "说明"),
            [(label, str(n), meaning) for label, n, meaning in f.collection],
            (2.4, 1.6, 11.6), align=("center", "right", None))


def results(doc: Any, f: Figures) -> list[Chart]:
    """二、评价结果: 等次 and 总分 distributions, a table and a chart each."""
    w.heading(doc, "二、评价结果")
    if f.scored:
        w.paragraph(doc, f"已报项目中已评分的 {count(f.scored)}，平均总分 {two(f.average)} 分，"
                    f"总分中位数 {two(f.median)} 分。")
    else:
        w.paragraph(doc, "已报项目中没有已评分的项目。")
    w.heading(doc, "（一）等次分布", 2)
    grades = share_rows(f.grades)
    w.paragraph(doc, "；".join(f"{label} {count(n)}" + (f"（占 {w.percent(p)}）" if p is not None
                                                         else "") for label, n, p in grades)
                + "。")
    shares_table(doc, "等次", grades)
    charts = [c for c in (count_chart(f.grades, "等次分布", COLORS["grade"], "等次"),) if c]
    for chart in charts:
        w.picture(doc, chart.png, chart.width_cm)
    w.heading(doc, "（二）总分分布", 2)
    shares_table(doc, "总分", share_rows(f.scores))
    score = count_chart(f.scores, "总分分布", COLORS["score"], "总分（分）")
    if score:
        w.picture(doc, score.png, score.width_cm)
        charts.append(score)
    return charts


def execution(doc: Any, f: Figures) -> list[Chart]:
    """三、预算执行: the overall rate, the definition, the chart and the per-unit table."""
    w.heading(doc, "三、预算执行")
    t = f.total
    if t.rate is not None:
        w.paragraph(doc, f"已报项目中能算出执行率的 {count(t.rated)}，全年预算数合计 "
                    f"{w.money(t.budget)} 万元，全年执行数合计 {w.money(t.executed)} 万元，"
                    f"总体执行率 {w.percent(t.rate)}。")
    else:
        w.paragraph(doc, "已报项目中没有能算出执行率的项目。")
    w.paragraph(doc, RATE_NOTE, style="Remark")
    rated = [u for u in f.units if u.rate is not None]
    charts = rate_charts([u.name or u.code or "" for u in rated], [u.rate for u in rated],
                         RATE_TITLE) if rated else []
    for chart in charts:
        w.picture(doc, chart.png, chart.width_cm)
    w.heading(doc, "（一）分单位情况", 2)
    w.table(doc, UNIT_HEAD, [*(unit_cells(u) for u in f.units), unit_cells(t, bold=True)],
            UNIT_WIDTHS, align=(None, *["right"] * 6))
    w.heading(doc, "（二）执行率分布（按项目）", 2)
    shares_table(doc, "执行率", share_rows(f.rates))
    return charts


def shares_table(doc: Any, what: str, rows: Sequence[tuple[str, int, float | None]]) -> None:
    """A distribution: label, 数量, 占比."""
    w.table(doc, (what, "数量", "占比"), [(label, str(n), w.percent(p)) for label, n, p in rows],
            (3.0, 2.5, 2.5), align=("center", "right", "right"))


def unit_cells(u: UnitLine, bold: bool = False) -> list[Any]:
    """One row of the per-unit table (the 合计 row in bold)."""
    cells = [u.name or u.code or "", str(u.expected), str(u.returned),
             two(mean(u.scores)),
             w.money(u.budget) if u.rated else "", w.money(u.executed) if u.rated else "",
             w.percent(u.rate)]
    return [w.Bold(c) if bold and c else c for c in cells]


def problems(doc: Any, f: Figures) -> None:
    """四、主要问题: the most frequent findings by their Chinese titles, with counts."""
    w.heading(doc, "四、主要问题")
    if not f.top:
        w.paragraph(doc, NOTHING[ISSUES])
        return
    s = f.summary
    w.paragraph(doc, f"审核共发现错误 {s['错误']} 处、提示 {s['提示']} 处。出现最多的 "
                f"{len(f.top)} 类问题如下（每处问题的单位、项目和位置见收集报告工作簿"
                f"「{ISSUES}」表）：")
    w.table(doc, ("序号", "问题", "级别", "数量"),
            [(str(i), name, sev, str(n)) for i, (name, sev, n) in enumerate(f.top, start=1)],
            (1.2, 10.6, 1.6, 1.6), align=("center", None, "center", "right"))


def chase(doc: Any, f: Figures) -> None:
    """五、催报名单: the list's projects with no return, with 联系人 and 联系电话."""
    w.heading(doc, "五、催报名单")
    missing = f.missing
    if not len(missing):
        w.paragraph(doc, NOTHING[MISSING])
        return
    units = sum(1 for u in f.units if u.missing)
    w.paragraph(doc, f"截至收集时，尚有 {count(units)}单位的 {count(len(missing))}项目未报送"
                f"（见收集报告工作簿「{MISSING}」表），请及时催报：")
    w.table(doc, tuple(MISSING_COLUMNS.values()), missing_rows(missing), MISSING_WIDTHS)


def missing_rows(missing: pd.DataFrame) -> list[Sequence[str]]:
    columns = [column_values(missing, c) for c in MISSING_COLUMNS]
    return [tuple("" if w.blank(v) else str(v) for v in row) for row in zip(*columns, strict=True)]
