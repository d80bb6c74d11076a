"""Read and validate the office's inputs: the distribution list and the approved targets.

Bad rows become findings (``list.row``, ``targets.row``, ``list.column``: file, sheet, cell,
the column's key as ``field`` and the raw value as ``actual``) and are skipped; only a file
that cannot be used at all raises :class:`xlkit.findings.InputError` (``input.list`` or
``input.targets``). :func:`note` words a finding as the command line prints it, with the
row number the user sees.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlkit.core import shape
from xlkit.core.spec import DIRECTION_ALIASES, Spec, load_spec
from xlkit.findings import Finding, InputError, finding
from xlkit.inputs import sheet as sheetio
from xlkit.inputs.sheet import HEADER_SCAN, MONEY_UNITS, TOTAL_PREFIXES  # noqa: F401 (public names)

LEVELS = ("project", "unit")
#: the form a list is read for when no spec is given, by level
DEFAULT_SPECS = {"project": "project-2020", "unit": "dept-2020"}
#: Contact columns every list may have (not pre-filled: the office's own reference)
CONTACT_KEYS = ("contact", "phone")
# Codes and phone numbers are identifiers: full-width digits must match half-width ones.
CODE_KEYS = ("unit_code", "project_code", "phone")


@dataclass(frozen=True)
class ListShape:
    """What a list holds for one form, from its spec (:mod:`xlkit.core.shape`): header →
    key, the text keys, the money keys and their (row, column), the rows a unit list sums."""
    headers: dict[str, str]
    text_keys: tuple[str, ...]
    cells: dict[str, tuple[str, str]]
    unit_money: tuple[str, ...]  # keys of the non-top rows: they make a list unit-level
    required_unit: tuple[str, ...]  # a unit list: each leaf row's budget column
    sums: tuple[tuple[str, tuple[str, ...]], ...]  # (row, parts), inside out
    top: str
    projects_row: str | None
    spec: Spec


def list_shape(spec: Spec) -> ListShape:
    """The list columns ``spec`` pre-fills from, by the naming rule of core.shape."""
    funds = spec.funds
    cells = shape.fund_cells(funds)
    headers = {v: k for k, v in shape.LIST_TEXT.items()}
    for key, label in shape.header_sources(spec).items():
        headers.setdefault(sheetio.header_label(label)[0], key)
    for c in cells:
        for h in c.headers:
            headers.setdefault(sheetio.header_label(h)[0], c.key)
    texts = tuple(dict.fromkeys([*shape.LIST_TEXT, *shape.header_sources(spec)]))
    budget = shape.budget_column(funds)
    leaves = {r.key for r in funds.rows if not r.parts}
    by_height = sorted((r for r in funds.rows if r.parts), key=lambda r: _height(funds, r))
    return ListShape(
        headers, texts, {c.key: (c.row, c.column) for c in cells},
        tuple(c.key for c in cells if not c.top),
        tuple(c.key for c in cells if not c.top and c.row in leaves and c.column == budget),
        tuple((r.key, r.parts) for r in by_height), shape.top_row(funds).key,
        shape.projects_row(funds), spec)


def _height(funds: Any, row: Any) -> int:
    return 1 + max((_height(funds, funds.row(p)) for p in row.parts), default=-1)


TARGET_COLUMNS = {
    "项目编码": "project_code",
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "name",
    "指标方向": "direction",
    "年度指标值": "target",
    "计量单位": "unit",
    "分值": "weight",
}
QUANTITATIVE = ("≥", "≤", "=")
SUM_TOLERANCE = 0.005  # 万元: a sum the list gives and its parts' sum, shown with 2 decimals

#: key → the header people know it by (the lists read so far add theirs: a note names
#: the column as the list calls it)
_LABELS = {v: k for k, v in {**shape.LIST_TEXT, **TARGET_COLUMNS}.items()}
_MONEY_TEXT_UNIT = re.compile(r"(.*?)(万元|元)")


_ROW = re.compile(r"[A-Z]+(\d+)")


def note(f: Finding) -> str:
    """A list or targets finding as the command line prints it: file, row, column, message,
    raw value (``清单.xlsx 第 5 行「全年预算数」: 全年预算数不是数字（原值：'abc'）``)."""
    text = f.file
    m = _ROW.fullmatch(f.cell or "")
    if m:
        text += f" 第 {m.group(1)} 行"
    column = _LABELS.get(f.field, f.field) if f.field else f.actual
    if column:
        text += f"「{column}」"
    text += f": {f.message}"
    if f.field and f.actual is not None:
        text += f"（原值：{f.actual!r}）"
    return text


def _problem(what: str, sheet: sheetio.Sheet, row: int, col: int | None, key: str,
             value: Any, variant: str = "", /, **values: Any) -> Finding:
    return finding(what, variant=variant, file=sheet.file, sheet=sheet.sheet or "",
                   cell=sheetio.a1(row, col) if col is not None else "", field=key,
                   actual=_raw(value), **values)


@dataclass
class ListResult:
    rows: list[dict]
    problems: list[Finding]
    total_rows: int
    #: a project list read for a unit-level form: the projects summed into each unit's row
    #: (``rows`` are units; each has ``projects``, the codes of its projects)
    aggregated: bool = False
    rejected: int | None = None  # rows not used (None: total_rows - len(rows))
    sheet: str = ""  # the sheet read ("" for CSV)
    columns: dict[str, int] = field(default_factory=dict)  # key → 0-based column
    rejected_units: frozenset[str] = frozenset()  # 单位编码 of the rows not used
    money_unit: str = "万元"  # the file's amounts were in this unit (converted to 万元)
    money_unit_source: str = ""  # where the list says so ("A2「（单位：元）」"), if it does

    @property
    def bad_rows(self) -> int:
        """Data rows of the file that were not used (each with a finding)."""
        return self.total_rows - len(self.rows) if self.rejected is None else self.rejected


# Cell helpers live in xlkit.sheetio (shared with xlkit.sources); short names kept here.
_cell_text, _text, _raw, _blank = sheetio.cell_text, sheetio.text, sheetio.raw, sheetio.blank
_number, _plain, _nice = sheetio.number, sheetio.plain, sheetio.nice
_Sheet = sheetio.Sheet


def _load(path: str | os.PathLike, code: str) -> _Sheet:
    return sheetio.load(path, code=code)


# --------------------------------------------------------------------------- header


@dataclass
class _Header:
    end: int  # last header row; data starts below it
    cols: dict[str, int]  # key → 0-based column index
    units: dict[str, tuple[int, str, str]]  # key → (row, raw header, unit in suffix)
    seen: list[str]
    problems: list[Finding]
    labels: dict[str, str] = field(default_factory=dict)  # key → its header as found


def _find_header(sheet: _Sheet, known: dict[str, str], anchor: str, code: str) -> _Header:
    where = f"{sheet.file}" + (f" 第一个工作表「{sheet.sheet}」" if sheet.sheet else "")
    found = sheetio.find_header(
        sheet, known, lambda labels: anchor in labels and len(labels & known.keys()) >= 2)
    if found is None:
        raise InputError(code, f"{where} 前 {HEADER_SCAN} 行中找不到表头"
                        f"（应有一行包含「{anchor}」等列名）")
    head = _Header(found.end, dict(found.cols), {}, found.seen, [])
    duplicates = {id(c) for c in found.duplicates}
    for col in found.columns:
        last = col.last
        if col.key is None or id(col) in duplicates:
            head.problems.append(finding(
                "list.column", variant="" if col.key is None else "duplicate", file=sheet.file,
                sheet=sheet.sheet or "", cell=sheetio.a1(last.row, last.col), actual=last.raw))
        else:
            head.labels[col.key] = col.cell.label
            if col.cell.unit:
                head.units[col.key] = (col.cell.row, col.cell.raw, col.cell.unit)
    return head


def _require(sheet: _Sheet, head: _Header, keys: tuple[str, ...], code: str) -> None:
    missing = [_LABELS[k] for k in keys if k not in head.cols]
    if missing:
        names = "".join(f"「{m}」" for m in missing)
        seen = "、".join(head.seen) or "（无）"
        raise InputError(code, f"{sheet.file} 缺少必需的列{names}；找到的列：{seen}")


def _fill_merged(sheet: _Sheet, head: _Header, keys: tuple[str, ...]) -> None:
    """Copy a merged grouping cell down (see sheetio.fill_merged); never an amount or score."""
    sheetio.fill_merged(sheet, head.end, {head.cols[k] for k in keys if k in head.cols})


def _data_rows(sheet: _Sheet, head: _Header):
    """(row number, cell values, {key: value}) for rows below the header with a known cell."""
    for n in sorted(r for r in sheet.rows if r > head.end):
        values = sheet.rows[n]
        cells = {k: values[i] if i < len(values) else None for k, i in head.cols.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        yield n, values, cells


_is_total = sheetio.is_total


# --------------------------------------------------------------------------- public


#: A list that names no unit is read in 万元 unless its amounts look like 元: at least half
#: of its positive amounts are this large (10 亿元 a row if they were 万元).
YUAN_LOOKING = 100_000


def read_list(path: str | os.PathLike, *, money_unit: str | None = None,
              level: str | None = None, spec: Spec | str | None = None) -> ListResult:
    """Read the distribution list (first sheet of .xlsx/.xlsm, or .csv in UTF-8/GBK) for
    ``spec`` (a Spec or its id; default: the national form of ``level``, project-2020 or
    dept-2020): its header fields and fund cells with a ``source`` are read from the list
    columns named after them (:mod:`xlkit.core.shape`), into ``row[key]`` and
    ``row["funds"][(row key, column key)]``.

    Amounts come back in 万元. The unit the list is in: what it says (a "（单位：元）"
    caption in its title rows or a money header such as 全年预算数（元）, found by
    :func:`xlkit.inputs.sheet.money_unit_said` as for the 决算 exports; when that is 元
    and ``money_unit`` was not given, a ``list.money_unit`` finding says so), else ``money_unit``, else 万元. InputError
    ``input.list`` when ``money_unit`` contradicts what the list says, or when the list
    says nothing, ``money_unit`` is not given and the amounts look like 元 (at least half of
    them ≥ 100,000): refused, naming --money-unit, rather than issued 10,000 times too large.
    """
    if money_unit is not None and money_unit not in MONEY_UNITS:
        raise ValueError(f"money_unit must be one of {MONEY_UNITS}, not {money_unit!r}")
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    if not isinstance(spec, Spec):
        spec = load_spec(spec or DEFAULT_SPECS[level or "project"])
    return _read_list(path, money_unit, level or spec.level, list_shape(spec))


def _read_list(path: str | os.PathLike, money_unit: str | None, level: str,
               ls: ListShape) -> ListResult:
    sheet = _load(path, "input.list")
    _LABELS.update({k: h for h, k in reversed(ls.headers.items())})  # the first header
    head = _find_header(sheet, ls.headers, "单位编码", "input.list")
    _LABELS.update(head.labels)  # a note names a column as this list calls it
    required: tuple[str | None, ...] = ("unit_code", "unit_name", _budget_key(ls))
    unit_money = [k for k in ls.unit_money if k in head.cols]
    if level == "project":
        required = ("unit_code", "unit_name", "project_code", "project_name", _budget_key(ls))
    elif unit_money:
        # a unit list by kind of spending: each leaf row's 全年预算数; 年初 and sums optional
        required = ("unit_code", "unit_name", *ls.required_unit)
    elif "project_code" in head.cols:
        # a project list for a unit-level form: each unit's projects summed
        return _aggregate(_read_list(path, money_unit, "project", ls), ls)
    required = tuple(k for k in required if k)  # type: ignore[misc]
    _require(sheet, head, required, "input.list")
    given = money_unit
    money_unit, said = _list_money_unit(sheet, head, money_unit, ls)
    _fill_merged(sheet, head, ls.text_keys)

    required_text = [k for k in required if k not in ls.cells]
    dup_key = "project_code" if level == "project" else "unit_code"
    first_seen: dict[str, int] = {}
    rejected_units: set[str] = set()
    rows: list[dict] = []
    problems = list(head.problems)
    total = 0
    for n, values, cells in _data_rows(sheet, head):
        if _is_total(values, cells.get("unit_code")):
            continue
        total += 1
        found: list[Finding] = []

        def problem(key: str, value: Any, variant: str = "", n: int = n,
                    found: list = found, **values: Any) -> None:
            found.append(_problem("list.row", sheet, n, head.cols.get(key), key, value, variant,
                                  column=_LABELS.get(key, key), **values))

        out: dict[str, Any] = {k: _text(cells.get(k), k in CODE_KEYS) for k in ls.text_keys}
        for key in required_text:
            if not out[key]:
                problem(key, None)
        funds = {}
        for key, cell in ls.cells.items():
            if key not in cells:
                continue
            amount, why = _money(cells[key], money_unit)
            if why:
                problem(key, cells[key], why[0], **why[1])
            elif amount is not None:
                funds[cell] = amount
            elif key in required:
                problem(key, None)
        if level == "unit" and unit_money and not found:
            _unit_sums(funds, cells, problem, ls)
        code = out[dup_key]
        if code:
            if code in first_seen:
                problem(dup_key, cells[dup_key], "duplicate", code=code,
                        first=first_seen[code])
            else:
                first_seen[code] = n
        if found:
            problems += found
            if out["unit_code"]:
                rejected_units.add(out["unit_code"])
            continue
        rows.append({**out, "funds": funds, "row": n, "source": sheet.file})
    if said and given is None and said[0] == "元":  # found, not given, converted: say so
        unit, cell, raw = said
        problems.insert(0, finding("list.money_unit", file=sheet.file, sheet=sheet.sheet or "",
                                   cell=cell, actual=raw, unit=unit))
    return ListResult(rows, problems, total, sheet=sheet.sheet or "", columns=dict(head.cols),
                      rejected_units=frozenset(rejected_units), money_unit=money_unit,
                      money_unit_source=f"{said[1]}「{said[2]}」" if said else "")


def _budget_key(ls: ListShape) -> str | None:
    """The list key of the top row's budget column (全年预算数): every list must have it."""
    budget = shape.budget_column(ls.spec.funds)
    return next((k for k, rc in ls.cells.items() if rc == (ls.top, budget)), None)


