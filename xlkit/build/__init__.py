"""spec + one issued row (+ approved targets) → a locked, signed workbook."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..layout import Layout, build_layout
from ..meta import MetaRecord, make_record
from ..spec import Spec
from .workbook import render

__all__ = ["BuiltWorkbook", "build_workbook", "issued_values", "write_atomic"]


@dataclass
class BuiltWorkbook:
    data: bytes
    layout: Layout
    record: MetaRecord


def issued_values(layout: Layout) -> dict[str, Any]:
    """Every pre-filled (locked) value of the form by field: what the signature covers."""
    return {f: c.value for f, c in layout.fields.items() if c.kind == "prefill"}


def build_workbook(spec: Spec, issue: Mapping[str, Any] | None = None,
                   targets: Sequence[Mapping[str, Any]] | None = None, *,
                   key: bytes | None = None, password: str = "",
                   created: dt.datetime | None = None) -> BuiltWorkbook:
    """Build one workbook in memory; ``issue`` as in :func:`xlkit.layout.build_layout`."""
    issue = dict(issue or {})
    layout = build_layout(spec, issue, targets)
    created = created or dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    payload = {
        "format": 1,
        "template_id": spec.id,
        "template_version": spec.version,
        "year": issue.get("year"),
        "unit_code": issue.get("unit_code") or "",
        "unit_name": issue.get("unit_name") or "",
        "department": issue.get("department") or "",
        "project_code": issue.get("project_code") or "",
        "project_name": issue.get("project_name") or "",
        "money_unit": spec.money_unit,
        "issued": issued_values(layout),
        "fields": {f: c.address for f, c in layout.fields.items()},
        "indicator_rows": [[r.index, r.group, r.level1, r.level2, r.row + 1, r.prefilled]
                           for r in layout.indicator_rows],
        "issued_at": created.isoformat(),
        "generator": f"xlkit {__version__}",
    }
    record = make_record(payload, key)
    return BuiltWorkbook(render(layout, record, password, created), layout, record)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file and rename: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~xlkit-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
