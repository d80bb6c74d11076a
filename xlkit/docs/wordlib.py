"""Word (.docx) helpers for the documents: a small A4 template made once, paragraphs and
tables written as XML in one call each, one marked placeholder style, atomic saving.

Documents stay plain so that Word 2010, WPS and LibreOffice show them alike (child elements
in the schema's order: Word refuses a file otherwise): paragraphs,
runs, tables, headings by style, an A4 section and a page-number footer; the East Asian
fonts are set on the styles (宋体 for the body, 黑体 for headings; LibreOffice substitutes
Noto CJK when they are missing). python-docx's default template carries ~800 kB of styles;
the template here keeps the few styles used, so opening and saving a document costs ~2 ms
instead of ~30 ms.

Text in a paragraph or a cell is given as *parts*: a ``str``, or :class:`Bold`, :class:`Note`
(a remark in red: the sheet disagrees), :class:`Placeholder` (what only the unit can write:
a highlighted 【请填写：…】, found again by :data:`PLACEHOLDER_RE`).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph

from xlkit.core.atomic import write_atomic_via

BODY_FONT, HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
#: A4 in twentieths of a point (dxa), and the margins (left 2.8 cm, right 2.6 cm)
PAGE_W, PAGE_H = 11906, 16838
MARGINS = {"top": 1440, "bottom": 1440, "left": 1588, "right": 1474}
TEXT_WIDTH_CM = (PAGE_W - MARGINS["left"] - MARGINS["right"]) / 567  # 15.6 cm
PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE = "【请填写：", "】"
#: every placeholder in a document's text; group 1 is what to write
PLACEHOLDER_RE = re.compile(re.escape(PLACEHOLDER_OPEN) + r"([^】]*)" + PLACEHOLDER_CLOSE)
NOTE_COLOR, PLACEHOLDER_COLOR, HEADER_FILL = "C00000", "C00000", "D9E1F2"


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Note:
    """A remark beside a figure, in red: e.g. （表内显示 91.04 分，与重新计算不一致，请核对）."""
    text: str


@dataclass(frozen=True)
class Placeholder:
    """What only the unit can write, shown as a highlighted 【请填写：what】."""
    what: str

    @property
    def text(self) -> str:
        return f"{PLACEHOLDER_OPEN}{self.what}{PLACEHOLDER_CLOSE}"


Part = str | Bold | Note | Placeholder
Cell = Part | Sequence[Part] | None


def placeholder(what: str) -> Placeholder:
    """The one way a document marks a place for the unit to write."""
    return Placeholder(what)


# ---------------------------------------------------------------- the template

def _font(east_asia: str) -> str:
    return (f'<w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
            f'w:eastAsia="{east_asia}" w:cs="{LATIN_FONT}"/>')


def _styles_xml() -> str:
    def para(sid: str, name: str, ppr: str, rpr: str, based: str = "Normal",
             extra: str = "") -> str:
        return (f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/>'
                f'<w:basedOn w:val="{based}"/><w:next w:val="Normal"/>{extra}<w:qFormat/>'
                f"<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>")

    heading_rpr = _font(HEADING_FONT) + '<w:sz w:val="{sz}"/><w:szCs w:val="{sz}"/>'
    return (
        f'<w:styles {nsdecls("w")}>'
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'{_font(BODY_FONT)}<w:sz w:val="24"/><w:szCs w:val="24"/>'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
        '<w:spacing w:after="0" w:line="360" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
        '<w:qFormat/><w:pPr><w:ind w:firstLine="480"/><w:jc w:val="both"/></w:pPr></w:style>'
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
        "</w:style>"
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
        '<w:name w:val="Normal Table"/><w:semiHidden/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar>'
        "</w:tblPr></w:style>"
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        "<w:semiHidden/></w:style>"
        '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/>'
        '<w:basedOn w:val="TableNormal"/><w:tblPr><w:tblBorders>'
        + "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
                  for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + "</w:tblBorders></w:tblPr></w:style>"
        + para("Title", "Title", '<w:spacing w:before="240" w:after="240" w:line="400" '
               'w:lineRule="auto"/><w:ind w:firstLine="0"/><w:jc w:val="center"/>',
               heading_rpr.format(sz=36))
        + para("Subtitle", "Subtitle", '<w:spacing w:after="240"/><w:ind w:firstLine="0"/>'
               '<w:jc w:val="center"/>', _font(BODY_FONT) + '<w:sz w:val="28"/>')
        + "".join(para(f"Heading{n}", f"heading {n}",
                       f'<w:keepNext/><w:keepLines/><w:spacing w:before="{before}" '
                       f'w:after="60"/><w:outlineLvl w:val="{n - 1}"/>',
                       heading_rpr.format(sz=sz))
                  for n, sz, before in ((1, 28, 240), (2, 24, 120), (3, 24, 120)))
        + para("TableText", "Table Text", '<w:spacing w:line="264" w:lineRule="auto"/>'
               '<w:ind w:firstLine="0"/><w:jc w:val="left"/>', '<w:sz w:val="20"/>'
               '<w:szCs w:val="20"/>')
        + para("Remark", "Remark", '<w:spacing w:after="120" w:line="264" '
               'w:lineRule="auto"/><w:ind w:firstLine="0"/>',
               '<w:color w:val="595959"/><w:sz w:val="20"/><w:szCs w:val="20"/>')
        + para("Footer", "footer", '<w:ind w:firstLine="0"/><w:jc w:val="center"/>',
               '<w:sz w:val="18"/>')
        + "</w:styles>")


def _trim(doc: DocumentObject) -> None:
    """Drop the default template's parts a plain report does not need."""
    unwanted = ("stylesWithEffects", "customXml", "webSettings", "thumbnail", "theme",
                "numbering", "fontTable")  # all optional; fonts are named in the styles
    for rels in (doc.part.rels, doc.part.package.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in unwanted:
                rels.pop(rid)


@lru_cache(maxsize=1)
def template_bytes() -> bytes:
    """The trimmed A4 template, made once per process."""
    doc = Document()
    _trim(doc)
    styles = doc.styles.element
    for child in list(styles):
        styles.remove(child)
    for child in parse_xml(_styles_xml()):
        styles.append(child)
    sect = doc.sections[0]
    sect.page_width, sect.page_height = PAGE_W * 635, PAGE_H * 635  # dxa → EMU
    for side, dxa in MARGINS.items():
        setattr(sect, f"{side}_margin", dxa * 635)
    sect.header_distance = sect.footer_distance = Cm(1.2)
    footer = sect.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE ">'
                               "<w:r><w:t>1</w:t></w:r></w:fldSimple>"))
    props = doc.core_properties
    props.author = props.last_modified_by = "xlkit"
    props.title = props.subject = props.keywords = props.comments = ""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def new_document(title: str | None = None) -> DocumentObject:
    """A new, empty A4 document on the trimmed template (``title``: its property)."""
    doc = Document(io.BytesIO(template_bytes()))
    if title:
        doc.core_properties.title = title
    return doc


