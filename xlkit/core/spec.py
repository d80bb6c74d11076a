"""Form specs: xlkit/templates/*.yaml loaded and validated into typed objects.

A spec is data. Every mistake in one is reported with its key path
(``indicators.groups[1].weight: ...``) so an office can fix its own variant
without reading Python.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from xlkit.core.questionnaire import Questionnaire, parse_questionnaire
from xlkit.core.rulekinds import KINDS, RuleSpec, default_rules, parse_rule
from xlkit.findings import InputError

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
    """A money column; ``source`` (a list key) when the list pre-fills it, its list column
    named by :mod:`xlkit.core.shape`'s rule; ``aliases``: other names the list may use."""
    key: str
    label: str
    source: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FundRow:
    key: str
    label: str
    parts: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Execution:
    """执行率 and its score: ``executed`` ÷ ``budget`` of fund row ``row`` (column keys)."""
    weight: float
    row: str
    budget: str = "full_year"
    executed: str = "executed"
    #: the 执行率 score's rule (kind ``execution``); None: 分值 × min(执行率, 1)
    rule: RuleSpec | None = None

    @property
    def budget_field(self) -> str:
        """The field of the 执行率's budget cell (``funds.total.full_year``)."""
        return f"funds.{self.row}.{self.budget}"

    @property
    def executed_field(self) -> str:
        """The field of the 执行率's executed cell (``funds.total.executed``)."""
        return f"funds.{self.row}.{self.executed}"


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
    #: the rule of each direction (≥ ≤ = 定性), as ``indicators.rules`` declares them over
    #: today's defaults (:func:`xlkit.core.rulekinds.default_rules`)
    rules: tuple[tuple[str, RuleSpec], ...] = ()
    #: 偏离: a form-level deduction from the scores of quantitative rows (kind ``deviation``)
    deviation: RuleSpec | None = None

    def rule(self, direction: str) -> RuleSpec:
        """The rule scoring rows of ``direction`` (≥ ≤ = 定性)."""
        return dict(self.rules).get(direction) or default_rules(self.reverse_rule)[direction]


@dataclass(frozen=True)
class Rate:
    numerator: tuple[str, str]  # (fund row, fund column)
    denominator: tuple[str, str]


@dataclass(frozen=True)
class ScoreItem:
    """A 三级指标 of a 评分表: its weight and, on a rubric form, 指标解释 (``explain``),
    计分标准 (``standard``), 责任科室 (``office``) and its ``rule`` (a
    :class:`xlkit.core.rulekinds.RuleSpec`; None: the score is entered, as common-2011's
    items). ``inputs``: (input name, source) for inputs not typed on the row — a field
    computed elsewhere on the form (``quest.score``) or a number."""
    level2: str
    name: str
    weight: float
    rate: Rate | None = None
    explain: str = ""
    standard: str = ""
    office: str = ""
    rule: Any = None
    inputs: tuple[tuple[str, str | float], ...] = ()

    @property
    def bonus(self) -> bool:
        """A bonus item (加分): its weight is its cap, not part of the weights' sums."""
        return self.rule is not None and self.rule.kind == "bonus"


@dataclass(frozen=True)
class ScoreSubgroup:
    """A 二级指标 of a rubric: its items and its own weight (None: not declared)."""
    name: str
    weight: float | None
    items: tuple[ScoreItem, ...]


@dataclass(frozen=True)
class ScoreGroup:
    name: str
    weight: float
    items: tuple[ScoreItem, ...]  # every item of the group, its subgroups' in order
    subgroups: tuple[ScoreSubgroup, ...] = ()


#: a rubric's printed columns: key → (default head, default width in character units)
CARD_COLUMNS = {"level1": ("一级指标", 9), "level2": ("二级指标", 11), "level3": ("三级指标", 17),
                "weight": ("分值", 6), "score": ("得分", 7), "explain": ("指标解释", 26),
                "standard": ("计分标准", 48), "office": ("责任科室", 10)}


@dataclass(frozen=True)
class ScoreColumn:
    key: str
    label: str
    width: float


