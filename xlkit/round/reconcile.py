"""Cross-check the returns against the budget list and the 决算: the office's 审核.

Joins returns ↔ list ↔ 决算 by 项目编码, falling back to normalised 单位 + 项目名称 (full /
half width, brackets and their content, spaces), and says which way each match was made.
Then runs the rules (xlkit.rules) and gathers every finding — the reader's, the importers'
and the rules' — into one 问题清单 with unit and project on every row.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from xlkit.core import shape
from xlkit.core.meta import TRUST_MANIFEST, TRUST_SIGNED, TRUST_UNVERIFIED
from xlkit.findings import CATALOGUE, ERROR, HINT, Finding, declared, finding
from xlkit.read.tables import Tables, plain, records
from xlkit.round.result import ISSUE_COLUMNS, MISSING_COLUMNS, RoundResult, empty_issues
from xlkit.round.rules import Missing, Rule, RuleError, builtin_rules, render

MATCH_BY_CODE, MATCH_BY_NAME = "项目编码", "单位+项目名称"


def normalise(text: Any) -> str:
    """For matching names: full-width → half-width, no spaces, brackets and their content gone."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    t = re.sub(r"[\(\[【〔][^\)\]】〕]*[\)\]】〕]", "", t)
    return re.sub(r"[\s\u3000]+", "", t).lower()


def _code(text: Any) -> str:
    return "" if text is None or (isinstance(text, float) and math.isnan(text)) else \
        unicodedata.normalize("NFKC", str(text)).strip().lstrip("'")


def _num(v: Any) -> float | None:
    if v.__class__ is float:  # the usual case; NaN is the only float unequal to itself
        return v if v == v else None
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


class _Index:
    """Look rows up by code, then by normalised unit + name (that index is built on the
    first lookup that needs it: most returns match by code)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], code_key: str, unit_key: str,
                 name_key: str):
        self.rows = list(rows)
        self.keys = unit_key, name_key
        self.by_code: dict[str, int] = {}
        self._by_name: dict[tuple[str, str], int] | None = None
        for i, r in enumerate(self.rows):
            self.by_code.setdefault(_code(r.get(code_key)), i)
        self.by_code.pop("", None)

    @property
    def by_name(self) -> dict[tuple[str, str], int]:
        if self._by_name is None:
            unit_key, name_key = self.keys
            self._by_name = {}
            for i, r in enumerate(self.rows):
                self._by_name.setdefault((normalise(r.get(unit_key)),
                                          normalise(r.get(name_key))), i)
        return self._by_name

    def find(self, code: Any, unit: Any, name: Any) -> tuple[int | None, str]:
        i = self.by_code.get(_code(code))
        if i is not None:
            return i, MATCH_BY_CODE
        i = self.by_name.get((normalise(unit), normalise(name)))
        if i is not None and normalise(name):
            return i, MATCH_BY_NAME
        return None, ""


def reconcile(tables: Tables, budget_rows: Sequence[Mapping[str, Any]], *,
              finals: Sequence[Any] = (), source_findings: Sequence[Finding] = (),
              rules: Sequence[Rule] | None = None, broken_rules: Sequence[str] = (),
              level: str = "project", year: int | None = None,
              spec: Any = None) -> RoundResult:
    """One round's result from the reader's tables, the budget list rows (xlkit.distlist),
    imported 决算 (xlkit.sources.Imported) and the rules (built-ins when None). With the
    round's ``spec``, the joined rows have every column of its money block and list."""
    rules = list(builtin_rules() if rules is None else rules)
    key = "unit_code" if level == "unit" else "project_code"
    issues: list[dict[str, Any]] = []
    files = tables.files.copy()
    values_only = set(tables.findings.loc[tables.findings["code"] == "file.xls", "file"]) \
        if len(tables.findings) else set()
    kept, superseded = _dedupe(tables.projects, files, key, issues, values_only)
    tables = _without(tables, superseded, files)
    budget = _Index(budget_rows, key, "unit_name", "unit_name" if level == "unit"
                    else "project_name")
    final_rows = [r for imp in finals if getattr(imp, "kind", "") == "final_projects"
                  for r in records(imp.rows)]
    final = _Index(final_rows, "project_code", "unit_name", "project_name")
    by_unit = _final_by_unit(final_rows) if level == "unit" else {}
    joined, matched, matches = [], set(), []
    funds = _funds_wide(tables.funds)
    fund_cells = _fund_cells(tables.funds)
    kept_rows = records(kept)
    for p in kept_rows:
        i, how = budget.find(p.get(key), p.get("unit_name"), p.get("unit_name") if
                             level == "unit" else p.get("project_name"))
        row = dict(p, matched_by=how or "未匹配", finals_given=bool(final_rows),
                   form_level=level)
        row.update(funds.get(p["source_file"], {}))
        matches.append({"file": p["source_file"], key: p.get(key), "matched_by": how or "未匹配"})
        if i is None:
            issues.append(_coded("return.unknown", p, unit_name=p.get("unit_name"),
                                 who=p.get("project_name") or p.get("unit_name"),
                                 file=p["source_file"]))
        else:
            matched.add(i)
            lst = budget.rows[i]
            row.update(_list_columns(lst, spec))
            issues += _fund_issues(p, lst, fund_cells.get(p["source_file"], {}))
            if how == MATCH_BY_NAME:
                issues.append(_coded("return.matched_by_name", p, code=p.get(key),
                                     list_code=lst.get(key), file=p["source_file"],
                                     expected=lst.get(key), actual=p.get(key)))
        j, fhow = final.find(p.get("project_code"), p.get("unit_name"), p.get("project_name"))
        if level == "unit":  # 部门整体: its 项目支出 against the 决算 of the unit's projects
            spent, fhow = _unit_final(by_unit, p)
            row.update(final_spent=None, final_balance=None, final_budget=None,
                       final_project_spent=spent, final_matched_by=fhow)
        elif j is not None:
            fr = final_rows[j]
            row.update(final_spent=_num(fr.get("final_spent")),
                       final_balance=_num(fr.get("final_balance")),
                       final_budget=_num(fr.get("budget_full_year")), final_matched_by=fhow)
        else:
            row.update(final_spent=None, final_balance=None, final_budget=None,
                       final_matched_by="")
        joined.append(row)
    _fill_defaults(joined, spec)
    missing = _missing(budget, matched, key, issues)
    issues += _reader_issues(tables, kept_rows)
    issues += [_finding_issue(f) for f in source_findings]
    issues += _apply_rules(rules, joined, tables.indicators, issues)
    issues += [_coded("rules.broken", {}, msg) for msg in broken_rules]
    frame = pd.DataFrame(issues, columns=list(ISSUE_COLUMNS)) if issues else empty_issues()
    frame = frame.sort_values(["severity", "unit_code", "project_code", "rule"],
                              key=lambda s: s.map(_sort_key), kind="stable",
                              ignore_index=True)
    return RoundResult(expected=len(budget.rows), tables=tables, issues=frame,
                       missing=pd.DataFrame(missing, columns=list(MISSING_COLUMNS)),
                       year=year, matches=pd.DataFrame(matches),
                       titles={r.id: r.title for r in rules if r.id not in CATALOGUE})


