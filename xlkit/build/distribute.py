"""Issue one workbook per list row into ``DIR/<单位编码>_<单位名称>/`` with a manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import secrets
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

from xlkit.build import write_atomic
from xlkit.build.fast import FastBuilder
from xlkit.core.meta import issued_digest, key_id, new_file_id
from xlkit.core.spec import Spec

MANIFEST = "manifest.xlsx"
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def safe_name(text: str, limit: int = 60) -> str:
    """A file or folder name Windows accepts: no reserved characters or names, no trailing dot."""
    name = _UNSAFE.sub("_", str(text)).strip().rstrip(". ")
    name = re.sub(r"\s+", " ", name)[:limit].rstrip(". ") or "_"
    return f"_{name}" if name.split(".")[0].upper() in _RESERVED else name


@dataclass
class Issued:
    row: Mapping[str, Any]
    path: Path
    sha256: str
    signed: bool
    password: str
    file_id: str = ""
    digest: str = ""  # xlkit.core.meta.issued_digest of its payload's text
    row_digest: str = ""  # row_digest() of what it was built from (list row, targets, year)
    kept: bool = False  # built by an earlier run of the same build and kept as it was
    # for a workbook an earlier run recorded that this run's list no longer plans: its own
    form: str = ""  # 表式 ("project-2020 v3")
    key_id: str = ""
    year: str = ""


class BuildInterrupted(Exception):
    """Ctrl-C (SIGINT) or SIGTERM during :func:`issue_all`: the workbook in flight was
    finished, the manifest written for every workbook built so far; ``issued`` holds them
    (those kept from an earlier run included), ``built`` how many this run wrote."""

    def __init__(self, issued: list[Issued], built: int, remaining: int, signum: int) -> None:
        super().__init__(f"interrupted after {built} workbooks")
        self.issued, self.built, self.remaining, self.signum = issued, built, remaining, signum


@dataclass
class BuildPlan:
    items: list[tuple[Mapping[str, Any], Path]] = field(default_factory=list)

    def clashes(self, out_dir: Path) -> list[Path]:
        paths = [p for _, p in self.items] + [out_dir / MANIFEST]
        return [p for p in paths if p.exists()]


def output_path(spec: Spec, row: Mapping[str, Any], out_dir: Path) -> Path:
    unit = safe_name(f"{row.get('unit_code', '')}_{row.get('unit_name', '')}")
    if spec.level == "unit":
        stem = f"{row.get('unit_code', '')}_{spec.title}"
    else:
        stem = f"{row.get('project_code', '')}_{row.get('project_name', '')}"
    return out_dir / unit / (safe_name(stem, 80) + ".xlsx")


def plan(spec: Spec, rows: Iterable[Mapping[str, Any]], out_dir: Path) -> BuildPlan:
    p = BuildPlan()
    seen: dict[Path, int] = {}
    for row in rows:
        path = output_path(spec, row, out_dir)
        if path in seen:  # two names that differ only in unsafe characters
            seen[path] += 1
            path = path.with_name(f"{path.stem}_{seen[path]}{path.suffix}")
        else:
            seen[path] = 1
        p.items.append((row, path))
    return p


def row_digest(row: Mapping[str, Any], targets: Sequence[Mapping[str, Any]] | None,
               year: int) -> str:
    """What a workbook is built from, digested: the list row's values (not its row number
    or file: a re-sorted list is the same list), its approved targets and the year. The
    manifest records it, so a resumed build knows which workbooks still hold their row."""
    def plain(v: Any) -> Any:
        if isinstance(v, Mapping):
            return sorted(([".".join(map(str, k)) if isinstance(k, tuple) else str(k), plain(x)]
                           for k, x in v.items()), key=lambda kv: kv[0])
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v if isinstance(v, (int, float, str, bool)) or v is None else str(v)

    data = {k: v for k, v in row.items() if k not in ("row", "source")}
    text = json.dumps([plain(data), plain(list(targets or ())), year], ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class Resume:
    """What :func:`issue_all` does with an earlier run's workbooks (see :func:`resume_plan`)."""
    build: list[tuple[Mapping[str, Any], Path]] = field(default_factory=list)
    kept: list[Issued] = field(default_factory=list)  # same row, spec, key, year: not rebuilt
    changed: list[Path] = field(default_factory=list)  # recorded, but the row or key changed
    foreign: list[Path] = field(default_factory=list)  # present, but no manifest records it
    others: list[Issued] = field(default_factory=list)  # recorded, not in this plan, still there


