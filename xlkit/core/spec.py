"""Form specs: xlkit/templates/*.yaml loaded and validated into typed objects.

A spec is data. Every mistake in one is reported with its key path
(``indicators.groups[1].weight: ...``) so an office can fix its own variant
without reading Python.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from xlkit.findings import InputError

#: Columns of the distribution list a header field or fund cell may be pre-filled from.
LIST_SOURCES = ("unit_code", "unit_name", "department", "project_code", "project_name")
FUND_SOURCES = ("initial", "full_year")
DIRECTIONS = ("≥", "≤", "=", "定性")
#: How people write a direction → the canonical one.
DIRECTION_ALIASES = {
    "≥": "≥", ">=": "≥", "≧": "≥", "=>": "≥", "正向": "≥", "大于等于": "≥",
    "≤": "≤", "<=": "≤", "≦": "≤", "=<": "≤", "反向": "≤", "小于等于": "≤",
    "=": "=", "==": "=", "等于": "=",
    "定性": "定性", "定性指标": "定性",
}
REVERSE_RULES = ("ratio", "linear")
TIERS = (("达成", 0.8, 1.0), ("部分达成", 0.6, 0.8), ("未达成", 0.0, 0.6))

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _invalid(source: str, problems: list[str]) -> InputError:
    """A spec that cannot be used: an InputError (input.spec) whose ``problems`` hold one
    ``path: message`` per mistake and whose ``source`` is the spec's id or path."""
    return InputError("input.spec", f"{source}: " + "; ".join(problems), file=source,
                      problems=problems)


@dataclass(frozen=True)
class HeaderField:
    key: str
    label: str
    source: str | None = None
    wide: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FundColumn:
    key: str
    label: str
    source: str | None = None


@dataclass(frozen=True)
class FundRow:
    key: str
    label: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Execution:
    """执行率 and its score: ``executed`` ÷ ``budget`` of fund row ``row`` (column keys)."""
    weight: float
    row: str
    budget: str = "full_year"
    executed: str = "executed"


@dataclass(frozen=True)
class Funds:
    title: str
    columns: tuple[FundColumn, ...]
    rows: tuple[FundRow, ...]
    execution: Execution | None

    def column(self, key: str) -> FundColumn | None:
        return next((c for c in self.columns if c.key == key), None)

    def row(self, key: str) -> FundRow | None:
        return next((r for r in self.rows if r.key == key), None)


@dataclass(frozen=True)
class Tasks:
    title: str
    rows: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Goals:
    title: str
    columns: tuple[str, str]


@dataclass(frozen=True)
class Narrative:
    key: str
    label: str
    #: where it prints: after the money block (and 年度总体目标), or after the indicators
    after: str = "funds"


#: the columns a people table may have (the reader's people table has these columns)
PEOPLE_KEYS = ("name", "title", "office", "phone")
#: where a narrative may print (``narratives[i].after``)
NARRATIVE_PLACES = ("funds", "indicators")


@dataclass(frozen=True)
class Seal:
    """The lines a unit stamps or signs on paper (no input cells): ``top`` under the title
    (填报单位（公章）), ``bottom`` under the sign-off (单位负责人（签章）)."""
    top: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeopleColumn:
    key: str
    label: str


@dataclass(frozen=True)
class People:
    """A small table of people (评价人员: 姓名 / 职称/职务 / 科室 / 联系电话), ``rows`` input rows."""
    title: str
    columns: tuple[PeopleColumn, ...]
    rows: int


@dataclass(frozen=True)
class IndicatorGroup:
    name: str
    weight: float | None
    subgroups: tuple[str, ...]


@dataclass(frozen=True)
class Indicators:
    title: str
    scored: bool
    reverse_rule: str
    rows_per_subgroup: int
    groups: tuple[IndicatorGroup, ...]
    #: hidden input rows after each subgroup's rows: a unit unhides one to add an indicator
    #: the office did not issue (the sheet scores it like the others)
    spare_rows_per_subgroup: int = 1


@dataclass(frozen=True)
class Rate:
    numerator: tuple[str, str]  # (fund row, fund column)
    denominator: tuple[str, str]


@dataclass(frozen=True)
class ScoreItem:
    level2: str
    name: str
    weight: float
    rate: Rate | None = None


