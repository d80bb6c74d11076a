"""spec + one issued row (+ approved targets) → a locked, signed workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlkit import __version__
from xlkit.build.workbook import render
from xlkit.core.atomic import write_atomic
from xlkit.core.layout import Layout, build_layout
from xlkit.core.meta import MetaRecord, make_record, normalise_key
from xlkit.core.spec import Spec

__all__ = ["BuiltWorkbook", "build_workbook", "issued_values", "write_atomic", "TARGET_KEYS"]

#: What of an approved target row the form shows and ``_meta`` keeps.
TARGET_KEYS = ("level1", "level2", "name", "direction", "target", "unit", "weight")


@dataclass
class BuiltWorkbook:
    data: bytes
    layout: Layout
    record: MetaRecord


def issued_values(layout: Layout) -> dict[str, Any]:
    """Every pre-filled (locked) value of the form by field: what the signature covers."""
    return {f: c.value for f, c in layout.fields.items() if c.kind == "prefill"}


def normalise_issue(issue: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``issue`` with its identifying texts as text (codes typed as numbers too)."""
    out = dict(issue or {})
    for k in ("unit_code", "unit_name", "department", "project_code", "project_name"):
        if out.get(k) is not None:
            out[k] = str(out[k])
    return out


def make_payload(spec: Spec, issue: Mapping[str, Any], issued: Mapping[str, Any],
                 fields: Mapping[str, str], targets: Sequence[Mapping[str, Any]] | None,
                 created: dt.datetime) -> dict[str, Any]:
    """The signed ``_meta`` payload of one issued form: the single definition of its shape."""
    return {
        "format": 1,
        "template_id": spec.id,
        "template_version": spec.version,
        # the spec's content as issued: a released version edited in place since is said
        **({"template_digest": spec.digest} if spec.digest else {}),
        "year": issue.get("year"),
        "unit_code": issue.get("unit_code") or "",
        "unit_name": issue.get("unit_name") or "",
        "department": issue.get("department") or "",
        "project_code": issue.get("project_code") or "",
        "project_name": issue.get("project_name") or "",
        "money_unit": spec.money_unit,
        "issued": dict(issued),
        "fields": dict(fields),
        "targets": [{k: t.get(k) for k in TARGET_KEYS} for t in targets or ()],
        "issued_at": created.isoformat(),
        "generator": f"xlkit {__version__}",
        # the id distribute gives each issued workbook (also in the manifest); none for a
        # single build, so a payload without one keeps its earlier shape
        **({"file_id": str(issue["file_id"])} if issue.get("file_id") else {}),
    }


def build_workbook(spec: Spec, issue: Mapping[str, Any] | None = None,
                   targets: Sequence[Mapping[str, Any]] | None = None, *,
                   key: bytes | None = None, password: str = "",
                   created: dt.datetime | None = None) -> BuiltWorkbook:
    """Build one workbook in memory; ``issue`` as in :func:`xlkit.layout.build_layout`;
    ``key`` str or bytes (stripped, see :func:`xlkit.core.meta.normalise_key`)."""
    key = normalise_key(key)
    issue = normalise_issue(issue)
    layout = build_layout(spec, issue, targets)
    created = created or dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    payload = make_payload(spec, issue, issued_values(layout),
                           {f: c.address for f, c in layout.fields.items()}, targets, created)
    record = make_record(payload, key)
    return BuiltWorkbook(render(layout, record, password, created), layout, record)
