"""Test helpers: open built workbooks and reach cells through their defined names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from xlkit.layout import defined_name


def name_map(wb: openpyxl.Workbook) -> dict[str, tuple[str, str]]:
    """Defined name → (sheet, A1 address without $)."""
    out = {}
    for name, dn in wb.defined_names.items():
        sheet, addr = dn.attr_text.split("!")
        out[name] = (sheet.strip("'"), addr.replace("$", ""))
    return out


def cell(wb: openpyxl.Workbook, field: str, names=None):
    names = names or name_map(wb)
    sheet, addr = names[defined_name(field)]
    return wb[sheet][addr]


def fill(src: Path, dst: Path, values: dict[str, Any]) -> None:
    """Type ``values`` (field → value) into a built workbook as a unit would, with openpyxl."""
    wb = openpyxl.load_workbook(src)
    names = name_map(wb)
    for field, value in values.items():
        cell(wb, field, names).value = value
    wb.save(dst)


def values_by_field(path: Path, fields) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path, data_only=True)
    names = name_map(wb)
    return {f: cell(wb, f, names).value for f in fields}