@dataclass(frozen=True)
class ScoreGroup:
    name: str
    weight: float
    items: tuple[ScoreItem, ...]


@dataclass(frozen=True)
class Scorecard:
    title: str
    groups: tuple[ScoreGroup, ...]


@dataclass(frozen=True)
class Grade:
    name: str
    min: float


@dataclass(frozen=True)
class Spec:
    id: str
    version: int
    title: str
    level: str
    money_unit: str
    header: tuple[HeaderField, ...]
    funds: Funds
    grades: tuple[Grade, ...]
    signoff: tuple[str, ...]
    tasks: Tasks | None = None
    goals: Goals | None = None
    narratives: tuple[Narrative, ...] = ()
    indicators: Indicators | None = None
    scorecard: Scorecard | None = None
    #: the year on a line of its own under the title (（2021年度）), not in the title
    year_line: bool = False
    seal: Seal = Seal()
    people: People | None = None
    source: str = ""
    weights: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def execution_weight(self) -> float:
        return self.funds.execution.weight if self.funds.execution else 0.0


# --------------------------------------------------------------------------- loading


def templates_dir() -> Path:
    """Where built-in specs live: ``$XLKIT_TEMPLATES`` or the package data ``xlkit.templates``
    (the repository's templates/), found through importlib.resources; xlkit installs as
    files, never zipped."""
    env = os.environ.get("XLKIT_TEMPLATES")
    return Path(env) if env else Path(str(resources.files("xlkit.templates")))


def builtin_specs() -> list[Spec]:
    """Every spec in the templates folder, sorted by id."""
    return sorted((load_spec(p) for p in templates_dir().glob("*.yaml")), key=lambda s: s.id)