def resume_plan(spec: Spec, build_plan: BuildPlan, previous: Mapping[str, Mapping[str, str]],
                *, year: int, out_dir: Path,
                targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                key: bytes | None = None, password: str | None = None) -> Resume:
    """Compare the plan with an earlier run's manifest rows (``previous``: its 文件 → the
    row's values by column name). A workbook the manifest records is kept when it was built
    from the same row digest, spec id and version, key fingerprint, year and (when
    ``password`` is given) password, and the file on disk still has the recorded sha256;
    otherwise it is rebuilt (``changed``). A planned file that is there but not recorded is
    ``foreign``: the caller decides (the command line refuses without ``--force``)."""
    out = Resume()
    kid = key_id(key) if key else ""
    form = f"{spec.id} v{spec.version}"
    planned = set()
    for row, path in build_plan.items:
        rel = path.relative_to(out_dir).as_posix()
        planned.add(rel)
        rec = previous.get(rel)
        if rec is None:
            if path.exists():
                out.foreign.append(path)
            out.build.append((row, path))
            continue
        if not path.is_file():  # recorded, since deleted: built again
            out.build.append((row, path))
            continue
        digest = row_digest(row, _targets_of(targets, row), year)
        same = (rec.get("行摘要") == digest and rec.get("表式") == form
                and rec.get("密钥指纹", "") == kid and rec.get("年度") == str(year)
                and (password is None or rec.get("保护密码") == password)
                and _sha256(path) == rec.get("sha256"))
        if same:
            out.kept.append(Issued(row, path, rec["sha256"], rec.get("已签名") == "是",
                                   rec.get("保护密码", ""), rec.get("文件编号", ""),
                                   rec.get("预填摘要", ""), digest, kept=True))
        else:
            out.changed.append(path)
            out.build.append((row, path))
    for rel, rec in previous.items():
        path = out_dir / rel
        if rel not in planned and path.is_file():
            row = {"unit_code": rec.get("单位编码", ""), "unit_name": rec.get("单位名称", ""),
                   "project_code": rec.get("项目编码", ""),
                   "project_name": rec.get("项目名称", "")}
            out.others.append(Issued(row, path, rec.get("sha256", ""), rec.get("已签名") == "是",
                                     rec.get("保护密码", ""), rec.get("文件编号", ""),
                                     rec.get("预填摘要", ""), rec.get("行摘要", ""), kept=True,
                                     form=rec.get("表式", ""), key_id=rec.get("密钥指纹", ""),
                                     year=rec.get("年度", "")))
    return out


def _targets_of(targets, row) -> Sequence[Mapping[str, Any]] | None:
    return (targets or {}).get(row.get("project_code") or row.get("unit_code") or "") or None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Stop:
    """SIGINT / SIGTERM noted, not raised, while workbooks are written: the one in flight is
    finished and the loop stops before the next. Only in the main thread (where Python
    delivers signals); elsewhere a KeyboardInterrupt is caught around each workbook."""

    def __init__(self) -> None:
        self.signum = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._old[sig] = signal.signal(sig, self._note)
                except (ValueError, OSError):  # pragma: no cover - not settable here
                    pass
        return self

    def _note(self, signum: int, _frame: Any) -> None:
        self.signum = signum

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _remove_stale_temps(out_dir: Path, paths) -> None:
    """A killed earlier build's temp files, in the output folder and the units' folders."""
    from xlkit.core.atomic import remove_stale_temps

    for folder in dict.fromkeys([out_dir, *(Path(p).parent for p in paths)]):
        remove_stale_temps(folder)


