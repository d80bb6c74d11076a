"""Built workbooks match the known-good reference files part by part (XlsxWriter style).

A failing test here means the form changed. If the change is intended, run
``python tests/reference/regenerate.py``, open the new files in a spreadsheet, and commit.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "reference"))
from regenerate import HERE, REFERENCES, build  # noqa: E402


def _parts(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist()}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_built_workbook_equals_reference(name):
    want = _parts((HERE / name).read_bytes())
    got = _parts(build(name))
    assert sorted(got) == sorted(want)
    for part in want:
        assert got[part] == want[part], f"{name}: {part} differs from the reference"
