"""LibreOffice headless as the real spreadsheet engine of the tests.

LibreOffice 7.4 keeps a file's cached formula values unless its profile says to recalculate
on load, so every run uses a throw-away profile with OOXMLRecalcMode = 0 (always). Many files
go through one soffice call, which is what makes this affordable (~0.15 s a file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

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
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlkit-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir),
               *map(str, files)]
        env = dict(os.environ, HOME=profile)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    out = [outdir / f.name for f in files]
    missing = [p for p in out if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {missing}: {proc.stdout}\n{proc.stderr}")
    return out
