"""Values as people type them: "1,488.78", "95%", "≥90%", "90%以上", "1000万元", "２次以上".

Everything unambiguous becomes (comparator, value, unit); anything else keeps its raw text and
a Chinese ``problem`` that the reader turns into a finding. Nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, NamedTuple

from xlkit.core.cache import BoundedCache

EXCEL_ERRORS = ("#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#N/A", "#NUM!", "#NULL!",
                "#GETTING_DATA", "#SPILL!", "#CALC!")

# Longest first: "不低于" must win over "低于", "大于等于" over "大于".
_COMPARATOR_WORDS = [
    ("大于等于", "≥"), ("不低于", "≥"), ("不少于", "≥"), ("不小于", "≥"), ("至少", "≥"),
    ("达到", "≥"), ("小于等于", "≤"), ("不高于", "≤"), ("不超过", "≤"), ("不多于", "≤"),
    ("不大于", "≤"), ("最多", "≤"), ("高于", ">"), ("大于", ">"), ("超过", ">"), ("多于", ">"),
    ("低于", "<"), ("小于", "<"), ("少于", "<"), ("等于", "="), (">=", "≥"), ("=>", "≥"),
    ("<=", "≤"), ("=<", "≤"), ("≧", "≥"), ("≦", "≤"), ("≥", "≥"), ("≤", "≤"), (">", ">"),
    ("<", "<"), ("=", "="),
]
_SUFFIX_WORDS = [("以上", "≥"), ("及以上", "≥"), ("以下", "≤"), ("及以下", "≤"), ("以内", "≤"),
                 ("之内", "≤")]
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")
_MEASURE = re.compile(r"^(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(?P<unit>[^\d\s].*)?$")
_DATE = re.compile(r"^(?P<y>(19|20)\d{2})\s*[-./年]\s*(?P<m>\d{1,2})\s*[-./月]\s*(?P<d>\d{1,2})"
                   r"\s*日?$")
#: Units a quantity may carry; anything else ("6月底") is words, not a measure.
UNITS = frozenset("""% ‰ 元 万元 亿元 人 万人 人次 万人次 次 个 家 项 件 份 户 所 张 本 场 期 批 台 套
篇 条 名 例 床 辆 座 处 分钟 小时 天 日 个工作日 工作日 周 月 个月 年 公里 千米 米 平方米 亩 吨 分 元/人
元/人·年 岁 倍""".split())


class Parsed(NamedTuple):  # a tuple: one is made for every cell read
    raw: Any
    kind: str  # number | text | blank | error | date
    value: float | None = None
    unit: str = ""
    comparator: str | None = None
    problem: str | None = None
    text: str = ""

    @property
    def is_number(self) -> bool:
        return self.kind == "number" and self.value is not None


def clean_text(raw: Any) -> str:
    """Full-width to half-width, line breaks and stray spaces removed."""
    text = unicodedata.normalize("NFKC", str(raw))
    return _SPACES.sub(" ", text).strip()


_SPACES = re.compile(r"\s+")
_RANGE = re.compile(r"\d\s*%?\s*[-~—至到]\s*\d")


_BLANK = Parsed(None, "blank")
_tuple = tuple.__new__
_SUFFIXES_LONGEST_FIRST = sorted(_SUFFIX_WORDS, key=lambda w: -len(w[0]))
_COMPARATORS_BY_FIRST: dict[str, list[tuple[str, str]]] = {}  # first character -> words
for _word, _sym in _COMPARATOR_WORDS:  # in their order: the longest first
    _COMPARATORS_BY_FIRST.setdefault(_word[0], []).append((_word, _sym))


def _plain_number(text: str) -> float | None:
    t = text.replace(" ", "")
    if _NUMBER.match(t):
        return float(t.replace(",", ""))
    return None


MEMO_TEXT_CHARS = 100  # texts up to this long are parsed once per process (they recur)
_MEMO: BoundedCache[str, Parsed] = BoundedCache(4096)


def parse_value(raw: Any, percent_format: bool = False) -> Parsed:
    """Parse one cell. ``percent_format``: the cell is formatted as a percentage, so the
    number stored (0.95) is what the unit saw as 95%."""
    if raw.__class__ is str and len(raw) <= MEMO_TEXT_CHARS:  # a format changes no text
        hit = _MEMO.get(raw)
        if hit is None:
            hit = _MEMO.put(raw, _parse_value(raw, percent_format))
        return hit
    return _parse_value(raw, percent_format)


def _parse_value(raw: Any, percent_format: bool) -> Parsed:
    if raw is None:
        return _BLANK
    if isinstance(raw, bool):
        return Parsed(raw, "text", text=str(raw), problem=f"应为数字或文字，却是逻辑值 {raw}")
    if isinstance(raw, (int, float)):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return Parsed(raw, "error", text=str(raw), problem="单元格中不是有效数字")
        # tuples made directly: Parsed's __new__ is Python, and numbers are most cells
        if percent_format:
            return _tuple(Parsed, (raw, "number", round(float(raw) * 100, 10), "%", None, None, ""))
        return _tuple(Parsed, (raw, "number", float(raw), "", None, None, ""))
    if isinstance(raw, (dt.datetime, dt.date)):
        return Parsed(raw, "date", text=raw.strftime("%Y-%m-%d"))
    text = clean_text(raw)
    if not text:
        return Parsed(raw, "blank")
    if text.upper() in EXCEL_ERRORS:
        return Parsed(raw, "error", text=text, problem=f"单元格显示错误值 {text}")
    m = _DATE.match(text)
    if m:
        try:
            d = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return Parsed(raw, "text", text=text, problem=f"日期无效：'{raw}'")
        return Parsed(raw, "date", text=d.isoformat())
    return _parse_measure(raw, text)


def _parse_measure(raw: Any, text: str) -> Parsed:
    body, comparator = text, None
    for word, sym in _COMPARATORS_BY_FIRST.get(body[:1], ()):
        if body.startswith(word):
            body, comparator = body[len(word):].strip(), sym
            break
    for word, sym in _SUFFIXES_LONGEST_FIRST:
        if body.endswith(word):
            if comparator and comparator != sym:
                return Parsed(raw, "text", text=text, problem=f"比较方向自相矛盾：'{raw}'")
            body, comparator = body[: -len(word)].strip(), sym
            break
    number = _plain_number(body)
    if number is not None:
        return Parsed(raw, "number", number, "", comparator, text=text)
    if _RANGE.search(body):
        return Parsed(raw, "text", text=text, problem=f"是一个区间，不是单一数值：'{raw}'")
    m = _MEASURE.match(body)
    if m and m["unit"] is not None and m["unit"].strip() in UNITS:
        value = float(m["num"].replace(",", ""))
        return Parsed(raw, "number", value, m["unit"].strip(), comparator, text=text)
    # Anything else is words: 定性 targets such as "有效保障", "6月底", "年底前完成".
    return Parsed(raw, "text", text=text)


def parse_money(raw: Any, money_unit: str = "万元") -> Parsed:
    """A money cell: a plain number in ``money_unit``; "1000万元" accepted when units match."""
    p = parse_value(raw)
    if p.kind != "number":
        if p.kind == "text":
            return Parsed(raw, "text", text=p.text, problem=p.problem or f"金额不是数字：'{raw}'")
        return p
    if p.comparator:
        return Parsed(raw, "text", text=p.text, problem=f"金额不应带比较符号：'{raw}'")
    if p.unit and p.unit != money_unit:
        return Parsed(raw, "text", text=p.text,
                      problem=f"金额单位应为{money_unit}，却填了「{p.unit}」：'{raw}'")
    return Parsed(raw, "number", p.value, money_unit, text=p.text)


def same_unit(a: str, b: str) -> bool:
    """Units that mean the same for a ratio (blank matches anything: it was not stated)."""
    return not a or not b or a == b