def save(doc: DocumentObject, path: str | Path) -> Path:
    """Save ``doc`` to ``path`` atomically (temp file + rename)."""
    path = Path(path)
    write_atomic_via(path, lambda tmp: doc.save(str(tmp)))
    return path


# ---------------------------------------------------------------- text as XML

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text_xml(text: str) -> str:
    """A run's text: XML-escaped, characters XML cannot hold dropped, line breaks and tabs
    as Word's own elements."""
    text = _INVALID_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("<w:br/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append("<w:tab/>")
            if piece:
                out.append(f'<w:t xml:space="preserve">{escape(piece)}</w:t>')
    return "".join(out)


_RPR = {Bold: "<w:b/>", Note: f'<w:color w:val="{NOTE_COLOR}"/>',
        Placeholder: f'<w:b/><w:color w:val="{PLACEHOLDER_COLOR}"/>'
                     '<w:highlight w:val="yellow"/>'}


def runs_xml(parts: Cell, rpr: str = "") -> str:
    """The runs of ``parts`` (``rpr``: run properties every run gets, e.g. ``<w:b/>``)."""
    if parts is None:
        return ""
    if isinstance(parts, str | Bold | Note | Placeholder):
        parts = (parts,)
    out = []
    for part in parts:
        if part is None:
            continue
        text = part if isinstance(part, str) else part.text
        if not text:
            continue
        props = rpr + ("" if isinstance(part, str) else _RPR[type(part)])
        out.append(f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}"
                   f"{_text_xml(text)}</w:r>")
    return "".join(out)


def _paragraph_xml(parts: Cell, style: str | None = None, align: str | None = None,
                   rpr: str = "", keep_next: bool = False) -> str:
    ppr = ((f'<w:pStyle w:val="{style}"/>' if style else "")
           + ("<w:keepNext/>" if keep_next else "")
           + (f'<w:jc w:val="{align}"/>' if align else ""))
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{runs_xml(parts, rpr)}</w:p>"


_SECT_PR = qn("w:sectPr")


def _append(doc: DocumentObject, xml: str) -> Any:
    """Parse ``xml`` and put it at the end of the body, before the section properties."""
    element = parse_xml(xml)
    body = doc.element.body
    last = body[-1] if len(body) else None
    if last is not None and last.tag == _SECT_PR:
        last.addprevious(element)
    else:
        body.append(element)
    return element


