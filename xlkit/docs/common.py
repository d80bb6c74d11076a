"""What every document writer shares: the record of a written document, file names, the
folders, and the index of everything written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from xlkit.core.atomic import write_atomic_via

KINDS = ("feedback", "reports", "analysis")
KIND_NAMES = {"feedback": "反馈", "reports": "自评报告", "analysis": "汇总分析报告"}
#: where each kind goes under the output folder
FEEDBACK_DIR, REPORTS_DIR = "反馈", "自评报告"
ANALYSIS_FILE, INDEX_FILE = "汇总分析报告.docx", "文书索引.xlsx"

#: ``progress(n)``: n more documents finished
Progress = Callable[[int], None]
#: ``on_start(kind, total)``: a kind of document starts, ``total`` documents to come
OnStart = Callable[[str, int], None]


@dataclass(frozen=True)
class Written:
    """One document written (or, with ``path`` None, one deliberately not written: a unit
    with nothing to fix gets no feedback; ``note`` says why)."""
    kind: str  # feedback | reports | analysis
    path: Path | None
    unit_code: str | None = None
    unit_name: str | None = None
    project_code: str | None = None
    project_name: str | None = None
    note: str = ""


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
MAX_NAME = 120  # characters of a file name, before the suffix (Windows paths stay short)


def safe_file_name(*parts: str | None, suffix: str = "") -> str:
    """A file name from ``parts`` joined by "_": characters Windows or a zip cannot hold
    replaced by "_", NFC-normalised, trimmed of dots and spaces, at most MAX_NAME long
    (``303001_达州市达川区医疗保险管理局_反馈.xlsx``)."""
    text = "_".join(unicodedata.normalize("NFC", str(p)).strip() for p in parts if p)
    text = _UNSAFE.sub("_", text).strip(" .") or "未命名"
    return text[:MAX_NAME].rstrip(" .") + suffix


def unique_file_name(*parts: str | None, suffix: str, taken: set[str]) -> str:
    """:func:`safe_file_name`, with "_2", "_3" … added while the name is in ``taken``
    (compared case-folded, as Windows and macOS compare names); the name is added to it."""
    name, n = safe_file_name(*parts, suffix=suffix), 1
    while name.casefold() in taken:
        n += 1
        name = safe_file_name(*parts, str(n), suffix=suffix)
    taken.add(name.casefold())
    return name


INDEX_HEAD = ("序号", "文书", "单位编码", "单位名称", "项目编码", "项目名称", "文件", "说明")


def write_index(out: Path, written: Sequence[Written]) -> Path:
    """文书索引.xlsx: every document written, and every one deliberately not written with
    why, paths relative to ``out``."""
    path = out / INDEX_FILE

    def write(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "strings_to_numbers": False})
        ws = wb.add_worksheet("文书索引")
        head = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2"})
        cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        for c, h in enumerate(INDEX_HEAD):
            ws.write_string(0, c, h, head)
        for r, w in enumerate(written, start=1):
            rel = "" if w.path is None else str(Path(w.path).relative_to(out)) \
                if Path(w.path).is_relative_to(out) else str(w.path)
            values = (r, KIND_NAMES.get(w.kind, w.kind), w.unit_code, w.unit_name,
                      w.project_code, w.project_name, rel, w.note)
            for c, v in enumerate(values):
                if isinstance(v, int):
                    ws.write_number(r, c, v, cell)
                else:
                    ws.write_string(r, c, "" if v is None else str(v), cell)
        for c, width in enumerate((6, 12, 10, 28, 18, 32, 60, 36)):
            ws.set_column(c, c, width)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(written), 1), len(INDEX_HEAD) - 1)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        wb.close()

    write_atomic_via(path, write)
    return path
