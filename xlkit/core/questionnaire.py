"""满意度调查问卷 (a questionnaire tally) declared in a spec: its section, validated.

Seed 000 附件4: ten questions, each with options carrying a standard score (10 / 5 / 0); the
unit enters how many of the valid questionnaires chose each option, and the form computes
问卷总分 = Σ 份数 × 标准分值, 综合得分 = 问卷总分 ÷ 有效问卷份数 (1935 ÷ 20 = 96.75). The
layout block is :mod:`xlkit.core.survey`; the fields it makes are named here.

YAML (top-level key ``questionnaire``)::

    questionnaire:
      title: 满意度调查问卷（受益人群）
      count_label: 问卷数          # the counts column's head (default 问卷数)
      decimals: 2                  # 综合得分 rounded to (default 2)
      answers: all                 # all: each question's counts add up to 有效问卷份数;
                                   # some: at most (questionnaires may skip a question)
      options:                     # default options of a question that lists none
        - {text: 非常满意, score: 10}
      questions:
        - text: 您认为该部门办事程序是否合理？
          options:
            - {text: 程序比较合理, score: 10}
            - {text: 程序基本合理, score: 5}
            - {text: 程序复杂, score: 0}
      feeds: {level2: 服务对象满意度指标}   # optional: that 二级指标's first row's 实际完成值
                                           # is the 满意度 (综合得分 ÷ 满分 × 100, in %)

Fields: ``quest.<i>.<j>.count`` (question i, option j, from 0), ``quest.<i>.total``,
``quest.total`` (问卷总分), ``quest.valid`` (有效问卷份数), ``quest.score`` (综合得分),
``quest.<i>.check`` / ``quest.check`` (校验).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

ANSWERS = ("all", "some")
LETTERS = "ABCDEFGHIJ"
MAX_QUESTIONS = 60


@dataclass(frozen=True)
class Option:
    text: str
    score: float


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[Option, ...]

    @property
    def full(self) -> float:
        """The most one questionnaire can score on this question."""
        return max((o.score for o in self.options), default=0.0)


@dataclass(frozen=True)
class Feed:
    """Where the questionnaire's 满意度 goes: the first indicator row of 二级指标 ``level2``."""
    level2: str


@dataclass(frozen=True)
class Questionnaire:
    title: str
    questions: tuple[Question, ...]
    count_label: str = "问卷数"
    decimals: int = 2
    answers: str = "all"
    feeds: Feed | None = None

    @property
    def full(self) -> float:
        """标准分值 of one whole questionnaire (seed 000: 10 questions × 10 = 100)."""
        return sum(q.full for q in self.questions)


def option_label(k: int, option: Option) -> str:
    """How an option prints: ``A.经常到基层调研``."""
    return f"{LETTERS[k]}.{option.text}"


class _Checker(Protocol):  # the spec validator's primitives (xlkit.core.spec)
    def get(self, obj: Any, key: str, path: str, kind: Any, required: bool = ...,
            default: Any = ...) -> Any: ...
    def text(self, obj: Any, key: str, path: str, required: bool = ...,
             default: Any = ...) -> Any: ...
    def only(self, obj: Any, path: str, allowed: tuple[str, ...]) -> None: ...
    def err(self, path: str, msg: str) -> None: ...


def parse_questionnaire(v: _Checker, d: Any, subgroups: tuple[str, ...] | None
                        ) -> Questionnaire | None:
    """The ``questionnaire`` section, every mistake reported by ``v.err`` with its key path.
    ``subgroups``: the spec's 二级指标 names (``feeds.level2`` must be one), None when the
    spec has no indicators table."""
    p = "questionnaire"
    if not isinstance(d, dict):
        v.err(p, "应为映射：title、questions（每题 text 与 options）等")
        return None
    v.only(d, p, ("title", "count_label", "decimals", "answers", "options", "questions",
                  "feeds"))
    title = v.text(d, "title", p) or ""
    label = v.text(d, "count_label", p, required=False, default="问卷数") or "问卷数"
    decimals = v.get(d, "decimals", p, int, required=False, default=2)
    if decimals is None or not 0 <= decimals <= 4:
        v.err(f"{p}.decimals", f"{decimals} 应在 0 至 4 之间（综合得分保留的小数位数）")
        decimals = 2
    answers = v.text(d, "answers", p, required=False, default="all") or "all"
    if answers not in ANSWERS:
        v.err(f"{p}.answers", f"{answers!r} 应为 all（每题各选项份数合计等于有效问卷份数）"
                              "或 some（可少于有效问卷份数：允许不答）")
    default = (_options(v, d["options"], f"{p}.options")
               if d.get("options") is not None else None)
    questions = _questions(v, d, p, default)
    feeds = _feeds(v, d.get("feeds"), f"{p}.feeds", subgroups) if "feeds" in d else None
    return Questionnaire(title, questions, label, decimals, answers, feeds)


