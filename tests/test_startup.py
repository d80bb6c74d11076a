"""Start-up: `xlkit templates` and `xlkit build` never import pandas (nor, where they do not
need them, openpyxl and numpy), and `xlkit.read_workbook` / `read_many` / `Tables` are
still there on first use.

Each command runs in a fresh interpreter, through the CLI's main, and then the modules it
loaded are listed: a real check of what was imported, not a timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "openpyxl", "pyarrow")

RUN_THEN_LIST_MODULES = """
import json, sys
from xlkit.cli import main
try:
    main(sys.argv[1:], prog_name="xlkit")
except SystemExit as stop:
    if stop.code:
        raise
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def loaded_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", RUN_THEN_LIST_MODULES, *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [
    ("templates",),
    ("build", "--help"),
    ("--help",),
], ids=" ".join)
def test_command_starts_without_heavy_modules(args):
    loaded = loaded_by(*args)
    assert "xlkit.cli" in loaded
    assert not {m for m in HEAVY if m in loaded}


def test_blank_build_without_pandas(tmp_path):
    out = tmp_path / "blank.xlsx"
    loaded = loaded_by("build", "--spec", "project-2020", "--blank", "-o", str(out))
    assert out.stat().st_size > 0
    assert "xlsxwriter" in loaded  # it did build
    assert not {m for m in HEAVY if m in loaded}


def test_reading_api_is_there_on_first_use():
    code = """
import sys, xlkit
assert "pandas" not in sys.modules
from xlkit import Tables, read_many, read_workbook
from xlkit.read import read_workbook as direct
from xlkit.read.tables import Tables as direct_tables
assert read_workbook is direct and xlkit.read_workbook is direct
assert Tables is direct_tables and callable(read_many)
assert {"Tables", "read_many", "read_workbook"} <= set(dir(xlkit))
try:
    xlkit.no_such_name
except AttributeError:
    pass
else:
    raise AssertionError("xlkit.no_such_name")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
