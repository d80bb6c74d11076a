"""Read one returned workbook: recognise it, check it, recompute it, locate every problem.

Never trust a cached value or the protection. The form is rebuilt from its signed ``_meta``
(spec, issue, approved targets), the unit's inputs are parsed as typed, every figure is
recomputed with xlkit.scoring's rules, and whatever differs becomes a finding with the cell.

Three views of every formula cell (``ReadResult.shown``, ``ReadResult.computed``, and the
cached value in the file):

* **as shown** (``result.shown``): the form's own expression trees evaluated with spreadsheet
  semantics over the cells as they are — text stays text (a pasted "12,579.31" is not a
  number to ISNUMBER or SUM), blanks are blank, and an input read in percent points
  (``PercentPoints``: 年度指标值, 实际完成值) is × 100 when its cell is formatted as a
  percentage, as ``CELL("format")`` tells the sheet. This is what Excel, WPS, LibreOffice
  and Gnumeric display after recalculating, and what the unit printed. The 校验 cells and
  the reader's in-form check findings (xlkit.core.checks) come from this view.
* **recomputed** (``result.computed``): the same trees over the inputs as xlkit parses them
  ("12,579.31" → 12579.31, "95%" → 95, "大于等于" → ≥). The tables' figures are these.
* **cached**: the value a spreadsheet saved in the file. ``calc.stale`` compares it with the
  as-shown figure (a recalculation is pending), ``calc.formula_overwritten`` flags a constant
  typed over a formula.

For every formula cell the as-shown and recomputed figures are equal, or there is a
``calc.as_shown`` finding at that cell naming the entries that make them differ; a text
where a number belongs is also a ``value.text_number`` 错误 at the input cell (its 校验 cell
says so on the sheet).

``result.shown`` and ``result.computed`` map each formula field (``exec.rate``,
``ind.3.score``, ``grp.0.score``, ``total``, ``grade`` ...; the 校验 cells excluded; the
cell of a field is ``xk_<field with _ for .>`` among the workbook's defined names) to its
value: a float, a str (等次), a bool, None for a blank ("") result, or an Excel error value
as its text ("#DIV/0!"). Both are empty for a rejected file; neither is stored in the
collect ledger (``to_dict``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkit.core import ruleguide, rulekinds
from xlkit.core.cache import BoundedCache
from xlkit.core.checks import ROW, Bound, Site, failing
from xlkit.core.expr.tree import (
    Call,
    Op,
    PercentPoints,
    Ref,
    Refs,
    percent_flag,
    percent_shown,
)
from xlkit.core.layout import (
    LAST_COL,
    PLAIN_COLUMNS,
    RUBRIC_INPUTS,
    SCORED_COLUMNS,
    SHEET,
    Cell,
    Layout,
    build_layout,
    check_mask,
    defined_name,
)
from xlkit.core.meta import (
    META_SHEET,
    TRUST_NONE,
    TRUST_SIGNED,
    TRUST_UNVERIFIED,
    canonical,
    issued_digest,
    key_id,
    normalise_key,
    parse_rows,
    verify,
)
from xlkit.core.parse import Parsed, clean_text, parse_money, parse_value
from xlkit.core.questionnaire import field_label as quest_label
from xlkit.core.rulekinds import KINDS
from xlkit.core.spec import DIRECTION_ALIASES, DIRECTIONS, TIERS, Spec, template_index
from xlkit.core.survey import survey_records
from xlkit.findings import ERROR, HINT, Finding, InputError, finding, message
from xlkit.ooxml.errors import damage_reason
from xlkit.ooxml.safety import DEFAULT_LIMITS, Limits, precheck
from xlkit.read.formulas import same_formula
from xlkit.read.source import ENGINES, CellSource, RawCell, open_source

TOLERANCE = 0.005  # money and scores are shown with 2 decimals
#: Returns of one shape read with the rules walked before they are compiled (compiling costs
#: about eight walks, a compiled evaluation a tenth of one; the values are the same).
WALKED_READS = 8
_NO_CELL = RawCell()
_BLANK = parse_value(None)


@dataclass
class ReadResult:
    path: str
    status: str = "read"  # read | rejected
    reason: str = ""
    code: str = ""
    findings: list[Finding] = field(default_factory=list)
    project: dict[str, Any] | None = None
    funds: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    file: dict[str, Any] = field(default_factory=dict)
    #: 评价人员 rows (tables.SCHEMA["people"]) and the form's texts (SCHEMA["texts"])
    people: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)
    #: every header field of the form (SCHEMA["header"])
    header: list[dict[str, Any]] = field(default_factory=list)
    #: the 满意度 questionnaire's tally, one row per option (SCHEMA["survey"])
    survey: list[dict[str, Any]] = field(default_factory=list)
    #: formula field -> its value as the sheet shows it (spreadsheet semantics over the cells
    #: as they are); see the module's docstring
    shown: dict[str, Any] = field(default_factory=dict)
    #: formula field -> its value recomputed from the inputs as parsed
    computed: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the ledger (JSON-safe)."""
        return {"path": self.path, "status": self.status, "reason": self.reason,
                "code": self.code, "findings": [f.as_dict() for f in self.findings],
                "project": self.project, "funds": self.funds, "indicators": self.indicators,
                "scores": self.scores, "file": self.file, "people": self.people,
                "texts": self.texts, "header": self.header, "survey": self.survey}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReadResult:
        r = cls(d["path"], d["status"], d["reason"], d["code"],
                [Finding.from_dict(f) for f in d["findings"]], d["project"], d["funds"],
                d["indicators"], d["scores"], d["file"], d.get("people") or [],
                d.get("texts") or [], d.get("header") or [])
        r.survey = d.get("survey") or []
        return r

    @property
    def hints(self) -> int:
        return sum(f.severity == HINT for f in self.findings)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def reject_result(result: ReadResult, f: Finding) -> ReadResult:
    """``result`` rejected by ``f`` (its status, reason and code; ``f`` among its findings)."""
    result.status, result.reason, result.code = "rejected", f.message, f.code
    result.findings.append(f)
    return result


