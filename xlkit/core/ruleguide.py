"""The 填报说明's lines for the rules a spec declares (rules as data, xlkit.core.rulekinds):
what the 执行率 score, each direction, 偏离 and the 总分 caps do, in Chinese, from the same
RuleSpecs the formulas are built from."""

from __future__ import annotations

from xlkit.core.rulekinds import RuleSpec, describe
from xlkit.core.spec import Spec

#: today's wording of each direction's default rule (what guide.py prints for project-2020)
DIRECTION_NAMES = {"≥": "指标方向“≥”（越大越好）", "≤": "指标方向“≤”（越小越好）",
                   "=": "指标方向“=”", "定性": "定性指标"}


def execution_line(spec: Spec) -> str | None:
    ex = spec.funds.execution
    if ex is None:
        return None
    capped = ex.rule is None or ex.rule.params["cap"]
    return (f"· 预算执行率 = 全年执行数 ÷ 全年预算数；执行得分 = 分值 {ex.weight:g} × 执行率"
            + ("（超过 100% 按 100% 计）" if capped else "（不封顶，执行率超过 100% 时得分可超过分值）")
            + "，保留两位小数。全年预算数为空或为 0 时不计算。")


def direction_lines(spec: Spec) -> dict[str, str]:
    """Direction → its line, for the directions whose rule the spec declares."""
    ind = spec.indicators
    if ind is None or not ind.scored:
        return {}
    return {d: f"· {DIRECTION_NAMES[d]}：{describe(rule)}。" for d, rule in ind.rules}


def rule_lines(spec: Spec) -> list[str]:
    """One line per declared rule that differs from today's default, 偏离 and the caps."""
    return list(direction_lines(spec).values()) + adjustment_lines(spec)


def adjustment_lines(spec: Spec) -> list[str]:
    """What changes a score after its rule: 偏离 and the 总分 caps by 执行率."""
    ind = spec.indicators
    out: list[str] = []
    if ind is not None and ind.scored:
        if ind.deviation is not None:
            p = ind.deviation.params
            dirs = "、".join(f"“{d}”" for d in p["directions"])
            out.append(f"· 偏离扣分：指标方向{dirs}的指标，实际完成值高于年度指标值 "
                       f"{p['above'] * 100:g}% 及以上的，扣 {p['points']:g} 分（不低于 0）。")
    if spec.total_caps is not None:
        out.append("· " + caps_text(spec.total_caps) + "。")
    return out


def caps_text(rule: RuleSpec) -> str:
    bands = sorted(rule.params["caps"], reverse=True)
    parts = []
    for k, (below, top) in enumerate(bands):
        lower = bands[k + 1][0] if k + 1 < len(bands) else None
        span = f"{lower:g}%–{below:g}%" if lower is not None else f"低于 {below:g}%"
        parts.append(f"执行率 {span} 的总分最高 {top:g} 分")
    return "总分按预算执行率封顶：" + "，".join(parts)
