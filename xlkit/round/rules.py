"""Reconciliation rules as data, and the safe evaluator that runs them.

A rule (in the spirit of the 审核公式 of financial reporting software) is: an id, a
severity (错误 = 强制性, 提示 = 提示性), a scope (project / indicator / final), a condition
``when`` and a check ``check`` written as expressions over the joined columns, an optional
tolerance, and a Chinese message template. Offices add their own in YAML (``--rules``).

Expressions are parsed with :mod:`ast` and evaluated node by node over a whitelist —
names, numbers, strings, arithmetic, comparisons, and/or/not, ``in`` over literal tuples and
a few functions. Nothing from a rules file is ever given to Python's eval or exec.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from xlkit.findings import ERROR, HINT, InputError, declared

SCOPES = ("project", "indicator", "final")
BUILTIN_RULES = Path(str(resources.files("xlkit.round") / "rules_builtin.yaml"))


class RuleError(ValueError):
    """One rule that cannot be used or run; the message names the reason. It becomes a
    ``rules.broken`` finding, the rest of the rules still run. A rules file that cannot be
    used at all raises :class:`xlkit.findings.InputError` (``input.rules``)."""


class Missing(Exception):
    """A value the expression needs is blank: the rule does not apply to this row."""


@dataclass(frozen=True)
class Tolerance:
    abs: float = 0.0
    rel: float = 0.0

    def close(self, a: float, b: float) -> bool:
        return abs(a - b) <= max(self.abs, self.rel * max(abs(a), abs(b))) + 1e-9


@dataclass
class Rule:
    id: str
    severity: str
    scope: str
    check: str
    message: str
    title: str = ""
    when: str | None = None
    tolerance: Tolerance = field(default_factory=Tolerance)
    expected: str | None = None
    actual: str | None = None
    field_name: str = ""  # the form field the rule is about (YAML key ``field``)
    source: str = ""
    _compiled: dict[str, Compiled] = field(default_factory=dict, repr=False)

    def compile(self) -> Rule:
        for part in ("check", "when", "expected", "actual"):
            text = getattr(self, part)
            if text is not None:
                self._compiled[part] = _compile(_parse(text, self.id, part), self.tolerance)
        _check_template(self.message, self.id)
        return self

    def applies(self, row: Mapping[str, Any]) -> bool:
        if "when" not in self._compiled:
            return True
        try:
            return bool(self.evaluate("when", row))
        except Missing:
            return False

    def evaluate(self, part: str, row: Mapping[str, Any]) -> Any:
        return self._compiled[part](row)

    def compiled(self, part: str) -> Compiled | None:
        """The compiled ``part`` (check, when, expected, actual), None when the rule has none:
        for running one rule over many rows without a look-up per row."""
        return self._compiled.get(part)


# ------------------------------------------------------------------------------- loading


def load_rules(path: str | Path, *, builtin: bool = False) -> tuple[list[Rule], list[str]]:
    """Rules of a YAML file, and a message per broken rule (id and reason); the file itself
    being unreadable raises InputError (input.rules). ``builtin``: the file is xlkit's own,
    whose rules take severity, title and message from the findings catalogue by id."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("input.rules", f"找不到规则文件 {path}", file=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError("input.rules", f"规则文件 {path} 无法解析：{exc}", file=str(path)) from None
    items = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError("input.rules", f"规则文件 {path} 应为规则列表（rules: [...]）",
                         file=str(path))
    rules, broken = [], []
    for i, item in enumerate(items):
        try:
            rules.append(rule_from(_declared(item) if builtin else item, str(path)))
        except RuleError as exc:
            rid = item.get("id") if isinstance(item, dict) else None
            broken.append(f"规则 {rid or f'第 {i + 1} 条'}：{exc}")
    ids = [r.id for r in rules]
    for rid in {x for x in ids if ids.count(x) > 1}:
        broken.append(f"规则 {rid}：id 重复，只采用第一条")
        rules = [r for k, r in enumerate(rules) if r.id != rid or ids.index(rid) == k]
    return rules, broken


