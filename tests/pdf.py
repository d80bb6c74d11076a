"""What people see on paper: workbooks and documents rendered to PDF by LibreOffice, read back
page by page with poppler (pdftotext, pdfinfo) and drawn to PNG (pdftoppm) for a look.

LibreOffice prints every visible sheet of a workbook, each sheet on its own pages, in sheet
order; :func:`sheet_pages` picks one sheet's pages by the text only that sheet prints.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from engine import convert


def poppler() -> bool:
    return all(shutil.which(x) for x in ("pdftotext", "pdfinfo", "pdftoppm"))


def to_pdf(files: Sequence[Path], outdir: Path, timeout: float = 600) -> list[Path]:
    """Convert each file (xlsx, docx ...) to PDF with LibreOffice, one soffice call for all."""
    return convert(files, outdir, "pdf", ".pdf", timeout)


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    m = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert m, info.stdout
    return int(m.group(1))


def page_size(pdf: Path) -> tuple[float, float]:
    """(width, height) of the first page in points: A4 landscape is about (842, 595)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    m = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info.stdout, re.M)
    assert m, info.stdout
    return float(m.group(1)), float(m.group(2))


def pages(pdf: Path, layout: bool = True) -> list[str]:
    """The text of every page (pdftotext; ``layout`` keeps the columns' order on a line)."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(pdf), "-"]
    out = subprocess.run(args, capture_output=True, check=True).stdout.decode("utf-8")
    texts = out.split("\f")
    if texts and not texts[-1].strip():
        texts.pop()
    return texts


def squeeze(text: str) -> str:
    """A page's text without spaces or line breaks: CJK labels read whole however the
    renderer spaced or wrapped them."""
    return re.sub(r"\s+", "", text)


def sheet_pages(texts: Sequence[str], first_marker: str,
                next_marker: str | None = None) -> list[str]:
    """The pages from the first holding ``first_marker`` up to (not including) the first
    later page holding ``next_marker`` (the next sheet's own text), spaces ignored."""
    start = next(i for i, t in enumerate(texts) if first_marker in squeeze(t))
    end = len(texts)
    if next_marker is not None:
        end = next((i for i in range(start + 1, len(texts)) if next_marker in squeeze(texts[i])),
                   len(texts))
    return list(texts[start:end])


def to_png(pdf: Path, outdir: Path, dpi: int = 70) -> list[Path]:
    """Every page as a PNG (``<stem>-<n>.png``) to look at."""
    outdir.mkdir(parents=True, exist_ok=True)
    prefix = outdir / pdf.stem
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True)
    return sorted(outdir.glob(pdf.stem + "-*.png"))