def load_spec(ref: str | Path) -> Spec:
    """Load a spec by built-in id (``project-2020``) or by path to a YAML file."""
    path = Path(ref)
    if not (path.suffix in (".yaml", ".yml") or path.exists()):
        path = templates_dir() / f"{ref}.yaml"
        if not path.exists():
            known = ", ".join(sorted(p.stem for p in templates_dir().glob("*.yaml")))
            raise _invalid(str(ref), [f"没有这个表式（已有：{known}）"])
    try:
        st = path.stat()
    except (OSError, ValueError):
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise _invalid(str(ref), ["文件不存在"])
    where = _resolved(str(path)) if path.is_absolute() else str(path.resolve())
    return _load_file(where, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _resolved(path: str) -> str:
    """An absolute path with its links resolved (the reader asks for the same few)."""
    return str(Path(path).resolve())


@functools.lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int, size: int) -> Spec:
    """Parse once per file version: the reader asks for the same spec for every return."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _invalid(path, ["文件不是 UTF-8 编码的文字，请用 UTF-8 保存"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        what = getattr(exc, "problem", None) or ""
        raise _invalid(path, [f"YAML 格式有误{where}（{what}）" if what else
                              f"YAML 格式有误{where}"]) from None
    return parse_spec(data, source=path)


def parse_spec(data: Any, source: str = "<spec>") -> Spec:
    """Validate a spec mapping; raise InputError (input.spec) listing every problem with its key path."""
    v = _Validator()
    spec = v.spec(data, source)
    if v.problems:
        raise _invalid(source, v.problems)
    assert spec is not None
    return spec


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def err(self, path: str, msg: str) -> None:
        self.problems.append(f"{path}：{msg}")

    # --- primitive getters -------------------------------------------------------
    def get(self, obj: Any, key: str, path: str, kind: type | tuple, required=True, default=None):
        p = f"{path}.{key}" if path else key
        if not isinstance(obj, dict) or key not in obj or obj[key] is None:
            if required:
                self.err(p, "必须填写")
            return default
        val = obj[key]
        if kind is float and isinstance(val, int) and not isinstance(val, bool):
            val = float(val)
        if not isinstance(val, kind) or (isinstance(val, bool) and kind is not bool):
            self.err(p, f"应为{_kind_name(kind)}，而不是 {val!r}")
            return default
        return val

    def text(self, obj, key, path, required=True, default=None) -> str | None:
        val = self.get(obj, key, path, str, required, default)
        if isinstance(val, str) and not val.strip() and required:
            self.err(f"{path}.{key}" if path else key, "不能为空")
        return val

    def key(self, obj, path) -> str:
        val = self.text(obj, "key", path) or ""
        if val and not _KEY.match(val):
            self.err(f"{path}.key", f"{val!r} 只能由小写字母、数字和 _ 组成，且以字母开头")
        return val

    def weight(self, obj, key, path, required=True) -> float | None:
        val = self.get(obj, key, path, float, required)
        if val is not None and not 0 <= val <= 100:
            self.err(f"{path}.{key}", f"{_num(val)} 应在 0 至 100 之间")
        return val

    def seq(self, obj, key, path, required=True) -> list:
        val = self.get(obj, key, path, list, required, [])
        if required and val == []:
            self.err(f"{path}.{key}" if path else key, "不能为空")
        return val or []

    def unique(self, keys: list[str], path: str) -> None:
        seen = set()
        for i, k in enumerate(keys):
            if k and k in seen:
                self.err(f"{path}[{i}]", f"{k!r} 与前面的重复")
            seen.add(k)

    # --- sections ---------------------------------------------------------------
    def spec(self, data: Any, source: str) -> Spec | None:
        if not isinstance(data, dict):
            self.err("(顶层)", "表式应为键值映射（YAML 的 键: 值）")
            return None
        self.only(data, "", ("id", "version", "title", "level", "money_unit", "header", "funds",
                             "tasks", "goals", "narratives", "indicators", "scorecard",
                             "grades", "signoff", "year_line", "seal", "people"))
        sid = self.text(data, "id", "") or ""
        if sid and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", sid):
            self.err("id", f"{sid!r} 只能包含字母、数字、-、_ 和 .")
        version = self.get(data, "version", "", int) or 0
        if version is not None and version < 1:
            self.err("version", "应为 1 或更大的整数")
        title = self.text(data, "title", "") or ""
        level = self.text(data, "level", "", required=False, default="project")
        if level not in ("project", "unit"):
            self.err("level", f"{level!r} 应为 project（项目）或 unit（单位）")
        money_unit = self.text(data, "money_unit", "", required=False, default="万元")
        if money_unit not in ("万元", "元"):
            self.err("money_unit", f"{money_unit!r} 应为 万元 或 元")

        header = self.header(data)
        funds = self.funds(data.get("funds"))
        tasks = self.tasks(data.get("tasks")) if "tasks" in data else None
        goals = self.goals(data.get("goals")) if "goals" in data else None
        narratives = self.narratives(data.get("narratives")) if "narratives" in data else ()
        indicators = self.indicators(data.get("indicators")) if "indicators" in data else None
        scorecard = (self.scorecard(data.get("scorecard"), funds)
                     if "scorecard" in data else None)
        grades = self.grades(data)
        signoff = tuple(str(s) for s in self.seq(data, "signoff", "", required=False))
        year_line = bool(self.get(data, "year_line", "", bool, required=False, default=False))
        seal = self.seal(data.get("seal")) if data.get("seal") is not None else Seal()
        people = self.people(data.get("people")) if "people" in data else None

        weights = self.total_weights(funds, indicators, scorecard)
        if self.problems:
            return None
        return Spec(id=sid, version=version, title=title, level=level, money_unit=money_unit,
                    header=header, funds=funds, grades=grades, signoff=signoff, tasks=tasks,
                    goals=goals, narratives=narratives, indicators=indicators,
                    scorecard=scorecard, year_line=year_line, seal=seal, people=people,
                    source=source, weights=weights)

    def header(self, data) -> tuple[HeaderField, ...]:
        out = []
        for i, f in enumerate(self.seq(data, "header", "")):
            p = f"header[{i}]"
            self.only(f, p, ("key", "label", "source", "wide", "choices"))
            src = self.text(f, "source", p, required=False)
            if src is not None and src not in LIST_SOURCES:
                self.err(f"{p}.source", f"{src!r} 应为 {', '.join(LIST_SOURCES)} 之一")
            choices = self.get(f, "choices", p, list, required=False, default=[])
            out.append(HeaderField(self.key(f, p), self.text(f, "label", p) or "", src,
                                   bool(self.get(f, "wide", p, bool, False, False)),
                                   tuple(str(c) for c in choices)))
        self.unique([f.key for f in out], "header")
        return tuple(out)

    def funds(self, f) -> Funds:
        p = "funds"
        if not isinstance(f, dict):
            self.err(p, "必须填写（映射：title、columns、rows）")
            return Funds("", (), (), None)
        self.only(f, p, ("title", "columns", "rows", "execution"))
        cols = []
        for i, c in enumerate(self.seq(f, "columns", p)):
            cp = f"{p}.columns[{i}]"
            self.only(c, cp, ("key", "label", "source"))
            src = self.text(c, "source", cp, required=False)
            if src is not None and src not in FUND_SOURCES:
                self.err(f"{cp}.source", f"{src!r} 应为 {', '.join(FUND_SOURCES)} 之一")
            cols.append(FundColumn(self.key(c, cp), self.text(c, "label", cp) or "", src))
        self.unique([c.key for c in cols], f"{p}.columns")
        rows = []
        for i, r in enumerate(self.seq(f, "rows", p)):
            rp = f"{p}.rows[{i}]"
            self.only(r, rp, ("key", "label", "parts"))
            parts = tuple(self.get(r, "parts", rp, list, required=False, default=[]))
            rows.append(FundRow(self.key(r, rp), self.text(r, "label", rp) or "", parts))
        self.unique([r.key for r in rows], f"{p}.rows")
        row_keys = {r.key for r in rows}
        for i, r in enumerate(rows):
            for part in r.parts:
                if part not in row_keys or part == r.key:
                    self.err(f"{p}.rows[{i}].parts", f"{part!r} 不是另一行的 key")
        self.no_circle(rows, p)
        execution = None
        if f.get("execution") is not None:
            e = f["execution"]
            ep = f"{p}.execution"
            self.only(e, ep, ("weight", "row", "budget", "executed"))
            w = self.weight(e, "weight", ep)
            row = self.text(e, "row", ep) or ""
            if row and row not in row_keys:
                self.err(f"{ep}.row", f"{row!r} 不是 funds.rows 中的 key")
            col_keys = {c.key for c in cols}
            roles = {}
            for role, default, label in (("budget", "full_year", "预算数"),
                                         ("executed", "executed", "执行数")):
                roles[role] = self.text(e, role, ep, required=False, default=default) or default
                if roles[role] not in col_keys:
                    self.err(f"{ep}.{role}", f"执行率的{label}列 {roles[role]!r} 不是 "
                             "funds.columns 中的 key")
            execution = Execution(w or 0.0, row, roles["budget"], roles["executed"])
        return Funds(self.text(f, "title", p) or "", tuple(cols), tuple(rows), execution)

    def no_circle(self, rows: list[FundRow], p: str) -> None:
        """Rows with parts nest (部门整体: 年度支出总额 ⊃ 基本支出 ⊃ 人员经费), never in a circle."""
        parts = {r.key: r.parts for r in rows}
        for i, r in enumerate(rows):
            seen, todo = set(), list(r.parts)
            while todo:
                k = todo.pop()
                if k == r.key:
                    self.err(f"{p}.rows[{i}].parts", f"{r.key!r} 成了自己的组成部分（循环）")
                    break
                if k not in seen:
                    seen.add(k)
                    todo += parts.get(k, ())

    def tasks(self, t) -> Tasks:
        p = "tasks"
        self.only(t, p, ("title", "rows", "columns"))
        n = self.get(t, "rows", p, int) or 1
        if not 1 <= n <= 50:
            self.err(f"{p}.rows", f"{n} 应在 1 至 50 之间")
        cols = tuple(str(c) for c in self.seq(t, "columns", p))
        return Tasks(self.text(t, "title", p) or "", n, cols)

    def goals(self, g) -> Goals:
        p = "goals"
        self.only(g, p, ("title", "columns"))
        cols = self.seq(g, "columns", p)
        if len(cols) != 2:
            self.err(f"{p}.columns", f"应恰好有 2 列，而不是 {len(cols)} 列")
            cols = ["预期目标", "实际完成情况"]
        return Goals(self.text(g, "title", p) or "", (str(cols[0]), str(cols[1])))

    def narratives(self, items) -> tuple[Narrative, ...]:
        if not isinstance(items, list):
            self.err("narratives", "应为列表")
            return ()
        out = []
        for i, n in enumerate(items):
            p = f"narratives[{i}]"
            self.only(n, p, ("key", "label", "after"))
            after = self.text(n, "after", p, required=False, default="funds")
            if after not in NARRATIVE_PLACES:
                self.err(f"{p}.after", f"{after!r} 应为 {' 或 '.join(NARRATIVE_PLACES)}"
                         "（funds：资金表之后；indicators：绩效指标之后）")
            out.append(Narrative(self.key(n, p), self.text(n, "label", p) or "", after))
        self.unique([n.key for n in out], "narratives")
        return tuple(out)

    def only(self, obj: Any, path: str, allowed: tuple[str, ...]) -> None:
        """Refuse keys a section does not know, each with its key path and the closest known
        key: a typo (``reverse_rul``) must not silently fall back to a default."""
        if isinstance(obj, dict):
            for k in obj:
                if k not in allowed:
                    near = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.6)
                    hint = f"是否应为 {near[0]}？" if near else ""
                    self.err(f"{path}.{k}" if path else str(k),
                             f"未知的键{hint}（可用的键：{', '.join(allowed)}）")

    def seal(self, d) -> Seal:
        p = "seal"
        if not isinstance(d, dict):
            self.err(p, "应为映射：top（标题下，如 填报单位（公章））和 bottom（表末，如 "
                        "单位负责人（签章））各列出若干行")
            return Seal()
        self.only(d, p, ("top", "bottom"))
        out = {}
        for where in ("top", "bottom"):
            items = self.get(d, where, p, list, required=False, default=[])
            for i, t in enumerate(items):
                if not isinstance(t, str) or not t.strip():
                    self.err(f"{p}.{where}[{i}]", f"应为非空文字，而不是 {t!r}")
            out[where] = tuple(str(t).strip() for t in items if isinstance(t, str) and t.strip())
        return Seal(out["top"], out["bottom"])

    def people(self, d) -> People | None:
        p = "people"
        if not isinstance(d, dict):
            self.err(p, "应为映射：title、rows、columns（每列 key 与 label）")
            return None
        self.only(d, p, ("title", "rows", "columns"))
        n = self.get(d, "rows", p, int)
        if n is not None and not 1 <= n <= 20:
            self.err(f"{p}.rows", f"{n} 应在 1 至 20 之间")
        n = n if n is not None and 1 <= n <= 20 else 1
        cols = []
        for i, c in enumerate(self.seq(d, "columns", p)):
            cp = f"{p}.columns[{i}]"
            self.only(c, cp, ("key", "label"))
            key = self.key(c, cp)
            if key and key not in PEOPLE_KEYS:
                self.err(f"{cp}.key", f"{key!r} 应为 {', '.join(PEOPLE_KEYS)} 之一"
                         "（姓名、职称/职务、科室、联系电话）")
            cols.append(PeopleColumn(key, self.text(c, "label", cp) or ""))
        self.unique([c.key for c in cols], f"{p}.columns")
        return People(self.text(d, "title", p) or "", tuple(cols), n)

    def indicators(self, d) -> Indicators:
        p = "indicators"
        if not isinstance(d, dict):
            self.err(p, "应为映射：title、scored、groups 等")
            d = {}
        self.only(d, p, ("title", "scored", "reverse_rule", "rows_per_subgroup",
                         "spare_rows_per_subgroup", "groups"))
        scored = bool(self.get(d, "scored", p, bool, required=False, default=True))
        rule = self.text(d, "reverse_rule", p, required=False, default="ratio")
        if rule not in REVERSE_RULES:
            self.err(f"{p}.reverse_rule", f"{rule!r} 应为 {' 或 '.join(REVERSE_RULES)}"
                     "（ratio：分值 × min(目标 ÷ 实际, 1)；linear：达到目标满分，两倍时 0 分）")
        n = self.get(d, "rows_per_subgroup", p, int, required=False, default=2)
        if n is None or not 1 <= n <= 20:
            self.err(f"{p}.rows_per_subgroup", f"{n} 应在 1 至 20 之间")
        spare = self.get(d, "spare_rows_per_subgroup", p, int, required=False, default=1)
        if spare is None or not 0 <= spare <= 10:
            self.err(f"{p}.spare_rows_per_subgroup", f"{spare} 应在 0 至 10 之间")
        groups = []
        for i, g in enumerate(self.seq(d, "groups", p)):
            gp = f"{p}.groups[{i}]"
            self.only(g, gp, ("name", "weight", "subgroups"))
            w = self.weight(g, "weight", gp, required=scored)
            subs = tuple(str(s) for s in self.seq(g, "subgroups", gp))
            groups.append(IndicatorGroup(self.text(g, "name", gp) or "", w, subs))
        return Indicators(self.text(d, "title", p) or "", scored, rule, n, tuple(groups), spare)

    def scorecard(self, d, funds: Funds) -> Scorecard:
        p = "scorecard"
        self.only(d, p, ("title", "groups"))
        groups = []
        for i, g in enumerate(self.seq(d, "groups", p)):
            gp = f"{p}.groups[{i}]"
            self.only(g, gp, ("name", "weight", "items"))
            gw = self.weight(g, "weight", gp) or 0.0
            items = []
            for j, it in enumerate(self.seq(g, "items", gp)):
                ip = f"{gp}.items[{j}]"
                self.only(it, ip, ("level2", "name", "weight", "rate"))
                rate = None
                if isinstance(it, dict) and it.get("rate") is not None:
                    self.only(it["rate"], f"{ip}.rate", ("numerator", "denominator"))
                    rate = Rate(self.fund_ref(it["rate"], "numerator", f"{ip}.rate", funds),
                                self.fund_ref(it["rate"], "denominator", f"{ip}.rate", funds))
                items.append(ScoreItem(self.text(it, "level2", ip, required=False, default="")
                                       or "", self.text(it, "name", ip) or "",
                                       self.weight(it, "weight", ip) or 0.0, rate))
            total = sum(it.weight for it in items)
            if items and abs(total - gw) > 1e-9:
                self.err(f"{gp}.items", f"各项分值合计 {_num(total)}，应等于本组分值 {_num(gw)}")
            groups.append(ScoreGroup(self.text(g, "name", gp) or "", gw, tuple(items)))
        return Scorecard(self.text(d, "title", p) or "", tuple(groups))

    def fund_ref(self, d, key, path, funds: Funds) -> tuple[str, str]:
        ref = self.text(d, key, path) or ""
        row, _, col = ref.partition(".")
        if not (funds.row(row) and funds.column(col)):
            self.err(f"{path}.{key}", f"{ref!r} 应写成 <资金行 key>.<资金列 key>（如 total.full_year）")
        return row, col

    def grades(self, data) -> tuple[Grade, ...]:
        out = []
        for i, g in enumerate(self.seq(data, "grades", "")):
            gp = f"grades[{i}]"
            self.only(g, gp, ("name", "min"))
            out.append(Grade(self.text(g, "name", gp) or "", self.weight(g, "min", gp) or 0.0))
        self.unique([g.name for g in out], "grades")
        for i in range(1, len(out)):
            if out[i].min >= out[i - 1].min:
                self.err(f"grades[{i}].min", "等次应按 min 从高到低排列")
        if out and out[-1].min != 0:
            self.err(f"grades[{len(out) - 1}].min", "最后一个等次的 min 应为 0")
        return tuple(out)

    def total_weights(self, funds, indicators, scorecard) -> dict[str, float]:
        parts: list[tuple[str, str, float]] = []
        if funds.execution:
            parts.append(("funds.execution.weight", "执行率", funds.execution.weight))
        if indicators and indicators.scored:
            for i, g in enumerate(indicators.groups):
                parts.append((f"indicators.groups[{i}].weight", g.name, g.weight or 0.0))
        if scorecard:
            for i, g in enumerate(scorecard.groups):
                parts.append((f"scorecard.groups[{i}].weight", g.name, g.weight))
        total = sum(w for _, _, w in parts)
        if parts and abs(total - 100) > 1e-9:
            detail = " + ".join(f"{name} {_num(w)}" for _, name, w in parts)
            self.err(parts[-1][0], f"各组分值合计 {_num(total)}（{detail}），应为 100")
        if not parts:
            self.err("(顶层)", "没有计分的内容：请加 funds.execution、indicators 或 scorecard")
        return {name: w for _, name, w in parts}


def _num(x: float) -> str:
    return f"{x:g}"


def _kind_name(kind) -> str:
    names = {str: "文字", int: "整数", float: "数字", list: "列表",
             bool: "true/false（是/否）", dict: "映射（键: 值）"}
    return names.get(kind, str(kind))