def read_workbook(path: str | Path, *, key: str | bytes | None = None, year: int | None = None,
                  limits: Limits = DEFAULT_LIMITS, engine: str = "fast") -> ReadResult:
    """Read one returned workbook into records and findings. Never raises for a bad file.

    ``path``: str or Path; ``key``: str or bytes (stripped, see
    :func:`xlkit.core.meta.normalise_key`). ``engine``: how an .xlsx is parsed, ``"fast"``
    (zip + expat) or ``"openpyxl"``; both give the same result."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    key = normalise_key(key)
    path = Path(path)
    result = ReadResult(str(path))
    result.file = {"path": str(path), "size": None, "sha256": None}
    pre = precheck(path, limits)
    if pre.rejected:
        return finish_result(reject_result(result, pre.rejected))
    if pre.data is None:
        result.file.update(size=path.stat().st_size, sha256=file_sha256(path))
    else:  # the bytes precheck read are the bytes read
        result.file.update(size=len(pre.data), sha256=hashlib.sha256(pre.data).hexdigest())
    result.findings += pre.hints
    try:
        source = open_source(path, pre.kind, engine, pre)
    except InputError as exc:
        return finish_result(reject_result(result, finding(exc.code, str(exc), file=str(path))))
    result.file["modified"] = source.modified()
    before = len(result.findings)
    try:
        _read(result, path, source, key, year)
    except _Rejected as exc:
        reject_result(result, exc.finding)
    except InputError as exc:  # a part parsed on demand is damaged: nothing read counts
        del result.findings[before:]
        result.project, result.funds, result.indicators, result.scores = None, [], [], []
        result.people, result.texts, result.survey = [], [], []
        reject_result(result, finding(exc.code, str(exc), file=str(path)))
    finally:
        close = getattr(source, "close", None)
        if close:
            close()
    return finish_result(result)


class _Rejected(Exception):
    def __init__(self, f: Finding):
        self.finding = f


def finish_result(result: ReadResult) -> ReadResult:
    """``result`` made whole: its file row and project row carry its verdict and counts
    (and the file row its path, also for a file rejected before it was opened: a timeout, a
    worker's crash, so every file is accounted for by path)."""
    p = result.project or {}
    result.file.setdefault("path", result.path)
    result.file.update(status=result.status, reason=result.reason, code=result.code,
                       template_id=p.get("template_id"), unit_code=p.get("unit_code"),
                       project_code=p.get("project_code"), errors=result.errors,
                       hints=result.hints)
    if result.project is not None:
        result.project.update(errors=result.errors, hints=result.hints)
    return result


# ------------------------------------------------------------------------------ the form


@dataclass
class _Form:
    result: ReadResult
    path: Path
    source: CellSource
    spec: Spec
    layout: Layout
    payload: dict[str, Any]
    where: dict[str, tuple[str, str]]  # field -> (sheet, A1)
    shape: _Shape
    raw: dict[str, RawCell] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    parsed: dict[str, Parsed] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)
    #: the as-shown view: the cells' own values (and percent flags) where they differ from
    #: ``env``, the environment they make, and what the rules give over it
    differs: dict[str, Any] = field(default_factory=dict)
    shown_env: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)

    def add(self, code: str, message: str, fld: str = "", expected: Any = None,
            actual: Any = None) -> None:
        sheet, cell = self.where.get(fld, ("", ""))
        self.result.findings.append(finding(
            code, message, file=str(self.path), sheet=sheet, cell=cell, field=fld,
            expected=_show(expected), actual=_show(actual)))

    def label(self, fld: str) -> str:
        return field_label(self.layout, fld, self.env)


def _show(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float):
        return f"{v:.10g}"
    return str(v)


def issue_from_payload(payload: dict[str, Any], spec: Spec | None = None) -> dict[str, Any]:
    """The ``issue`` the workbook was built from, as recorded in its ``_meta``: its codes and
    names, every pre-filled fund cell, and (with ``spec``) the list value of every header
    field pre-filled from another list column (``source`` of the spec's header fields)."""
    issue = {k: payload.get(k) for k in ("year", "unit_code", "unit_name", "department",
                                         "project_code", "project_name")}
    funds = {}
    issued = payload.get("issued") or {}
    for fld, value in issued.items():
        parts = fld.split(".")
        if parts[0] == "funds" and len(parts) == 3:
            funds[(parts[1], parts[2])] = value
    issue["funds"] = funds
    for f in spec.header if spec is not None else ():
        if f.source and f.source not in issue and f"header.{f.key}" in issued:
            issue[f.source] = issued[f"header.{f.key}"]
    return issue