def _list_money_unit(sheet: _Sheet, head: _Header, given: str | None,
                     ls: ListShape) -> tuple[str, tuple[str, str, str] | None]:
    """(the unit the list's amounts are in, (unit, cell, raw) where the list says so or None).
    A 元 list read as 万元 would put amounts 10,000 times too large on every form: a
    contradiction, or 元-looking amounts nothing explains, is refused."""
    where = f"{sheet.file}" + (f" 工作表「{sheet.sheet}」" if sheet.sheet else "")
    suffixes = [(unit, sheetio.a1(row, head.cols[key]), raw)
                for key, (row, raw, unit) in head.units.items() if key in ls.cells]
    said = sheetio.money_unit_said(sheet, head.end, suffixes)
    units = list(dict.fromkeys(u for u, _, _ in said))
    if len(units) > 1:
        shown = "、".join(f"{cell}「{raw}」" for _, cell, raw in said)
        raise InputError("input.list", f"{where} 的金额单位前后不一致：{shown}；"
                                       "请核对清单，统一金额单位后再使用", file=sheet.file)
    if units:
        unit, cell, raw = said[0]
        if unit not in MONEY_UNITS:
            raise InputError("input.list", f"{where} {cell}「{raw}」注明金额单位是{unit}，"
                                           "只支持元和万元；请换算后再使用", file=sheet.file)
        if given is not None and given != unit:
            raise InputError("input.list", f"{where} {cell}「{raw}」注明金额单位是{unit}，"
                                           f"与 --money-unit {given} 矛盾；请核对清单，"
                                           f"改用 --money-unit {unit}（或不加 --money-unit，"
                                           "按清单注明的单位读取）", file=sheet.file)
        return unit, said[0]
    if given is not None:
        return given, None
    amounts = []
    for _n, values, cells in _data_rows(sheet, head):
        if _is_total(values, cells.get("unit_code")):
            continue
        for key in ls.cells:
            x = _number(cells.get(key)) if key in cells else None
            if x is not None and x > 0:
                amounts.append((x, key, _n))
    large = [a for a in amounts if a[0] >= YUAN_LOOKING]
    if amounts and 2 * len(large) >= len(amounts):
        x, key, n = max(large)
        raise InputError(
            "input.list", f"{where} 未注明金额单位，而 {len(amounts)} 个金额中有 {len(large)} 个"
            f"不小于 {YUAN_LOOKING:,}（如第 {n} 行「{_LABELS.get(key, key)}」{_nice(x):,}），看起来是元；"
            "按万元读取会大 10000 倍。若清单是元，请加 --money-unit 元；"
            "若确是万元，请加 --money-unit 万元", file=sheet.file)
    return "万元", None