def _sort_key(v: Any) -> Any:
    if v == ERROR:
        return "0"
    if v == HINT:
        return "1"
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _dedupe(projects: pd.DataFrame, files: pd.DataFrame, key: str,
            issues: list, values_only: set[str] = frozenset()) -> tuple[pd.DataFrame, set[str]]:
    """Keep one return of each project (the copy :func:`copy_order` puts first), list
    every copy, and mark the others as superseded by it."""
    if projects.empty:
        return projects, set()
    p = projects.copy()
    superseded: set[str] = set()
    dup = (p[key].notna() & (p[key] != "")).fillna(False) & p.duplicated(key, keep=False)
    if not dup.any():  # the usual case: one return per project
        return p, superseded
    info = files.set_index("path")[["modified", "sha256"]].to_dict("index") if len(files) else {}
    for code, group in p[dup].groupby(key, dropna=True):
        copies = []
        for r in records(group):
            f = info.get(r["source_file"], {})
            copies.append(dict(r, _when=f.get("modified") or _mtime(r["source_file"]),
                               _sha=f.get("sha256") or "",
                               _values_only=r["source_file"] in values_only))
        ordered = copy_order(copies)
        kept = ordered[0]
        for old in ordered[1:]:
            superseded.add(old["source_file"])
            files.loc[files["path"] == old["source_file"], "superseded_by"] = kept["source_file"]
            common = dict(code=code, n=len(copies), kept=kept["source_file"],
                          kept_when=kept["_when"] or "未知", when=old["_when"] or "未知",
                          file=old["source_file"], expected=kept["source_file"])
            if (old["_when"] or "") > (kept["_when"] or ""):  # newer, yet not used: say why
                issues.append(_coded("return.newer_not_used", old, why=_unverifiable(old),
                                     kept_how=_checked(kept), **common))
            else:
                issues.append(_coded("return.duplicate", old, **common))
    return p[~p["source_file"].isin(superseded)], superseded


