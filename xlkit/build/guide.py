"""The visible 填报说明 sheet, written from the spec so it always matches the form."""

from __future__ import annotations

from typing import Any

from xlkit.core import ruleguide, rulekinds
from xlkit.core.layout import RUBRIC_INPUTS
from xlkit.core.spec import TIERS, Spec

GUIDE_SHEET = "填报说明"


def guide_lines(spec: Spec) -> list[tuple[str, str]]:
    """(kind, text) lines; kind is ``head`` or ``text``."""
    out: list[tuple[str, str]] = [("head", f"{spec.title}填报说明（{spec.id} 第 {spec.version} 版）")]
    add = out.append
    add(("text", "1. 只需填写浅黄色单元格；灰色单元格为财政部门预填或公式计算，已锁定，不能修改。"))
    add(("text", f"2. 金额单位为{spec.money_unit}，只填数字，不要带单位、逗号以外的文字。"))
    add(("text", "3. 得分、小计、总分和等次由公式自动计算；“校验”列出现红色提示时，请按提示修改。"))
    add(("text", "4. 请勿删除、插入行列或修改工作表名称；不要另存为其他格式，直接保存为 .xlsx 报回。"))
    add(("head", "评分规则"))
    line = ruleguide.execution_line(spec)
    if line:
        add(("text", line))
    if spec.indicators and spec.indicators.scored:
        rule = ("分值 × 年度指标值 ÷ 实际完成值（最高为分值）"
                if spec.indicators.reverse_rule == "ratio"
                else "实际完成值超过年度指标值后按超出比例线性扣分，达到 2 倍时为 0")
        bands = "，".join(f"{n} {lo * 100:g}%–{hi * 100:g}%" for n, lo, hi in TIERS)
        declared = ruleguide.direction_lines(spec)  # a declared rule says what it does
        for d, text in (
                ("≥", "· 指标方向“≥”（越大越好）：得分 = 分值 × 实际完成值 ÷ 年度指标值，最高为分值。"),
                ("≤", f"· 指标方向“≤”（越小越好）：未超过年度指标值得满分，否则 {rule}。"),
                ("=", "· 指标方向“=”：实际完成值等于年度指标值得满分，否则不得分。"),
                ("定性", f"· 定性指标：先选档次，再在 0 至分值之间打分，得分须在档次区间内（{bands}）。")):
            add(("text", declared.get(d, text)))
        add(("text", "· 百分比指标请填百分数数值，如 95 表示 95%，年度指标值和实际完成值单位须一致。"))
        add(("text", "· 得分低于分值的指标，必须填写“偏差原因分析及改进措施”。"))
        groups = "、".join(f"{g.name} {g.weight:g} 分" for g in spec.indicators.groups)
        add(("text", f"· 各一级指标分值：{groups}；各三级指标分值之和须等于所属一级指标分值。"))
    if spec.scorecard:
        for g in spec.scorecard.groups:
            items = "、".join(f"{it.name} {it.weight:g}" for it in g.items)
            add(("text", f"· {g.name}（{g.weight:g} 分）：{items}。"))
        for g in spec.scorecard.groups:
            for it in g.items:
                line = _rubric_item_line(it)
                if line:
                    add(("text", line))
                if it.rate:
                    num = spec.funds.column(it.rate.numerator[1])
                    den = spec.funds.column(it.rate.denominator[1])
                    add(("text", f"· {it.name}得分 = 分值 × {num.label if num else ''} ÷ "
                                 f"{den.label if den else ''}（最高为分值），自动计算。"))
    add(("text", "· 总分 = 各项得分之和（满分 100）。"))
    for text in ruleguide.adjustment_lines(spec):
        add(("text", text))
    bands = "；".join(f"{g.name}：{g.min:g} 分及以上" if g.min else f"{g.name}：其余"
                      for g in spec.grades)
    add(("text", f"· 等次：{bands}。"))
    return out


def _rubric_item_line(item: Any) -> str | None:
    """A rubric item the sheet scores by its rule: what the rule does and what the scorer
    types for it beside the row (次数, 数值, 分子 …); None for a score typed directly."""
    if item.rule is None or item.rule.kind == "entered":
        return None
    given = {name for name, _ in item.inputs}
    typed = [RUBRIC_INPUTS[n][1] for n in rulekinds.needs(item.rule)
             if n in RUBRIC_INPUTS and n not in given]
    ask = f"；请在表右侧填报辅助区填写{'、'.join(typed)}" if typed else "；自动计算"
    return f"· {item.name}（{item.weight:g} 分）：{rulekinds.describe(item.rule)}{ask}。"