def _unit_sums(funds: dict, cells: dict, problem: Callable[..., None], ls: ListShape) -> None:
    """A unit list row's sums (基本支出, 年度支出总额: each row with parts, inside out, per
    pre-filled column) from their parts; a sum the list also gives must agree (else the row
    is not issued: which figure is right?)."""
    key_of = {rc: k for k, rc in ls.cells.items()}
    cols = list(dict.fromkeys(c for _, c in ls.cells.values()))
    for col in cols:
        for row, parts in ls.sums:
            got = [funds.get((p, col)) for p in parts]
            if any(g is None for g in got) or (row, col) not in key_of:
                continue
            total = round(sum(got), 6)
            given = funds.get((row, col))
            key = key_of[(row, col)]
            if given is not None and abs(given - total) > SUM_TOLERANCE:
                labels = "+".join(_LABELS.get(key_of.get((p, col), ""), p) for p in parts)
                problem(key, cells[key], "sum", parts=labels, sum=_nice(total))
            else:
                funds[(row, col)] = total


def _aggregate(projects: ListResult, ls: ListShape) -> ListResult:
    """A project list read for a unit-level form: one row per 单位编码 in list order, whose
    项目支出 row (:func:`xlkit.core.shape.projects_row`) is the sum of its projects' top row
    (年初预算数 only when every project has one), the unit's other money left to the unit.
    A unit with a rejected project row gets no sums (a partial sum would be locked on its
    form as if whole). The same 单位编码 spelled with another 单位名称 is the same unit
    (list.unit_name_differs; the first spelling is used)."""
    units: dict[str, dict] = {}
    problems = list(projects.problems)
    incomplete = projects.rejected_units
    name_col = projects.columns.get("unit_name")
    cols = [c for r, c in ls.cells.values() if r == ls.top]
    for r in projects.rows:
        code = r["unit_code"]
        u = units.get(code)
        amounts = {col: r["funds"].get((ls.top, col)) for col in cols}
        if u is None:
            units[code] = {**{k: r.get(k) for k in ls.text_keys}, "project_code": "",
                           "project_name": "", "projects": [r["project_code"]],
                           "_amounts": {c: [a] for c, a in amounts.items()},
                           "row": r["row"], "source": r["source"]}
            continue
        u["projects"].append(r["project_code"])
        for col, a in amounts.items():
            u["_amounts"][col].append(a)
        for k in ("contact", "phone", "department"):
            u[k] = u.get(k) or r.get(k)
        if r["unit_name"] != u["unit_name"]:
            problems.append(finding(
                "list.unit_name_differs", file=r["source"], sheet=projects.sheet,
                cell=sheetio.a1(r["row"], name_col) if name_col is not None else "",
                field="unit_name", actual=r["unit_name"], expected=u["unit_name"],
                column=_LABELS["unit_code"], code=code, first=u["row"],
                first_name=u["unit_name"]))
    rows = []
    for code, u in units.items():
        funds = {}
        sums = u.pop("_amounts")
        if code not in incomplete and ls.projects_row is not None:
            for col, amounts in sums.items():
                if all(a is not None for a in amounts):
                    funds[(ls.projects_row, col)] = round(sum(amounts), 6)
        rows.append({**u, "funds": funds})
    return ListResult(rows, problems, projects.total_rows, aggregated=True,
                      rejected=projects.bad_rows, sheet=projects.sheet,
                      columns=projects.columns, rejected_units=incomplete,
                      money_unit=projects.money_unit,
                      money_unit_source=projects.money_unit_source)


