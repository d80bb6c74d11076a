"""Formula texts compared as a spreadsheet means them, not as it spells them.

A return's formula cells are compared with the formulas the form's spec generates
(``Layout.formula``). Excel, WPS, LibreOffice, Gnumeric and openpyxl write the same formula
in different spellings, none of which changes what it computes: ``$`` in references (and the
relative ``F7`` a shared formula's child is given where the master wrote ``$F$7``), the
``_xlfn.`` / ``_xlws.`` prefixes of newer functions, spaces, the case of names, and how a
number literal is written (``0.5`` / ``.5`` / ``5E-1``), and the logical constants as functions
(LibreOffice writes ``FALSE()`` for ``FALSE``). :func:`normalise` removes exactly those
differences: text in double quotes and quoted sheet names are kept as they are.
"""

from __future__ import annotations

import re

from xlkit.core.cache import BoundedCache

_TOKEN = re.compile(
    r'("(?:[^"]|"")*"?)'  # a text literal, "" inside it an escaped quote
    r"|('(?:[^']|'')*'?)"  # a quoted sheet name
    r"|([A-Za-z_$\\][A-Za-z0-9_.$]*)"  # a name, function or reference, $ and all
    r"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"  # a number
    r"|(\s+)"  # spaces and line breaks between tokens
    r"|(.)", re.S)  # an operator or separator
_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.")
_LOGICAL = frozenset(("TRUE", "FALSE"))
_SEEN: BoundedCache[str, str] = BoundedCache(4096)


def normalise(formula: str) -> str:
    """``formula`` (with or without its leading ``=``) in one spelling per meaning."""
    hit = _SEEN.get(formula)
    if hit is not None:
        return hit
    out = []
    text = formula[1:] if formula.startswith("=") else formula
    for m in _TOKEN.finditer(text):
        quoted, sheet, name, number, space, other = m.groups()
        if quoted is not None or sheet is not None:
            out.append(quoted or sheet)
        elif name is not None:
            name = name.replace("$", "").upper()
            for p in _PREFIXES:
                if name.startswith(p):
                    name = name[len(p):]
                    break
            out.append(name)
        elif number is not None:
            out.append(repr(float(number)))
        elif other is not None:
            out.append(other)
    for i in range(len(out) - 2, 0, -1):  # TRUE() / FALSE(): the constants
        if out[i] == "(" and out[i + 1] == ")" and out[i - 1] in _LOGICAL:
            del out[i:i + 2]
    return _SEEN.put(formula, "=" + "".join(out))


def same_formula(found: str, want: str) -> bool:
    """Whether the formula ``found`` in a cell is ``want`` in another spelling (both are
    normalised only when they differ as written: as issued, or saved by openpyxl, they do
    not)."""
    return found == want or normalise(found) == normalise(want)