def paragraph(doc: DocumentObject, *parts: Part, style: str | None = None,
              align: str | None = None, keep_next: bool = False) -> Paragraph:
    """A paragraph of ``parts`` (body text: 宋体, first line indented two characters);
    ``style``: Title, Subtitle, Heading1..3, TableText, Remark; ``align``: left, center,
    right, both."""
    xml = _paragraph_xml(parts, style, align, keep_next=keep_next)
    return Paragraph(_append(doc, xml.replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)), doc._body)


def heading(doc: DocumentObject, text: str, level: int = 1) -> Paragraph:
    """A heading by style (黑体): level 0 is the title, 1..3 the section levels."""
    return paragraph(doc, text, style="Title" if level == 0 else f"Heading{level}")


def picture(doc: DocumentObject, png: bytes | str | Path, width_cm: float = TEXT_WIDTH_CM
            ) -> Paragraph:
    """A PNG picture in a centred paragraph of its own, ``width_cm`` wide."""
    source = io.BytesIO(png) if isinstance(png, bytes) else str(png)
    doc.add_picture(source, width=Cm(width_cm))
    para = doc.paragraphs[-1]
    para.paragraph_format.first_line_indent = 0
    para.alignment = 1  # centre
    return para


# ---------------------------------------------------------------- tables

def table(doc: DocumentObject, header: Sequence[str], rows: Sequence[Sequence[Cell]],
          widths_cm: Sequence[float], *, align: Sequence[str | None] | None = None,
          merge_down: Sequence[int] = ()) -> Table:
    """A bordered table written in one call: a shaded header row (repeated on every page),
    then ``rows`` of cells (each a part or a list of parts; None is empty). ``align`` per
    column (left, center, right); ``merge_down``: columns whose equal neighbours down the
    column are merged into one cell (一级指标 over its rows)."""
    ncol = len(header)
    widths = [round(w * 567) for w in widths_cm]
    align = list(align or [None] * ncol)
    head_cells = "".join(
        _cell_xml(h, widths[c], "center", f'<w:shd w:val="clear" w:color="auto" '
                  f'w:fill="{HEADER_FILL}"/>', "<w:b/>") for c, h in enumerate(header))
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
           f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
           '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
           'w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
           "</w:tblPr><w:tblGrid>"
           + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"
           '<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>' + head_cells + "</w:tr>"]
    previous: list[Any] = [object()] * ncol
    for r, row in enumerate(rows):
        cells = []
        for c in range(ncol):
            value = row[c] if c < len(row) else None
            merge = ""
            if c in merge_down:
                if r and value == previous[c] and value not in (None, ""):
                    merge, value = '<w:vMerge/>', None
                elif r + 1 < len(rows) and value not in (None, "") and \
                        rows[r + 1][c] == value:
                    merge = '<w:vMerge w:val="restart"/>'
            cells.append(_cell_xml(value, widths[c], align[c], merge))
        previous = [row[c] if c < len(row) else None for c in range(ncol)]
        out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")
    out.append("</w:tbl>")
    element = _append(doc, "".join(out))
    after = parse_xml(f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="TableText"/></w:pPr></w:p>')
    element.addnext(after)  # Word needs a paragraph between two tables; a little space
    return Table(element, doc._body)


def _cell_xml(value: Cell, width: int, align: str | None, tcpr: str = "", rpr: str = "") -> str:
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{tcpr}'
            '<w:vAlign w:val="center"/></w:tcPr>'
            f"{_paragraph_xml(value, 'TableText', align, rpr)}</w:tc>")


# ---------------------------------------------------------------- reading back

def texts(doc: DocumentObject) -> Iterator[str]:
    """The text of every paragraph in the body, tables' cells included, in order."""
    t = qn("w:t")
    for p in doc.element.body.iter(qn("w:p")):
        yield "".join(node.text or "" for node in p.iter(t))


def placeholders(doc: DocumentObject) -> list[str]:
    """What every placeholder in ``doc`` asks for, in order."""
    return [m.group(1) for text in texts(doc) for m in PLACEHOLDER_RE.finditer(text)]


# ---------------------------------------------------------------- figures as text

def blank(value: Any) -> bool:
    """None, NaN, pandas' NA or an empty string."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # pd.NA raises: treated as blank
    except TypeError:
        return True


def money(value: Any) -> str:
    """万元 as the form shows them: 1,500.00."""
    return "" if blank(value) else f"{float(value):,.2f}"


def percent(value: Any) -> str:
    """A rate (0.552) as 55.20%."""
    return "" if blank(value) else f"{float(value) * 100:.2f}%"


def points(value: Any) -> str:
    """A score or weight: 83.71, 95, 5.5 (at most two decimals, no trailing zeros)."""
    if blank(value):
        return ""
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
