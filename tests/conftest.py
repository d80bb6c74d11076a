"""Shared fixtures: the spreadsheet engines (LibreOffice, Gnumeric), built workbooks, a signing
key."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engine import soffice, ssconvert  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
KEY = b"test-office-key-0123456789"


def _engine(exe: str | None, what: str) -> str:
    if exe is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{what} is required under CI but is not installed")
        pytest.skip(f"{what} is not installed")
    return exe


@pytest.fixture(scope="session")
def libreoffice() -> str:
    """soffice's path; missing LibreOffice fails under CI=true and skips elsewhere."""
    return _engine(soffice(), "LibreOffice (soffice)")


@pytest.fixture(scope="session")
def gnumeric() -> str:
    """ssconvert's path; missing Gnumeric fails under CI=true and skips elsewhere."""
    return _engine(ssconvert(), "Gnumeric (ssconvert, Debian package gnumeric)")


@pytest.fixture(scope="session")
def engines(libreoffice: str, gnumeric: str) -> dict[str, str]:
    """Both engines (tests/engine.py recalculate_all)."""
    return {"libreoffice": libreoffice, "gnumeric": gnumeric}


@pytest.fixture
def key() -> bytes:
    return KEY


@pytest.fixture
def issued(tmp_path, key) -> Path:
    """A freshly issued, signed project-2020 form (the test unit's figures and targets)."""
    from workbooks import ISSUE, TARGETS

    from xlkit.build import build_workbook, write_atomic
    from xlkit.core.spec import load_spec

    b = build_workbook(load_spec("project-2020"), ISSUE, TARGETS, key=key, password="pw")
    path = tmp_path / "issued.xlsx"
    write_atomic(path, b.data)
    return path


# every declared finding code must be produced by some test (see findings_record.py)
from findings_record import pytest_configure, pytest_sessionfinish  # noqa: E402, F401