def issue_all(spec: Spec, build_plan: BuildPlan, *, year: int, out_dir: Path,
              targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
              key: bytes | None = None, password: str | None = None,
              on_progress: Callable[[int], None] | None = None,
              created: dt.datetime | None = None,
              resume: Resume | None = None) -> list[Issued]:
    """Build every planned workbook (atomically) and write the manifest last.

    One :class:`~xlkit.build.fast.FastBuilder` per run: the same workbooks as
    :func:`~xlkit.build.build_workbook`, from a template per form shape. ``resume`` (from
    :func:`resume_plan`): build only its ``build`` items, keep its ``kept`` and ``others``
    in the manifest. On SIGINT / SIGTERM (or KeyboardInterrupt) the workbook in flight is
    finished, the manifest written for what was built (atomically) and
    :class:`BuildInterrupted` raised: the same call with a :func:`resume_plan` goes on.
    """
    from xlkit.core.meta import normalise_key

    key = normalise_key(key)
    out_dir = Path(out_dir)
    todo = resume.build if resume is not None else build_plan.items
    issued: list[Issued] = list(resume.kept) if resume is not None else []
    order = {p: i for i, (_, p) in enumerate(build_plan.items)}
    builder = FastBuilder(spec, key=key, created=created)
    built = 0
    _remove_stale_temps(out_dir, (p for _, p in build_plan.items))
    with _Stop() as stop:
        for row, path in todo:
            if stop.signum:
                break
            try:
                mine = _targets_of(targets, row)
                issue = dict(row, year=year, file_id=new_file_id())
                pw = password or secrets.token_urlsafe(9)
                data = builder.build(issue, mine, password=pw)
                write_atomic(path, data)
            except KeyboardInterrupt:  # not in the main thread: the file was not renamed
                stop.signum = signal.SIGINT
                break
            issued.append(Issued(row, path, hashlib.sha256(data).hexdigest(), key is not None,
                                 pw, issue["file_id"], issued_digest(builder.payload_text),
                                 row_digest(row, mine, year)))
            built += 1
            if on_progress:
                on_progress(1)
    issued.sort(key=lambda it: order.get(it.path, len(order)))
    everything = issued + (list(resume.others) if resume is not None else [])
    if built or stop.signum or resume is None or resume.changed or \
            not (out_dir / MANIFEST).exists():
        write_atomic(out_dir / MANIFEST,
                     manifest_bytes(spec, everything, out_dir, year, key, created))
    if stop.signum:
        raise BuildInterrupted(issued, built, len(todo) - built, stop.signum)
    return issued


MANIFEST_COLUMNS = ("单位编码", "单位名称", "项目编码", "项目名称", "文件", "sha256", "已签名",
                    "密钥指纹", "保护密码", "表式", "年度", "文件编号", "预填摘要", "行摘要")


def manifest_bytes(spec: Spec, issued: Sequence[Issued], out_dir: Path, year: int,
                   key: bytes | None, created: dt.datetime | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    if created is not None:
        wb.set_properties({"created": created})
    ws = wb.add_worksheet("下发清单")
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    for c, name in enumerate(MANIFEST_COLUMNS):
        ws.write_string(0, c, name, head)
    kid = key_id(key) if key else ""
    for r, it in enumerate(issued, start=1):
        rel = it.path.relative_to(out_dir).as_posix()
        values = (it.row.get("unit_code", ""), it.row.get("unit_name", ""),
                  it.row.get("project_code", ""), it.row.get("project_name", ""), rel,
                  it.sha256, "是" if it.signed else "否", it.key_id if it.form else kid,
                  it.password, it.form or f"{spec.id} v{spec.version}", str(it.year or year),
                  it.file_id, it.digest, it.row_digest)
        for c, v in enumerate(values):
            ws.write_string(r, c, str(v or ""))
    ws.set_column(0, 3, 18)
    ws.set_column(4, 4, 50)
    ws.set_column(5, 5, 66)
    ws.set_column(6, 10, 12)
    ws.set_column(11, 11, 18)
    ws.set_column(12, 13, 36)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(issued), 1), len(MANIFEST_COLUMNS) - 1)
    wb.close()
    return buf.getvalue()


def check_targets(spec: Spec, targets: Mapping[str, Sequence[Mapping[str, Any]]],
                  codes: Iterable[str]) -> list[str]:
    """Targets that cannot go on this spec's form, as Chinese messages (row numbers included)."""
    problems = []
    ind = spec.indicators
    if ind is None:
        return ["该表式没有绩效指标表，不能使用 --targets"] if targets else []
    groups = {g.name: g for g in ind.groups}
    known = set(codes)
    for code, rows in targets.items():
        if code not in known:
            problems.append(f"绩效目标中的项目编码 {code} 不在预算清单中，已忽略")
            continue
        sums: dict[str, float] = {}
        for t in rows:
            if t.get("level1") not in groups:
                problems.append(f"绩效目标第 {t.get('row')} 行：一级指标「{t.get('level1')}」"
                                f"不是本表式的一级指标（{'、'.join(groups)}）")
                continue
            sums[t["level1"]] = sums.get(t["level1"], 0.0) + float(t.get("weight") or 0)
        if ind.scored:
            for name, g in groups.items():
                if name in sums and abs(sums[name] - (g.weight or 0)) > 0.005:
                    problems.append(f"项目 {code} 的{name}分值合计 {sums[name]:g}，"
                                    f"应为 {g.weight:g}（表内会提示）")
    return problems
