"""The build's manifest (``manifest.xlsx``, written by ``xlkit build`` beside the workbooks):
which workbooks were issued, each with its file id and the digest of its issued values.

collect matches every return to the row of the workbook it was issued as. A manifest
written before xlkit recorded file ids has neither column: its rows are matched by unit and
project code, and the issued values cannot be checked against it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from xlkit.findings import InputError
from xlkit.inputs import sheet as sheetio

#: The manifest's headers (xlkit.build.distribute.MANIFEST_COLUMNS) that matching reads.
UNIT, PROJECT, FILE, FILE_ID, DIGEST = "单位编码", "项目编码", "文件", "文件编号", "预填摘要"
MANIFEST_NAME = "manifest.xlsx"


@dataclass
class ManifestRow:
    unit_code: str
    project_code: str
    file: str
    file_id: str
    digest: str
    #: every column of the row by header (保护密码, sha256, 行摘要 ...): what a resumed
    #: build compares (xlkit.build.distribute.resume_plan)
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class Manifest:
    path: str
    rows: list[ManifestRow] = field(default_factory=list)
    has_ids: bool = False  # written by an xlkit that records file ids and digests

    def by_id(self) -> dict[str, ManifestRow]:
        return {r.file_id: r for r in self.rows if r.file_id}

    def by_code(self) -> dict[tuple[str, str], ManifestRow]:
        return {(r.unit_code, r.project_code): r for r in self.rows}


def read_manifest(path: str | os.PathLike) -> Manifest:
    """The manifest's rows; InputError ``input.manifest`` when it is not one."""
    sheet = sheetio.load(path, code="input.manifest")
    first = min(sheet.rows) if sheet.rows else None
    head = [sheetio.text(v) for v in sheet.rows.get(first, [])] if first else []
    cols = {name: i for i, name in reversed(list(enumerate(head)))}
    missing = [c for c in (UNIT, PROJECT, FILE) if c not in cols]
    if missing:
        raise InputError("input.manifest", f"{path} 不是 xlkit build 写出的下发清单（manifest.xlsx）："
                                           f"缺少列 {'、'.join(missing)}", file=str(path))
    out = Manifest(str(path), has_ids=FILE_ID in cols and DIGEST in cols)

    def get(values: list, name: str) -> str:
        i = cols.get(name)
        return sheetio.text(values[i], code=True) if i is not None and i < len(values) else ""

    for r in sorted(sheet.rows):
        if r == first:
            continue
        values = sheet.rows[r]
        row = ManifestRow(get(values, UNIT), get(values, PROJECT), get(values, FILE),
                          get(values, FILE_ID), get(values, DIGEST),
                          {name: sheetio.text(values[i]) if i < len(values) else ""
                           for name, i in cols.items()})
        if row.file or row.unit_code:
            out.rows.append(row)
    return out
