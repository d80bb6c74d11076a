"""Scoring rule kinds as data: what a spec may name (``kind: proportional``) and with what.

Each kind has a Chinese title and description, its parameters (name, type, default, whether
required, meaning) and the inputs it reads; :func:`score_expr` builds the score as an
expression of the one tree (xlkit.core.expr), which the builder writes as an Excel 2010 / WPS
formula and the reader evaluates — one source. A spec names a rule as a mapping::

    {kind: band, low: 90, high: 110, per: 0.5}

and :func:`parse_rule` checks it, reporting each mistake with its key path in Chinese.

Roles: ``score`` kinds give an item's or indicator's score; ``deviation`` (偏离) is a
modifier of indicator scores (:func:`score_expr`'s ``deviation``); ``execution`` is the
执行率 score (:func:`execution_expr`); ``total_caps`` caps the 总分 by 执行率 band
(:func:`capped_total`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xlkit.core.expr.tree import (
    ABS,
    AND,
    IF,
    ISNUMBER,
    MAX,
    MIN,
    ROUND,
    Expr,
    Lit,
    PercentPoints,
    Ref,
)

EMPTY = Lit("")
EQUAL_TOLERANCE = 1e-9
#: comparisons of a computed difference with 0 are made on it rounded to this many places,
#: so 3.9 − 3 − 0.3 × 3 (−2.2e-16 in binary) counts as 0, in Python and every engine alike
NOISE_DIGITS = 9
DIRECTION_KEYS = ("≥", "≤", "=")


@dataclass(frozen=True)
class Param:
    """One parameter of a kind: ``type`` is number / bool / round / floor / directions /
    caps."""
    name: str
    type: str
    meaning: str
    default: Any = None
    required: bool = False
    low: float | None = None  # inclusive bounds of a number
    high: float | None = None


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    #: the inputs it reads, in the order the formula tests them (besides the weight)
    inputs: tuple[str, ...]
    role: str = "score"  # score | deviation | execution | total_caps


@dataclass(frozen=True)
class RuleSpec:
    """A rule as a spec declares it: its kind and every parameter (defaults filled in)."""
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.kind, tuple(sorted((k, _hashable(v)) for k, v in self.params.items()))))

    def get(self, name: str) -> Any:
        return self.params.get(name)


def _hashable(v: Any) -> Any:
    return tuple(_hashable(x) for x in v) if isinstance(v, (list, tuple)) else v


_ROUND = Param("round", "round", "保留小数位数（0–6）；null 不舍入", 2)
_ROUND_NONE = Param("round", "round", "保留小数位数（0–6）；默认 null：按填写的分数", None)
_CAP = Param("cap", "bool", "true：得分不超过分值；false：可超过分值", True)

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("proportional", "正向比例", "实际 ≥ 目标得满分，否则 实际 ÷ 目标 × 分值",
         (_CAP, _ROUND), ("target", "actual")),
    Kind("reverse_ratio", "反向比例", "实际 ≤ 目标得满分，否则 分值 × 目标 ÷ 实际",
         (_ROUND,), ("target", "actual")),
    Kind("reverse_linear", "反向线性", "实际 ≤ 目标得满分；在目标与其两倍之间按 "
         "(1 − (实际 − 目标) ÷ 目标) × 分值；两倍及以上 0 分", (_ROUND,), ("target", "actual")),
    Kind("equal", "等于", "实际等于目标得满分，否则 0 分",
         (Param("zero_at_most", "bool", "目标为 0 时，实际 ≤ 0 即得满分", False),),
         ("target", "actual")),
    Kind("tiers", "定性档次", "按所选档次（达成 80–100% / 部分达成 60–80% / 未达成 0–60%）"
         "在区间内填写的得分", (_ROUND_NONE,), ("score",)),
    Kind("band", "区间", "数值在 [low, high] 区间内得满分；区间外 0 分，或每超出 1 个单位扣 "
         "per 分，扣完为止",
         (Param("low", "number", "区间下限（不写：无下限）"),
          Param("high", "number", "区间上限（不写：无上限）"),
          Param("low_inclusive", "bool", "等于下限算在区间内", True),
          Param("high_inclusive", "bool", "等于上限算在区间内", True),
          Param("per", "number", "区间外每差 1 个单位扣的分数；0：区间外不得分", 0, low=0),
          _ROUND), ("value",)),
    Kind("ratio", "比率", "分子 ÷ 分母 × 分值", (_CAP, _ROUND), ("numerator", "denominator")),
    Kind("one_minus_ratio", "一减比率", "(1 − 分子 ÷ 分母) × 分值，不低于 0",
         (_ROUND,), ("numerator", "denominator")),
    Kind("deduction", "按次扣分", "分值 − 次数 × per，不低于 floor（默认 0：直至扣完）",
         (Param("per", "number", "每次扣的分数", required=True, low=0),
          Param("floor", "floor", "最低得分（可为负数；none：扣分下不保底，可扣至负分）", 0),
          _ROUND), ("count",)),
    Kind("bonus", "加分", "次数 × per（或填写的加分），不超过 cap（默认：分值）",
         (Param("per", "number", "每次加的分数（不写：直接填写加分）", low=0),
          Param("cap", "number", "加分上限（如 加分以 2 分封顶）", low=0), _ROUND),
         ("count",)),
    Kind("entered", "直接打分", "评分人在 0 至分值（或 max）之间填写的得分",
         (Param("max", "number", "得分上限（默认：分值）", low=0), _ROUND_NONE), ("score",)),
    Kind("deviation", "偏离扣分", "完成值高于指标值 above（如 30%）及以上的，扣 points 分，"
         "不低于 0",
         (Param("above", "number", "高出指标值的比例（0.3 即 30%）", 0.3, low=0),
          Param("points", "number", "扣的分数", 2, low=0),
          Param("directions", "directions", "适用的指标方向", ("≥",)), _ROUND),
         ("target", "actual"), "deviation"),
    Kind("execution", "执行率得分", "执行率 × 分值；cap: true 不超过分值，false 不封顶",
         (_CAP, _ROUND), ("rate",), "execution"),
    Kind("total_caps", "按执行率封顶总分", "执行率低于 below% 时总分最高为 max（多档取最严）",
         (Param("caps", "caps", "档次列表：[{below: 80, max: 89}, …]，below 为执行率（%）",
                required=True),), ("rate",), "total_caps"),
)}


# ------------------------------------------------------------------------------ parsing

def parse_rule(data: Any, path: str, err: Callable[[str, str], None],
               default_kind: str | None = None) -> RuleSpec | None:
    """``data`` (``{kind: ..., <params>}``) as a RuleSpec, or None after ``err(key_path,
    message)`` for each mistake. ``default_kind``: the kind when ``kind`` is not written."""
    if isinstance(data, str) and data in KINDS:
        data = {"kind": data}
    if not isinstance(data, dict):
        err(path, f"应为映射（kind: 规则种类，以及它的参数），而不是 {data!r}")
        return None
    name = data.get("kind", default_kind)
    if name is None:
        err(f"{path}.kind", f"必须填写（可用：{', '.join(KINDS)}）")
        return None
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        near = difflib.get_close_matches(str(name), list(KINDS), n=1, cutoff=0.6)
        hint = f"，是否应为 {near[0]}？" if near else ""
        err(f"{path}.kind", f"未知的规则种类 {name!r}{hint}（可用：{', '.join(KINDS)}）")
        return None
    before = _Counter(err)
    allowed = ("kind",) + tuple(p.name for p in kind.params)
    for k in data:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.6)
            hint = f"是否应为 {near[0]}？" if near else ""
            before(f"{path}.{k}", f"{kind.title}（{kind.name}）没有这个参数{hint}"
                   f"（可用的参数：{', '.join(allowed[1:]) or '无'}）")
    params = {p.name: _param(p, data, path, before) for p in kind.params}
    _cross_check(kind, params, path, before)
    return None if before.n else RuleSpec(kind.name, params)


class _Counter:
    """``err`` that counts the mistakes it passed on."""

    def __init__(self, err: Callable[[str, str], None]) -> None:
        self.err, self.n = err, 0

    def __call__(self, path: str, msg: str) -> None:
        self.n += 1
        self.err(path, msg)


def _param(p: Param, data: Mapping[str, Any], path: str, err: Callable[[str, str], None]) -> Any:
    where = f"{path}.{p.name}"
    if p.name not in data:
        if p.required:
            err(where, f"必须填写（{p.meaning}）")
        return p.default
    v = data[p.name]
    if p.type == "round":
        if v is None or v == "none":
            return None
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 6:
            err(where, f"应为 0 至 6 的整数或 null（不舍入），而不是 {v!r}")
        return v
    if v is None and not p.required:
        return p.default
    if p.type == "bool":
        if not isinstance(v, bool):
            err(where, f"应为 true 或 false，而不是 {v!r}")
        return v
    if p.type == "number":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            err(where, f"应为数字，而不是 {v!r}（{p.meaning}）")
            return p.default
        if (p.low is not None and v < p.low) or (p.high is not None and v > p.high):
            err(where, f"{v:g} 超出范围（应不小于 {p.low:g}）" if p.high is None else
                f"{v:g} 应在 {p.low:g} 至 {p.high:g} 之间")
        return float(v)
    if p.type == "floor":  # a number of any sign, or none: no floor at all (扣分下不保底)
        if v == "none":
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            err(where, f"应为数字或 none（不保底），而不是 {v!r}")
            return p.default
        return float(v)
    if p.type == "directions":
        return _directions(v, where, err)
    if p.type == "caps":
        return _caps(v, where, err)
    raise ValueError(p.type)  # pragma: no cover - a kind declared with an unknown type


def _directions(v: Any, where: str, err: Callable[[str, str], None]) -> tuple[str, ...]:
    items = v if isinstance(v, list) else [v]
    bad = [d for d in items if d not in DIRECTION_KEYS]
    if bad or not items:
        err(where, f"应为 {' / '.join(DIRECTION_KEYS)} 中的一个或几个，而不是 {v!r}")
    return tuple(d for d in items if d in DIRECTION_KEYS)


def _caps(v: Any, where: str, err: Callable[[str, str], None]) -> tuple[tuple[float, float], ...]:
    """[{below: 80, max: 89}, ...] → ((80, 89), ...), ``below`` from high to low."""
    if not isinstance(v, list) or not v:
        err(where, "应为非空列表：[{below: 80, max: 89}, {below: 70, max: 79}, …]")
        return ()
    out = []
    for i, c in enumerate(v):
        cp = f"{where}[{i}]"
        if not isinstance(c, dict):
            err(cp, f"应为映射 {{below: 执行率（%）, max: 总分上限}}，而不是 {c!r}")
            continue
        for k in c:
            if k not in ("below", "max"):
                err(f"{cp}.{k}", "未知的键（可用的键：below, max）")
        b, m = c.get("below"), c.get("max")
        ok = True
        for key, x, hi in (("below", b, 100), ("max", m, 1000)):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                err(f"{cp}.{key}", "必须填写数字" if x is None else f"应为数字，而不是 {x!r}")
                ok = False
            elif (x <= 0 or x > hi) if key == "below" else (x < 0 or x > hi):
                err(f"{cp}.{key}", f"{x:g} 应在 {'0（不含）' if key == 'below' else '0 '}至 "
                    f"{hi} 之间" + ("（执行率，%）" if key == "below" else ""))
                ok = False
        if ok:
            out.append((float(b), float(m)))
    out.sort(reverse=True)
    for (b1, m1), (b2, m2) in zip(out, out[1:], strict=False):
        if b1 == b2:
            err(where, f"执行率 {b1:g}% 写了两次")
        elif m2 > m1:
            err(where, f"执行率越低封顶应越低：低于 {b2:g}% 时最高 {m2:g} 分，"
                f"不应高于低于 {b1:g}% 时的 {m1:g} 分")
    return tuple(out)


def _cross_check(kind: Kind, p: Mapping[str, Any], path: str,
                 err: Callable[[str, str], None]) -> None:
    if kind.name != "band":
        return
    low, high = p["low"], p["high"]
    if low is None and high is None:
        err(path, "区间（band）至少要写 low 或 high 之一")
    elif low is not None and high is not None and low > high:
        err(f"{path}.low", f"下限 {low:g} 大于上限 {high:g}")
    if p["per"] and not (p["low_inclusive"] and p["high_inclusive"]):
        err(f"{path}.per", "按差距扣分（per）时区间须包含端点（low_inclusive、high_inclusive 为 true）")


# ------------------------------------------------------------------------------ inputs

def kind_of(rule: RuleSpec) -> Kind:
    return KINDS[rule.kind]


def needs(rule: RuleSpec) -> tuple[str, ...]:
    """The inputs ``rule`` reads besides the weight (a bonus without ``per``: the score)."""
    if rule.kind == "bonus" and rule.get("per") is None:
        return ("score",)
    return kind_of(rule).inputs


def uses_weight_guard(rule: RuleSpec) -> bool:
    """Whether the score waits for the weight too (a 定性 score does not)."""
    if rule.kind == "tiers":
        return False
    if rule.kind == "entered":
        return rule.get("max") is None
    return True


def score_bounds(rule: RuleSpec, weight: float) -> tuple[float, float | None]:
    """The range of the score (None: no upper bound), for data validation and checks."""
    if rule.kind == "bonus":
        return 0.0, weight if rule.get("cap") is None else rule.get("cap")
    if rule.kind == "entered":
        return 0.0, weight if rule.get("max") is None else rule.get("max")
    if rule.get("cap") is False:
        return 0.0, None
    return 0.0, weight


# ------------------------------------------------------------------------------ formulas

def _rounder(rule: RuleSpec) -> Callable[[Expr], Expr]:
    n = rule.get("round")
    return (lambda x: x) if n is None else (lambda x: ROUND(x, n))


def _base(x: Expr) -> Expr:
    """The cell an input reads (a PercentPoints input is tested on its own cell)."""
    return x.ref if isinstance(x, PercentPoints) else x


def _ratio_guarded(num: Expr, den: Expr) -> Expr:
    """num / den, or "" when either is missing or the denominator is not positive."""
    return IF(ISNUMBER(den), IF(den > 0, IF(ISNUMBER(num), num / den, EMPTY), EMPTY), EMPTY)


def _clamp01(x: Expr) -> Expr:
    return MIN(MAX(x, 0), 1)


def _core(rule: RuleSpec, w: Expr, i: Mapping[str, Expr]) -> Expr:
    """The score once every input is a number."""
    r, k, p = _rounder(rule), rule.kind, rule.params
    if k == "proportional":
        t, a = i["target"], i["actual"]
        share = _clamp01(a / t) if p["cap"] else MAX(a / t, 0)
        return IF(t > 0, r(w * share), IF(a >= t, w, 0))
    if k == "reverse_ratio":
        t, a = i["target"], i["actual"]
        return IF(a <= t, w, IF(a > 0, r(w * MAX(t / a, 0)), 0))
    if k == "reverse_linear":
        t, a = i["target"], i["actual"]
        return IF(a <= t, w, IF(t > 0, r(w * MAX(1 - (a - t) / t, 0)), 0))
    if k == "equal":
        t, a = i["target"], i["actual"]
        same = IF(ABS(a - t) <= EQUAL_TOLERANCE * MAX(1, ABS(t)), w, 0)
        return IF(t.eq(0), IF(a <= EQUAL_TOLERANCE, w, 0), same) if p["zero_at_most"] else same
    if k in ("tiers", "entered"):
        s = i["score"]
        top = w if p.get("max") is None else Lit(p["max"])
        return r(s) if k == "tiers" else r(MIN(MAX(s, 0), top))
    if k == "band":
        return _band(rule, w, i["value"])
    if k == "deduction":
        left = w - MAX(i["count"], 0) * p["per"]
        return r(left if p["floor"] is None else MAX(left, p["floor"]))
    if k == "bonus":
        cap = w if p["cap"] is None else Lit(p["cap"])
        got = MAX(i["score"], 0) if p["per"] is None else MAX(i["count"], 0) * p["per"]
        return r(MIN(got, cap))
    raise ValueError(f"{k} is not a score kind")


def _band(rule: RuleSpec, w: Expr, v: Expr) -> Expr:
    p, r = rule.params, _rounder(rule)
    tests, gaps = [], []
    if p["low"] is not None:
        tests.append(v >= p["low"] if p["low_inclusive"] else v > p["low"])
        gaps.append((v < p["low"], Lit(p["low"]) - v))
    if p["high"] is not None:
        tests.append(v <= p["high"] if p["high_inclusive"] else v < p["high"])
        gaps.append((v > p["high"], v - p["high"]))
    inside = tests[0] if len(tests) == 1 else AND(*tests)
    if not p["per"]:
        return IF(inside, w, 0)
    gap = gaps[0][1] if len(gaps) == 1 else IF(gaps[0][0], gaps[0][1], gaps[1][1])
    return IF(inside, w, r(MAX(w - gap * p["per"], 0)))


def deviation_penalty(dev: RuleSpec, target: Expr, actual: Expr) -> Expr:
    """The points 偏离 takes: ``points`` when 完成值 ≥ 指标值 × (1 + above) (target > 0)."""
    over = ROUND(actual - target - target * dev.params["above"], NOISE_DIGITS) >= 0
    return IF(AND(target > 0, over), dev.params["points"], 0)


def score_expr(rule: RuleSpec, weight: Expr, inputs: Mapping[str, Expr],
               deviation: RuleSpec | None = None) -> Expr:
    """The score of ``rule`` as an expression: "" while the weight or an input it needs is
    not a number; ``deviation`` (a ``deviation`` rule) deducts its points from it."""
    kind = kind_of(rule)
    if kind.role != "score":
        raise ValueError(f"{rule.kind} is not a score kind")
    if rule.kind in ("ratio", "one_minus_ratio"):
        return _ratio_score(rule, weight, inputs["numerator"], inputs["denominator"])
    names = needs(rule)
    if deviation is not None:  # 偏离 compares 完成值 with 指标值: both must be numbers
        names = tuple(dict.fromkeys(names + ("target", "actual")))
    tests = ([ISNUMBER(weight)] if uses_weight_guard(rule) else []) + [
        ISNUMBER(_base(inputs[n])) for n in names]
    core = _core(rule, weight, inputs)
    if deviation is not None:
        pen = deviation_penalty(deviation, inputs["target"], inputs["actual"])
        core = _rounder(deviation)(MAX(core - pen, 0))
    return IF(tests[0] if len(tests) == 1 else AND(*tests), core, EMPTY)


def _ratio_score(rule: RuleSpec, w: Expr, num: Expr, den: Expr) -> Expr:
    rate = _ratio_guarded(num, den)
    r = _rounder(rule)
    if rule.kind == "one_minus_ratio":
        share = _clamp01(1 - rate)
    else:
        share = _clamp01(rate) if rule.params["cap"] else MAX(rate, 0)
    return IF(AND(ISNUMBER(rate), ISNUMBER(w)), r(w * share), EMPTY)


def execution_expr(rule: RuleSpec | None, weight: Expr, rate: Expr) -> Expr:
    """执行得分: 执行率 × 分值 (capped at 分值 unless ``cap: false``); "" without a rate."""
    rule = rule or DEFAULT_EXECUTION
    share = _clamp01(rate) if rule.params["cap"] else MAX(rate, 0)
    return IF(AND(ISNUMBER(rate), ISNUMBER(weight)), _rounder(rule)(weight * share), EMPTY)


def cap_for(rule: RuleSpec, rate: Expr) -> Expr:
    """The 总分's ceiling for a 执行率 below the first band (assumed a number)."""
    caps = sorted(rule.params["caps"])  # lowest band first: the strictest cap wins
    chain: Expr = Lit(caps[-1][1])
    for below, top in reversed(caps[:-1]):
        chain = IF(rate < below / 100, top, chain)
    return chain