def copy_order(copies: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The superseding policy: which of several returns of one project counts (the first
    of the list returned), the others being listed as superseded by it.

    1. The copy that can be checked most fully: a copy whose issued values are verified —
       its signature (``issued_source`` 签名) or the build's manifest (下发清单) — before
       one that cannot be verified (未核验 without a key, 不可信, 预算清单); then a copy
       whose formulas can be checked before a values-only re-save (.xls, ``file.xls``).
       So a newer unverifiable copy never silently replaces a verified one: it is listed,
       superseded, with a 错误 (``return.newer_not_used``) saying which copy counts and why.
    2. Among copies checked alike, the newest by the workbook's own save time (else the
       file's modification time).
    3. Ties within the same second: by content (sha256, ascending), then by path — so the
       outcome never depends on the order the files were read in.

    Each copy is a mapping with ``source_file``, ``issued_source``, ``_when`` (ISO time),
    ``_sha`` and ``_values_only``."""
    def rank(c: Mapping[str, Any]) -> tuple:
        verified = c.get("issued_source") in (TRUST_SIGNED, TRUST_MANIFEST)
        return (not verified, bool(c.get("_values_only")))

    by_path = sorted(copies, key=lambda c: (c.get("_sha") or "", str(c["source_file"])))
    by_time = sorted(by_path, key=lambda c: c.get("_when") or "", reverse=True)
    return sorted(by_time, key=rank)  # stable: time, then content and path, within a rank


def _unverifiable(c: Mapping[str, Any]) -> str:
    source = c.get("issued_source")
    if source in (TRUST_UNVERIFIED, None, ""):
        return "签名未核验（未提供密钥）"
    if source not in (TRUST_SIGNED, TRUST_MANIFEST):
        return "签名缺失或无法通过核验"
    return "是只有数值的 .xls 另存，公式无法核对"


def _checked(c: Mapping[str, Any]) -> str:
    source = c.get("issued_source")
    how = "签名已核验" if source == TRUST_SIGNED else "下发清单已核对" if \
        source == TRUST_MANIFEST else f"预填数据{source or '未核验'}"
    return how + ("，只有数值" if c.get("_values_only") else "，公式可核对")


def _mtime(path: str) -> str:
    try:
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime).isoformat(timespec="seconds")
    except OSError:
        return ""


def _without(tables: Tables, files_out: set[str], files: pd.DataFrame) -> Tables:
    def keep(df: pd.DataFrame, col: str) -> pd.DataFrame:
        return df[~df[col].isin(files_out)].reset_index(drop=True) if files_out else df

    return Tables(projects=keep(tables.projects, "source_file"),
                  funds=keep(tables.funds, "source_file"),
                  header=keep(tables.header, "source_file"),
                  indicators=keep(tables.indicators, "source_file"),
                  scores=keep(tables.scores, "source_file"),
                  people=keep(tables.people, "source_file"),
                  texts=keep(tables.texts, "source_file"),
                  survey=keep(tables.survey, "source_file"),
                  findings=keep(tables.findings, "file"), files=files)


def _funds_wide(funds: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """file → {<row>_<column>: amount} (fiscal_full_year, carryover_executed …, whatever
    rows and columns the forms have) for the rules."""
    out: dict[str, dict[str, Any]] = {}
    for file, row, col, amount in zip(plain(funds["source_file"]), plain(funds["row"]),
                                       plain(funds["column"]), plain(funds["amount"]),
                                       strict=True):
        out.setdefault(file, {})[f"{row}_{col}"] = amount
    return out


#: The columns every joined row has whatever the form (a rule may name them).
_DEFAULTS: dict[str, Any] = {"final_project_spent": None, "list_projects": None}


def _fill_defaults(rows: list[dict[str, Any]], spec: Any) -> None:
    """Every joined row gets every column some row or the spec's money block has (blank
    where it has none), so a rule naming a fund cell or a list column of another form, or
    of a list row not matched, finds it blank (not applicable) rather than unknown."""
    names = dict(_DEFAULTS)
    if spec is not None:
        f = spec.funds
        names.update({f"{r.key}_{c.key}": None for r in f.rows for c in f.columns})
        for cell in shape.fund_cells(f):
            names.update(dict.fromkeys(shape.list_columns(cell, f)))
    for r in rows:
        names.update(dict.fromkeys(r))
    for r in rows:
        for k in names.keys() - r.keys():
            r[k] = None


def _final_by_unit(final_rows: Sequence[Mapping[str, Any]]) -> dict[str, list[float]]:
    """The 项目支出决算表's 本年支出 by 单位编码 and by normalised 单位名称 ("name:" prefix)."""
    out: dict[str, list[float]] = {}
    for r in final_rows:
        spent = _num(r.get("final_spent"))
        if spent is None:
            continue
        code, name = _code(r.get("unit_code")), normalise(r.get("unit_name"))
        if code:
            out.setdefault(code, []).append(spent)
        if name:
            out.setdefault("name:" + name, []).append(spent)
    return out


