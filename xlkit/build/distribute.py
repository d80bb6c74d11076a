"""Issue one workbook per list row into ``DIR/<单位编码>_<单位名称>/`` with a manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import secrets
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


def issue_all(spec: Spec, build_plan: BuildPlan, *, year: int, out_dir: Path,
              targets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
              key: bytes | None = None, password: str | None = None,
              on_progress: Callable[[int], None] | None = None,
              created: dt.datetime | None = None) -> list[Issued]:
    """Build every planned workbook (atomically) and write the manifest last.

    One :class:`~xlkit.build.fast.FastBuilder` per run: the same workbooks as
    :func:`~xlkit.build.build_workbook`, from a template per form shape.
    """
    issued = []
    builder = FastBuilder(spec, key=key, created=created)
    for row, path in build_plan.items:
        issue = dict(row, year=year, file_id=new_file_id())
        mine = (targets or {}).get(row.get("project_code") or row.get("unit_code") or "")
        pw = password or secrets.token_urlsafe(9)
        data = builder.build(issue, mine or None, password=pw)
        write_atomic(path, data)
        issued.append(Issued(row, path, hashlib.sha256(data).hexdigest(), key is not None, pw,
                             issue["file_id"], issued_digest(builder.payload_text)))
        if on_progress:
            on_progress(1)
    write_atomic(out_dir / MANIFEST, manifest_bytes(spec, issued, out_dir, year, key, created))
    return issued


MANIFEST_COLUMNS = ("单位编码", "单位名称", "项目编码", "项目名称", "文件", "sha256", "已签名",
                    "密钥指纹", "保护密码", "表式", "年度", "文件编号", "预填摘要")


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
                  it.sha256, "是" if it.signed else "否", kid, it.password,
                  f"{spec.id} v{spec.version}", str(year), it.file_id, it.digest)
        for c, v in enumerate(values):
            ws.write_string(r, c, str(v or ""))
    ws.set_column(0, 3, 18)
    ws.set_column(4, 4, 50)
    ws.set_column(5, 5, 66)
    ws.set_column(6, 10, 12)
    ws.set_column(11, 11, 18)
    ws.set_column(12, 12, 36)
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