def capped_total(rule: RuleSpec | None, total: Expr, rate: Expr) -> Expr:
    """``total`` (a number) capped by the 执行率 bands of a ``total_caps`` rule."""
    if rule is None:
        return total
    first = max(b for b, _ in rule.params["caps"])
    return IF(AND(ISNUMBER(rate), rate < first / 100), MIN(total, cap_for(rule, rate)), total)


DEFAULT_EXECUTION = RuleSpec("execution", {"cap": True, "round": 2})


def default_rules(reverse_rule: str = "ratio") -> dict[str, RuleSpec]:
    """Today's rules by direction (``reverse_rule``: ratio or linear for ≤)."""
    return {"≥": RuleSpec("proportional", {"cap": True, "round": 2}),
            "≤": RuleSpec("reverse_linear" if reverse_rule == "linear" else "reverse_ratio",
                          {"round": 2}),
            "=": RuleSpec("equal", {"zero_at_most": False}),
            "定性": RuleSpec("tiers", {"round": None})}


def describe(rule: RuleSpec) -> str:
    """The rule in one Chinese sentence with its own figures (for 填报说明 and listings):
    "按次扣分：每次扣 0.5 分，扣完为止"."""
    kind = kind_of(rule)
    said = _SAID.get(rule.kind)
    if said is not None:
        return f"{kind.title}：{said(rule.params)}"
    shown = [_param_text(p.meaning.split('（')[0], rule.params.get(p.name))
             for p in kind.params if rule.params.get(p.name) != p.default]
    return f"{kind.title}：{kind.description}" + (f"（{'；'.join(shown)}）" if shown else "")