def builtin_rules() -> list[Rule]:
    rules, broken = load_rules(BUILTIN_RULES, builtin=True)
    if broken:  # a packaging mistake, not a user's
        raise RuntimeError("; ".join(broken))
    return rules


def _declared(item: Any) -> Any:
    """A built-in rule with its severity, title and message from the findings catalogue
    (they are declared there once, by the rule's id, and not in the rules file)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return item
    if {"severity", "title", "message"} & set(item):
        raise RuleError("内置规则的 severity、title、message 在 xlkit/findings/catalogue.py 中声明")
    try:
        c = declared(item["id"])
    except KeyError:
        raise RuleError(f"内置规则 {item['id']} 未在问题代码目录中声明") from None
    return {**item, "severity": c.severity, "title": c.title, "message": c.template}


def rule_from(item: Any, source: str = "") -> Rule:
    if not isinstance(item, dict):
        raise RuleError("每条规则应为一个映射（id、severity、check、message ...）")
    unknown = set(item) - {"id", "severity", "scope", "check", "when", "message", "title",
                           "tolerance", "expected", "actual", "field"}
    if unknown:
        raise RuleError(f"未知的键 {', '.join(sorted(unknown))}")
    for key in ("id", "check", "message"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise RuleError(f"缺少 {key}")
    severity = item.get("severity", ERROR)
    if severity not in (ERROR, HINT):
        raise RuleError(f"severity 应为 {ERROR} 或 {HINT}，却是 {severity!r}")
    scope = item.get("scope", "project")
    if scope not in SCOPES:
        raise RuleError(f"scope 应为 {' / '.join(SCOPES)} 之一，却是 {scope!r}")
    tol = item.get("tolerance") or {}
    if isinstance(tol, (int, float)):
        tol = {"abs": tol}
    if not isinstance(tol, dict) or set(tol) - {"abs", "rel"} or not all(
            isinstance(v, (int, float)) and v >= 0 for v in tol.values()):
        raise RuleError("tolerance 应为 {abs: 数, rel: 数}（不小于 0）")
    return Rule(id=item["id"].strip(), severity=severity, scope=scope, check=item["check"],
                message=item["message"], title=item.get("title", ""), when=item.get("when"),
                tolerance=Tolerance(float(tol.get("abs", 0)), float(tol.get("rel", 0))),
                expected=item.get("expected"), actual=item.get("actual"),
                field_name=item.get("field", ""), source=source).compile()


# ----------------------------------------------------------------------------- evaluator

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: operator.mod,
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
            ast.UAdd, ast.BinOp, ast.Compare, ast.In, ast.NotIn, ast.Name, ast.Load,
            ast.Constant, ast.Tuple, ast.List, ast.Call, ast.IfExp, *_BINOPS, *_CMPOPS)
FUNCTIONS = ("abs", "min", "max", "round", "close", "blank", "has", "coalesce", "len")
MAX_EXPRESSION = 2000


def _parse(text: str, rid: str, part: str) -> ast.AST:
    if not isinstance(text, str) or len(text) > MAX_EXPRESSION:
        raise RuleError(f"{part} 应为不超过 {MAX_EXPRESSION} 字的表达式")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"{part} 表达式有语法错误：{exc.msg}（{text!r}）") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise RuleError(f"{part} 中不允许使用 {type(node).__name__}（{text!r}）")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise RuleError(f"{part} 中只能调用 {', '.join(FUNCTIONS)}（{text!r}）")
            if node.keywords:
                raise RuleError(f"{part} 中的函数不接受关键字参数（{text!r}）")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str,
                                                                          type(None))):
            raise RuleError(f"{part} 中不允许常量 {node.value!r}")
    return tree


Compiled = Callable[[Mapping[str, Any]], Any]


def _compile(node: ast.AST, tolerance: Tolerance) -> Compiled:
    """A whitelisted tree (see :func:`_parse`) turned into nested Python closures, once per
    rule: a row is then checked without walking the tree again. No eval, no exec."""
    return _COMPILERS[type(node)](node, tolerance)


def _need(v: Any) -> Any:
    if v is None:
        raise Missing
    return v


def _c_expression(n: ast.Expression, tol: Tolerance) -> Compiled:
    return _compile(n.body, tol)


def _c_constant(n: ast.Constant, tol: Tolerance) -> Compiled:
    value = n.value
    return lambda row: value


def _c_tuple(n: ast.Tuple | ast.List, tol: Tolerance) -> Compiled:
    if all(isinstance(e, ast.Constant) for e in n.elts):  # ("≥", "≤"): built once
        value = tuple(e.value for e in n.elts)  # type: ignore[attr-defined]
        return lambda row: value
    parts = [_compile(e, tol) for e in n.elts]
    return lambda row: tuple(p(row) for p in parts)


def _c_name(n: ast.Name, tol: Tolerance) -> Compiled:
    name = n.id

    def get(row: Mapping[str, Any]) -> Any:
        try:
            v = row[name]
        except KeyError:
            raise RuleError(f"没有名为 {name!r} 的列") from None
        cls = v.__class__
        if cls is float:  # the usual cases first; NaN is the only float unequal to itself
            return v if v == v else None
        if cls is str or v is None:
            return v
        if isinstance(v, float) and math.isnan(v):
            return None
        return v
    return get


def _c_boolop(n: ast.BoolOp, tol: Tolerance) -> Compiled:
    parts = [_compile(v, tol) for v in n.values]
    # loops rather than all() / any() over a generator: the same answers, fewer calls
    if isinstance(n.op, ast.And):
        def all_of(row: Mapping[str, Any]) -> bool:
            for p in parts:
                if not p(row):
                    return False
            return True
        return all_of

    def any_of(row: Mapping[str, Any]) -> bool:
        for p in parts:
            if p(row):
                return True
        return False
    return any_of


def _c_unaryop(n: ast.UnaryOp, tol: Tolerance) -> Compiled:
    operand = _compile(n.operand, tol)
    if isinstance(n.op, ast.Not):
        return lambda row: not operand(row)
    if isinstance(n.op, ast.USub):
        return lambda row: -_need(operand(row))
    return lambda row: +_need(operand(row))


def _c_binop(n: ast.BinOp, tol: Tolerance) -> Compiled:
    left, right, fn = _compile(n.left, tol), _compile(n.right, tol), _BINOPS[type(n.op)]
    adds = isinstance(n.op, ast.Add)

    def binop(row: Mapping[str, Any]) -> Any:
        a, b = _need(left(row)), _need(right(row))
        if not adds and (isinstance(a, str) or isinstance(b, str)):
            raise RuleError("文字只能用 + 连接")  # "x" * 10**9 would eat memory
        try:
            return fn(a, b)
        except ZeroDivisionError:
            raise Missing from None
        except TypeError:
            raise RuleError(f"无法对 {a!r} 和 {b!r} 做运算") from None
    return binop


def _c_compare(n: ast.Compare, tol: Tolerance) -> Compiled:
    first = _compile(n.left, tol)
    # per step, decided once: (membership test, negated, ordering, operator, right side)
    steps = [(op in (ast.In, ast.NotIn), op is ast.NotIn, op in _ORDERING, _CMPOPS.get(op),
              _compile(c, tol))
             for op, c in ((type(op), c) for op, c in zip(n.ops, n.comparators, strict=True))]

    def compare(row: Mapping[str, Any]) -> bool:
        left = first(row)
        for member, negated, ordering, fn, part in steps:
            right = part(row)
            if member:
                ok = left in right if isinstance(right, (tuple, list, str)) else False
                ok = not ok if negated else ok
            else:
                if ordering and (left is None or right is None):
                    raise Missing
                try:
                    ok = fn(left, right)
                except TypeError:
                    raise RuleError(f"无法比较 {left!r} 和 {right!r}") from None
            if not ok:
                return False
            left = right
        return True
    return compare


def _c_ifexp(n: ast.IfExp, tol: Tolerance) -> Compiled:
    test, body, orelse = (_compile(x, tol) for x in (n.test, n.body, n.orelse))
    return lambda row: body(row) if test(row) else orelse(row)


def _c_call(n: ast.Call, tol: Tolerance) -> Compiled:
    name = n.func.id  # type: ignore[attr-defined]  # _parse allows only named functions
    parts = [_compile(a, tol) for a in n.args]
    if name == "blank":
        return lambda row: all(a is None or a == "" for a in (p(row) for p in parts))
    if name == "has":
        def has(row: Mapping[str, Any]) -> bool:
            for p in parts:
                a = p(row)
                if a is None or a == "":
                    return False
            return True
        return has
    if name == "coalesce":
        return lambda row: next((a for a in (p(row) for p in parts) if a is not None), None)
    if name == "close" and len(parts) == 2:  # the most used check, without the generic call
        first, second = parts

        def close(row: Mapping[str, Any]) -> bool:
            a = first(row)
            if a is None:
                raise Missing
            b = second(row)
            if b is None:
                raise Missing
            return tol.close(float(a), float(b))
        return close

    def call(row: Mapping[str, Any]) -> Any:
        args = [_need(p(row)) for p in parts]
        if name == "close":
            if len(args) != 2:
                raise RuleError("close(a, b) 需要两个参数")
            return tol.close(float(args[0]), float(args[1]))
        try:
            return _FUNCS[name](*args)
        except TypeError as exc:
            raise RuleError(f"{name}() 的参数有误：{exc}") from None
    return call


_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_FUNCS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max, "round": round,
                                         "len": len}
_COMPILERS: dict[type, Callable[[Any, Tolerance], Compiled]] = {
    ast.Expression: _c_expression, ast.Constant: _c_constant, ast.Tuple: _c_tuple,
    ast.List: _c_tuple, ast.Name: _c_name, ast.BoolOp: _c_boolop, ast.UnaryOp: _c_unaryop,
    ast.BinOp: _c_binop, ast.Compare: _c_compare, ast.IfExp: _c_ifexp, ast.Call: _c_call,
}


# -------------------------------------------------------------------------- templates


class _SafeFormatter(string.Formatter):
    """``{name}`` and ``{name:.2f}`` only: no attribute or index access from rule files."""

    def get_field(self, field_name, args, kwargs):
        if not field_name.isidentifier():
            raise RuleError(f"消息模板中的 {{{field_name}}} 只能是列名")
        return self.get_value(field_name, args, kwargs), field_name

    def get_value(self, key, args, kwargs):
        v = kwargs.get(key)
        return "（空）" if v is None or (isinstance(v, float) and math.isnan(v)) else v

    def format_field(self, value, format_spec):
        if isinstance(value, str) and format_spec:
            return value
        if isinstance(value, float) and not format_spec:
            return f"{value:.10g}"
        return super().format_field(value, format_spec)


_FORMATTER = _SafeFormatter()
_DIGITS = re.compile(r"\d+")


def _check_template(template: str, rid: str) -> None:
    try:
        for _, name, spec, conv in _FORMATTER.parse(template):
            if name is not None and not name.isidentifier():
                raise RuleError(f"消息模板中的 {{{name}}} 只能是列名")
            if conv:
                raise RuleError("消息模板不支持 !r / !s 转换")
            if spec and any(int(d) > 40 for d in _DIGITS.findall(spec)):
                raise RuleError(f"消息模板的格式 {spec!r} 宽度过大")
    except ValueError as exc:
        raise RuleError(f"消息模板有误：{exc}") from None


def render(template: str, row: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(template, (), dict(row))
    except (ValueError, KeyError, IndexError) as exc:
        raise RuleError(f"消息模板无法填充：{exc}") from None
