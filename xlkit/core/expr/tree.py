"""A small expression language that is both evaluated in Python and written as Excel formulas.

The scoring rules (xlkit.scoring) are built from these nodes once. ``evaluate`` gives the
number Python trusts; ``excel`` renders the same tree as an Excel 2010 / WPS formula. Because
both come from one tree they cannot drift apart; the LibreOffice tests prove the engine agrees.

Python evaluation follows Excel's rules where they matter to the rules: a blank cell is
``None``, equal to ``""`` and to 0; ``IF`` is lazy; text never passes ``ISNUMBER``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xlkit.core.expr.values import (
    COMPARE,
    FUNCTIONS,
    FormulaError,
    comparable,
    number,
    number_text,
    text,
    truth,
)

#: Functions a built workbook may use: all evaluate in Excel 2010, WPS and LibreOffice.
ALLOWED_FUNCTIONS = frozenset({
    "IF", "IFERROR", "AND", "OR", "NOT", "MIN", "MAX", "ROUND", "ABS", "SUM", "COUNT",
    "COUNTA", "COUNTIF", "COUNTBLANK", "SUMPRODUCT", "ISNUMBER", "ISBLANK", "ISTEXT", "LEN",
    "TRIM", "TEXT", "CELL", "LEFT",
})

Value = float | str | bool | None


class Expr:
    """An expression node. Operators build new nodes: ``a / b``, ``a >= 1``."""

    def excel(self, refs: Mapping[str, str]) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(self, env: Mapping[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def functions(self) -> set[str]:
        return set()

    # arithmetic / comparison sugar
    def __add__(self, o): return Op("+", self, lit(o))
    def __radd__(self, o): return Op("+", lit(o), self)
    def __sub__(self, o): return Op("-", self, lit(o))
    def __rsub__(self, o): return Op("-", lit(o), self)
    def __mul__(self, o): return Op("*", self, lit(o))
    def __rmul__(self, o): return Op("*", lit(o), self)
    def __truediv__(self, o): return Op("/", self, lit(o))
    def __rtruediv__(self, o): return Op("/", lit(o), self)
    def __ge__(self, o): return Op(">=", self, lit(o))
    def __gt__(self, o): return Op(">", self, lit(o))
    def __le__(self, o): return Op("<=", self, lit(o))
    def __lt__(self, o): return Op("<", self, lit(o))
    def eq(self, o) -> Op: return Op("=", self, lit(o))
    def ne(self, o) -> Op: return Op("<>", self, lit(o))
    def cat(self, o) -> Op: return Op("&", self, lit(o))

    __hash__ = object.__hash__


def lit(v: Any) -> Expr:
    return v if isinstance(v, Expr) else Lit(v)


@dataclass(frozen=True, eq=False)
class Lit(Expr):
    value: float | str | bool

    def excel(self, refs):
        v = self.value
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, str):
            return '"' + v.replace('"', '""') + '"'
        return number_text(v)

    def evaluate(self, env):
        return self.value


@dataclass(frozen=True, eq=False)
class Ref(Expr):
    """A named input; ``refs`` maps the name to a cell (``$E$7``) or range."""

    name: str

    def excel(self, refs):
        try:
            return refs[self.name]
        except KeyError:
            raise KeyError(f"formula needs a cell for {self.name!r}") from None

    def evaluate(self, env):
        return env.get(self.name)


@dataclass(frozen=True, eq=False)
class Refs(Expr):
    """Several named inputs as one argument (``SUM(K10:K27)``); a range when contiguous."""

    names: tuple[str, ...]

    def excel(self, refs):
        cells = [Ref(n).excel(refs) for n in self.names]
        parsed = [_A1.match(c) for c in cells]
        if len(cells) > 1 and all(parsed):
            cols = {m.group(1) for m in parsed}
            rows = [int(m.group(2)) for m in parsed]
            if len(cols) == 1 and rows == list(range(rows[0], rows[0] + len(rows))):
                return f"{cells[0]}:{cells[-1]}"
        return ",".join(cells)

    def evaluate(self, env):
        return [env.get(n) for n in self.names]


_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


@dataclass(frozen=True, eq=False)
class Op(Expr):
    op: str
    a: Expr
    b: Expr

    def excel(self, refs):
        return f"{_paren(self.a, refs)}{self.op}{_paren(self.b, refs)}"

    def functions(self):
        return self.a.functions() | self.b.functions()

    def evaluate(self, env):
        x, y = self.a.evaluate(env), self.b.evaluate(env)
        if self.op == "&":
            return text(x) + text(y)
        if self.op in COMPARE:
            return COMPARE[self.op](*comparable(x, y))
        x, y = number(x), number(y)
        if self.op == "+":
            return x + y
        if self.op == "-":
            return x - y
        if self.op == "*":
            return x * y
        if y == 0:
            raise FormulaError("#DIV/0!")
        return x / y


@dataclass(frozen=True, eq=False)
class Call(Expr):
    fn: str
    args: tuple[Expr, ...]

    def excel(self, refs):
        return f"{self.fn}({','.join(a.excel(refs) for a in self.args)})"

    def functions(self):
        out = {self.fn}
        for a in self.args:
            out |= a.functions()
        return out

    def evaluate(self, env):
        if self.fn == "IF":
            cond = truth(self.args[0].evaluate(env))
            branch = self.args[1] if cond else (self.args[2] if len(self.args) > 2 else Lit(False))
            return branch.evaluate(env)
        if self.fn == "IFERROR":
            try:
                return self.args[0].evaluate(env)
            except FormulaError:
                return self.args[1].evaluate(env)
        return FUNCTIONS[self.fn]([a.evaluate(env) for a in self.args])


def percent_flag(name: str) -> str:
    """The environment's name for "input ``name``'s cell is formatted as a percentage"
    (never a field name): what :class:`PercentPoints` reads when it is evaluated."""
    return "%" + name


@dataclass(frozen=True, eq=False)
class PercentPoints(Expr):
    """An input in percent points: its number × 100 when its cell is formatted as a
    percentage (Excel and WPS store "97%" as 0.97 in a %-formatted cell, and so does Excel's
    automatic percent entry when 97 is typed into one), else the value as it is.

    Excel: ``IF(LEFT(CELL("format",x),1)="P",x*100,x)`` — CELL("format") gives "P0" / "P2"
    for a percent format in Excel, WPS, LibreOffice and Gnumeric, "G" / "F0" ... otherwise.
    Python: the environment's ``percent_flag(name)`` (the reader sets it from the cell's
    format, the builder from the format it writes; absent: not a percentage). Use it where
    the input is known to be a number (behind ISNUMBER): like ``x*100``, it turns text into
    #VALUE! or a number when the cell is formatted as a percentage.
    """

    ref: Ref

    def excel(self, refs):
        x = self.ref.excel(refs)
        return f'IF(LEFT(CELL("format",{x}),1)="P",{x}*100,{x})'

    def functions(self):
        return {"IF", "LEFT", "CELL"}

    def evaluate(self, env):
        x = self.ref.evaluate(env)
        if not env.get(percent_flag(self.ref.name)):
            return x
        return number(x) * 100.0


@dataclass(frozen=True, eq=False)
class IsPercent(Expr):
    """Whether input ``ref``'s cell is formatted as a percentage: what ``PercentPoints`` tests
    (a target typed as 95% shows "95%", not "95"). Excel: ``LEFT(CELL("format",x),1)="P"``;
    Python: the environment's ``percent_shown(name)``."""

    ref: Ref

    def excel(self, refs):
        return f'LEFT(CELL("format",{self.ref.excel(refs)}),1)="P"'

    def functions(self):
        return {"LEFT", "CELL"}

    def evaluate(self, env):
        return bool(env.get(percent_shown(self.ref.name)))