@dataclass(frozen=True)
class Scorecard:
    title: str
    groups: tuple[ScoreGroup, ...]
    #: a rubric form's printed columns, left to right; (): common-2011's 评分表
    columns: tuple[ScoreColumn, ...] = ()

    @property
    def items(self) -> tuple[ScoreItem, ...]:
        return tuple(it for g in self.groups for it in g.items)


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
    #: 满意度调查问卷 tallied on the form (xlkit.core.questionnaire)
    questionnaire: Questionnaire | None = None
    source: str = ""
    weights: dict[str, float] = field(default_factory=dict, compare=False)
    #: sha256 of the parsed YAML in canonical form (see :func:`spec_digest`); issued in _meta
    digest: str = field(default="", compare=False)
    #: ``total.caps``: the 总分 capped by 执行率 band (kind ``total_caps``)
    total_caps: RuleSpec | None = None

    @property
    def execution_weight(self) -> float:
        return self.funds.execution.weight if self.funds.execution else 0.0


# --------------------------------------------------------------------------- loading
#
# A templates folder holds specs, one released version per file: in the package
# ``<id>.yaml`` is the newest and ``<id>@<N>.yaml`` each older released version, but only
# the file's own ``id`` and ``version`` count. An office's folders ($XLKIT_TEMPLATES,
# ``--templates``) are searched before the built-in one and indexed the same way.

#: The environment variable naming an office's templates folders (os.pathsep between).
TEMPLATES_ENV = "XLKIT_TEMPLATES"


@functools.cache
def templates_dir() -> Path:
    """The built-in templates: the package data ``xlkit.templates`` (the repository's
    templates/), found through importlib.resources; xlkit installs as files, never zipped."""
    return Path(str(resources.files("xlkit.templates")))


