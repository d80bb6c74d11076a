"""Test helpers: open built workbooks and reach cells through their defined names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from xlkit.core.layout import defined_name

ISSUE = {"year": 2023, "unit_code": "301001", "unit_name": "益阳市医疗保障事务中心",
         "department": "益阳市医疗保障局", "project_code": "P2023-301001-01",
         "project_name": "医疗保险基金补助", "funds": {("total", "initial"): 1500,
                                                    ("total", "full_year"): 1500,
                                                    ("fiscal", "full_year"): 720,
                                                    ("carryover", "full_year"): 780}}
TARGETS = [
    {"level1": "产出指标", "level2": "数量指标", "name": "财政实际补助执行比率", "direction": "≥",
     "target": 100, "unit": "%", "weight": 20},
    {"level1": "产出指标", "level2": "时效指标", "name": "医疗补助发放及时性", "direction": "定性",
     "target": "及时拨付", "unit": "", "weight": 30},
    {"level1": "效益指标", "level2": "社会效益指标", "name": "社会稳定性", "direction": "定性",
     "target": "较好", "unit": "", "weight": 30},
    {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "参保对象满意度",
     "direction": "≥", "target": 85, "unit": "%", "weight": 10},
]


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


def codes(result) -> list[str]:
    """The finding codes of a read, in order."""
    return [f.code for f in result.findings]


def by_code(result, code: str):
    """The first finding of ``code``; fails listing every finding when there is none."""
    found = [f for f in result.findings if f.code == code]
    assert found, f"no {code} in {[(f.code, f.message) for f in result.findings]}"
    return found[0]


def unprotected_with(src: Path, edits: dict[str, Any]) -> openpyxl.Workbook:
    """``src`` as a unit who removed the protection sees it, with ``edits`` typed over the
    fields they name (the form's cells only; ``_meta`` untouched)."""
    wb = openpyxl.load_workbook(src)
    wb["自评表"].protection.sheet = False
    wb.security = None
    names = name_map(wb)
    for f, v in edits.items():
        cell(wb, f, names).value = v
    return wb
