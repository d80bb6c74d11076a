"""The office's whole round in one call: read the inbox (new and changed files only), join
with the budget list and the 决算, run the rules, write the report, keep the ledger."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import itertools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkit.core.atomic import remove_stale_temps
from xlkit.core.meta import (
    TRUST_LIST,
    TRUST_MANIFEST,
    TRUST_NONE,
    TRUST_SIGNED,
    key_id,
    normalise_key,
)
from xlkit.core.parse import clean_text
from xlkit.core.spec import load_spec
from xlkit.findings import Finding, InputError, finding
from xlkit.ooxml.safety import DEFAULT_LIMITS, Limits
from xlkit.read import expand, iter_read, tables_of
from xlkit.read.tables import Tables, plain, records
from xlkit.read.workbook import ReadResult, file_sha256
from xlkit.round.codeid import code_id
from xlkit.round.ledger import Ledger, Seen
from xlkit.round.reconcile import reconcile
from xlkit.round.result import RoundResult
from xlkit.round.rules import builtin_rules, load_rules


@dataclass
class CollectOutcome:
    result: RoundResult | None  # None when nothing changed since the last run
    report: Path
    db: Path
    read_now: int = 0
    reused: int = 0
    input_notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    unchanged: bool = False
    #: what ``documents=`` wrote (xlkit.docs.Written), the index last
    documents: list[Any] = field(default_factory=list)


def default_db(report: Path) -> Path:
    return report.with_name(report.stem + ".ledger.sqlite")


def collect(inbox: str | Path, list_path: str | Path, report: str | Path, *,
            finals: Sequence[str | Path] = (), targets: str | Path | None = None,
            rules_path: str | Path | None = None, db: str | Path | None = None,
            spec_ref: str = "project-2020", key: bytes | None = None, year: int | None = None,
            money_unit: str | None = None, final_money_unit: str | None = None,
            mapping: str | Path | None = None, manifest: str | Path | None = None,
            jobs: int | None = None, limits: Limits = DEFAULT_LIMITS, engine: str = "fast",
            on_start: Callable[[int], None] | None = None,
            on_result: Callable[[ReadResult], None] | None = None,
            documents: str | Path | None = None,
            on_documents: Callable[[str, int], None] | None = None,
            on_document: Callable[[int], None] | None = None) -> CollectOutcome:
    from xlkit.inputs.manifest import MANIFEST_NAME
    from xlkit.report.workbook import write_report

    key = normalise_key(key)  # str or bytes, stripped
    report = Path(report)
    db_path = Path(db) if db else default_db(report)
    if manifest is None and (Path(list_path).parent / MANIFEST_NAME).is_file():
        manifest = Path(list_path).parent / MANIFEST_NAME  # the build's, beside the list
    spec = load_spec(spec_ref)
    notes: list[str] = []
    started = dt.datetime.now().isoformat(timespec="seconds")
    # a stored result is reused only with the same key and year, by the same build
    context = f"{key_id(key) if key else 'unsigned'}|{year}|{code_id()}"
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise InputError("input.inbox", f"收件目录 {inbox} 不存在", file=str(inbox))
    if documents is not None and Path(os.path.realpath(documents)).is_relative_to(
            os.path.realpath(inbox)):
        # next round they would be entries of the inbox, and 反馈 workbooks look like returns
        raise InputError("input.inbox", f"文书目录 {documents} 在收件目录 {inbox} 之内，"
                         "请写到收件目录之外", file=str(documents))
    for p in (list_path, *finals, targets, rules_path, mapping, manifest):
        if p is not None and not Path(p).is_file():
            raise InputError("input.inbox", f"找不到文件 {p}", file=str(p))
    inputs = _inputs_fingerprint([list_path, *finals, targets, rules_path, mapping, manifest],
                                 spec, context, money_unit, final_money_unit)
    with Ledger(db_path) as ledger, _without_cycle_collection():
        for folder in {report.parent, db_path.parent}:  # what a killed run left
            remove_stale_temps(folder)
        files, skipped = expand([inbox], exclude=_own_outputs(report, db_path, manifest))
        reused, todo = ledger.plan(files, context)
        present = sorted([str(p) for p in files] + [r.path for r in skipped])
        last = ledger.last_run()
        # documents are written from the round's result: asked for, the round is worked out
        if documents is None and not todo and last and report.exists() and \
                last["report"] == str(report) and \
                last["fingerprint"] == _run_fingerprint(inputs, ledger, present, report):
            # nothing changed since the last run: its report stands
            return CollectOutcome(None, report, db_path, 0, len(reused), notes,
                                  summary=last["summary"], unchanged=True)
        # something changed. The workers start reading the returns first; the office's
        # own files are loaded meanwhile (an unusable one stops the round).
        before = {str(p): _seen(str(p)) for p in todo}
        reading = iter_read(todo, key=key, year=year, limits=limits, jobs=jobs, engine=engine)
        first = list(itertools.islice(reading, 1))
        try:
            office = _office_inputs(list_path, finals, targets, rules_path, mapping, money_unit,
                                    final_money_unit, spec, manifest)
        except BaseException:
            reading.close()  # stops the workers now
            raise
        notes += office.notes
        if on_start:
            on_start(len(todo))
        # tables are built a batch at a time while the workers read: the cores stay busy
        # and the work after the last file is shorter
        frames: list[Tables] = [tables_of(skipped)]
        ledger.record(((r, _seen(r.path, follow=False)) for r in skipped), context)
        batch: list[tuple[ReadResult, Seen | None]] = []
        flushed = time.monotonic()
        for r in itertools.chain(first, reading):
            seen, after = before.get(r.path), _seen(r.path)
            if seen is None or after is None or (seen.size, seen.mtime_ns) != (
                    after.size, after.mtime_ns):
                seen = None  # changed while it was read: not stored, read again next run
                r.findings.append(finding("file.changed", file=r.path))
            batch.append((r, seen))
            if on_result:
                on_result(r)
            if len(batch) >= BATCH or time.monotonic() - flushed > FLUSH_SECONDS:
                ledger.record(batch, context)
                frames.append(tables_of(r for r, _ in batch))
                batch, flushed = [], time.monotonic()
        ledger.record(batch, context)
        frames.append(tables_of(r for r, _ in batch))
        frames += [tables_of(chunk) for chunk in ledger.load(reused, batch=2000)]
        tables = Tables.concat(frames)  # rows in file order, however the files came in
        del frames
        listed = office.listed
        trust = _trust(tables, office.manifest, listed.rows, spec.level)
        result = reconcile(tables, listed.rows, finals=office.finals,
                           source_findings=office.findings + trust + _compare_targets(
                               tables, office.approved),
                           rules=office.rules, broken_rules=office.broken, level=spec.level,
                           year=year, spec=spec)
        result.inbox = str(inbox)
        write_report(report, result)
        written = [] if documents is None else _documents(result, documents, jobs, on_documents,
                                                          on_document)
        files_table = result.tables.files  # two columns, not 13 per row
        superseded = {path: by for path, by in zip(plain(files_table["path"]),
                                                    plain(files_table["superseded_by"]),
                                                    strict=True) if isinstance(by, str)}
        summary = result.summary()
        _check_account(summary, len(present))
        ledger.finish_run(present, superseded,
                          [{k: r.get(k) for k in ("unit_code", "unit_name", "project_code",
                                                  "project_name", "contact", "phone")}
                           for r in listed.rows], str(inbox), str(report), summary, started,
                          _run_fingerprint(inputs, ledger, present, report))
    return CollectOutcome(result, report, db_path, len(todo), len(reused), notes,
                          summary=summary, documents=written)


def _documents(result: RoundResult, out: str | Path, jobs: int | None,
               on_kind: Callable[[str, int], None] | None,
               progress: Callable[[int], None] | None) -> list[Any]:
    """The round's documents (xlkit.docs): feedback, draft 自评报告, 汇总分析报告."""
    from xlkit.docs import write_documents

    return write_documents(result, out, jobs=jobs, progress=progress, on_kind=on_kind)