def _unit_final(by_unit: Mapping[str, list[float]], p: Mapping[str, Any]
                ) -> tuple[float | None, str]:
    """The sum of a unit's projects in the 决算 and how the unit was matched."""
    spent = by_unit.get(_code(p.get("unit_code")))
    if spent:
        return round(sum(spent), 6), "单位编码"
    spent = by_unit.get("name:" + normalise(p.get("unit_name")))
    if spent and normalise(p.get("unit_name")):
        return round(sum(spent), 6), "单位名称"
    return None, ""


def _list_columns(lst: Mapping[str, Any], spec: Any) -> dict[str, Any]:
    """The list row's columns for the rules: ``list_<row>_<column>`` of every pre-filled
    fund cell (and the shorter names of core.shape.list_columns: ``list_full_year``,
    ``list_fiscal`` …), its names, contact and number of projects."""
    funds = lst.get("funds") or {}
    projects = lst.get("projects")
    out = {f"list_{row}_{col}": _num(v) for (row, col), v in funds.items()}
    if spec is not None:
        for cell in shape.fund_cells(spec.funds):
            for name in shape.list_columns(cell, spec.funds):
                out[name] = _num(funds.get((cell.row, cell.column)))
    return {
        **out, "list_projects": len(projects) if projects else None,
        "list_unit_name": lst.get("unit_name"), "list_project_name": lst.get("project_name"),
        "contact": lst.get("contact"), "phone_listed": lst.get("phone"),
    }


#: a fund cell and its list value agree within this (万元: shown with 2 decimals)
FUND_TOLERANCE = 0.005


