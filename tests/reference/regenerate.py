"""Rewrite the known-good reference workbooks after a deliberate change to the form.

    python tests/reference/regenerate.py

Look at the new files in Excel / WPS / LibreOffice before committing them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from xlkit.build import build_workbook, write_atomic
from xlkit.core.spec import load_spec

HERE = Path(__file__).parent
CREATED = dt.datetime(2024, 1, 5, 9, 0, 0)
KEY = b"reference-office-key-000"
ISSUE = {"year": 2023, "unit_code": "301001", "unit_name": "益阳市医疗保障事务中心",
         "department": "益阳市医疗保障局", "project_code": "P2023-301001-01",
         "project_name": "医疗保险基金补助", "funds": {("total", "initial"): 1500,
                                                    ("total", "full_year"): 1500}}
REFERENCES = {f"{spec}.xlsx": (spec, ISSUE) for spec in ("project-2020", "dept-2020",
                                                          "common-2011")}


def build(name: str) -> bytes:
    spec, issue = REFERENCES[name]
    return build_workbook(load_spec(spec), issue, key=KEY, password="reference",
                          created=CREATED).data


if __name__ == "__main__":
    for name in REFERENCES:
        write_atomic(HERE / name, build(name))
        print(HERE / name)