@dataclass
class _Office:
    """The office's own inputs for a round."""

    listed: Any
    finals: list[Any]
    findings: list[Finding]
    rules: list[Any]
    broken: list[str]
    approved: dict[str, list[dict]]
    notes: list[str]
    manifest: Any = None  # xlkit.inputs.manifest.Manifest, when given or found


def _office_inputs(list_path: str | Path, finals: Sequence[str | Path],
                   targets: str | Path | None, rules_path: str | Path | None,
                   mapping: str | Path | None, money_unit: str | None, final_money_unit: str | None,
                   spec: Any, manifest: str | Path | None = None) -> _Office:
    from xlkit.inputs.budget_list import note, read_list
    from xlkit.inputs.manifest import read_manifest

    listed = read_list(list_path, money_unit=money_unit, spec=spec)
    if not listed.rows:
        raise InputError("input.list", f"预算清单 {list_path} 中没有可用的行", file=str(list_path))
    imported, source_findings = _finals(finals, final_money_unit, mapping)
    rules, broken = _rules(rules_path)
    approved, target_findings = _targets(targets) if targets else ({}, [])
    issued = read_manifest(manifest) if manifest else None
    return _Office(listed, imported, source_findings + target_findings, rules, broken,
                   approved, [note(p) for p in listed.problems], issued)


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The round builds millions of small, acyclic, long-lived objects (rows, dicts);
    Python's cycle collector would walk them all again and again (about 1 s at 10,000
    returns) and free nothing. Reference counting still frees everything as usual."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