def template_dirs() -> tuple[Path, ...]:
    """Every templates folder in search order: the office's ($XLKIT_TEMPLATES, os.pathsep
    between folders), then the built-in one."""
    env = os.environ.get(TEMPLATES_ENV, "")
    office = [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return (*office, templates_dir())


@dataclass(frozen=True)
class Template:
    """One released version of a spec as a folder holds it."""

    id: str
    version: int
    title: str
    path: Path
    folder: Path
    digest: str


@dataclass(frozen=True)
class TemplateIndex:
    """The templates folders indexed by (id, version), read from each file's content."""

    folders: tuple[Path, ...]
    versions: dict[str, dict[int, Template]]
    #: (id, version) → two files holding it with different content
    conflicts: dict[tuple[str, int], tuple[Path, Path]]
    #: files that are not a spec at all: "path：why"
    broken: tuple[str, ...] = ()

    def newest(self, tid: str) -> Template | None:
        vs = self.versions.get(tid)
        return vs[max(vs)] if vs else None

    def has(self, tid: str, version: int) -> bool:
        return version in self.versions.get(tid, {})

    def find(self, tid: str, version: int | None = None) -> Template:
        """The file of ``tid`` (its newest version unless ``version``); InputError
        (input.spec) in Chinese when there is none or two different ones."""
        vs = self.versions.get(tid)
        if not vs:
            known = "、".join(sorted(self.versions)) or "无"
            extra = f"；另有无法识别的文件：{'；'.join(self.broken)}" if self.broken else ""
            raise _missing(tid, f"没有这个表式：{tid}（已有：{known}）{extra}")
        v = max(vs) if version is None else version
        if (tid, v) in self.conflicts:
            a, b = self.conflicts[tid, v]
            raise _missing(f"{tid}@{v}", f"表式 {tid} 第 {v} 版有两个内容不同的文件：{a} 与 {b}。"
                           "同一表式的同一版本只能有一份，请删除其中一个，"
                           "或把改动后的文件改为新的版本号（version）")
        if v not in vs:
            have = "、".join(f"第 {n} 版" for n in sorted(vs))
            raise _missing(f"{tid}@{v}", f"表式 {tid} 没有第 {v} 版（本机有：{have}）")
        return vs[v]

    def spec(self, tid: str, version: int | None = None) -> Spec:
        """The spec of :meth:`find`'s file, loaded (once per file version)."""
        return _load_path(self.find(tid, version).path)


def _missing(ref: str, message: str) -> InputError:
    """No usable file for ``ref`` in the templates folders (input.template)."""
    return InputError("input.template", message, file=ref, problems=[message])


def template_index(folders: Sequence[str | Path] | None = None) -> TemplateIndex:
    """The index of ``folders`` (default :func:`template_dirs`); files are parsed once per
    version on disk, so asking again costs a folder listing."""
    folders = tuple(Path(f) for f in folders) if folders is not None else template_dirs()
    return _index(tuple((str(f), tuple(_yaml_files(f))) for f in folders))


def _yaml_files(folder: Path) -> Iterator[tuple[str, int, int]]:
    """(path, mtime_ns, size) of every .yaml / .yml under ``folder`` (hidden folders and
    ``__pycache__`` skipped), in path order."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.name.startswith((".", "__")):
            continue
        try:
            if e.is_dir():
                yield from _yaml_files(Path(e.path))
            elif e.is_file() and e.name.endswith((".yaml", ".yml")):
                st = e.stat()
                yield e.path, st.st_mtime_ns, st.st_size
        except OSError:
            continue


@functools.lru_cache(maxsize=16)
def _index(listing: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...]) -> TemplateIndex:
    versions: dict[str, dict[int, Template]] = {}
    conflicts: dict[tuple[str, int], tuple[Path, Path]] = {}
    broken: list[str] = []
    for folder, files in listing:
        for path, mtime_ns, size in files:
            head = _head(path, mtime_ns, size)
            if isinstance(head, str):
                broken.append(f"{path}：{head}")
                continue
            tid, version, title, digest = head
            t = Template(tid, version, title, Path(path), Path(folder), digest)
            first = versions.setdefault(tid, {}).setdefault(version, t)
            if first.digest != digest and (tid, version) not in conflicts:
                conflicts[tid, version] = (first.path, t.path)
    return TemplateIndex(tuple(Path(f) for f, _ in listing), versions, conflicts,
                         tuple(broken))


@functools.lru_cache(maxsize=256)
def _head(path: str, mtime_ns: int, size: int) -> tuple[str, int, str, str] | str:
    """A file's id, version, title and digest; or why it is not a spec."""
    try:
        data = _yaml_data(path)
    except InputError as exc:
        return "；".join(exc.problems)
    tid = data.get("id") if isinstance(data, dict) else None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(tid, str) or not tid.strip():
        return "没有 id（表式 id）"
    if type(version) is not int or version < 1:
        return "没有 version（版本号，1 或更大的整数）"
    return tid, version, str(data.get("title") or ""), spec_digest(data)


def spec_digest(data: Any) -> str:
    """sha256 of a parsed spec in canonical form (sorted keys, compact JSON): the same for
    the same content, whatever the file's comments, quoting or key order."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def builtin_specs(every_version: bool = False) -> list[Spec]:
    """The newest version of every spec in the templates folders, sorted by id (with
    ``every_version``, every version: by id, then version). InputError (input.spec) naming
    each file that is not a spec and each id + version held twice with different content."""
    index = template_index()
    problems = list(index.broken) + [
        f"表式 {t} 第 {v} 版有两个内容不同的文件：{a} 与 {b}"
        for (t, v), (a, b) in index.conflicts.items()]
    if problems:
        raise _invalid("模板目录", problems)
    return [_load_path(t.path) for tid in sorted(index.versions)
            for v, t in sorted(index.versions[tid].items())
            if every_version or v == max(index.versions[tid])]


def split_ref(ref: str) -> tuple[str, int | None]:
    """``"project-2020@1"`` → ("project-2020", 1); ``"project-2020"`` → (…, None)."""
    tid, at, ver = ref.rpartition("@")
    if at and tid and ver.strip().isdigit():
        return tid.strip(), int(ver)
    if at and tid:
        raise _missing(ref, f"{ref}：版本号「{ver}」应为整数，如 {tid}@1")
    return ref.strip(), None


def load_spec(ref: str | Path, version: int | None = None) -> Spec:
    """Load a spec by id (``project-2020``: its newest version), by id and version
    (``project-2020@1``, or ``version=1``) or by path to a YAML file; InputError
    (input.spec) in Chinese when there is none (listing the versions there are)."""
    path = Path(ref)
    if isinstance(ref, Path) or path.suffix in (".yaml", ".yml") or path.exists():
        spec = _load_path(path)
        if version is not None and spec.version != version:
            raise _invalid(str(ref), [f"文件中是第 {spec.version} 版，不是第 {version} 版"])
        return spec
    tid, named = split_ref(str(ref))
    if named is not None and version is not None and named != version:
        raise _missing(str(ref), f"{ref}：版本 {named} 与 version={version} 不一致")
    return template_index().spec(tid, named if named is not None else version)


def _load_path(path: Path) -> Spec:
    try:
        st = path.stat()
    except (OSError, ValueError):
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise _invalid(str(path), ["文件不存在"])
    where = _resolved(str(path)) if path.is_absolute() else str(path.resolve())
    return _load_file(where, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _resolved(path: str) -> str:
    """An absolute path with its links resolved (the reader asks for the same few)."""
    return str(Path(path).resolve())


@functools.lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int, size: int) -> Spec:
    """Parse once per file version: the reader asks for the same spec for every return."""
    return parse_spec(_yaml_data(path), source=path)


def _yaml_data(path: str) -> Any:
    """A YAML file's data; InputError (input.spec) saying in Chinese why it cannot be read."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _invalid(path, ["文件不是 UTF-8 编码的文字，请用 UTF-8 保存"]) from None
    except OSError as exc:
        raise _invalid(path, [f"无法读取（{exc.strerror or exc}）"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        what = getattr(exc, "problem", None) or ""
        raise _invalid(path, [f"YAML 格式有误{where}（{what}）" if what else
                              f"YAML 格式有误{where}"]) from None


def parse_spec(data: Any, source: str = "<spec>") -> Spec:
    """Validate a spec mapping; raise InputError (input.spec) listing every problem with its key path."""
    v = _Validator()
    spec = v.spec(data, source)
    if v.problems:
        raise _invalid(source, v.problems)
    assert spec is not None
    from xlkit.core.formulacheck import formula_problems  # it lays the form out (layout → spec)
    digest = spec_digest(data)
    problems = formula_problems(spec, digest)
    if problems:
        raise _invalid(source, problems)
    return replace(spec, digest=digest)


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
                             "grades", "signoff", "year_line", "seal", "people",
                             "questionnaire", "total"))
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
        scorecard = (self.scorecard(data.get("scorecard"), funds, "questionnaire" in data)
                     if "scorecard" in data else None)
        grades = self.grades(data)
        signoff = tuple(str(s) for s in self.seq(data, "signoff", "", required=False))
        year_line = bool(self.get(data, "year_line", "", bool, required=False, default=False))
        seal = self.seal(data.get("seal")) if data.get("seal") is not None else Seal()
        people = self.people(data.get("people")) if "people" in data else None
        questionnaire = (parse_questionnaire(
            self, data.get("questionnaire"),
            tuple(s for g in indicators.groups for s in g.subgroups) if indicators else None)
            if "questionnaire" in data else None)
        total_caps = self.total(data.get("total"), funds) if "total" in data else None

        weights = self.total_weights(funds, indicators, scorecard)
        if self.problems:
            return None
        return Spec(id=sid, version=version, title=title, level=level, money_unit=money_unit,
                    header=header, funds=funds, grades=grades, signoff=signoff, tasks=tasks,
                    goals=goals, narratives=narratives, indicators=indicators,
                    scorecard=scorecard, year_line=year_line, seal=seal, people=people,
                    questionnaire=questionnaire, total_caps=total_caps,
                    source=source, weights=weights)

    def header(self, data) -> tuple[HeaderField, ...]:
        out = []
        for i, f in enumerate(self.seq(data, "header", "")):
            p = f"header[{i}]"
            self.only(f, p, ("key", "label", "source", "wide", "choices"))
            src = self.list_key(f, p)
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
            self.only(c, cp, ("key", "label", "source", "aliases"))
            src = self.list_key(c, cp)
            cols.append(FundColumn(self.key(c, cp), self.text(c, "label", cp) or "", src,
                                   self.aliases(c, cp)))
        self.unique([c.key for c in cols], f"{p}.columns")
        sources = [c.source for c in cols]
        for i, src in enumerate(sources):
            if src and src in sources[:i]:
                self.err(f"{p}.columns[{i}].source", f"{src!r} 与前面的列重复：一个清单列只能预填一列")
        rows = []
        for i, r in enumerate(self.seq(f, "rows", p)):
            rp = f"{p}.rows[{i}]"
            self.only(r, rp, ("key", "label", "parts", "aliases"))
            parts = tuple(self.get(r, "parts", rp, list, required=False, default=[]))
            rows.append(FundRow(self.key(r, rp), self.text(r, "label", rp) or "", parts,
                                self.aliases(r, rp)))
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
            self.only(e, ep, ("weight", "row", "budget", "executed", "rule"))
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
            execution = Execution(w or 0.0, row, roles["budget"], roles["executed"],
                                  self.rule_of(e, "rule", ep, ("execution",)))
        return Funds(self.text(f, "title", p) or "", tuple(cols), tuple(rows), execution)

    def list_key(self, obj, path) -> str | None:
        """``source``: the list key a header field or fund column is pre-filled from."""
        src = self.text(obj, "source", path, required=False)
        if src is not None and not _KEY.match(src):
            self.err(f"{path}.source", f"{src!r} 应为预算清单的列代码：小写字母、数字和 _，"
                     "以字母开头（清单的列名按字段或资金行列的名称对应，见 README）")
            return None
        return src

    def aliases(self, obj, path) -> tuple[str, ...]:
        """``aliases``: other names the list may use for a fund row or column."""
        items = self.get(obj, "aliases", path, list, required=False, default=[])
        for i, a in enumerate(items):
            if not isinstance(a, str) or not a.strip():
                self.err(f"{path}.aliases[{i}]", f"应为非空文字，而不是 {a!r}")
        return tuple(a.strip() for a in items if isinstance(a, str) and a.strip())

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
        self.only(d, p, ("title", "scored", "reverse_rule", "rules", "deviation",
                         "rows_per_subgroup", "spare_rows_per_subgroup", "groups"))
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
        rules, rule = self.indicator_rules(d, p, rule)
        return Indicators(self.text(d, "title", p) or "", scored, rule, n, tuple(groups), spare,
                          rules, self.rule_of(d, "deviation", p, ("deviation",)))

    #: the rule kinds an indicator row of each direction may use (its inputs: 指标值,
    #: 实际完成值, the entered 定性得分)
    ROW_KINDS = {"≥": ("proportional", "reverse_ratio", "reverse_linear", "equal", "band"),
                 "定性": ("tiers", "entered")}

    def indicator_rules(self, d, p, reverse_rule) -> tuple[tuple[tuple[str, RuleSpec], ...], str]:
        """``indicators.rules`` by direction (aliases such as 正向 / 反向 taken), and the
        ``reverse_rule`` the ≤ rule amounts to (ratio / linear: the shorthand)."""
        raw = self.get(d, "rules", p, dict, required=False, default={})
        if "≤" in {DIRECTION_ALIASES.get(str(k)) for k in raw} and "reverse_rule" in d:
            self.err(f"{p}.reverse_rule", "与 rules 中 ≤ 的规则重复，只写其中一个"
                     "（reverse_rule 是 rules.≤ 的简写）")
        out: dict[str, RuleSpec] = {}
        for k in raw:
            rp = f"{p}.rules.{k}"
            direction = DIRECTION_ALIASES.get(str(k).strip())
            if direction is None:
                self.err(rp, f"{k!r} 不是指标方向（可用：{', '.join(DIRECTIONS)}）")
                continue
            if direction in out:
                self.err(rp, f"方向 {direction} 写了两次")
            got = self.rule_of(raw, k, f"{p}.rules", self.ROW_KINDS.get(direction,
                                                                       self.ROW_KINDS["≥"]))
            if got is not None:
                out[direction] = got
        le = out.get("≤")
        if le is not None and le.kind in ("reverse_ratio", "reverse_linear"):
            reverse_rule = "linear" if le.kind == "reverse_linear" else "ratio"
        return tuple(out.items()), reverse_rule

    def rule_of(self, obj, key, path, kinds: tuple[str, ...]) -> RuleSpec | None:
        """The rule at ``obj[key]`` (xlkit.core.rulekinds), of one of ``kinds``; the kind may
        be left out when only one is allowed."""
        if not isinstance(obj, dict) or obj.get(key) is None:
            return None
        rp = f"{path}.{key}"
        got = parse_rule(obj[key], rp, self.err, kinds[0] if len(kinds) == 1 else None)
        if got is not None and got.kind not in kinds:
            self.err(f"{rp}.kind", f"{got.kind}（{KINDS[got.kind].title}）不能用在这里"
                     f"（可用：{', '.join(kinds)}）")
            return None
        return got

    def total(self, d, funds: Funds) -> RuleSpec | None:
        """``total: {caps: [{below: 80, max: 89}, ...]}``: the 总分 capped by 执行率 band."""
        p = "total"
        if not isinstance(d, dict):
            self.err(p, "应为映射：caps（按执行率封顶总分的档次列表）")
            return None
        self.only(d, p, ("caps",))
        if "caps" not in d:
            return None
        if funds.execution is None:
            self.err(f"{p}.caps", "按执行率封顶总分需要执行率：请先写 funds.execution")
        return parse_rule({"kind": "total_caps", "caps": d["caps"]}, p, self.err)

    def scorecard(self, d, funds: Funds, quest: bool = False) -> Scorecard:
        """A 评分表: common-2011's (groups of items, scores entered or rate × weight) or,
        with ``columns``, a rubric form (groups → subgroups → items with 指标解释 / 计分标准
        and a rule each). ``quest``: the spec has a questionnaire (``from: quest.*``)."""
        p = "scorecard"
        self.only(d, p, ("title", "columns", "groups"))
        columns = self.card_columns(d, p) if isinstance(d, dict) and "columns" in d else ()
        rubric = bool(columns)
        groups = []
        for i, g in enumerate(self.seq(d, "groups", p)):
            gp = f"{p}.groups[{i}]"
            self.only(g, gp, ("name", "weight", "items", "subgroups") if rubric else
                      ("name", "weight", "items"))
            name = self.text(g, "name", gp) or ""
            gw = self.weight(g, "weight", gp) or 0.0
            ctx = (funds, quest, rubric)
            if isinstance(g, dict) and "subgroups" in g:
                if "items" in g:
                    self.err(f"{gp}.items", "items 与 subgroups 只能写一个（有二级指标时，三级指标"
                             "写在各 subgroups[].items 中）")
                subs = self.card_subgroups(g, gp, ctx)
                self.card_group_weights(subs, gw, name, gp)
                items = tuple(it for s in subs for it in s.items)
            else:
                subs = ()
                items = tuple(self.card_item(it, f"{gp}.items[{j}]", None, ctx)
                              for j, it in enumerate(self.seq(g, "items", gp)))
                self.card_sum(items, gw, f"{gp}.items", f"本组分值 {_num(gw)}", flat=not rubric)
            groups.append(ScoreGroup(name, gw, items, subs))
        return Scorecard(self.text(d, "title", p) or "", tuple(groups), columns)

    def card_columns(self, d, p: str) -> tuple[ScoreColumn, ...]:
        """A rubric's printed columns: each a key of CARD_COLUMNS (or {key, label, width})."""
        cols = []
        for i, c in enumerate(self.seq(d, "columns", p)):
            cp = f"{p}.columns[{i}]"
            c = {"key": c} if isinstance(c, str) else c
            self.only(c, cp, ("key", "label", "width"))
            key = self.text(c, "key", cp) or ""
            if key not in CARD_COLUMNS:
                names = "、".join(f"{k}（{h}）" for k, (h, _) in CARD_COLUMNS.items())
                self.err(f"{cp}.key", f"{key!r} 应为 {names} 之一")
                continue
            head, width = CARD_COLUMNS[key]
            label = self.text(c, "label", cp, required=False) or head
            width = self.get(c, "width", cp, float, required=False, default=float(width))
            if width is not None and not 3 <= width <= 80:
                self.err(f"{cp}.width", f"{_num(width)} 应在 3 至 80 之间（字符宽度）")
            cols.append(ScoreColumn(key, label, float(width if width is not None else
                                                        CARD_COLUMNS[key][1])))
        self.unique([c.key for c in cols], f"{p}.columns")
        missing = [k for k in ("level1", "level3", "weight", "score")
                   if k not in {c.key for c in cols}]
        if missing:
            self.err(f"{p}.columns", f"缺少 {', '.join(missing)}（一级指标、三级指标、分值、得分"
                     "列必须印出）")
        if len(cols) > 9:
            self.err(f"{p}.columns", f"有 {len(cols)} 列，打印表最多 9 列")
        return tuple(cols)

    def card_subgroups(self, g, gp: str, ctx) -> tuple[ScoreSubgroup, ...]:
        subs = []
        for k, sg in enumerate(self.seq(g, "subgroups", gp)):
            sp = f"{gp}.subgroups[{k}]"
            self.only(sg, sp, ("name", "weight", "items"))
            name = self.text(sg, "name", sp) or ""
            sw = self.weight(sg, "weight", sp, required=False)
            items = tuple(self.card_item(it, f"{sp}.items[{j}]", name, ctx)
                          for j, it in enumerate(self.seq(sg, "items", sp)))
            if sw is not None:
                self.card_sum(items, sw, f"{sp}.items", f"二级指标「{name}」的分值 {_num(sw)}")
            subs.append(ScoreSubgroup(name, sw, items))
        self.unique([s.name for s in subs], f"{gp}.subgroups")
        return tuple(subs)

    def card_group_weights(self, subs, gw: float, name: str, gp: str) -> None:
        """Weights at every level: the group's = Σ its subgroups' (where they declare one)
        = Σ its items' (bonus items excluded)."""
        if subs and all(s.weight is not None for s in subs):
            total = sum(s.weight for s in subs)
            if abs(total - gw) > 1e-9:
                detail = " + ".join(f"{s.name} {_num(s.weight)}" for s in subs)
                self.err(f"{gp}.subgroups", f"各二级指标分值合计 {_num(total)}（{detail}），"
                         f"应等于一级指标「{name}」的分值 {_num(gw)}")
                return
        items = tuple(it for s in subs for it in s.items)
        self.card_sum(items, gw, f"{gp}.subgroups", f"一级指标「{name}」的分值 {_num(gw)}")

    def card_sum(self, items, weight: float, path: str, what: str, flat: bool = False) -> None:
        scored = [it for it in items if not it.bonus]
        total = sum(it.weight for it in scored)
        if not items or abs(total - weight) < 1e-9:
            return
        if flat:  # common-2011's wording
            self.err(path, f"各项分值合计 {_num(total)}，应等于本组分值 {_num(weight)}")
            return
        detail = " + ".join(f"{it.name} {_num(it.weight)}" for it in scored)
        self.err(path, f"各三级指标分值合计 {_num(total)}（{detail}；加分项不计），应等于{what}")

    def card_item(self, it, ip: str, level2: str | None, ctx) -> ScoreItem:
        funds, quest, rubric = ctx
        if not rubric:
            self.only(it, ip, ("level2", "name", "weight", "rate"))
            rate = None
            if isinstance(it, dict) and it.get("rate") is not None:
                self.only(it["rate"], f"{ip}.rate", ("numerator", "denominator"))
                rate = Rate(self.fund_ref(it["rate"], "numerator", f"{ip}.rate", funds),
                            self.fund_ref(it["rate"], "denominator", f"{ip}.rate", funds))
            return ScoreItem(self.text(it, "level2", ip, required=False, default="") or "",
                             self.text(it, "name", ip) or "",
                             self.weight(it, "weight", ip) or 0.0, rate)
        keys = ("name", "weight", "explain", "standard", "office", "rule", "inputs")
        self.only(it, ip, keys if level2 is not None else ("level2",) + keys)
        if level2 is None:
            level2 = self.text(it, "level2", ip, required=False, default="") or ""
        rule = self.card_rule(it, ip)
        inputs = self.card_inputs(it, ip, rule, funds, quest) if rule is not None else ()
        texts = {k: self.text(it, k, ip, required=False, default="") or ""
                 for k in ("explain", "standard", "office")}
        return ScoreItem(level2, self.text(it, "name", ip) or "",
                         self.weight(it, "weight", ip) or 0.0, None, rule=rule, inputs=inputs,
                         **texts)

    def card_rule(self, it, ip: str) -> Any:
        """The item's rule (xlkit.core.rulekinds): default ``entered`` (0 至 分值)."""
        from xlkit.core import rulekinds

        data = it.get("rule", "entered") if isinstance(it, dict) else "entered"
        rule = rulekinds.parse_rule(data, f"{ip}.rule", self.err)
        if rule is not None and rulekinds.KINDS[rule.kind].role != "score" or \
                rule is not None and rule.kind == "tiers":
            usable = [k for k, v in rulekinds.KINDS.items() if v.role == "score" and
                      k != "tiers"]
            self.err(f"{ip}.rule.kind", f"{rule.kind} 不能用于评分表的三级指标（可用：{', '.join(usable)}）")
            return None
        return rule

    def card_inputs(self, it, ip: str, rule: Any, funds: Funds,
                    quest: bool) -> tuple[tuple[str, str | float], ...]:
        """``inputs: {name: {from: field} | number}``: the rule's inputs not typed on the row."""
        from xlkit.core import rulekinds

        d = it.get("inputs") if isinstance(it, dict) else None
        if d is None:
            return ()
        p = f"{ip}.inputs"
        if not isinstance(d, dict):
            self.err(p, "应为映射：输入名: {from: 字段} 或 数字（如 numerator: {from: quest.score}）")
            return ()
        needed = rulekinds.needs(rule)
        out: list[tuple[str, str | float]] = []
        for name, src in d.items():
            np_ = f"{p}.{name}"
            if name not in needed:
                self.err(np_, f"{rule.kind} 规则没有这个输入（它的输入：{', '.join(needed)}）")
                continue
            if isinstance(src, (int, float)) and not isinstance(src, bool):
                out.append((name, float(src)))
                continue
            self.only(src, np_, ("from",))
            ref = self.text(src, "from", np_) if isinstance(src, dict) else None
            if ref is None:
                if not isinstance(src, dict):
                    self.err(np_, f"应为数字或 {{from: 字段}}，而不是 {src!r}")
                continue
            why = _from_problem(ref, funds, quest)
            if why:
                self.err(f"{np_}.from", why)
                continue
            out.append((name, ref))
        return tuple(out)

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


#: the form's own figures a rubric item's input may come from (``from:``)
_FROM_FIELDS = {"exec.rate": "执行率", "exec.score": "执行得分"}


def _from_problem(ref: str, funds: Funds, quest: bool) -> str:
    """Why ``ref`` (``from:`` of a rubric item's input) names no figure of the form ("": it
    does): ``funds.<row>.<column>``, ``quest.*`` (the questionnaire's), ``exec.rate``."""
    parts = ref.split(".")
    if parts[0] == "funds":
        if len(parts) == 3 and funds.row(parts[1]) and funds.column(parts[2]):
            return ""
        return f"{ref!r} 应写成 funds.<资金行 key>.<资金列 key>（如 funds.total.executed）"
    if parts[0] == "quest":
        return "" if quest else (f"{ref!r} 是满意度问卷的数，但本表式没有 questionnaire 部分")
    if ref in _FROM_FIELDS:
        return "" if funds.execution else f"{ref!r}：本表式没有 funds.execution（执行率）"
    return (f"{ref!r} 不是表中算出的数（可用：funds.<行>.<列>、quest.score / quest.total / "
            "quest.valid、exec.rate）")


def _kind_name(kind) -> str:
    names = {str: "文字", int: "整数", float: "数字", list: "列表",
             bool: "true/false（是/否）", dict: "映射（键: 值）"}
    return names.get(kind, str(kind))