def _fund_issues(p: Mapping[str, Any], lst: Mapping[str, Any],
                 cells: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each fund cell the list pre-fills (whatever rows and columns the spec has) against
    the return's cell: ``budget.fund`` naming the row and column. A cell the return's form
    does not have is not compared; a blank one counts as 0 (a locked figure emptied)."""
    out = []
    for (row, col), listed in (lst.get("funds") or {}).items():
        cell = cells.get((row, col))
        expected = _num(listed)
        if cell is None or expected is None:
            continue
        actual = _num(cell.get("amount"))
        if abs((actual or 0.0) - expected) <= FUND_TOLERANCE:
            continue
        sheet, _, where = (cell.get("cell") or "").partition("!")
        out.append(_finding_issue(finding(
            "budget.fund", file=p["source_file"], sheet=sheet, cell=where,
            field=f"funds.{row}.{col}", expected=expected, actual=actual,
            row=shape.row_name(cell.get("row_label") or row), column=cell.get("column_label") or col,
            value="空白" if actual is None else f"{actual:g}", listed=f"{expected:g}"), p))
    return out


def _fund_cells(funds: pd.DataFrame) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    """file → (row, column) → its row of the long funds table."""
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for r in records(funds[funds["prefilled"].fillna(False).astype(bool)]):
        out.setdefault(r["source_file"], {})[(r["row"], r["column"])] = r
    return out


def _missing(budget: _Index, matched: set[int], key: str, issues: list) -> list[dict]:
    out = []
    for i, r in enumerate(budget.rows):
        if i in matched:
            continue
        row = {c: r.get(c) for c in ("unit_code", "unit_name", "project_code", "project_name",
                                     "contact", "phone")}
        out.append(row)
        who = r.get("project_name") or r.get("unit_name")
        contact = f"（联系人 {r.get('contact')} {r.get('phone') or ''}）" if r.get("contact") else ""
        issues.append(_coded("return.missing", row, unit_name=r.get("unit_name"), who=who,
                             contact=contact))
    return out


def _issue(severity: str, rule: str, who: Mapping[str, Any], message: str, *, file: str = "",
           where: str = "", field: str = "", expected: Any = None, actual: Any = None
           ) -> dict[str, Any]:
    e, a = _num(expected), _num(actual)
    return {"severity": severity, "rule": rule, "unit_code": who.get("unit_code"),
            "unit_name": who.get("unit_name"), "project_code": who.get("project_code"),
            "project_name": who.get("project_name"), "field": field,
            "expected": None if expected is None else _show(expected),
            "actual": None if actual is None else _show(actual),
            "diff": round(a - e, 6) if a is not None and e is not None else None,
            "file": file, "where": where, "message": message}


def _show(v: Any) -> str:
    return f"{v:.10g}" if isinstance(v, float) else str(v)


def _coded(code: str, who: Mapping[str, Any], text: str | None = None, /, *, file: str = "",
           expected: Any = None, actual: Any = None, **values: Any) -> dict[str, Any]:
    """An issue of the reconciler's own, made as a finding of a declared code."""
    return _finding_issue(finding(code, text, file=file, expected=expected, actual=actual,
                                  **values), who)


def _finding_issue(f: Finding, who: Mapping[str, Any] | None = None) -> dict[str, Any]:
    where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
    return _issue(f.severity, f.code, who or {}, f.message, file=f.file, where=where,
                  field=f.field, expected=f.expected, actual=f.actual)


def _reader_issues(tables: Tables, kept_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    who = {p["source_file"]: p for p in kept_rows}
    out = []
    for f in records(tables.findings):  # the reader's findings, as its table holds them
        sheet, cell = f["sheet"] or "", f["cell"] or ""
        out.append(_issue(f["severity"], f["code"], who.get(f["file"], {}), f["message"],
                          file=f["file"] or "", where=f"{sheet}!{cell}" if sheet and cell
                          else sheet, field=f["field"] or "", expected=f["expected"],
                          actual=f["actual"]))
    return out


def _apply_rules(rules: Sequence[Rule], projects: list[dict[str, Any]],
                 indicators: pd.DataFrame, issues: list) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    by_file = {p["source_file"]: p for p in projects}
    ind_rows = [r for r in records(indicators, _IndicatorRow) if r["source_file"] in by_file]
    for r in ind_rows:
        r.project = by_file[r["source_file"]]
    for rule in rules:
        rows = projects if rule.scope == "project" else ind_rows if rule.scope == "indicator" \
            else []
        try:
            _run(rule, rows, out)
        except RuleError as exc:
            issues.append(_coded("rules.broken", {}, rule=rule.id, reason=exc,
                                 file=rule.source))
    return out


class _IndicatorRow(dict):
    """An indicator's columns; a column it lacks is its project's (found without copying
    the project's ~60 columns into each of 70,000 rows)."""

    project: Mapping[str, Any]

    def __missing__(self, key: str) -> Any:
        return self.project[key]

    def whole(self) -> dict[str, Any]:
        return {**self.project, **self}


def _run(rule: Rule, rows: Sequence[Mapping[str, Any]], out: list[dict[str, Any]]) -> None:
    """Add to ``out`` the issues of ``rule`` over ``rows``: those it applies to (``when``)
    whose ``check`` fails; a blank value either needs (Missing) means the row is not
    checked. A RuleError stops the rule; the issues before it stay in ``out``."""
    when, check = rule.compiled("when"), rule.compiled("check")
    for row in rows:
        try:
            if (when is not None and not when(row)) or check(row):
                continue
        except Missing:
            continue
        out.append(_failed(rule, row))


def _failed(rule: Rule, row: Mapping[str, Any]) -> dict[str, Any]:
    expected = _value(rule, "expected", row)
    actual = _value(rule, "actual", row)
    where, fld = "", rule.field_name
    if isinstance(row, _IndicatorRow):
        where = row.get("cell") or ""
        if fld and "." not in fld and row.get("row") is not None:  # the indicator's own field
            fld = f"ind.{row['row']}.{fld}"
        row = row.whole()
    if rule.id in CATALOGUE:  # a built-in rule: its declaration (and the test record) counts
        declared(rule.id)
    return _issue(rule.severity, rule.id, row, render(rule.message, row),
                  file=row.get("source_file", ""), where=where, field=fld,
                  expected=expected, actual=actual)


def _value(rule: Rule, part: str, row: Mapping[str, Any]) -> Any:
    if getattr(rule, part) is None:
        return None
    try:
        return rule.evaluate(part, row)
    except Missing:
        return None


