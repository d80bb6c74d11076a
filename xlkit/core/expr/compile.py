"""Rules compiled to straight-line Python: ``Expr.evaluate``'s results, without the tree walk.

Reading a return evaluates every rule of its form, some 750 nodes; walking the tree costs a
few method calls per node. Here a rule becomes the source of one Python function with a local
per node. Plain floats and strings take inline fast paths, anything else goes through the
helpers ``Expr.evaluate`` uses, so every value, error and exception is the same (the tests
compare the two on random inputs, and LibreOffice recalculates the forms).

Field names are parameters (slots), so the score rule of every indicator row of every layout
is one function, compiled once per process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from xlkit.core.cache import BoundedCache
from xlkit.core.expr.tree import (
    Call,
    Expr,
    IsPercent,
    Lit,
    Op,
    PercentPoints,
    Ref,
    Refs,
    percent_flag,
    percent_shown,
)
from xlkit.core.expr.values import (
    COMPARE,
    FUNCTIONS,
    FormulaError,
    comparable,
    excel_round,
    is_number,
    number,
    text,
    truth,
)

MAX_DEPTH = 60  # nested IFs deeper than this are walked as a tree (Python limits indentation)


class Rule(NamedTuple):
    """A compiled rule: ``fn(get, values, names, defaults)`` gives ``expr.evaluate(env)``,
    where ``get`` answers the computed fields and ``values.get(name, default)`` the others."""

    fn: Callable[..., Any]
    names: tuple[str, ...]
    defaults: tuple[Any, ...]


def compile_rule(expr: Expr, computed: Callable[[str], bool],
                 default: Callable[[str], Any]) -> Rule:
    """``expr`` as a :class:`Rule`; ``computed(name)``: the name is a field with its own rule
    (read through ``get``, which evaluates it once); ``default(name)``: the value of a name
    missing from ``values`` (a pre-filled cell's value, else None)."""
    c = _Compiler(computed)
    try:
        source = c.source(expr)
        fn = _COMPILED.get(source)
        if fn is None:
            fn = _COMPILED.put(source, _build(source))
    except (_NotCompiled, RecursionError, SyntaxError):  # odd, or too deep for Python
        fn = _walker(expr, computed, default)
        c.slots = {}
    names = tuple(c.slots)
    return Rule(fn, names, tuple(default(n) for n in names))


def run(program: dict[str, Rule], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every rule's value, in ``program``'s order; a rule another one reads is worked out
    when first read, once. A rule that raises FormulaError has the error as its value (the
    cell shows it, as in Excel)."""
    out: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name in out:
            return out[name]
        fn, names, defaults = program[name]
        try:
            v = fn(get, values, names, defaults)
        except FormulaError as exc:
            v = exc
        out[name] = v
        return v

    for name in program:
        get(name)
    return out


_COMPILED: BoundedCache[str, Callable[..., Any]] = BoundedCache(4096)


def _build(source: str) -> Callable[..., Any]:
    namespace = dict(_HELPERS)
    exec(compile(source, "<xlkit rule>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace["rule"]


def _walker(expr: Expr, computed: Callable[[str], bool],
            default: Callable[[str], Any]) -> Callable[..., Any]:
    """The tree walk itself, for a rule this compiler does not take."""
    def rule(get: Callable[[str], Any], values: Mapping[str, Any], names: Any,
             defaults: Any) -> Any:
        return expr.evaluate(_Getter(
            lambda name: get(name) if computed(name) else values.get(name, default(name))))

    return rule


class _Getter:
    """What ``Expr.evaluate`` asks of its environment: ``get(name)``."""

    def __init__(self, get: Callable[[str], Any]):
        self.get = get


# ---------------------------------------------------------------- helpers the code calls


def _cmp(op: str, x: Any, y: Any) -> bool:
    return COMPARE[op](*comparable(x, y))


_HELPERS: dict[str, Any] = {
    "FormulaError": FormulaError, "_number": number, "_text": text, "_truth": truth,
    "_is_number": is_number, "_isfinite": math.isfinite, "_cmp": _cmp, "_FUNCS": FUNCTIONS,
    "NUM": frozenset((int, float)),
    # the functions that flatten their arguments: Call's own
    **{f"_{fn.lower()}": FUNCTIONS[fn] for fn in ("AND", "OR", "MIN", "MAX", "SUM", "COUNT")},
    "_round": lambda x, n: excel_round(number(x), int(number(n))),
    "_excel_round": excel_round,
}

_PY_OP = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FINITE = "{0}.__class__ is float and {0} - {0} == 0.0"  # a float, neither inf nor nan


class _NotCompiled(Exception):
    """A rule (part) this compiler leaves to the tree walk."""


class _Atom(NamedTuple):
    """A value in the generated code: a local's name or a literal, and what is known of it:
    ``kind`` "bool" when it can only be True or False, ``lit`` the literal's value, ``items``
    the values of a ``Refs`` (whose code is a list)."""

    code: str
    kind: str = ""
    lit: Any = None
    is_lit: bool = False
    items: tuple[str, ...] | None = None


def _literal(v: Any) -> _Atom | None:
    try:
        plain = isinstance(v, (bool, str)) or (isinstance(v, (int, float)) and is_number(v))
    except OverflowError:  # an int too large for a float
        plain = False
    return _Atom(repr(v), "bool" if isinstance(v, bool) else "", v, True) if plain else None


class _Compiler:
    def __init__(self, computed: Callable[[str], bool]):
        self.computed = computed
        self.slots: dict[str, int] = {}
        self.body: list[str] = []
        self.n = 0

    def source(self, expr: Expr) -> str:
        result = self.atom(expr, 1)
        head = ["def rule(get, V, n, d):"]
        for name, k in self.slots.items():
            if not self.computed(name):  # a dict look-up has no effects: done once, first
                head.append(f"    v{k} = V.get(n[{k}], d[{k}])")
        return "\n".join(head + self.body + [f"    return {result.code}", ""])

    def emit(self, depth: int, line: str) -> None:
        self.body.append("    " * depth + line)

    def temp(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def atom(self, e: Expr, depth: int) -> _Atom:
        if depth > MAX_DEPTH:
            raise _NotCompiled
        if isinstance(e, Lit):
            lit = _literal(e.value)
            if lit is not None:
                return lit
            raise _NotCompiled  # an odd literal: not worth compiling
        if isinstance(e, Ref):
            k = self.slots.setdefault(e.name, len(self.slots))
            if not self.computed(e.name):
                return _Atom(f"v{k}")
            t = self.temp()
            self.emit(depth, f"{t} = get(n[{k}])")
            return _Atom(t)
        if isinstance(e, Refs):
            items = tuple(self.atom(Ref(x), depth).code for x in e.names)
            return _Atom(f"[{', '.join(items)}]", items=items)
        if isinstance(e, Op):
            return self.op(e, depth)
        if isinstance(e, Call):
            return self.call(e, depth)
        if isinstance(e, PercentPoints):
            return self.percent(e, depth)
        if isinstance(e, IsPercent):
            flag = self.atom(Ref(percent_shown(e.ref.name)), depth)
            t = self.temp()
            self.emit(depth, f"{t} = bool({flag.code})")
            return _Atom(t, "bool")
        raise _NotCompiled  # an Expr this compiler does not know: walk it

    # --- operators

    def op(self, e: Op, depth: int) -> _Atom:
        x, y = self.atom(e.a, depth), self.atom(e.b, depth)
        t = self.temp()
        if e.op == "&":
            self.emit(depth, f"{t} = _text({x.code}) + _text({y.code})")
            return _Atom(t)
        if e.op in _PY_OP:
            self.emit(depth, f"{t} = {self.compare(e.op, x, y)}")
            return _Atom(t, "bool")
        x, y = self.number(x, depth), self.number(y, depth)
        op = e.op if e.op in ("+", "-", "*") else "/"  # as Op.evaluate: anything else divides
        if op == "/" and not (y.is_lit and y.lit != 0):
            self.emit(depth, f"if {y.code} == 0:")
            self.emit(depth + 1, "raise FormulaError('#DIV/0!')")
        self.emit(depth, f"{t} = {x.code} {op} {y.code}")
        return _Atom(t)

    @staticmethod
    def compare(op: str, x: _Atom, y: _Atom) -> str:
        """``_cmp(op, x, y)``, with the common cases first: two numbers, or a text against
        a text, compare as they are (``_comparable`` only folds the case of texts); a blank
        or a value of another type against a literal gives a result known now."""
        py, slow = _PY_OP[op], f"_cmp({op!r}, {x.code}, {y.code})"
        if x.is_lit and y.is_lit:
            return slow
        if x.kind == y.kind == "bool":  # True/False: compared as they are
            return f"{x.code} {py} {y.code}"
        cases: list[tuple[str, str]] = []  # (condition, value), conditions exclude each other
        if x.is_lit or y.is_lit:
            lit, v = (x.lit, y.code) if x.is_lit else (y.lit, x.code)

            def known(other: Any) -> str:  # _cmp with ``other`` in v's place, now
                return repr(_cmp(op, lit, other) if x.is_lit else _cmp(op, other, lit))

            if isinstance(lit, str):
                low = repr(lit.lower())
                cases.append((f"{v}.__class__ is str",
                              f"{low} {py} {v}.lower()" if x.is_lit else f"{v}.lower() {py} {low}"))
                cases.append((f"{v}.__class__ in NUM", known(0)))
            elif not isinstance(lit, bool):
                cases.append((f"{v}.__class__ in NUM", f"{x.code} {py} {y.code}"))
                cases.append((f"{v}.__class__ is str", known("")))
            cases.append((f"{v} is None", known(None)))
        else:
            cases.append((f"{x.code}.__class__ in NUM and {y.code}.__class__ in NUM",
                          f"{x.code} {py} {y.code}"))
            cases.append((f"{x.code} is None and {y.code}.__class__ in NUM",
                          f"0.0 {py} {y.code}"))
            cases.append((f"{y.code} is None and {x.code}.__class__ in NUM",
                          f"{x.code} {py} 0.0"))
        return "".join(f"{value} if {cond} else " for cond, value in cases) + slow

    def number(self, x: _Atom, depth: int) -> _Atom:
        """``_number(x)``: a literal now, a finite float as it is."""
        t, c = self.temp(), x.code
        if x.is_lit:
            try:
                return _literal(number(x.lit)) or x
            except FormulaError:  # raises when evaluated, in its turn
                self.emit(depth, f"{t} = _number({c})")
                return _Atom(t)
        self.emit(depth, f"{t} = {c} if {_FINITE.format(c)} else 0.0 if {c} is None else "
                         f"float({c}) if {c}.__class__ is int and _isfinite({c}) else _number({c})")
        return _Atom(t)

    def percent(self, e: PercentPoints, depth: int) -> _Atom:
        """``PercentPoints.evaluate``: the value, × 100 (as a number) when its flag is set."""
        x = self.atom(e.ref, depth)
        flag = self.atom(Ref(percent_flag(e.ref.name)), depth)
        t = self.temp()
        self.emit(depth, f"if {flag.code}:")
        n = self.number(x, depth + 1)
        self.emit(depth + 1, f"{t} = {n.code} * 100.0")
        self.emit(depth, "else:")
        self.emit(depth + 1, f"{t} = {x.code}")
        return _Atom(t)

    # --- functions

    def call(self, e: Call, depth: int) -> _Atom:
        fn = e.fn
        if fn in ("IF", "IFERROR"):
            if len(e.args) < 2:
                raise _NotCompiled  # fails, or not, as the branch taken says: walk it
            return self.branch(e, depth) if fn == "IF" else self.iferror(e, depth)
        if fn not in FUNCTIONS or (any(isinstance(a, Refs) for a in e.args) and fn not in _FLAT):
            return self.generic(e, depth)
        args = [self.atom(a, depth) for a in e.args]
        t = self.temp()
        if fn in _FLAT:  # the functions that flatten their arguments, Refs included
            flat = "".join(f"{x}, " for a in args
                           for x in ((a.code,) if a.items is None else a.items))
            if fn in ("AND", "OR") and args and all(a.kind == "bool" for a in args):
                word = " and " if fn == "AND" else " or "
                self.emit(depth, f"{t} = {word.join(a.code for a in args)}")
                return _Atom(t, "bool")
            if fn in ("MIN", "MAX") and len(args) == 2 and args[1].is_lit \
                    and is_number(args[1].lit) and not args[0].is_lit \
                    and args[0].items is None:
                x = args[0].code
                self.emit(depth, f"{t} = {fn.lower()}({x}, {float(args[1].lit)!r}) if "
                                 f"{_FINITE.format(x)} else _{fn.lower()}(({flat}))")
                return _Atom(t)
            self.emit(depth, f"{t} = _{fn.lower()}(({flat}))")
            return _Atom(t, "bool" if fn in ("AND", "OR") else "")
        if fn == "ISNUMBER" and len(args) == 1:
            x = args[0].code
            if args[0].is_lit:
                return _Atom(repr(is_number(args[0].lit)), "bool", is_number(args[0].lit), True)
            self.emit(depth, f"{t} = {x} - {x} == 0.0 if {x}.__class__ is float else "
                             f"_isfinite({x}) if {x}.__class__ is int else "
                             f"{x} is not None and {x}.__class__ is not str and _is_number({x})")
            return _Atom(t, "bool")
        if fn == "NOT" and len(args) == 1:
            x = args[0]
            self.emit(depth, f"{t} = not {x.code}" if x.kind == "bool" else
                      f"{t} = not _truth({x.code})")
            return _Atom(t, "bool")
        if fn == "ROUND" and len(args) == 2:
            digits = _digits(args[1])
            if digits is not None:  # known now; x is converted first, as _round does
                x = self.number(args[0], depth).code
                self.emit(depth, f"{t} = _excel_round({x}, {digits})")
            else:
                self.emit(depth, f"{t} = _round({args[0].code}, {args[1].code})")
            return _Atom(t)
        if fn == "ABS" and len(args) == 1:
            x = args[0].code
            self.emit(depth, f"{t} = abs({x}) if {_FINITE.format(x)} else abs(_number({x}))")
            return _Atom(t)
        self.emit(depth, f"{t} = _FUNCS[{fn!r}]([{', '.join(a.code for a in args)}])")
        return _Atom(t)

    def generic(self, e: Call, depth: int) -> _Atom:
        """``_FUNCS[fn]`` on the arguments as evaluated, looked up first (as Call does)."""
        t = self.temp()
        self.emit(depth, f"{t} = _FUNCS[{e.fn!r}]")
        args = [self.atom(a, depth) for a in e.args]
        self.emit(depth, f"{t} = {t}([{', '.join(a.code for a in args)}])")
        return _Atom(t)

    def branch(self, e: Call, depth: int) -> _Atom:
        """IF is lazy: only the branch taken is evaluated."""
        cond = self.atom(e.args[0], depth)
        other = e.args[2] if len(e.args) > 2 else Lit(False)
        t = self.temp()
        self.emit(depth, f"if {cond.code}:" if cond.kind == "bool" else
                  f"if _truth({cond.code}):")
        a = self.atom(e.args[1], depth + 1)
        self.emit(depth + 1, f"{t} = {a.code}")
        self.emit(depth, "else:")
        b = self.atom(other, depth + 1)
        self.emit(depth + 1, f"{t} = {b.code}")
        return _Atom(t, "bool" if a.kind == b.kind == "bool" else "")

    def iferror(self, e: Call, depth: int) -> _Atom:
        t = self.temp()
        self.emit(depth, "try:")
        a = self.atom(e.args[0], depth + 1)
        self.emit(depth + 1, f"{t} = {a.code}")
        self.emit(depth, "except FormulaError:")
        b = self.atom(e.args[1], depth + 1)
        self.emit(depth + 1, f"{t} = {b.code}")
        return _Atom(t)


_FLAT = ("AND", "OR", "MIN", "MAX", "SUM", "COUNT")


def _digits(a: _Atom) -> int | None:
    """ROUND's digits when they are a literal that converts (``int(_number(...))``)."""
    if not a.is_lit:
        return None
    try:
        return int(number(a.lit))
    except (FormulaError, OverflowError, ValueError):
        return None