def _money(v: Any, money_unit: str) -> tuple[float | None, tuple[str, dict] | None]:
    """(amount in 万元 or None if blank, None or the list.row variant and its values)."""
    if _blank(v):
        return None, None
    if isinstance(v, str):
        m = _MONEY_TEXT_UNIT.fullmatch(_plain(v))
        if m:
            if m.group(2) != money_unit:
                return None, ("unit", {"unit": m.group(2), "money_unit": money_unit})
            v = m.group(1)
    x = _number(v)
    if x is None:
        return None, ("not_number", {})
    if x < 0:
        return None, ("negative", {})
    return (x / 10000 if money_unit == "元" else x), None


def read_targets(path: str | os.PathLike) -> tuple[dict[str, list[dict]], list[Finding]]:
    """Read approved performance targets: project_code → indicator rows in file order."""
    sheet = _load(path, "input.targets")
    head = _find_header(sheet, TARGET_COLUMNS, "项目编码", "input.targets")
    _require(sheet, head, ("project_code", "level1", "level2", "name", "weight"),
             "input.targets")
    _fill_merged(sheet, head, ("project_code", "level1", "level2"))

    targets: dict[str, list[dict]] = {}
    problems = list(head.problems)
    for n, values, cells in _data_rows(sheet, head):
        if _is_total(values, cells.get("project_code")):
            continue
        found: list[Finding] = []

        def problem(key: str, value: Any, variant: str = "", n: int = n,
                    found: list = found, **values: Any) -> None:
            found.append(_problem("targets.row", sheet, n, head.cols.get(key), key, value,
                                  variant, column=_LABELS[key], **values))

        code = _text(cells.get("project_code"), code=True)
        texts = {k: _text(cells.get(k)) for k in ("level1", "level2", "name", "unit")}
        if not code:
            problem("project_code", None)
        for key in ("level1", "level2", "name"):
            if not texts[key]:
                problem(key, None)

        direction = None
        raw_dir = cells.get("direction")
        if not _blank(raw_dir):
            direction = DIRECTION_ALIASES.get(_plain(raw_dir))
            if direction is None:
                problem("direction", raw_dir, "direction", raw=_cell_text(raw_dir))

        raw_target = cells.get("target")
        x = _number(raw_target)
        target: Any = _nice(x) if x is not None else (_text(raw_target) or None)
        if direction in QUANTITATIVE and x is None:
            problem("target", raw_target, "target")

        raw_weight = cells.get("weight")
        weight = _number(raw_weight)
        if _blank(raw_weight):
            problem("weight", None)
        elif weight is None:
            problem("weight", raw_weight, "weight")
        elif not 0 <= weight <= 100:
            problem("weight", raw_weight, "weight_range")

        if found:
            problems += found
            continue
        targets.setdefault(code, []).append({
            "level1": texts["level1"], "level2": texts["level2"], "name": texts["name"],
            "direction": direction, "target": target, "unit": texts["unit"],
            "weight": _nice(weight), "row": n,
        })
    return targets, problems