BATCH = 200  # results per ledger transaction and per table chunk ...
FLUSH_SECONDS = 2.0  # ... or fewer, so a killed run loses at most this much reading


def _inputs_fingerprint(paths: Sequence[Any], spec: Any, *parts: Any) -> str:
    """What the round was computed from besides the returns: input files, spec, key, year,
    and the build of xlkit."""
    h = hashlib.sha256(f"xlkit {code_id()}|{spec.id} v{spec.version}|{parts}".encode())
    for p in paths:
        if p is not None:
            h.update(str(p).encode() + b"\0" + file_sha256(Path(p)).encode())
    return h.hexdigest()


def _run_fingerprint(inputs: str, ledger: Ledger, present: Sequence[str], report: Path) -> str:
    h = hashlib.sha256(inputs.encode())
    h.update(ledger.fingerprint_of_files(present).encode())
    if report.exists():
        h.update(file_sha256(report).encode())
    return h.hexdigest()


def _seen(path: str, follow: bool = True) -> Seen | None:
    """Size and mtime of ``path`` now (a string: a Path per result costs more than the stat);
    ``follow=False`` for a skipped entry (a link or FIFO is never followed or opened)."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        return None
    return Seen(path, st.st_size, st.st_mtime_ns)


def _own_outputs(report: Path, db: Path, manifest: str | Path | None) -> dict[str, str]:
    """collect's own files, should they lie in the inbox: never read as returns."""
    out = {str(report): "报告", str(db): "台账", f"{db}-wal": "台账", f"{db}-shm": "台账",
           f"{os.path.realpath(db)}.lock": "台账锁文件"}
    if manifest is not None:
        out[str(manifest)] = "下发清单"
    return out


def _check_account(summary: dict[str, Any], entries: int) -> None:
    """Every entry under the inbox is in the report exactly once, as read, rejected or
    skipped: received = read + rejected + skipped, and received = the entries found."""
    parts = summary["读取"] + summary["无法读取"] + summary["跳过"]
    if not summary["收到文件"] == parts == entries:
        raise RuntimeError(f"内部错误：收件目录有 {entries} 个条目，报告中收到 {summary['收到文件']}"
                           f" = 读取 {summary['读取']} + 无法读取 {summary['无法读取']} + "
                           f"跳过 {summary['跳过']}，对不上")


def _finals(paths: Sequence[str | Path], money_unit: str | None,
            mapping: str | Path | None) -> tuple[list[Any], list[Finding]]:
    if not paths:
        return [], []
    from xlkit.inputs.exports import load_mapping, read_final

    mapped = load_mapping(mapping) if mapping else None
    imported, findings = [], []
    for p in paths:
        imp = read_final(p, money_unit=money_unit, mapping=mapped)
        imported.append(imp)
        findings += imp.findings
    return imported, findings


def _rules(path: str | Path | None) -> tuple[list, list[str]]:
    rules = builtin_rules()
    if path is None:
        return rules, []
    own, broken = load_rules(path)
    ids = {r.id for r in rules}
    for r in own:
        if r.id in ids:  # an office may redefine a built-in rule
            rules = [x for x in rules if x.id != r.id]
    return rules + own, broken


def _targets(path: str | Path) -> tuple[dict[str, list[dict]], list[Finding]]:
    """The approved targets by project, and the problems of the file itself (targets.row)."""
    from xlkit.inputs.budget_list import read_targets

    return read_targets(path)