def _questions(v: _Checker, d: dict, p: str, default: tuple[Option, ...] | None
               ) -> tuple[Question, ...]:
    items = v.get(d, "questions", p, list, default=[]) or []
    if not items:
        v.err(f"{p}.questions", "不能为空：至少一题")
    if len(items) > MAX_QUESTIONS:
        v.err(f"{p}.questions", f"共 {len(items)} 题，最多 {MAX_QUESTIONS} 题")
    out = []
    for i, q in enumerate(items):
        qp = f"{p}.questions[{i}]"
        v.only(q, qp, ("text", "options"))
        text = v.text(q, "text", qp) or ""
        if isinstance(q, dict) and q.get("options") is not None:
            options = _options(v, q["options"], f"{qp}.options")
        elif default is not None:
            options = default
        else:
            v.err(f"{qp}.options", "必须填写（或在 questionnaire.options 中给出各题通用的选项）")
            options = ()
        out.append(Question(text, options))
    return tuple(out)


def _options(v: _Checker, items: Any, p: str) -> tuple[Option, ...]:
    if not isinstance(items, list) or not items:
        v.err(p, "应为非空列表，每项 {text: 选项内容, score: 标准分值}")
        return ()
    if len(items) > len(LETTERS):
        v.err(p, f"共 {len(items)} 个选项，最多 {len(LETTERS)} 个")
    out = []
    for j, o in enumerate(items[:len(LETTERS)]):
        op = f"{p}[{j}]"
        v.only(o, op, ("text", "score"))
        score = v.get(o, "score", op, float)
        if score is not None and not 0 <= score <= 100:
            v.err(f"{op}.score", f"{score:g} 应在 0 至 100 之间")
        out.append(Option(v.text(o, "text", op) or "", score or 0.0))
    texts = [o.text for o in out]
    for j, t in enumerate(texts):
        if t and t in texts[:j]:
            v.err(f"{p}[{j}].text", f"{t!r} 与前面的选项重复")
    if out and max(o.score for o in out) <= 0:
        v.err(p, "至少一个选项的标准分值应大于 0")
    return tuple(out)


def _feeds(v: _Checker, d: Any, p: str, subgroups: tuple[str, ...] | None) -> Feed | None:
    if not isinstance(d, dict):
        v.err(p, "应为映射：{level2: 二级指标名称}（该二级指标第一行的实际完成值取问卷满意度）")
        return None
    v.only(d, p, ("level2",))
    level2 = v.text(d, "level2", p) or ""
    if subgroups is None:
        v.err(p, "表式没有绩效指标表（indicators），无处填入满意度；评分表的项目请用 "
                 "from: quest.score")
    elif level2 and level2 not in subgroups:
        v.err(f"{p}.level2", f"{level2!r} 不是 indicators.groups 中的二级指标"
                             f"（可用：{'、'.join(subgroups)}）")
    return Feed(level2)


def field_label(q: Questionnaire, fld: str) -> str | None:
    """A person's name for a questionnaire field (第 5 题·C.程序复杂·问卷数), None when ``fld``
    is not one."""
    parts = fld.split(".")
    if parts[0] != "quest":
        return None
    names = {"total": "问卷总分", "valid": "有效问卷份数", "score": "问卷综合得分",
             "check": "问卷校验"}
    if len(parts) == 2:
        return names.get(parts[1])
    if not parts[1].isdigit() or int(parts[1]) >= len(q.questions):
        return None
    i = int(parts[1])
    if len(parts) == 3:
        return f"问卷第 {i + 1} 题·{'得分' if parts[2] == 'total' else '校验'}"
    options = q.questions[i].options
    if len(parts) == 4 and parts[2].isdigit() and int(parts[2]) < len(options):
        j = int(parts[2])
        return f"问卷第 {i + 1} 题·{option_label(j, options[j])}·{q.count_label}"
    return None

