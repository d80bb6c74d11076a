"""XML text in and out of an xlsx: text escaped as xlsxwriter escapes it, and a safe expat parser.

Writing: :func:`escape_text` is xlsxwriter's escaping of a text node (``xmlwriter``'s
``_escape_control_characters`` then ``_escape_data``): an ``_xHHHH_`` already in the text is
kept literal as ``_x005F_xHHHH_``, control characters and the non-characters U+FFFE / U+FFFF
become ``_xHHHH_``, then ``& < >`` are escaped (quotes are not, in text). :func:`text_element`
wraps it in ``<t>``, with ``xml:space="preserve"`` when it starts or ends with white space.

Reading: :func:`parser` is an expat parser that refuses any DOCTYPE or entity declaration
(:class:`UnsafeXML`), so no entity is ever declared or expanded; :func:`feed` runs it over
bytes or a stream, and a handler raising :class:`StopParsing` ends it early.
"""

from __future__ import annotations

import re
from typing import IO, Any
from xml.parsers import expat

__all__ = ["CONTROL", "LITERAL_ESCAPE", "StopParsing", "UnsafeXML", "edge_space", "escape_text",
           "feed", "parser", "text_element"]

#: What xlsxwriter writes as ``_xHHHH_``: C0 controls but tab and newline, U+FFFE, U+FFFF.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
#: Text that reads as an ``_xHHHH_`` escape; xlsxwriter keeps it literal as ``_x005F_xHHHH_``.
LITERAL_ESCAPE = re.compile(r"_x[0-9a-fA-F]{4}_")
_LITERAL_GROUP = re.compile("(_x[0-9a-fA-F]{4}_)")
_EDGE_SPACE = re.compile(r"^\s|\s$")


def _control(m: re.Match[str]) -> str:
    return f"_x{ord(m.group()):04X}_"


def escape_text(text: str) -> str:
    """``text`` as xlsxwriter writes a text node (see the module docstring). Lone surrogates
    pass through unchanged: they cannot be encoded as UTF-8, so writing them fails there, as
    in xlsxwriter."""
    if "_x" in text:
        text = _LITERAL_GROUP.sub(r"_x005F\1", text)
    if CONTROL.search(text):
        text = CONTROL.sub(_control, text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def edge_space(escaped: str) -> bool:
    """Whether an escaped text needs ``xml:space="preserve"`` (white space at an end)."""
    return _EDGE_SPACE.search(escaped) is not None


def text_element(text: str) -> str:
    """``<t>…</t>`` holding ``text`` as xlsxwriter writes it (shared or inline string)."""
    if (text.isprintable() and "&" not in text and "<" not in text and ">" not in text
            and "_x" not in text and not text[:1].isspace() and not text[-1:].isspace()):
        return f"<t>{text}</t>"  # the common case, quickly
    text = escape_text(text)
    if edge_space(text):
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


# ----------------------------------------------------------------------------- reading

CHUNK = 1 << 16  # bytes fed to expat at a time, and its text buffer


class StopParsing(Exception):
    """Raised inside a handler: everything needed has been seen."""


class UnsafeXML(Exception):
    """A DOCTYPE or entity declaration: refused, never expanded."""


def _refuse(*_: Any) -> None:
    raise UnsafeXML


def parser() -> Any:
    """An expat parser that refuses any DOCTYPE (so no entity can be declared or expanded),
    with parameter entities off and namespaces resolved as ``uri}local``. Names are not
    interned (handlers compare them by value): that look-up cost a seventh of a scan."""
    p = expat.ParserCreate(namespace_separator="}", intern=None)
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.StartDoctypeDeclHandler = _refuse
    p.EntityDeclHandler = _refuse
    p.buffer_text = True
    p.buffer_size = CHUNK
    return p


def feed(p: Any, src: bytes | IO[bytes]) -> None:
    """Feed ``src`` (bytes, or a stream read in chunks) to ``p``; :class:`StopParsing` ends
    it early."""
    try:
        if isinstance(src, bytes):
            p.Parse(src, True)
        else:
            while chunk := src.read(CHUNK):
                p.Parse(chunk, False)
            p.Parse(b"", True)
    except StopParsing:
        pass


def local_name(name: str) -> str:
    """``uri}local`` → ``local``."""
    return name.rsplit("}", 1)[-1]