def _trust(tables: Any, manifest: Any, listed: Sequence[dict], level: str) -> list[Finding]:
    """Each return matched to the workbook the manifest says was issued (by file id, its
    issued values by digest; by unit and project code for a manifest without ids), and the
    ``issued_source`` of every return that does not count on its own signature: 下发清单
    when the manifest's digest confirms its ``_meta``, else 预算清单 for an untrusted one
    whose project is listed (the built-in budget rules and the targets compare it)."""
    import pandas as pd

    out: list[Finding] = []
    projects = tables.projects
    if projects.empty:
        return out
    rows = records(projects)
    sources = [r.get("issued_source") for r in rows]
    if manifest is not None:
        by_id, by_code = manifest.by_id(), manifest.by_code()
        if not manifest.has_ids:
            out.append(finding("manifest.no_ids", path=manifest.path, file=manifest.path))
        for i, r in enumerate(rows):
            who = " ".join(str(x) for x in (r.get("unit_name"), r.get("project_name")) if x)
            fid = r.get("file_id") or ""
            where = {"file": r.get("source_file") or "", "sheet": "_meta", "field": "file_id"}
            if manifest.has_ids:
                hit = by_id.get(fid) if fid else None
            else:
                hit = by_code.get((r.get("unit_code") or "", r.get("project_code") or ""))
            if hit is None:
                out.append(finding("manifest.unmatched", who=who, file_id=fid or "无",
                                   actual=fid or None, **where))
            elif hit.digest and hit.digest != r.get("issued_digest"):
                out.append(finding("manifest.digest_mismatch", who=who, file_id=fid,
                                   expected=hit.digest, actual=r.get("issued_digest"), **where))
            elif hit.digest and sources[i] != TRUST_SIGNED:
                sources[i] = TRUST_MANIFEST
    key = "unit_code" if level == "unit" else "project_code"
    known = {str(x.get(key) or "") for x in listed}
    for i, r in enumerate(rows):
        if sources[i] == TRUST_NONE and (r.get(key) or "") in known:
            sources[i] = TRUST_LIST
    projects["issued_source"] = pd.array(sources, dtype="string")
    return out


def _compare_targets(tables: Any, approved: dict[str, list[dict]]) -> list[Finding]:
    """Targets a return was issued with that differ from the approved-targets file now; for
    a return whose issued values are not trusted (its signature missing or invalid, the
    manifest not confirming them) a difference is a 错误, and the target file's value is
    the issued one."""
    out: list[Finding] = []
    if not approved or tables.indicators.empty:
        return out
    p = tables.projects
    untrusted = set(plain(p["source_file"][p["issued_source"].isin([TRUST_NONE, TRUST_LIST])
                                           .fillna(False).astype(bool)])) if not p.empty else set()
    ind = tables.indicators[tables.indicators["prefilled"].fillna(False).astype(bool)]
    by_name = {code: {t["name"]: t for t in rows} for code, rows in approved.items()}
    for row in records(ind):
        t = by_name.get(row["project_code"] or "", {}).get(row["name"])
        sheet, _, cell = (row["cell"] or "").partition("!")
        code = "target.untrusted" if row["source_file"] in untrusted else "target.changed"
        ind = f"ind.{row['row']}." if row["row"] is not None else ""  # the form's field
        if t is None:
            if row["project_code"] in approved:
                out.append(finding(code, variant="gone", name=row["name"],
                                   file=row["source_file"], sheet=sheet, cell=cell,
                                   field=ind + "name", actual=row["name"]))
            continue
        for key, label in (("target", "年度指标值"), ("weight", "分值"),
                           ("direction", "指标方向")):
            now = t.get(key)
            was = row["target_text"] if key == "target" and not isinstance(
                now, (int, float)) else row["target_value" if key == "target" else key]
            if isinstance(now, (int, float)) and isinstance(was, (int, float)):
                same = abs(float(now) - float(was)) < 1e-9
            else:
                same = now is None or clean_text(now) == clean_text(was)
            if not same:
                out.append(finding(code, name=row["name"], what=label, was=was,
                                   now=now, file=row["source_file"], sheet=sheet,
                                   cell=cell, field=ind + key, expected=str(now),
                                   actual=str(was)))
    return out