def _g(x: float) -> str:
    return f"{x:g}"


def _band_said(p: Mapping[str, Any]) -> str:
    lo, hi = p["low"], p["high"]
    low = f"{'不低于' if p['low_inclusive'] else '高于'} {_g(lo)}" if lo is not None else ""
    high = f"{'不高于' if p['high_inclusive'] else '低于'} {_g(hi)}" if hi is not None else ""
    inside = "且".join(x for x in (low, high) if x)
    outside = (f"每差 1 扣 {_g(p['per'])} 分，扣完为止" if p["per"] else "不得分")
    return f"数值{inside}得满分；否则{outside}"


def _deduction_said(p: Mapping[str, Any]) -> str:
    floor = p["floor"]
    end = ("扣分下不保底，可扣至负分" if floor is None else "扣完为止" if floor == 0
           else f"最低 {_g(floor)} 分")
    return f"每次扣 {_g(p['per'])} 分，{end}"


def _bonus_said(p: Mapping[str, Any]) -> str:
    got = "填写的加分" if p["per"] is None else f"每次加 {_g(p['per'])} 分"
    cap = "分值" if p["cap"] is None else f"{_g(p['cap'])} 分"
    return f"{got}，加分以 {cap}封顶"


def _capped(text: str, p: Mapping[str, Any]) -> str:
    return text + ("，最高为分值" if p.get("cap", True) else "，可超过分值")


