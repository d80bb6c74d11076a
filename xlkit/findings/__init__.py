"""Findings: validation is data. Every problem is a row with its place (file, sheet, cell).

Every code is declared once, in :mod:`xlkit.findings.catalogue`, with its severity, Chinese
title and message template; :func:`finding` is the only way to make one, and it refuses a
code that is not declared. ``xlkit schema`` prints the catalogue.

An input that cannot be used at all (a spec, the budget list, the targets, the key file, a
budget or 决算 export, a mapping, a rules file, a return that cannot be opened) raises
:class:`InputError`, which carries a catalogue code and a Chinese message.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from xlkit.findings.catalogue import ERROR, HINT, TABLE


class Code(NamedTuple):
    """One declared finding code."""

    code: str
    severity: str  # 错误 | 提示
    title: str
    template: str  # the message, with named placeholders
    variants: Mapping[str, str]  # other wordings of the same finding, by name

    def templates(self) -> Iterator[str]:
        yield self.template
        yield from self.variants.values()


CATALOGUE: dict[str, Code] = {code: Code(code, sev, title, tpl, variants)
                              for code, (sev, title, tpl, variants) in TABLE.items()}
#: code → (severity, title), as before the catalogue had templates
CODES: dict[str, tuple[str, str]] = {c.code: (c.severity, c.title) for c in CATALOGUE.values()}


class UndeclaredCode(KeyError):
    """A finding code that is not in the catalogue: a programming mistake."""


def declared(code: str) -> Code:
    """The declaration of ``code``; an undeclared code raises :class:`UndeclaredCode`."""
    try:
        c = CATALOGUE[code]
    except KeyError:
        raise UndeclaredCode(f"finding code {code!r} is not declared in xlkit/findings/catalogue.py") \
            from None
    if _observer is not None:
        _observer(code)
    return c


@dataclass
class Finding:
    severity: str
    code: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    expected: Any = None
    actual: Any = None

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "file": self.file, "sheet": self.sheet, "cell": self.cell, "field": self.field,
                "expected": self.expected, "actual": self.actual}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        """A finding made earlier, back from :meth:`as_dict` (the ledger, a worker)."""
        return cls(**d)


_WHERE = frozenset(("file", "sheet", "cell", "field", "expected", "actual"))


def message(code: str, variant: str = "", /, **values: Any) -> str:
    """The message of ``code`` (its template, or the named ``variant``) filled with ``values``."""
    c = declared(code)
    if variant:
        try:
            template = c.variants[variant]
        except KeyError:
            raise UndeclaredCode(f"finding code {code!r} has no variant {variant!r}") from None
    else:
        template = c.template
    return template.format(**values)


def finding(code: str, text: str | None = None, /, *, variant: str = "", file: str = "",
            sheet: str = "", cell: str = "", field: str = "", expected: Any = None,
            actual: Any = None, **values: Any) -> Finding:
    """A finding of a declared code: severity from the catalogue, message from its template
    (or the named ``variant``) filled with ``values``.

    ``text``, an already worded message, is accepted from call sites not yet moved to
    values; under the test suite (:data:`strict`) it must read as one of the code's
    templates."""
    c = declared(code)
    if text is None:
        text = message(code, variant, **values)
    elif strict and not _matches(c, text):
        raise ValueError(f"message of {code!r} does not read as any of its templates: {text!r}")
    return Finding(c.severity, code, text, file, sheet, cell, field, expected, actual)


def title(code: str) -> str:
    return CATALOGUE[code].title if code in CATALOGUE else ""


class InputError(Exception):
    """An input that cannot be used at all: ``code`` a catalogue code (input.*, or the file.*
    code of a return that cannot be opened), the message in Chinese naming the file.
    ``problems``: one line per mistake when there are several (a spec's ``path: message``)."""

    def __init__(self, code: str, message: str, *, file: str = "", where: str = "",
                 problems: list[str] | None = None):
        declared(code)
        super().__init__(message)
        self.code, self.file, self.where = code, file, where
        self.problems = list(problems or [])

    @property
    def source(self) -> str:  # a spec's path or id, as SpecError called it
        return self.file

    def __reduce__(self):  # survives pickling (read workers)
        return (_input_error, (self.code, str(self), self.file, self.where, self.problems))


def _input_error(code: str, message: str, file: str, where: str,
                 problems: list[str]) -> InputError:
    return InputError(code, message, file=file, where=where, problems=problems)


# ------------------------------------------------------- under test: checks and records

#: set by the test suite: a worded message must read as a template of its code
strict = False
#: set by the test suite: called with every code emitted (see tests/findings_record.py)
_observer: Callable[[str], None] | None = None
_FORMATTER = string.Formatter()
_PATTERNS: dict[str, re.Pattern[str]] = {}


def observe(fn: Callable[[str], None] | None) -> None:
    global _observer
    _observer = fn


def _pattern(template: str) -> re.Pattern[str]:
    pat = _PATTERNS.get(template)
    if pat is None:
        parts = []
        for literal, name, _, _ in _FORMATTER.parse(template):
            parts.append(re.escape(literal))
            if name is not None:
                parts.append("(.*?)")
        pat = _PATTERNS[template] = re.compile("".join(parts), re.S)
    return pat


def _matches(c: Code, text: str) -> bool:
    return any(_pattern(t).fullmatch(text) for t in c.templates())


__all__ = ["CATALOGUE", "CODES", "ERROR", "HINT", "Code", "Finding", "InputError",
           "UndeclaredCode", "declared", "finding", "message", "title"]