def percent_shown(name: str) -> str:
    """The environment's name for "input ``name``'s cell shows a percentage" (what
    :class:`IsPercent` reads): set by the reader for a %-formatted cell in both its views,
    whether the value it holds is the cell's (0.97, with ``percent_flag``) or the parsed
    percent points (97, without)."""
    return "%%" + name


def call(fn: str, *args: Any) -> Call:
    if fn not in ALLOWED_FUNCTIONS:
        raise ValueError(f"{fn} is not allowed in built workbooks")
    return Call(fn, tuple(lit(a) for a in args))


def IF(c, a, b="") -> Call: return call("IF", c, a, b)  # noqa: E302,N802
def AND(*a) -> Call: return call("AND", *a)  # noqa: E302,N802
def OR(*a) -> Call: return call("OR", *a)  # noqa: E302,N802
def MIN(*a) -> Call: return call("MIN", *a)  # noqa: E302,N802
def MAX(*a) -> Call: return call("MAX", *a)  # noqa: E302,N802
def ROUND(x, n=2) -> Call: return call("ROUND", x, n)  # noqa: E302,N802
def ABS(x) -> Call: return call("ABS", x)  # noqa: E302,N802
def SUM(*a) -> Call: return call("SUM", *a)  # noqa: E302,N802
def COUNT(*a) -> Call: return call("COUNT", *a)  # noqa: E302,N802
def ISNUMBER(x) -> Call: return call("ISNUMBER", x)  # noqa: E302,N802


# --------------------------------------------------------------------- rendering


def _paren(e: Expr, refs) -> str:
    s = e.excel(refs)
    if isinstance(e, Op) or (isinstance(e, Lit) and isinstance(e.value, (int, float))
                             and not isinstance(e.value, bool) and e.value < 0):
        return f"({s})"
    return s


# ------------------------------------------------------------------- formula scanning

_STRING = re.compile(r'"(?:[^"]|"")*"')
_FUNC_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")


def functions_in(formula: str) -> set[str]:
    """Names of the functions a formula calls (string literals ignored)."""
    bare = _STRING.sub('""', formula)
    return {m.group(1).upper() for m in _FUNC_CALL.finditer(bare)}


def disallowed_in(formula: str) -> set[str]:
    """Functions (or ``_xlfn.`` prefixes) a formula uses that Excel 2010 / WPS would not."""
    bad = {f for f in functions_in(formula) if f not in ALLOWED_FUNCTIONS}
    if "_XLFN." in formula.upper() or "_XLWS." in formula.upper():
        bad.add("_xlfn.")
    return bad
