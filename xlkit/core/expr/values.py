"""Spreadsheet value semantics, as Excel 2010 / WPS / LibreOffice evaluate them.

What a blank is (``None``: 0 to arithmetic, "" to text), when text is a number (never, to
ISNUMBER and SUM; to ``+`` only when it converts), how values compare across types, how
ROUND rounds, and the functions a built workbook may call. The expression tree
(``tree.py``) and the compiled rules (``compile.py``) both evaluate through these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


class FormulaError(Exception):
    """An Excel error value raised during Python evaluation (``#DIV/0!`` ...)."""


def excel_round(x: float, digits: int = 2) -> float:
    """ROUND as Excel does it: half away from zero on the shortest decimal of ``x``."""
    x = float(x)
    text = repr(x)
    point = text.find(".")
    if 0 <= point and "e" not in text and len(text) - point - 1 <= digits:
        return x  # no more decimals than asked for: the number itself (a shortcut)
    q = Decimal(1).scaleb(-digits)
    d = Decimal(text).quantize(q, rounding=ROUND_HALF_UP)
    return float(d)


def number_text(v: float) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return str(v)
    text = repr(v)
    # Excel and WPS read plain decimals everywhere; keep exponents out of formulas.
    return f"{v:.17f}".rstrip("0") if "e" in text else text


def flatten(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(flatten(v))
        else:
            out.append(v)
    return out


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def number(v: Any) -> float:
    if v is None:
        return 0.0
    if v == "":
        raise FormulaError("#VALUE!")
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            raise FormulaError("#VALUE!") from None
    raise FormulaError("#VALUE!")


def general_text(v: float) -> str:
    """A number as text the way ``&`` turns it into text in Excel, WPS, LibreOffice and
    Gnumeric (the General format of a concatenation): at most 15 significant digits, no
    trailing zeros, no exponent between 1E-9 and 1E+15 (0.57 × 100 is "57", not
    "56.99999999999999"). Beyond that range the exponent form (1E+20)."""
    v = float(v)
    if v == 0:
        return "0"
    s = f"{v:.15g}"
    if "e" not in s:
        return s
    mant, exp = s.split("e")
    e = int(exp)
    if -10 < e < 15:
        d = f"{Decimal(s):f}"
        return d.rstrip("0").rstrip(".") if "." in d else d
    return f"{mant}E{'+' if e >= 0 else '-'}{abs(e):02d}"


def text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if is_number(v):
        return general_text(v)
    return str(v)


def truth(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        if v.upper() in ("TRUE", "FALSE"):
            return v.upper() == "TRUE"
        raise FormulaError("#VALUE!")
    return bool(v)


def _rank(v: Any) -> int:
    # Excel orders number < text < logical when types differ.
    return 2 if isinstance(v, bool) else 1 if isinstance(v, str) else 0


def comparable(x: Any, y: Any) -> tuple[Any, Any]:
    if x is None:
        x = "" if isinstance(y, str) else False if isinstance(y, bool) else 0.0
    if y is None:
        y = "" if isinstance(x, str) else False if isinstance(x, bool) else 0.0
    if _rank(x) != _rank(y):
        return _rank(x), _rank(y)
    if isinstance(x, str):
        return x.lower(), y.lower()
    return x, y


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def numbers(args: Sequence[Any]) -> list[float]:
    """The finite numbers among ``args`` (lists flattened), as floats: what MIN, MAX, SUM
    and COUNT take. Plain floats, most values, are tested without a call."""
    out: list[float] = []
    for v in args:
        if v.__class__ is float:
            if v - v == 0.0:  # neither inf nor nan
                out.append(v)
        elif isinstance(v, (list, tuple)):
            out += numbers(v)
        elif v is not None and v.__class__ is not str and is_number(v):
            out.append(float(v))
    return out


def _round(args):
    return excel_round(number(args[0]), int(number(args[1])))


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "AND": lambda a: all(truth(v) for v in flatten(a) if v is not None),
    "OR": lambda a: any(truth(v) for v in flatten(a) if v is not None),
    "NOT": lambda a: not truth(a[0]),
    "MIN": lambda a: min(numbers(a), default=0.0),
    "MAX": lambda a: max(numbers(a), default=0.0),
    "ROUND": _round,
    "ABS": lambda a: abs(number(a[0])),
    "SUM": lambda a: float(sum(numbers(a))),
    "COUNT": lambda a: float(len(numbers(a))),
    "ISNUMBER": lambda a: is_number(a[0]),
}