def _read(result: ReadResult, path: Path, source: CellSource, key: bytes | None,
          year: int | None) -> None:
    where = {"file": str(path)}
    rows = source.meta_rows()
    if rows is None:
        raise _Rejected(finding("meta.missing", "不是 xlkit 下发的绩效自评表：找不到 _meta 工作表"
                                "（可能是其他表格，或复制粘贴到了新工作簿）", sheet="", **where))
    try:
        record = parse_rows(rows)
    except ValueError:
        raise _Rejected(finding("meta.damaged", "_meta 记录损坏，无法识别表式（其中的数据记录不完整"
                                "或不是 xlkit 写入的格式）", sheet="_meta", **where)) from None
    payload = record.payload
    tid, tver = payload.get("template_id"), payload.get("template_version")
    spec = _issued_spec(tid, tver, where)
    try:
        shape = _shape_for(spec, payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise _Rejected(finding("meta.damaged", f"_meta 中的表格结构无法还原（{damage_reason(exc)}）",
                                sheet="_meta", **where)) from None
    layout = shape.layout
    recorded = payload.get("fields") or {}
    exact = layout.refs() == recorded  # the 校验 cells too sit where this layout has them
    if not exact and not shape.compatible(recorded):
        if spec.version != tver:  # not on this machine, and the newest cannot stand in
            raise _Rejected(finding("meta.version_missing", template=tid, version=tver,
                                    have=_versions_here(str(tid)), sheet="_meta", **where))
        raise _Rejected(finding("meta.incompatible", f"表式 {tid} 第 {tver} 版的格式与当前版本不同，"
                                "无法按当前版本读取，请用当前下发的表格重新填报", sheet="_meta",
                                **where))
    _say_version(result, spec, payload, where)
    signed = bool(record.signature)
    signature_ok: bool | None = None
    # with the office key, only a verified signature makes _meta's issued values trusted
    trust = TRUST_UNVERIFIED if key is None else TRUST_NONE
    if not signed and key is not None:  # unsigned, or its signature emptied
        result.findings.append(finding("meta.signature_missing", sheet="_meta", **where))
    elif not signed:
        result.findings.append(finding("meta.unsigned", "工作簿未签名，无法确认预填数据未被改动",
                                       sheet="_meta", **where))
    elif key is None:
        result.findings.append(finding("meta.no_key", "未提供签名密钥，签名未核验",
                                       sheet="_meta", **where))
    else:
        signature_ok = verify(payload, record.signature, key, record.text)
        if signature_ok:
            trust = TRUST_SIGNED
        else:
            other = record.key_id and record.key_id != key_id(key)
            result.findings.append(finding(
                "meta.bad_signature",
                "签名无效：工作簿由另一把密钥签发" if other else
                "签名无效：_meta 中的签发记录被改动", sheet="_meta", **where))
    if year is not None and payload.get("year") != year:
        result.findings.append(finding("meta.wrong_year", f"这是 {payload.get('year')} 年度的表格，"
                                       f"本次收集的是 {year} 年度", sheet="_meta",
                                       expected=str(year), actual=str(payload.get("year")),
                                       **where))
    form = _Form(result, path, source, spec, layout, payload, _locate(shape, source, result,
                                                                     path), shape)
    result.project = {
        "year": payload.get("year"), "template_id": tid, "template_version": tver,
        "unit_code": payload.get("unit_code"), "unit_name": payload.get("unit_name"),
        "department": payload.get("department"), "project_code": payload.get("project_code"),
        "project_name": payload.get("project_name"), "signed": signed,
        "signature_ok": signature_ok, "issued_source": trust,
        # the digest serves matching a return to the manifest by its file id: only then
        "file_id": payload.get("file_id"),
        "issued_digest": issued_digest(record.text if record.text is not None else
                                       canonical(payload)) if payload.get("file_id") else None,
        "source_file": str(path), "file_sha256": result.file.get("sha256"),
    }
    if source.kind == "xls":
        result.findings.append(finding("file.xls", "工作簿被另存为 .xls：只读取数值，无法核对公式",
                                       **where))
    _read_cells(form, shape)
    _check_issued(form)
    _parse_inputs(form)
    shape.reads += 1  # compiling costs some eight walks: a shape seen once is walked
    _evaluate(form, shape.reads <= WALKED_READS)
    _check_formulas(form)
    _check_tampering(form, spec.version == tver, exact)
    _check_form(form)
    _records(form)


@dataclass
class _Shape:
    """A layout, and what reading a return of it needs that depends on it alone."""

    layout: Layout
    spots: list[tuple[str, str, tuple[str, str]]]  # (field, defined name, (sheet, A1))
    read: list[str]  # the fields whose cells are read: all but the in-sheet 校验 cells
    inputs: list[tuple[str, Cell]]
    formulas: list[str]  # the fields holding a formula the reader checks
    checks: list[str]  # the 校验 cells: read for their formulas alone
    last_row: int  # the form's last row (1-based)
    reads: int = 0
    # field -> the formula the spec generates, made on first use
    texts: dict[str, str] | None = None
    # the last defined names seen, and where they put the fields (returns of one shape
    # mostly keep their names): (names, where, fields moved)
    located: tuple[dict, dict[str, tuple[str, str]], list[str]] | None = None
    # what _read_cells asks for, by that same ``where``: (where, cells by sheet, spots)
    plan: tuple[dict, dict[str, list[str]], list[tuple[str, str]]] | None = None
    # the pre-filled fields (their cells as the sheet computes with them), made on first use
    prefilled: list[str] | None = None

    @property
    def prefills(self) -> list[str]:
        if self.prefilled is None:
            self.prefilled = [f for f, c in self.layout.fields.items() if c.kind == "prefill"]
        return self.prefilled

    def compatible(self, recorded: dict[str, Any]) -> bool:
        """The fields read sit where ``recorded`` (a return's field map) has them: the 校验
        cells, never read, may differ (a form issued before its checks changed)."""
        refs = self.layout.refs()
        mine = {f: refs[f] for f in self.read}
        return mine == {f: a for f, a in recorded.items() if f in mine} and all(
            f in mine or f.endswith(".check") or f.startswith("check.") for f in recorded)

    @classmethod
    def of(cls, layout: Layout) -> _Shape:
        fields = layout.fields.items()
        return cls(layout, [(f, defined_name(f), (SHEET, a.replace("$", "")))
                            for f, a in layout.refs().items()],
                   [f for f, c in fields if c.kind != "check"],
                   [(f, c) for f, c in fields if c.kind == "input"],
                   [f for f, c in fields if c.rule is not None and c.kind != "check"],
                   [f for f, c in fields if c.rule is not None and c.kind == "check"],
                   max((c.last_row or c.row) for c in layout.cells) + 1)

    def formula_texts(self) -> dict[str, str]:
        """Every formula cell's formula as the spec generates it."""
        if self.texts is None:
            lay = self.layout
            self.texts = {f: lay.formula(lay.fields[f]) for f in self.formulas + self.checks}
        return self.texts


def _issued_spec(tid: Any, tver: Any, where: dict[str, str]) -> Spec:
    """The spec a return was issued with: exactly the version its _meta names, else (that
    version not on this machine) the newest of its id, which the caller reads only when the
    layout is compatible."""
    index = template_index()
    try:
        return index.spec(str(tid), tver if type(tver) is int and index.has(str(tid), tver)
                          else None)
    except InputError as exc:
        if index.newest(str(tid)) is None:
            raise _Rejected(finding("meta.unknown_template", template=tid, version=tver,
                                    sheet="_meta", **where)) from None
        raise _Rejected(finding("meta.unknown_template", variant="unusable", template=tid,
                                version=tver, reason="；".join(exc.problems) or str(exc),
                                sheet="_meta", **where)) from None


def _versions_here(tid: str) -> str:
    vs = template_index().versions.get(tid, {})
    return "、".join(f"第 {v} 版" for v in sorted(vs)) or "无"


def _say_version(result: ReadResult, spec: Spec, payload: dict[str, Any],
                 where: dict[str, str]) -> None:
    """Read by another version than issued (its own is not here), or by its own version
    whose file changed since issue (a digest recorded then differs): a finding each."""
    tid, tver = payload.get("template_id"), payload.get("template_version")
    if spec.version != tver:
        result.findings.append(finding("meta.other_version", template=tid, version=tver,
                                       current=spec.version, sheet="_meta",
                                       expected=str(spec.version), actual=str(tver), **where))
    elif payload.get("template_digest") and payload["template_digest"] != spec.digest:
        result.findings.append(finding("meta.template_changed", template=tid, version=tver,
                                       path=spec.source, sheet="_meta",
                                       expected=str(payload["template_digest"])[:12],
                                       actual=spec.digest[:12], **where))


def _shape_for(spec: Spec, payload: dict[str, Any]) -> _Shape:
    """The form's layout. Positions and rules depend only on the form's shape — which cells
    were pre-filled and how the target rows group — so one layout serves every return of
    that shape; per-return values always come from the payload, never from the layout."""
    targets = payload.get("targets") or None
    key = (spec.source, spec.version, spec.digest, tuple(sorted(payload.get("issued") or {})),
           tuple((t.get("level1"), t.get("level2")) for t in targets or ()))
    shape = _SHAPES.get(key)
    if shape is None:
        layout = build_layout(spec, issue_from_payload(payload, spec), targets)
        shape = _SHAPES.put(key, _Shape.of(layout))
    return shape


_SHAPES: BoundedCache[tuple, _Shape] = BoundedCache(256)


def _read_cells(form: _Form, shape: _Shape) -> None:
    """The cells the checks look at, and the 校验 cells (they show Excel's own checks: only
    their formulas are looked at)."""
    where, source = form.where, form.source
    plan = shape.plan
    if plan is None or plan[0] is not where:
        by_sheet: dict[str, list[str]] = {}
        for fld in shape.read + shape.checks:  # the 校验 cells for their formulas
            sheet, addr = where[fld]
            by_sheet.setdefault(sheet, []).append(addr)
        plan = shape.plan = (where, by_sheet, [where[fld] for fld in shape.read + shape.checks])
    fields = shape.read + shape.checks
    for sheet, addrs in plan[1].items():
        source.load(sheet, addrs)
    cells = getattr(source, "cells", None)
    if cells is not None:  # the fast source answers them all in one call
        form.raw = dict(zip(fields, cells(plan[2]), strict=True))
    else:
        cell = source.cell
        form.raw = {fld: cell(*spot) for fld, spot in zip(fields, plan[2], strict=True)}


def _locate(shape: _Shape, source: CellSource, result: ReadResult,
            path: Path) -> dict[str, tuple[str, str]]:
    """Where each field is now: its defined name if it survived, else the recorded cell."""
    layout = shape.layout
    names = source.names()
    last = shape.located
    if last is not None and last[0] == names:
        where, moved = last[1], last[2]
    else:
        where, moved = {}, []
        for fld, name, recorded in shape.spots:
            now = names.get(name)
            if now and now != recorded:
                moved.append(fld)
            where[fld] = now or recorded
        shape.located = (names, where, moved)
    if moved:
        fld = moved[0]
        result.findings.append(finding(
            "meta.layout_changed", f"表格结构被改动（插入或删除了行列）：{len(moved)} 个字段的位置变了，"
                                   f"如「{field_label(layout, fld)}」由 {where[fld][1]} 前为 "
                                   f"{layout.fields[fld].address.replace('$', '')}，已按新位置读取",
            file=str(path), sheet=where[fld][0], cell=where[fld][1], field=fld))
    if SHEET not in source.sheets():
        raise _Rejected(finding("meta.layout_changed", f"找不到工作表「{SHEET}」（被改名或删除）",
                                file=str(path)))
    return where


def field_label(layout: Layout, fld: str, values: dict[str, Any] | None = None) -> str:
    """A human name for a field: 年度资金总额·全年预算数, 第 3 行指标·实际完成值 ..."""
    return spec_field_label(layout.spec, fld, values)


def spec_field_label(spec: Spec, fld: str, values: dict[str, Any] | None = None) -> str:
    """:func:`field_label` from the form's spec alone (the report names the fields of its
    issues by their returns' template id); ``fld`` itself when the spec does not name it."""
    parts = fld.split(".")
    if parts[0] == "funds":
        row, col = spec.funds.row(parts[1]), spec.funds.column(parts[2])
        return f"{row.label if row else parts[1]}·{col.label if col else parts[2]}"
    if parts[0] == "ind":
        i = int(parts[1])
        name = (values or {}).get(f"ind.{i}.name")
        own = SCORED_COLUMNS if spec.indicators and spec.indicators.scored else PLAIN_COLUMNS
        heads = {k: h for k, h, *_ in PLAIN_COLUMNS + SCORED_COLUMNS + own}
        nm = name if name else f"第 {i + 1} 个三级指标"
        return f"{nm}·{heads.get(parts[2], parts[2])}"
    if parts[0] == "quest" and spec.questionnaire:
        return quest_label(spec.questionnaire, fld) or fld
    names = {"exec.rate": "执行率", "exec.score": "执行得分", "exec.weight": "执行率分值",
             "total": "总分", "total_weight": "分值合计", "grade": "等次",
             "goals.expected": "预期目标",
             "goals.actual": "实际完成情况"}
    if fld in names:
        return names[fld]
    if parts[0] == "header":
        h = next((h for h in spec.header if h.key == parts[1]), None)
        return h.label if h else fld
    if parts[0] == "signoff":
        return spec.signoff[int(parts[1])]
    if parts[0] == "narr":
        n = next((n for n in spec.narratives if n.key == parts[1]), None)
        return n.label if n else fld
    if parts[0] == "people" and spec.people and len(parts) == 3 and parts[1].isdigit():
        col = next((c for c in spec.people.columns if c.key == parts[2]), None)
        return f"{spec.people.title}第 {int(parts[1]) + 1} 行·{col.label if col else parts[2]}"
    if parts[0] == "card" and spec.scorecard:
        return _card_label(spec, parts)
    if parts[0] == "grp" and spec.indicators:
        g = spec.indicators.groups[int(parts[1])]
        return f"{g.name}·{'分值小计' if parts[2] == 'weight' else '得分小计'}"
    return fld


#: the Chinese names of a 评分表 item's fields (its inputs: layout.RUBRIC_INPUTS)
_CARD_FIELDS = {"score": "得分", "weight": "分值", "check": "校验",
                **{k: head for k, (_, head, _) in RUBRIC_INPUTS.items() if k != "score"}}


def _card_label(spec: Any, parts: list[str]) -> str:
    """``card.<i>.<what>`` (an item's), ``card.g<k>.<what>`` (a group's) and
    ``card.g<k>.s<m>.subtotal`` (a 二级指标's) in Chinese."""
    sc = spec.scorecard
    if parts[1].isdigit():
        return f"{sc.items[int(parts[1])].name}·{_CARD_FIELDS.get(parts[2], parts[2])}"
    g = sc.groups[int(parts[1][1:])]
    if len(parts) == 4:
        sub = g.subgroups[int(parts[2][1:])] if g.subgroups else None
        return f"{g.name}·{sub.name if sub else parts[2]}·小计"
    what = {"subtotal": "小计", "check": "分值校验"}.get(parts[2], "分值")
    return f"{g.name}·{what}"


def _same(a: Any, b: Any) -> bool:
    a = None if a == "" else a
    b = None if b == "" else b
    if isinstance(a, (int, float)) and not isinstance(a, bool) and \
            isinstance(b, (int, float)) and not isinstance(b, bool):
        try:
            return math.isclose(a, b, abs_tol=TOLERANCE / 10, rel_tol=1e-9)
        except OverflowError:  # an integer beyond any float (a _meta value of 400 digits)
            return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b or clean_text(a) == clean_text(b)  # the same text: nothing to clean
    return a == b


def _check_issued(form: _Form) -> None:
    issued = form.payload.get("issued") or {}
    raw, env = form.raw, form.env
    header_moved = []
    for fld, value in issued.items():
        cell = raw.get(fld)
        if cell is None:
            continue
        now = cell.value
        if now.__class__ is value.__class__ and now == value:  # as issued: _same, quickly
            env[fld] = value
            continue
        if isinstance(now, str) and isinstance(value, (int, float)):
            p = parse_value(now)
            now = p.value if p.is_number else now
        if not _same(value, now):
            if fld.startswith("header."):
                header_moved.append((fld, value, now))
            else:
                form.add("meta.issued_changed", f"预填的「{form.label(fld)}」被改动：下发时为 "
                         f"{_show(value)}，现为 {_show(now)}", fld, value, now)
        form.env[fld] = value  # the issued value is the one that counts
    if header_moved:
        fld, value, now = header_moved[0]
        form.add("meta.copied", f"表内「{form.label(fld)}」为 {_show(now)}，而 _meta 记录的是 "
                 f"{_show(value)}：_meta 可能复制自其他单位的工作簿，或预填内容被改动", fld, value,
                 now)


#: what makes a spare indicator row used
_SPARE_FILLED = ("name", "target", "actual", "weight", "qscore")


def _check_tampering(form: _Form, same_version: bool, exact: bool) -> None:
    """What the figures alone do not show: a formula replaced by another one (compared with
    the formula the spec generates now, in any writer's spelling), a 校验 formula removed or
    changed, rows or columns of the form hidden, ``_meta`` made visible. Formulas are
    compared only for a form of the current version whose fields have not moved (another
    version's or a moved form's formulas differ by design; both are findings of their own);
    the 校验 cells only when they sit where this layout has them."""
    source, shape, raw = form.source, form.shape, form.raw
    if same_version and source.has_formulas and not (shape.located and shape.located[2]):
        texts = shape.formula_texts()
        for fld in shape.formulas:
            found = raw.get(fld, _NO_CELL).formula
            if found is None:
                continue  # a constant over the formula: calc.formula_overwritten
            want = texts[fld]
            if not same_formula(found, want):
                form.add("calc.formula_changed", message(
                    "calc.formula_changed", label=form.label(fld), was=_brief(want),
                    now=_brief(found)), fld, want, found)
        for fld in shape.checks if exact else ():
            found = raw.get(fld, _NO_CELL).formula
            want = texts[fld]
            if found is None:
                form.add("form.check_changed", message("form.check_changed",
                                                       label=_check_label(form, fld)),
                         fld, want, raw.get(fld, _NO_CELL).value)
            elif not same_formula(found, want):
                form.add("form.check_changed", message(
                    "form.check_changed", "changed", label=_check_label(form, fld),
                    was=_brief(want), now=_brief(found)), fld, want, found)
    hidden = getattr(source, "hidden_lines", None)
    if hidden is not None:
        lines = hidden(SHEET)
        file = str(form.path)
        # the spare indicator rows are issued hidden: hidden and empty they are as issued,
        # hidden and filled they are scored but not printed
        spare = {x.row + 1: x.index for x in form.layout.indicator_rows if x.spare}
        filled = [r for r in lines.rows if r in spare and any(
            form.env.get(f"ind.{spare[r]}.{k}") not in (None, "") for k in _SPARE_FILLED)]
        if filled:
            form.result.findings.append(finding(
                "form.spare_hidden", sheet=SHEET, cell=f"A{filled[0]}", file=file,
                rows="、".join(map(str, filled))))
        rows = [r for r in lines.rows if r <= shape.last_row and r not in spare]
        last_col = LAST_COL + 1
        cols = [(a, min(b, last_col)) for a, b in lines.cols if a <= last_col]
        if rows:
            form.result.findings.append(finding(
                "form.hidden_lines", sheet=SHEET, cell=f"{rows[0]}:{rows[-1]}", file=file,
                sheet_name=SHEET, what="行", lines=_runs(rows, "第 {} 行", "第 {}–{} 行")))
        if cols:
            from xlsxwriter.utility import xl_col_to_name

            letters = [xl_col_to_name(c - 1) for a, b in cols for c in range(a, b + 1)]
            form.result.findings.append(finding(
                "form.hidden_lines", sheet=SHEET, cell=f"{letters[0]}:{letters[-1]}",
                file=file, sheet_name=SHEET, what="列", lines="、".join(letters) + " 列"))
    if source.sheets().get(META_SHEET) == "visible":
        form.result.findings.append(finding("meta.visible", sheet=META_SHEET,
                                            file=str(form.path)))


def _check_label(form: _Form, fld: str) -> str:
    """A 校验 cell's name: the indicator's or group's, or the block's, and 校验."""
    parts = fld.split(".")
    if parts[0] == "ind":
        what = form.label(f"ind.{parts[1]}.name").rsplit("·", 1)[0]
    elif parts[0] == "grp":
        what = field_label(form.layout, f"grp.{parts[1]}.weight").rsplit("·", 1)[0]
    else:
        what = {"check.funds": "资金来源", "check.total": "总分"}.get(fld, fld)
    return f"{what}·校验"


def _brief(formula: str, limit: int = 120) -> str:
    """A formula as a message shows it: the 校验 formulas run to thousands of characters
    (the finding's expected / actual keep them whole)."""
    return formula if len(formula) <= limit else formula[:limit] + "…"


def _runs(numbers: list[int], one: str, many: str) -> str:
    """[3, 4, 5, 9] → "第 3–5 行、第 9 行"."""
    out, start = [], numbers[0]
    for prev, n in zip(numbers, [*numbers[1:], None], strict=True):
        if n is None or n != prev + 1:
            out.append(one.format(start) if start == prev else many.format(start, prev))
            start = n
    return "、".join(out)


def _parse_inputs(form: _Form) -> None:
    """Every input parsed as typed into ``env`` (the recomputed view); where the cell as the
    sheet sees it differs (text, a percent format read in percent points, a cleaned text),
    its own value in ``differs`` for the as-shown view."""
    money_unit = form.spec.money_unit
    percent = form.layout.percent_fields()
    # a number in a %-formatted cell read in percent points (0.97 → 97): when the rules read
    # such fields in percent points or test them for being a number or blank only
    # (Layout.percent_points_only), 97 without the format gives every rule what 0.97 with
    # it gives — up to the 10th decimal parse_value rounds x × 100 to — so the parsed value
    # serves the as-shown view too
    points = form.layout.percent_points_only()
    differs = form.differs
    for fld, c in form.shape.inputs:
        raw = form.raw.get(fld, _NO_CELL)
        value = raw.value  # a formula typed into an input counts by its cached value
        if value is None:  # blank, whatever its type (most inputs of most returns)
            form.parsed[fld], form.env[fld] = _BLANK, None
            continue
        if c.vtype == "money":
            p = parse_money(value, money_unit)
        elif c.vtype == "any":  # 年度指标值, 实际完成值: "97%" (0.97, %-formatted) is 97
            p = parse_value(value, raw.percent and fld in percent)
        else:  # points (分值, 得分) are points: a percent format counts on no sheet
            p = parse_value(value)
        form.parsed[fld] = p
        v = form.env[fld] = _env_value(form, fld, c, p)
        if raw.percent and fld in percent:  # the cell shows a percentage (IsPercent)
            form.env[percent_shown(fld)] = True
        if raw.percent and fld in percent and not (
                points and v.__class__ is float and value.__class__ in (float, int)):
            differs[fld], differs[percent_flag(fld)] = _sheet_value(value), True
        elif raw.percent and fld in percent:
            pass  # the percentage as parsed: see ``points`` above
        elif v is not value and not (v.__class__ is value.__class__ and v == value) and \
                not _alike(value, v):
            differs[fld] = _sheet_value(value)


def _sheet_value(value: Any) -> Any:
    """A cell's value as formulas take it: a date or time is its serial number."""
    if isinstance(value, (dt.date, dt.time)):
        if isinstance(value, dt.time):
            return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        return (value - _EPOCH).total_seconds() / 86400
    return value


_EPOCH = dt.datetime(1899, 12, 30)


def _alike(raw: Any, v: Any) -> bool:
    """A cell's own value and its parsed value behave alike in every rule: the same number,
    the same text, or a date (only ever tested for being filled) read as its ISO text."""
    if raw.__class__ is v.__class__:
        return raw == v
    if isinstance(raw, (int, float)) and isinstance(v, (int, float)):
        return not isinstance(raw, bool) and not isinstance(v, bool) and raw == v
    return isinstance(raw, (dt.date, dt.datetime)) and isinstance(v, str)


def _shown_prefills(form: _Form) -> None:
    """Pre-filled cells whose value is not the issued one the recomputation uses (edited,
    cleared): the sheet computes with what the cell holds."""
    env, differs, percent = form.env, form.differs, form.layout.percent_fields()
    for fld in form.shape.prefills:
        raw = form.raw.get(fld)
        if raw is None:
            continue
        value, v = raw.value, env.get(fld)
        if value.__class__ is v.__class__ and value == v and not raw.percent:
            continue  # as issued (nearly always)
        if raw.percent and fld in percent and value is not None:
            differs[fld], differs[percent_flag(fld)] = _sheet_value(value), True
        elif value is not v and not _alike(value, v) and not (value is None and v == ""):
            differs[fld] = _sheet_value(value)  # (an empty text issued is a blank cell)


def _evaluate(form: _Form, walk: bool) -> None:
    """Both views of every formula cell (and the check masks, as shown).

    When no input differs from its parsed value — every number a plain number without a
    percent format read in percent points, every text as clean as parsed, every pre-filled
    cell as issued (most returns) — the two environments are the same mapping, so the
    as-shown view *is* the recomputed one: one evaluation serves both, by construction."""
    _shown_prefills(form)
    layout = form.layout
    form.computed = layout.evaluate(form.env, walk=walk, read=True)
    if not form.differs:
        form.shown_env, form.shown = form.env, form.computed
        return
    form.shown_env = {**form.env, **form.differs}
    form.shown = layout.evaluate(form.shown_env, walk=walk, read=True)
    # the printed 年度指标值 repeats what the unit typed: it is what the sheet shows (no
    # figure to recompute; the score reads the target as parsed)
    for fld in layout.display_fields():
        if fld in form.shown:
            form.computed[fld] = form.shown[fld]
    _explain_differences(form)


def _figure(v: Any) -> Any:
    """A formula's value as ReadResult.shown / computed give it."""
    if isinstance(v, Exception):
        return str(v)
    return None if v == "" else v


def _same_figure(a: Any, b: Any) -> bool:
    a, b = _figure(a), _figure(b)
    if a.__class__ is bool or b.__class__ is bool:
        return a is b
    return _same(a, b)


def _inputs_of(form: _Form, fld: str) -> list[str]:
    """The inputs and pre-filled fields a formula field reads, directly or through others."""
    out: dict[str, None] = {}
    seen: set[str] = set()
    todo = [fld]
    cells = form.layout.fields
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        cell = cells.get(name)
        if cell is None:
            continue
        if cell.rule is None:
            out[name] = None
            continue
        stack: list[Any] = [cell.rule]
        while stack:
            e = stack.pop()
            if isinstance(e, Ref):
                todo.append(e.name)
            elif isinstance(e, Refs):
                todo += e.names
            elif isinstance(e, PercentPoints):
                todo.append(e.ref.name)
            elif isinstance(e, Op):
                stack += (e.a, e.b)
            elif isinstance(e, Call):
                stack += e.args
    return sorted(out, key=lambda f: (cells[f].row, cells[f].col))


def _matters(form: _Form, fld: str) -> bool:
    """Whether the entry's two readings can change a figure: a text cleaned (full-width
    punctuation, spaces) changes none unless it is compared with a choice or a unit."""
    raw, v = form.differs.get(fld), form.env.get(fld)
    if isinstance(raw, str) and isinstance(v, str) and raw.strip() and v:
        cell = form.layout.fields[fld]
        return cell.vtype in ("direction", "tier", "choice") or fld.endswith(".unit")
    return True


def _cause(form: _Form, fld: str) -> str:
    """What the unit entered in ``fld``, as the sheet takes it and as xlkit reads it."""
    raw = form.differs[fld]
    v = form.env.get(fld)
    where = form.where.get(fld, ("", ""))[1]
    if form.layout.fields[fld].kind == "prefill":
        return (f"预填的「{form.label(fld)}」（{where}）表内为 "
                f"{'空白' if raw is None else _show(raw)}，按下发值 {_show(v)} 计算")
    kind = "文本" if isinstance(raw, str) else "数值"
    return f"「{form.label(fld)}」（{where}）填的是{kind} '{raw}'，识别为 {_show(v)}"


def _explain_differences(form: _Form) -> None:
    """A ``calc.as_shown`` finding at every formula cell whose as-shown and recomputed
    figures differ, naming the entries behind it."""
    shown, computed = form.shown, form.computed
    for fld in form.shape.formulas:
        if _same_figure(shown.get(fld), computed.get(fld)):
            continue
        mine = [f for f in _inputs_of(form, fld) if f in form.differs and _matters(form, f)]
        causes = [_cause(form, f) for f in mine or [f for f in form.differs if "%" not in f]]
        a, b = _show(_figure(shown.get(fld))), _show(_figure(computed.get(fld)))
        form.add("calc.as_shown", message(
            "calc.as_shown", label=form.label(fld), shown="空白" if a is None else a,
            want="空白" if b is None else b, causes="；".join(causes)), fld, b, a)


def _effect(form: _Form, fld: str) -> str:
    """For value.text_number: the number the text would be, and a figure it changes."""
    parsed = form.parsed.get(fld)
    v = form.env.get(fld)
    if parsed is None or not parsed.is_number or _num(v) is None:
        why = f"（{parsed.problem}）" if parsed is not None and parsed.problem else ""
        return f"，请填数字{why}"
    out = f"；识别为数字 {_show(v)}"
    for f in form.shape.formulas:
        s, c = form.shown.get(f), form.computed.get(f)
        if not _same_figure(s, c) and fld in _inputs_of(form, f):
            a, b = _show(_figure(s)), _show(_figure(c))
            out += (f"，按此「{form.label(f)}」应为 {'空白' if b is None else b}，"
                    f"表内为 {'空白' if a is None else a}")
            break
    return out


def _env_value(form: _Form, fld: str, c: Cell, p: Parsed) -> Any:
    if p.kind == "blank":
        return None
    if p.kind == "error":
        form.add("value.error", f"「{form.label(fld)}」是错误值 {p.text}", fld, actual=p.text)
        return None
    if c.vtype in ("money", "weight", "score", "count"):
        if p.is_number:
            if p.value < 0 and c.vtype != "count":  # a count: the declared quest checks
                form.add("value.not_number", f"「{form.label(fld)}」不能为负数：{p.text or p.raw}",
                         fld, actual=p.raw)
            return p.value
        # text: the declared checks say so (value.text_number), as the 校验 cell does
        return None
    if c.vtype == "direction":
        text = clean_text(p.raw)
        text = DIRECTION_ALIASES.get(text, text)
        if text not in DIRECTIONS:
            form.add("value.choice", f"「{form.label(fld)}」应为 ≥ ≤ = 定性 之一，填的是 '{p.raw}'",
                     fld, actual=p.raw)
            return None
        return text
    if c.vtype == "tier":
        text = clean_text(p.raw)
        if text not in [t for t, *_ in TIERS]:
            form.add("value.choice", f"「{form.label(fld)}」应为 达成 / 部分达成 / 未达成，"
                     f"填的是 '{p.raw}'", fld, actual=p.raw)
            return None
        return text
    if c.vtype == "any":
        return p.value if p.is_number else (p.text or clean_text(p.raw))
    if p.kind == "date":
        return p.text
    return p.text if p.text else clean_text(p.raw)


def _check_formulas(form: _Form) -> None:
    """The cached values: a constant typed over a formula (with the recomputed figure), a
    cached value that is not what the sheet's own formulas give on its own cells (the
    as-shown figure: a recalculation is pending; an entry the sheet takes otherwise than
    xlkit is calc.as_shown's, not this)."""
    for fld in form.shape.formulas:
        raw = form.raw.get(fld, _NO_CELL)
        want = _figure(form.computed.get(fld))
        sheet = _figure(form.shown.get(fld))
        shown = raw.value
        if isinstance(shown, str) and form.layout.fields[fld].vtype != "text":
            p = parse_value(shown)
            shown = p.value if p.is_number else (None if p.kind == "blank" else shown)
        if form.source.has_formulas and raw.formula is None:
            form.add("calc.formula_overwritten",
                     f"「{form.label(fld)}」的公式被改成了常量 {_show(shown)}，重新计算应为 "
                     f"{_show(want)}", fld, want, shown)
        elif shown is not None and not _same(shown, sheet):
            form.add("calc.stale", f"表内「{form.label(fld)}」显示 {_show(shown)}，重新计算应为 "
                     f"{_show(sheet)}", fld, sheet, shown)


def _num(v: Any) -> float | None:
    if v is None or v.__class__ is str:  # the usual cases first: blank, text, float
        return None
    if v.__class__ is float:
        return v
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _check_form(form: _Form) -> None:
    """The in-form checks (xlkit.core.checks), as the layout binds them: every site's
    failing checks, from the mask its compiled rule computed over the parsed values."""
    computed = form.shown  # the 校验 cells' view: the sheet's
    for k, site in enumerate(form.layout.sites):
        mask = computed.get(check_mask(k))
        if mask.__class__ is not float:
            if not mask:  # 0: nothing fails (or an untouched row)
                continue
            mask = _mask_walked(form, site)
        if site.scope == "row":
            _row(form, site, mask)
            continue
        for b in failing(site, mask):
            _emit(form, b)


def _mask_walked(form: _Form, site: Site) -> float:
    """A site's mask when its rule gave an error value: each check on its own, a check
    that cannot be evaluated counting as passed."""
    env = _Values(form)
    if site.gate is not None and not _holds(site.gate, env):
        return 0.0
    mask = float(1 << len(site.checks)) if site.gate is not None else 0.0
    for k, b in enumerate(site.checks):
        if _holds(b.when, env):
            mask += 1 << k
    return mask


def _holds(expr: Any, env: _Values) -> bool:
    try:
        return expr.evaluate(env) is True
    except Exception:  # noqa: BLE001 - an error value, or a comparison with one
        return False


class _Values:
    """What a check's expressions read: the fields as shown (the computed ones, else the
    cells' values) — the view of the 校验 cells."""

    def __init__(self, form: _Form):
        self.computed, self.env = form.shown, form.shown_env

    def get(self, name: str, default: Any = None) -> Any:
        c = self.computed
        return c[name] if name in c else self.env.get(name, default)


def _emit(form: _Form, b: Bound) -> None:
    """A failing check as a finding, its message the catalogue's template of the check."""
    c = b.check
    params: dict[str, Any] = dict(b.params)
    shown: dict[str, Any] = {}
    if b.values:
        env = _Values(form)
        for name, expr in b.values.items():
            try:
                v = params[name] = expr.evaluate(env)
            except Exception:  # noqa: BLE001 - shown as the error it is
                v = params[name] = None
            if v.__class__ is float or v.__class__ is int:
                shown[name] = format(v, "+g" if name in c.signed else "g")
    msg = c.message
    if "label" not in params and "{label}" in msg:
        params["label"] = form.label(b.field)
    if "{raw}" in msg:
        parsed = form.parsed.get(b.field)
        params["raw"] = parsed.raw if parsed else form.env.get(b.field)
        params["why"] = f"（{parsed.problem}）" if parsed and parsed.problem else ""
    if "{effect}" in msg:
        params["effect"] = _effect(form, b.field)
    form.add(c.code, msg.format(**{**params, **shown}), b.field,
             params.get(c.expected) if c.expected else None,
             params.get(c.actual) if c.actual else None)


#: The row checks after which the reader's own checks of the typed 实际完成值 come: they
#: are reported in this place, as they always were.
_TYPED_AFTER = "row.target_number"


def _row(form: _Form, site: Site, mask: float) -> None:
    """A touched indicator row's failing checks, with the reader's checks of what was typed
    in 实际完成值 (comparators, units, implausible figures) in their place."""
    p = site.checks[0].field.rsplit(".", 1)[0] + "."
    typed = False
    for b in failing(site, mask):
        if not typed and b.check.id in _AFTER:
            typed = True
            _typed_actual(form, p)
        _emit(form, b)
    if not typed:
        _typed_actual(form, p)


_AFTER = frozenset(c.id for c in ROW[[c.id for c in ROW].index(_TYPED_AFTER) + 1:])


def _typed_actual(form: _Form, p: str) -> None:
    env = form.env
    if env.get(p + "direction") == "定性":
        return
    actual = form.parsed.get(p + "actual")
    a = env.get(p + "actual")
    if a in (None, "") or (env.get(p + "direction") in ("≥", "≤", "=") and _num(a) is None):
        pass  # blank, or not a number: the declared checks said so
    elif actual is not None and actual.comparator:
        form.add("value.implausible", f"「{form.label(p + 'actual')}」带有比较词 "
                 f"'{actual.raw}'，按 {actual.value:g} 计算", p + "actual", actual=actual.raw)
    _plausible(form, p)


def _plausible(form: _Form, p: str) -> None:
    env = form.env
    a, t = _num(env.get(p + "actual")), _num(env.get(p + "target"))
    unit = env.get(p + "unit") or ""
    parsed = form.parsed.get(p + "actual")
    typed_unit = parsed.unit if parsed else ""
    if typed_unit and unit and typed_unit != unit:
        form.add("value.ambiguous", f"「{form.label(p + 'actual')}」填的单位是「{typed_unit}」，"
                 f"计量单位却是「{unit}」", p + "actual", unit, typed_unit)
    if a is None or t is None:
        return
    is_pct = "%" in (unit or typed_unit)
    if is_pct and a > 150 and t <= 100:  # 超额 up to 150% happens; 905% is a typo
        form.add("value.implausible", f"「{form.label(p + 'actual')}」为 {a:g}%，超过 100%，"
                 f"年度指标值为 {t:g}%：疑似录入错误（原值 '{parsed.raw if parsed else a}'）",
                 p + "actual", t, parsed.raw if parsed else a)
    elif is_pct and t >= 2 and 0 < a <= 1:
        pass  # a percentage typed as a fraction: the declared check row.percent_as_fraction
    elif t > 0 and a >= 10 * t:
        form.add("value.implausible", f"「{form.label(p + 'actual')}」{a:g} 是年度指标值 {t:g} 的 "
                 f"{a / t:.0f} 倍，请核对", p + "actual", t, a)


# ------------------------------------------------------------------------------ records


def _records(form: _Form) -> None:
    spec, env, comp, res = form.spec, form.env, form.computed, form.result
    keys = {"unit_code": form.payload.get("unit_code"),
            "project_code": form.payload.get("project_code"), "source_file": str(form.path)}
    f = spec.funds

    def val(fld: str) -> Any:
        x = comp.get(fld) if fld in comp else env.get(fld)
        return None if isinstance(x, Exception) or x == "" else x

    def shown(fld: str) -> Any:
        raw = form.raw.get(fld)
        if raw is None or raw.value in (None, ""):
            return None
        p = parse_value(raw.value)
        return p.value if p.is_number else raw.value

    sheet = form.shown
    res.shown = {f: _figure(sheet.get(f)) for f in form.shape.formulas}
    res.computed = res.shown if sheet is comp else {
        f: _figure(comp.get(f)) for f in form.shape.formulas}

    ind_total = None
    if spec.indicators and spec.indicators.scored:
        scores = [_num(val(f"ind.{r.index}.score")) for r in form.layout.indicator_rows]
        ind_total = round(sum(s for s in scores if s is not None), 2) if any(
            s is not None for s in scores) else None
    card_total = None
    if spec.scorecard:
        subs = [_num(val(f"card.g{gi}.subtotal")) for gi in range(len(spec.scorecard.groups))]
        card_total = round(sum(s for s in subs if s is not None), 2) if any(
            s is not None for s in subs) else None
    budget, executed = _execution_cells(f)
    res.project.update({
        "budget_full_year": _num(val(budget)) if budget else None,
        "executed": _num(val(executed)) if executed else None,
        "execution_rate": _num(val("exec.rate")), "execution_weight": spec.execution_weight,
        "execution_score": _num(val("exec.score")), "indicator_score": ind_total,
        "scorecard_score": card_total, "total_score": _num(val("total")),
        "grade": val("grade"), "total_score_in_file": _num(shown("total")),
        "grade_in_file": shown("grade"),
        "total_score_shown": _num(res.shown.get("total")),
        "grade_shown": res.shown.get("grade"),
        "filled_by": _signoff(form, ("填表人", "填报人", "经办人")),
        "phone": _signoff(form, ("联系电话",)), "filled_date": _signoff(form, ("填报日期",)),
    })
    _funds_and_header(form, keys, val)
    if spec.indicators:
        for r in form.layout.indicator_rows:
            p = f"ind.{r.index}."
            if r.spare and all(env.get(p + k) in (None, "") for k in _SPARE_FILLED):
                continue  # a spare row the unit did not use
            t, a = _parsed_field(form, p + "target"), form.parsed.get(p + "actual")
            res.indicators.append({
                **keys, "row": r.index, "level1": r.level1, "level2": r.level2,
                "name": val(p + "name"), "direction": val(p + "direction"),
                "target_text": t.text or (None if t.raw is None else str(t.raw)),
                "target_value": t.value if t.is_number else None,
                "target_unit": val(p + "unit") or t.unit or None,
                "actual_text": None if a is None or a.raw is None else str(a.raw),
                "actual_value": a.value if a is not None and a.is_number
                else _num(val(p + "actual")),  # a formula (the questionnaire's 满意度)
                "weight": _num(val(p + "weight")), "tier": val(p + "tier"),
                "score_entered": _num(val(p + "qscore")) if val(p + "direction") == "定性"
                else _num(shown(p + "score")),
                "score_computed": _num(val(p + "score")),
                "score_shown": _num(res.shown.get(p + "score")),
                "deviation_reason": val(p + "reason"),
                "progress": val(p + "progress"), "prefilled": r.prefilled,
                "cell": "{}!{}".format(*form.where[p + "actual"]),
            })
    if spec.scorecard:
        _score_records(form, keys, val, shown)
    _people_and_texts(form, keys, val)
    if spec.questionnaire:
        res.survey = survey_records(spec.questionnaire, keys, val, lambda f: _num(shown(f)),
                                    lambda f: "{}!{}".format(*form.where[f]))
    _adjustments_said(form)


def _adjustments_said(form: _Form) -> None:
    """A 提示 wherever a declared adjustment changed a score, so the office can tell why a
    total is not the sum it sees: 偏离 deducted from an indicator, 总分 capped by 执行率.
    Both come from the spec's own rule objects (xlkit.core.rulekinds)."""
    spec, res = form.spec, form.result
    ind = spec.indicators
    dev = ind.deviation if ind is not None and ind.scored else None
    if dev is not None:
        for rec in res.indicators:
            t, a = rec["target_value"], rec["actual_value"]
            if rec["direction"] not in dev.params["directions"] or t is None or a is None:
                continue
            points = rulekinds.deviation_penalty(dev, Ref("t"), Ref("a")).evaluate(
                {"t": t, "a": a})
            if isinstance(points, (int, float)) and points > 0:
                fld = f"ind.{rec['row']}.score"
                form.add("score.deviation", f"「{rec['name'] or form.label(fld)}」实际完成值 "
                         f"{a:g} 高于年度指标值 {t:g} 的 {dev.params['above'] * 100:g}% 及以上，"
                         f"按偏离扣 {points:g} 分", fld, t, a)
    caps = spec.total_caps
    p = res.project
    parts = [p.get(k) for k in ("execution_score", "indicator_score", "scorecard_score")]
    total, rate = p.get("total_score"), p.get("execution_rate")
    if caps is None or total is None or rate is None or all(x is None for x in parts):
        return
    plain = round(sum(x for x in parts if x is not None), 2)
    if total < plain - 0.005:
        form.add("score.capped", f"各项得分之和 {plain:g}，预算执行率 {rate * 100:.2f}%，"
                 f"总分按执行率封顶为 {total:g}（{ruleguide.caps_text(caps)}）", "total",
                 plain, total)


def _execution_cells(funds: Any) -> tuple[str | None, str | None]:
    """The fields of the 执行率's budget and executed cells (the top row's 全年预算数 and
    全年执行数 when the form has no 执行率 but those columns)."""
    ex = funds.execution
    if ex is not None:
        return ex.budget_field, ex.executed_field
    top, cols = funds.rows[0].key, {c.key for c in funds.columns}
    return tuple(f"funds.{top}.{k}" if k in cols else None  # type: ignore[return-value]
                 for k in ("full_year", "executed"))


def _funds_and_header(form: _Form, keys: dict[str, Any], val: Any) -> None:
    """The money block in long form (one row per cell of the spec's rows × columns) and
    every header field (项目名称, 主管部门 … whatever the spec declares) with its cell."""
    spec, res = form.spec, form.result
    f = spec.funds
    for row in f.rows:
        for col in f.columns:
            fld = f"funds.{row.key}.{col.key}"
            if fld not in form.where:
                continue
            res.funds.append({
                **keys, "row": row.key, "row_label": row.label, "column": col.key,
                "column_label": col.label, "amount": _num(val(fld)),
                "prefilled": bool(col.source), "cell": "{}!{}".format(*form.where[fld])})
    for h in spec.header:
        fld = f"header.{h.key}"
        if fld not in form.where:
            continue
        raw = form.raw.get(fld)
        v = val(fld) if raw is None else raw.value
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        res.header.append({
            **keys, "key": h.key, "label": h.label,
            "value": None if v is None or (isinstance(v, str) and not v.strip()) else str(v),
            "prefilled": bool(h.source), "cell": "{}!{}".format(*form.where[fld])})


#: a 评分表 item's inputs in the scores table (the rest of a rule's inputs are not typed)
_SCORE_INPUTS = ("count", "value", "numerator", "denominator")


def _score_records(form: _Form, keys: dict[str, Any], val: Any, shown: Any) -> None:
    """One row per 评分表 item: its levels, weight, rule, the inputs typed for it, the
    score as entered or shown in the file, recomputed, and as the sheet's formulas give it."""
    spec, res = form.spec, form.result
    assert spec.scorecard is not None
    i = 0
    for g in spec.scorecard.groups:
        for it in g.items:
            p = f"card.{i}."
            fld = p + "score"
            res.scores.append({
                **keys, "group": g.name, "level2": it.level2, "name": it.name,
                "weight": it.weight, "computed_item": form.layout.fields[fld].rule is not None,
                "rule": _rule_title(it), "bonus": it.bonus,
                **{k: _num(val(p + k)) if p + k in form.layout.fields else None
                   for k in _SCORE_INPUTS},
                "score_entered": _num(shown(fld)), "score_computed": _num(val(fld)),
                "score_shown": _num(res.shown.get(fld)) if fld in res.shown else
                _num(val(fld)),
                "explain": it.explain or None, "office": it.office or None,
                "cell": "{}!{}".format(*form.where[fld])})
            i += 1


def _rule_title(item: Any) -> str:
    """How an item is scored, in Chinese: its rule kind's title (比率 × 分值, 自评打分)."""
    if item.rule is not None:
        return KINDS[item.rule.kind].title
    return "比率 × 分值" if item.rate is not None else "自评打分"


def _people_and_texts(form: _Form, keys: dict[str, Any], val: Any) -> None:
    """The 评价人员 rows with anything in them, and every text the unit wrote (narratives,
    年度总体目标), with the cell each came from."""
    spec, res = form.spec, form.result

    def text(fld: str) -> str | None:  # as the unit wrote it (not cleaned), numbers as text
        raw = form.raw.get(fld)
        v = val(fld) if raw is None else raw.value
        if isinstance(v, float) and v.is_integer():
            v = int(v)  # a phone number typed as a number
        return None if v is None or (isinstance(v, str) and not v.strip()) else str(v)

    def cell(fld: str) -> str:
        return "{}!{}".format(*form.where[fld])

    pp = spec.people
    if pp is not None:
        for i in range(pp.rows):
            row = {c.key: text(f"people.{i}.{c.key}") for c in pp.columns}
            if any(v is not None for v in row.values()):
                first = f"people.{i}.{pp.columns[0].key}"
                res.people.append({**keys, "row": i + 1, **row, "cell": cell(first)})
    fields = [(f"narr.{n.key}", n.label) for n in spec.narratives]
    if spec.goals:
        fields += [("goals.expected", spec.goals.columns[0]),
                   ("goals.actual", spec.goals.columns[1])]
    for fld, label in fields:
        t = text(fld)
        if t is not None:
            res.texts.append({**keys, "field": fld, "label": label, "text": t,
                              "cell": cell(fld)})


def _parsed_field(form: _Form, fld: str) -> Parsed:
    if fld in form.parsed:
        return form.parsed[fld]
    return parse_value(form.env.get(fld))


def _signoff(form: _Form, labels: tuple[str, ...]) -> Any:
    for i, label in enumerate(form.spec.signoff):
        if label in labels:
            return form.env.get(f"signoff.{i}")
    return None