#: the kinds whose sentence carries their figures; the others read as their description
_SAID: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "proportional": lambda p: _capped("实际 ≥ 目标得满分，否则 实际 ÷ 目标 × 分值", p),
    "band": _band_said,
    "ratio": lambda p: _capped("分子 ÷ 分母 × 分值", p),
    "deduction": _deduction_said,
    "bonus": _bonus_said,
    "entered": lambda p: (f"在 0 至 {_g(p['max'])} 分之间填写得分" if p["max"] is not None
                          else "在 0 至分值之间填写得分"),
}


def _param_text(meaning: str, v: Any) -> str:
    """"目标为 0 时，实际 ≤ 0 即得满分" for a switch that is on, "名称：值" otherwise."""
    if v is None and meaning.startswith("最低得分"):
        return "扣分下不保底，可扣至负分"
    return meaning if v is True else f"{meaning}：{_shown(v)}"


def _shown(v: Any) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return "[" + ", ".join(_shown(x) for x in v) + "]"
    return "null" if v is None else str(v)


def indicator_inputs(target: Expr, actual: Expr, score: Expr) -> dict[str, Expr]:
    """The inputs an indicator row gives its rule: 指标值, 实际完成值 (also as ``value``),
    the entered 定性得分."""
    return {"target": target, "actual": actual, "value": actual, "score": score}


def ref_inputs(names: tuple[str, ...]) -> dict[str, Ref]:
    """Each input as a Ref of its own name (the Python API and the tests)."""
    return {n: Ref(n) for n in names}
