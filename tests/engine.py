"""Real spreadsheet engines of the tests: LibreOffice headless and Gnumeric's ssconvert.

LibreOffice 7.4 keeps a file's cached formula values unless its profile says to recalculate
on load, so every run uses a throw-away profile with OOXMLRecalcMode = 0 (always). Many files
go through one soffice call, which is what makes this affordable (~0.15 s a file).

Gnumeric (``ssconvert --recalc in.xlsx out.xlsx``) converts one file per process: its only
batch option, ``--merge-to``, merges the sheets of several files into one workbook and stops
at the forms' repeated defined names ("Name conflict during merge"). A process costs
~0.13 s a form, so the files are spread over one process per core, while LibreOffice runs
(:func:`recalculate_all`). Both write xlsx that openpyxl reads with ``data_only=True``;
Gnumeric shows a very hidden sheet as visible and caches an empty text result as "" where
LibreOffice leaves it None (:func:`same_value` takes them as the same blank).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(files: list[Path], outdir: Path, timeout: float = 600) -> list[Path]:
    """Open each xlsx in LibreOffice, recalculate every formula, save as xlsx into ``outdir``."""
    return convert(files, outdir, "xlsx:Calc MS Excel 2007 XML", None, timeout, recalc=True)


def convert(files, outdir: Path, target: str, suffix: str | None, timeout: float = 600, *,
            recalc: bool = False) -> list[Path]:
    """One soffice call converting every file to ``target`` (``pdf``, ``xlsx:...``) into
    ``outdir``, with a throw-away profile (``recalc``: one that recalculates on load);
    the outputs, named as the inputs with ``suffix`` (None: the same names)."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlkit-lo-") as profile:
        if recalc:
            user = Path(profile) / "user"
            user.mkdir()
            (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(outdir), *map(str, files)]
        env = dict(os.environ, HOME=profile)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    out = [outdir / (Path(f).name if suffix is None else Path(f).stem + suffix) for f in files]
    missing = [p for p in out if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {missing}: {proc.stdout}\n{proc.stderr}")
    return out


def ssconvert() -> str | None:
    return shutil.which("ssconvert")


def recalculate_gnumeric(files: Sequence[Path], outdir: Path, timeout: float = 120,
                         jobs: int | None = None) -> list[Path]:
    """``ssconvert --recalc`` each xlsx into ``outdir`` (same names), ``jobs`` processes at a
    time (default: one per core)."""
    exe = ssconvert()
    if exe is None:
        raise RuntimeError("Gnumeric (ssconvert) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlkit-gnumeric-") as home:
        # a throw-away HOME and in-memory settings: nothing of the user's Gnumeric set-up
        env = dict(os.environ, HOME=home, GSETTINGS_BACKEND="memory", NO_AT_BRIDGE="1")

        def one(f: Path) -> Path:
            out = outdir / f.name
            proc = subprocess.run([exe, "--recalc", str(f), str(out)], capture_output=True,
                                  text=True, timeout=timeout, env=env)
            if proc.returncode != 0 or not out.exists():
                raise RuntimeError(f"ssconvert did not write {out} (exit {proc.returncode}): "
                                   f"{proc.stdout}\n{proc.stderr}")
            return out

        with ThreadPoolExecutor(jobs or os.cpu_count() or 2) as pool:
            return list(pool.map(one, files))


def recalculate_all(files: Sequence[Path], outdir: Path) -> dict[str, list[Path]]:
    """Both engines on the same files, LibreOffice's one call beside Gnumeric's processes:
    ``{"libreoffice": [...], "gnumeric": [...]}``, each in the order of ``files``."""
    files = list(files)
    out: dict[str, Any] = {}

    def lo() -> None:
        try:
            out["libreoffice"] = recalculate(files, outdir / "libreoffice")
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            out["libreoffice"] = exc

    t = threading.Thread(target=lo)
    t.start()
    try:
        out["gnumeric"] = recalculate_gnumeric(files, outdir / "gnumeric",
                                               jobs=max(1, (os.cpu_count() or 2) - 1))
    finally:
        t.join()
    if isinstance(out["libreoffice"], BaseException):
        raise out["libreoffice"]
    return out


def blank(v: Any) -> bool:
    return v is None or v == ""


def same_value(a: Any, b: Any, tol: float = 1e-9) -> bool:
    """Two cell values alike as a spreadsheet shows them: blanks (None, "") alike, numbers
    within ``tol``, texts (and error codes) equal. A boolean matches a boolean, or 1 / 0:
    LibreOffice has no boolean type and saves TRUE as the number 1 (never as a text)."""
    if blank(a) or blank(b):
        return blank(a) and blank(b)
    if isinstance(a, bool) and isinstance(b, bool):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return all(isinstance(v, (int, float)) for v in (a, b)) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    return a == b


def formula_cells(path: Path, sheet: str) -> dict[str, str]:
    """A1 address → formula of every formula cell of ``sheet``."""
    import openpyxl

    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=")}


def cached_values(path: Path, sheet: str, addrs) -> dict[str, Any]:
    """The values a file caches (as openpyxl reads them with ``data_only=True``)."""
    import openpyxl

    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {a: ws[a].value for a in addrs}


def sheet_values(path: Path, sheet: str) -> dict[str, Any]:
    """A1 address → value of every non-empty cell of ``sheet`` as cached in the file
    (openpyxl ``data_only``, read-only: a fraction of a full load)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {c.coordinate: c.value for row in wb[sheet].iter_rows() for c in row
                if getattr(c, "coordinate", None) is not None and c.value is not None}
    finally:
        wb.close()
