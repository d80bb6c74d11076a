"""Fast issuing: values patched into a prebuilt template zip instead of xlsxwriter per file.

:func:`xlkit.build.build_workbook` (xlsxwriter from scratch) stays the reference. A
:class:`FastBuilder` gives the same workbook content for a fraction of the cost:

* The cell positions depend only on the *shape* of a form: which pre-fill values are present
  (a present value is a locked grey cell, a missing one an input with validation) and, with
  approved targets, how many target rows each (一级, 二级) subgroup has. One template per shape
  is built once by the reference path from placeholder values, and the places of every
  pre-filled value, every formula's cached value, the ``_meta`` rows, the protection
  passwords and the creation time are cut out of its XML parts as *holes*.
* Per workbook the holes are filled: pre-filled values as numbers or inline strings (escaped
  as xlsxwriter escapes text), formula caches from the layout's own rules (worked out once
  per distinct set of the pre-filled values they depend on), the signed ``_meta`` payload
  built as ``build_workbook`` builds it, the password hashes and the times.
* The zip is written here. Unchanged members keep their deflated bytes and CRC. A changed
  member is one deflate stream spliced from pre-deflated constant stretches (each closed by
  a sync flush, so byte aligned and self-contained) and the per-workbook bytes as stored
  blocks (deflated when long; reused when they come out as for an earlier workbook); its
  CRC is carried across the constant stretches with precomputed tables.

Anything a template cannot reproduce exactly (a value that is neither text nor a finite
number, text longer than a cell holds, text that looks like an ``_xHHHH_`` escape, which
openpyxl reads differently from an inline string than from the shared-string table) is built
by the reference path instead; :attr:`FastBuilder.stats` counts those.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from xlkit.build import build_workbook, issued_values, make_payload, normalise_issue
from xlkit.build.guide import GUIDE_SHEET
from xlkit.core.cache import BoundedCache
from xlkit.core.expr.tree import Expr, FormulaError, Ref, Refs
from xlkit.core.layout import (
    SHEET,
    Layout,
    build_layout,
    header_units,
    height_key,
    percent_unit,
    plan_rows,
    title_texts,
)
from xlkit.core.meta import CHUNK, META_SHEET, canonical, key_id, make_record, normalise_key
from xlkit.core.spec import Spec
from xlkit.ooxml.parts import sheet_parts
from xlkit.ooxml.protect import legacy_password_hash
from xlkit.ooxml.xml import LITERAL_ESCAPE, edge_space, escape_text
from xlkit.ooxml.zip import (
    CENTRAL_OFFSET_AT,
    OFFSET,
    ZipMember,
    central_entry,
    finish_zip,
    write_local_header,
)

__all__ = ["FastBuilder", "FastStats"]

_LEVEL = 1  # zlib level of long per-workbook stretches (constant stretches use 6)
_PLACEHOLDER_PW = "xlkit-template-pw"
_PLACEHOLDER_TIME = dt.datetime(2000, 1, 2, 3, 4, 5)
_EXTRA = "\ue000xlkit-level2-"  # placeholder label of a 二级指标 the spec does not list
_MAX_TEMPLATES = 64
_MAX_MEMO = 4096
_MIN_CONST = 512  # shorter constant stretches between holes are written with the holes
_STORE = 4096  # per-workbook stretches shorter than this are stored, longer ones deflated
_MAX_RUNS = 256  # rendered runs kept per run of a template ...
_MAX_RUN_BYTES = 65536  # ... when not longer than this
_COMBINE = 1024  # constant stretches at least this long carry the CRC by table

_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))
_FINAL = b"\x01\x00\x00\xff\xff"  # an empty final stored block
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class _Fallback(Exception):
    """This workbook needs the reference path."""


# ----------------------------------------------------------------------------- deflate, zip


def _deflate(data: bytes, level: int = _LEVEL) -> bytes:
    """Raw deflate of ``data``, byte aligned and not final (sync flush): splicable."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def _stored(data: bytes) -> bytes:
    """``data`` as non-final stored deflate blocks (the stream must be byte aligned)."""
    out = []
    for i in range(0, len(data), 65535):
        chunk = data[i:i + 65535]
        n = len(chunk)
        out.append(struct.pack("<BHH", 0, n, n ^ 0xFFFF))
        out.append(chunk)
    return b"".join(out)


def _crc_tables(n: int) -> tuple[list[int], ...]:
    """Tables T with crc32(X + B) == T0[c&255]^T1[c>>8&255]^T2[c>>16&255]^T3[c>>24]^crc32(B)
    for any X with c = crc32(X) and any B of length ``n`` (CRC-32 is affine in its start)."""
    zeros = b"\0" * n
    base = zlib.crc32(zeros, 0)
    cols = [zlib.crc32(zeros, 1 << j) ^ base for j in range(32)]
    tables = []
    for k in range(4):
        t = [0] * 256
        for b in range(1, 256):
            low = (b & -b).bit_length() - 1
            t[b] = t[b & (b - 1)] ^ cols[8 * k + low]
        tables.append(t)
    return tuple(tables)


class _Const:
    """A constant stretch of a member: deflated once, its CRC carried by table."""

    __slots__ = ("deflated", "raw", "size", "crc", "tables")

    def __init__(self, raw: bytes):
        self.raw = raw
        self.size = len(raw)
        self.deflated = _deflate(raw, 6)
        self.crc = zlib.crc32(raw)
        self.tables = _crc_tables(len(raw)) if len(raw) >= _COMBINE else None

    def extend(self, c: int) -> int:
        """crc32(previous + raw) given c = crc32(previous)."""
        t = self.tables
        if t is None:
            return zlib.crc32(self.raw, c)
        return (t[0][c & 255] ^ t[1][(c >> 8) & 255] ^ t[2][(c >> 16) & 255]
                ^ t[3][c >> 24] ^ self.crc)


# ----------------------------------------------------------------------------- cell text


def _text(s: str) -> str:
    """``s`` as an xlsx text node, as xlsxwriter writes it: control characters as
    ``_xHHHH_``, then ``& < >`` escaped."""
    if len(s) > 16383 and len(s.encode("utf-16-le")) > 65534:
        raise _Fallback("text longer than an xlsx cell holds")
    if "_x" in s and LITERAL_ESCAPE.search(s):
        raise _Fallback("text that looks like an _xHHHH_ escape")
    return escape_text(s)


def _inline(s: Any) -> str:
    """The end of a ``<c r=.. s=..`` element holding text ``s`` as an inline string."""
    if s.__class__ is not str:
        raise _Fallback("text cell that is not text")
    t = _text(s)
    if edge_space(t):
        return f' t="inlineStr"><is><t xml:space="preserve">{t}</t></is></c>'
    return f' t="inlineStr"><is><t>{t}</t></is></c>'


def _value_cell(v: Any) -> str:
    """The end of a cell element for a pre-filled value, as ``render`` writes it."""
    c = v.__class__
    if c is str:
        return _inline(v)
    if c is int or c is float or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        try:
            if math.isfinite(v):
                return f"><v>{v:.16G}</v></c>"
        except (OverflowError, TypeError, ValueError):
            pass
    raise _Fallback(f"pre-filled value of type {c.__name__}")


_ENDS: BoundedCache[tuple[type, Any], str] = BoundedCache(65536)


def _value_end(v: Any) -> str:
    """:func:`_value_cell`, remembered: the same names and targets recur across a run."""
    try:
        k = (v.__class__, v)
        end = _ENDS.get(k)
    except TypeError:
        return _value_cell(v)
    if end is None:
        end = _value_cell(v)
        if len(end) < 1024:
            _ENDS.put(k, end)
    return end


def _cached_cell(v: Any, formula: str) -> str:
    """The end of a formula cell with its cached value, as ``render`` writes it."""
    if v is None:  # blank as "": an empty text, as render writes it
        return f' t="str"><f>{formula}</f><v></v></c>'
    if isinstance(v, FormulaError):
        v = str(v)
    elif v.__class__ is bool:  # xlsxwriter's boolean result
        return f' t="b"><f>{formula}</f><v>{int(v)}</v></c>'
    if v.__class__ is str:
        if v == "":
            return f' t="str"><f>{formula}</f><v></v></c>'
        t = "e" if v in _ERROR_CODES else "str"
        v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f' t="{t}"><f>{formula}</f><v>{v}</v></c>'
    if isinstance(v, (int, float)) and math.isfinite(v):
        return f"><f>{formula}</f><v>{v}</v></c>"
    raise _Fallback(f"formula value {v!r}")


# ----------------------------------------------------------------------------- templates


@dataclass(slots=True)
class _Hole:
    kind: str  # value label title formula sheet_pw book_pw time dimension meta
    index: int = 0  # value: into the variable pairs; label: into the extra 二级 labels
    prefix: str = ""  # '<c r="C3" s="4"'
    formula: str = ""  # the escaped formula text
    field: str | None = None  # formula: its field; other kinds: None


_VOLATILE = frozenset(("sheet_pw", "book_pw", "time"))  # holes that change every workbook


class _Run:
    """Text and holes between two constant stretches; rendered per workbook, and reused
    when its holes come out as in an earlier workbook (the indicator rows of a run of
    projects with the same targets, a fixed creation time ...)."""

    __slots__ = ("pieces", "holes", "cache")

    def __init__(self, pieces: list[Any]):
        self.pieces = [None if p.__class__ is _Hole else p for p in pieces]
        self.holes = [p for p in pieces if p.__class__ is _Hole]
        self.cache: BoundedCache[tuple, tuple[bytes, bytes]] | None = (
            None if any(h.kind == "meta" for h in self.holes) else BoundedCache(_MAX_RUNS))

    def render(self, values: list[str]) -> bytes:
        it = iter(values)
        return "".join([next(it) if p is None else p for p in self.pieces]).encode("utf-8")


class _Template:
    """One shape: constant members as they are, the others as tokens (constant stretches
    and runs of text and holes)."""

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.members: list[tuple[bytes, Any]] = []
        self.fields: dict[str, str] = {}
        self.fields_json = ""
        self.fields_bytes = b""
        self.fields_const: _Const | None = None
        self.const_issued: dict[str, Any] = {}
        # formula groups: (names read from outside, [(field, rule, hole)], cache)
        self.groups: list[tuple[tuple[str, ...], list[tuple[str, Expr, _Hole]],
                                BoundedCache[tuple, tuple[dict, dict]]]] = []
        self.checked = False

    def add_const(self, m: ZipMember) -> None:
        name = m.name.encode("utf-8")
        entry = central_entry(name, m.crc, len(m.data), m.size, 0)
        self.members.append((name, (write_local_header(name, m.crc, len(m.data), m.size), m.data,
                                    (entry[:CENTRAL_OFFSET_AT], entry[CENTRAL_OFFSET_AT + 4:]))))

    def add_holed(self, name: str, xml: str, holes: list[tuple[int, int, _Hole]]) -> None:
        tokens: list[Any] = []
        run: list[Any] = []
        pos = 0

        def const(text: str) -> None:
            nonlocal run
            if len(text) >= _MIN_CONST:
                if run:
                    tokens.append(_Run(run))
                    run = []
                tokens.append(_Const(text.encode("utf-8")))
            elif text:
                if run and run[-1].__class__ is str:
                    run[-1] += text
                else:
                    run.append(text)

        for start, end, hole in sorted(holes, key=lambda h: h[0]):
            const(xml[pos:start])
            if hole.kind in _VOLATILE:  # a run of its own: the others stay reusable
                if run:
                    tokens.append(_Run(run))
                tokens.append(_Run([hole]))
                run = []
            else:
                run.append(hole)
            pos = end
        const(xml[pos:])
        if run:
            tokens.append(_Run(run))
        self.members.append((name.encode("utf-8"), tokens))


@dataclass
class FastStats:
    fast: int = 0
    fallback: int = 0
    templates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class _Context:
    pairs: list[tuple[str, Any]]
    labels: list[Any]
    cells: dict[str, str]  # formula field → its rendered cell
    titles: list[str]  # the title rows' texts (layout.title_texts)
    pw_hash: str
    time: str
    meta: list[Any]  # the _meta rows (str, and _Const for the field map), then their count


class FastBuilder:
    """Issue many workbooks of one spec: ``build`` gives what ``build_workbook`` gives.

    ``key``, ``password`` and ``created`` as for :func:`xlkit.build.build_workbook`
    (``created=None``: the time of each build). One builder per run: it keeps a template
    per form shape and the formula values per distinct input.
    """

    def __init__(self, spec: Spec, *, key: bytes | None = None, password: str = "",
                 created: dt.datetime | None = None):
        self.spec = spec
        self.key = key = normalise_key(key)
        self.password = password
        self.created = created
        self.stats = FastStats()
        #: the ``_meta`` payload of the last workbook built, and its canonical text (for
        #: the manifest's digest)
        self.payload: dict[str, Any] | None = None
        self.payload_text = ""
        self._templates: BoundedCache[tuple, _Template] = BoundedCache(_MAX_TEMPLATES)
        self._hashes: BoundedCache[str, str] = BoundedCache(_MAX_MEMO)
        self._key_id = key_id(key) if key is not None else ""
        self._header = [(f"header.{f.key}", f.source) for f in spec.header if f.source]
        self._funds = [(f"funds.{r.key}.{c.key}", (r.key, c.key))
                       for r in spec.funds.rows for c in spec.funds.columns if c.source]
        ind = spec.indicators
        self._ind_keys: tuple[str, ...] = ()
        self._subgroups: list[frozenset[str]] = []
        if ind is not None:
            self._ind_keys = ("name", "direction", "target", "unit") + (
                ("weight",) if ind.scored else ())
            self._subgroups = [frozenset(g.subgroups) for g in ind.groups]
        self._ind_names: list[tuple[str, ...]] = []
        self._units = header_units(spec)
        self._default_rows: tuple[list, list] | None = None
        rows = (("xlkit", "绩效自评表元数据（请勿修改）"), ("template_id", spec.id),
                ("template_version", str(spec.version)))
        try:  # the _meta rows that are the same in every workbook
            self._meta_head: str | None = "".join(
                _meta_row(r, a, b) for r, (a, b) in enumerate(rows, 1))
        except _Fallback:  # a spec id the fast path cannot write
            self._meta_head = None
        self._meta_signed = (_meta_row(7, "signed", "yes" if key is not None else "no")
                             + _meta_row(8, "key_id", self._key_id))

    # --- public -----------------------------------------------------------------------

    def build(self, issue: Mapping[str, Any] | None = None,
              targets: Sequence[Mapping[str, Any]] | None = None, *,
              password: str | None = None) -> bytes:
        """The .xlsx bytes of one issued form; ``password`` overrides the builder's."""
        pw = self.password if password is None else password
        issue = normalise_issue(issue)
        try:
            data = self._build(issue, targets, pw)
        except _Fallback as exc:
            reason = str(exc)
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
            self.stats.fallback += 1
            built = build_workbook(self.spec, issue, targets, key=self.key, password=pw,
                                   created=self.created)
            self.payload = built.record.payload
            self.payload_text = canonical(built.record.payload)
            return built.data
        self.stats.fast += 1
        return data

    # --- shape ------------------------------------------------------------------------

    def _names(self, i: int) -> tuple[str, ...]:
        while len(self._ind_names) <= i:
            n = len(self._ind_names)
            self._ind_names.append(tuple(f"ind.{n}.{k}" for k in self._ind_keys))
        return self._ind_names[i]

    def _variables(self, issue: Mapping[str, Any], targets) -> tuple[tuple, list, list]:
        """(shape key, [(field, value)] of every pre-fillable field, extra 二级 labels)."""
        key: list[Any] = []
        pairs: list[tuple[str, Any]] = []
        for fld, src in self._header:
            v = issue.get(src)
            v = None if v in (None, "") else str(v)
            pairs.append((fld, v))
            key.append(v is None)
        funds = issue.get("funds") or {}
        for fld, rc in self._funds:
            v = funds.get(rc)
            pairs.append((fld, v))
            key.append(v is None)
        labels: list[Any] = []
        plan = None
        if self.spec.indicators is not None and not targets and self._default_rows:
            key += self._default_rows[0]
            pairs += self._default_rows[1]
        elif self.spec.indicators is not None:
            k0, p0 = len(key), len(pairs)
            prev = None
            extras: dict[tuple[int, Any], int] = {}
            keys = self._ind_keys
            plan = plan_rows(self.spec, targets)
            for i, (gi, _, level2, t) in enumerate(plan):
                if (gi, level2) != prev:
                    prev = (gi, level2)
                    if level2 in self._subgroups[gi]:
                        key.append((gi, level2))
                    else:
                        if prev not in extras:
                            extras[prev] = len(labels)
                            labels.append(level2)
                        key.append((gi, extras[prev]))
                names = self._names(i)
                if t is None:
                    pairs += [(n, None) for n in names]
                    key.append(None)
                else:
                    vals = [t.get(k) for k in keys]
                    pairs += zip(names, vals, strict=True)
                    # a row issued with 计量单位 % has its 实际完成值 formatted as percent
                    key.append((*[v is None for v in vals], percent_unit(t.get("unit"))))
            if not targets:
                self._default_rows = key[k0:], pairs[p0:]
        # the issued texts of more than one line: row heights and page breaks follow them
        key.append(height_key(self.spec, issue, targets, self._units, plan))
        return tuple(key), pairs, labels

    # --- one workbook -------------------------------------------------------------------

    def _build(self, issue: dict[str, Any], targets, password: str) -> bytes:
        key, pairs, labels = self._variables(issue, targets)
        tpl = self._templates.recent(key)
        if tpl is None:
            tpl = self._template(key, issue, targets)
        issued = dict(tpl.const_issued)
        for f, v in pairs:
            if v is not None:
                issued[f] = v
        created = self.created or dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
        spec = self.spec
        payload = self.payload = make_payload(spec, issue, issued, tpl.fields, targets, created)
        if not tpl.checked:
            self._check(tpl, issue, targets, payload)
        meta = self._meta(tpl, payload)
        cells = self._evaluate(tpl, issued)
        ctx = _Context(pairs, labels, cells, title_texts(spec, issue.get("year")),
                       self._hash(password), created.strftime("%Y-%m-%dT%H:%M:%SZ"), meta)
        return _assemble(tpl, ctx)

    def _check(self, tpl: _Template, issue: Mapping[str, Any], targets,
               payload: dict[str, Any]) -> None:
        """On a template's first workbook: the issued values and the field map are those
        the reference path lays out, so a change to the layout cannot go unnoticed."""
        layout = build_layout(self.spec, issue, targets)
        if payload["issued"] != issued_values(layout) or tpl.fields != {
                f: c.address for f, c in layout.fields.items()}:
            raise RuntimeError("FastBuilder's template differs from xlkit.layout's layout")

    def _hash(self, password: str) -> str:
        h = self._hashes.get(password)
        if h is None:
            h = self._hashes.put(password, legacy_password_hash(password) if password else "")
        return h

    def _meta(self, tpl: _Template, payload: dict[str, Any]) -> list[Any]:
        """The ``_meta`` rows as ``MetaRecord.rows`` gives them, rendered; the constant
        field map stays pre-deflated when the payload is one chunk.

        The canonical text is assembled from the pre-encoded field map and the rest, so it
        is encoded once instead of twice (sign, rows) in full; the first workbook of every
        template checks that against :func:`xlkit.meta.canonical` and ``MetaRecord.rows``.
        """
        p = payload
        # sorted keys: "department", "fields", then the rest (checked once per template)
        pre = '{"department":' + _JSON.encode(p["department"]) + ',"fields":'
        post = "," + _JSON.encode({k: v for k, v in p.items()
                                   if k != "department" and k != "fields"})[1:]
        text = self.payload_text = pre + tpl.fields_json + post
        sig = ""
        if self.key is not None:
            h = hmac.new(self.key, pre.encode("utf-8"), hashlib.sha256)
            h.update(tpl.fields_bytes)
            h.update(post.encode("utf-8"))
            sig = h.hexdigest()
        n = (len(text) + CHUNK - 1) // CHUNK
        year, unit, project = (str(p.get("year") or ""), p.get("unit_code") or "",
                               p.get("project_code") or "")
        if not tpl.checked:  # once per template: the same rows as xlkit.meta makes
            rows = [
                ("xlkit", "绩效自评表元数据（请勿修改）"),
                ("template_id", p["template_id"]),
                ("template_version", str(p["template_version"])),
                ("year", year),
                ("unit_code", unit),
                ("project_code", project),
                ("signed", "yes" if sig else "no"),
                ("key_id", self._key_id),
                ("signature", sig),
                ("payload_chunks", str(n)),
            ]
            record = make_record(payload, self.key)
            full = rows + [(f"payload.{i}", text[i * CHUNK:(i + 1) * CHUNK]) for i in range(n)]
            if text != canonical(payload) or full != record.rows():
                raise RuntimeError("FastBuilder's _meta rows differ from xlkit.meta's")
            tpl.checked = True
        if self._meta_head is None:
            raise _Fallback("template id the fast path cannot write")
        out = [self._meta_head, _ROWS[4], _inline(year), "</row>", _ROWS[5], _inline(unit),
               "</row>", _ROWS[6], _inline(project), "</row>", self._meta_signed,
               f'{_ROWS[9]} t="inlineStr"><is><t>{sig}</t></is></c></row>'
               f'{_ROWS[10]} t="inlineStr"><is><t>{n}</t></is></c></row>']
        r = 11
        if len(text) > 16383 and max(len(c.encode("utf-16-le")) for c in _chunks(text)) > 65534:
            raise _Fallback("_meta payload chunk longer than an xlsx cell holds")
        if n == 1 and tpl.fields_const is not None and not (
                "_x" in text and LITERAL_ESCAPE.search(text)):
            # payload.0 = pre + fields + post: the field map is constant
            out.append(f'<row r="{r}" spans="1:2"><c r="A{r}" t="inlineStr"><is><t>payload.0'
                       f'</t></is></c><c r="B{r}" t="inlineStr"><is><t>{_text(pre)}')
            out.append(tpl.fields_const)
            out.append(f"{_text(post)}</t></is></c></row>")
        else:
            for i in range(n):
                out.append(_meta_row(r + i, f"payload.{i}", text[i * CHUNK:(i + 1) * CHUNK]))
        out.append(10 + n)
        return out

    @staticmethod
    def _evaluate(tpl: _Template, issued: dict[str, Any]) -> dict[str, str]:
        """Every formula cell rendered with its value as ``Layout.evaluate(issued)`` gives
        it. Formulas are grouped by the pre-filled fields they depend on; a group is worked
        out once per distinct (typed) set of the values it reads."""
        env = dict(issued)
        get = env.get
        cells: dict[str, str] = {}
        for names, formulas, cache in tpl.groups:
            try:
                k: Any = tuple([(v.__class__, v) for v in map(get, names)])
                hit = cache.get(k)
            except TypeError:  # an unhashable value: no cache
                k = hit = None
            if hit is None:
                values, rendered = {}, {}
                for fld, rule, hole in formulas:
                    try:
                        v = rule.evaluate(env)
                    except FormulaError as exc:  # the cell shows an error value, as Excel would
                        v = exc
                    env[fld] = values[fld] = v
                    rendered[fld] = hole.prefix + _cached_cell(v, hole.formula)
                hit = values, rendered
                if k is not None:
                    cache.put(k, hit)
            else:
                env.update(hit[0])
            cells.update(hit[1])
        return cells

    # --- templates ----------------------------------------------------------------------

    def _template(self, key: tuple, issue: Mapping[str, Any], targets) -> _Template:
        ph_issue, ph_targets = self._placeholders(issue, targets)
        built = build_workbook(self.spec, ph_issue, ph_targets, key=None,
                               password=_PLACEHOLDER_PW, created=_PLACEHOLDER_TIME)
        ph_key, ph_pairs, ph_labels = self._variables(ph_issue, ph_targets)
        if ph_key != key:  # pragma: no cover - a placeholder changed the shape
            raise RuntimeError("placeholder values changed the form's shape")
        tpl = _analyse(key, built.data, built.layout, ph_pairs, ph_labels)
        self._templates.put(key, tpl)
        self.stats.templates += 1
        return tpl

    def _placeholders(self, issue: Mapping[str, Any], targets):
        """An issue and targets of the same shape: the values themselves (every one becomes
        a hole; their texts set the row heights, which the shape key holds), the year and
        the 二级指标 the spec does not list as placeholders."""
        def ph(v):
            return v
        out: dict[str, Any] = {"year": 2000}
        for _, src in self._header:
            v = issue.get(src)
            out[src] = None if v in (None, "") else str(v)
        funds = issue.get("funds") or {}
        out["funds"] = {rc: ph(funds.get(rc)) for _, rc in self._funds
                        if funds.get(rc) is not None}
        if self.spec.indicators is None or not targets:
            return out, None
        rows = []
        extras: dict[tuple[int, Any], str] = {}
        for gi, level1, level2, t in plan_rows(self.spec, targets):
            if level2 not in self._subgroups[gi]:
                level2 = extras.setdefault((gi, level2), f"{_EXTRA}{len(extras)}")
            row = {k: ph(t.get(k)) for k in self._ind_keys}
            if percent_unit(t.get("unit")):
                row["unit"] = "%"
            row.update(level1=level1, level2=level2)
            rows.append(row)
        rows.append({"level1": f"{_EXTRA}none"})  # in no group: keeps the list non-empty
        return out, rows


def _chunks(text: str) -> list[str]:
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]


def _meta_row(r: int, a: str, b: str) -> str:
    return f'<row r="{r}" spans="1:2"><c r="A{r}"{_inline(a)}<c r="B{r}"{_inline(b)}</row>'


#: The start of the ``_meta`` rows 1..10 up to the value cell's ``<c r="B.."``; each is
#: completed by the value's cell end and ``</row>``.
_META_KEYS = ("xlkit", "template_id", "template_version", "year", "unit_code", "project_code",
              "signed", "key_id", "signature", "payload_chunks")
_ROWS = {r: f'<row r="{r}" spans="1:2"><c r="A{r}"{_inline(k)}<c r="B{r}"'
         for r, k in enumerate(_META_KEYS, start=1)}


def _fill(h: _Hole, ctx: _Context) -> Any:
    k = h.kind
    if k == "formula":
        return ctx.cells[h.field]  # type: ignore[index]
    if k == "value":
        return h.prefix + _value_end(ctx.pairs[h.index][1])
    if k == "label":
        return h.prefix + _value_end(ctx.labels[h.index])
    if k == "title":
        return h.prefix + _value_end(ctx.titles[h.index])
    if k == "sheet_pw":
        return f' password="{ctx.pw_hash}"' if ctx.pw_hash else ""
    if k == "book_pw":
        return f'workbookPassword="{ctx.pw_hash}" ' if ctx.pw_hash else ""
    if k == "time":
        return ctx.time
    if k == "dimension":
        return f"A1:B{ctx.meta[-1]}"
    if k == "meta":
        return ctx.meta[:-1]
    raise AssertionError(k)


def _assemble(tpl: _Template, ctx: _Context) -> bytes:
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    cells, pairs = ctx.cells, ctx.pairs
    for name, m in tpl.members:
        if m.__class__ is tuple:
            head, data, entry = m
            central.append(entry[0] + OFFSET.pack(offset) + entry[1])
            out.append(head)
            out.append(data)
            offset += len(head) + len(data)
            continue
        chunks: list[bytes] = []
        crc = usize = 0
        buf: list[str] = []
        for tok in m:
            if tok.__class__ is _Const:
                chunks.append(tok.deflated)
                crc = tok.extend(crc)
                usize += tok.size
                continue
            cache = tok.cache
            if cache is not None:
                # keyed by the formula cells and the pre-filled values, not yet rendered
                key = tuple([cells[h.field] if h.field else (
                    (pairs[h.index][1].__class__, pairs[h.index][1]) if h.kind == "value"
                    else _fill(h, ctx)) for h in tok.holes])
                try:
                    hit = cache.get(key)
                except TypeError:  # an unhashable value: rendering it falls back
                    hit = None
                if hit is None:
                    raw = tok.render([cells[h.field] if h.field else _fill(h, ctx)
                                      for h in tok.holes])
                    hit = raw, (_stored(raw) if len(raw) < _STORE else _deflate(raw))
                    if len(raw) <= _MAX_RUN_BYTES:
                        cache.put(key, hit)
                raw, enc = hit
                chunks.append(enc)
                crc = zlib.crc32(raw, crc)
                usize += len(raw)
                continue
            it = iter([_fill(h, ctx) for h in tok.holes])
            for p in tok.pieces:
                f = next(it) if p is None else p
                if f.__class__ is str:
                    buf.append(f)
                    continue
                for q in f:  # the _meta rows: text and the constant field map
                    if q.__class__ is str:
                        buf.append(q)
                    else:
                        crc, usize = _flush(buf, chunks, crc, usize)
                        chunks.append(q.deflated)
                        crc = q.extend(crc)
                        usize += q.size
            crc, usize = _flush(buf, chunks, crc, usize)
        chunks.append(_FINAL)
        data = b"".join(chunks)
        csize = len(data)
        head = write_local_header(name, crc, csize, usize)
        central.append(central_entry(name, crc, csize, usize, offset))
        out.append(head)
        out.append(data)
        offset += len(head) + csize
    return finish_zip(out, central, offset)


def _flush(buf: list[str], chunks: list[bytes], crc: int, usize: int) -> tuple[int, int]:
    if not buf:
        return crc, usize
    raw = "".join(buf).encode("utf-8")
    buf.clear()
    chunks.append(_stored(raw) if len(raw) < _STORE else _deflate(raw))
    return zlib.crc32(raw, crc), usize + len(raw)


# ----------------------------------------------------------------------------- analysis


_SST_REF = re.compile(r'(<c r="[A-Z]+\d+"(?: s="\d+")? t="s"><v>)(\d+)(</v></c>)')
_SI = re.compile(r"<si>.*?</si>", re.S)
_CELL_HEAD = re.compile(r'<c r="[A-Z]+\d+"(?: s="\d+")?')
_FORMULA = re.compile(r"<f>(.*?)</f>", re.S)


def _cell_span(xml: str, addr: str) -> tuple[int, int, str, str]:
    """(start, end, '<c r=.. s=..', formula text) of the cell element at ``addr``."""
    m = re.search(f'<c r="{addr}"[ />]', xml)
    if m is None:
        raise ValueError(f"template has no cell {addr}")
    start = m.start()
    gt = xml.index(">", start)
    end = gt + 1 if xml[gt - 1] == "/" else xml.index("</c>", start) + 4
    elem = xml[start:end]
    head = _CELL_HEAD.match(elem)
    assert head is not None
    f = _FORMULA.search(elem)
    return start, end, head.group(0), f.group(1) if f else ""


def _rule_refs(e: Any, out: dict[str, None]) -> None:
    if isinstance(e, Ref):
        out[e.name] = None
    elif isinstance(e, Refs):
        out.update(dict.fromkeys(e.names))
    elif isinstance(e, Expr):
        for v in vars(e).values():
            _rule_refs(v, out)
    elif isinstance(e, (tuple, list)):
        for v in e:
            _rule_refs(v, out)


def _formula_groups(layout: Layout, variable: set[str], holes: dict[str, _Hole]
                    ) -> list[tuple[tuple[str, ...], list[tuple[str, Expr, _Hole]], dict]]:
    """Formula fields grouped by the variable pre-filled fields they depend on (directly or
    through other formulas), each group in dependency order, groups by size of that set:
    a formula read by another depends on a subset, so it is in the same or an earlier one.
    Each group comes with the names it reads from outside itself, its cache key."""
    rules = {c.field: c.rule for c in layout.cells if c.rule is not None}
    if None in rules:  # pragma: no cover - every formula cell has a field
        raise ValueError("formula cell without a field")
    deps: dict[str, tuple[str, ...]] = {}
    for f, rule in rules.items():
        refs: dict[str, None] = {}
        _rule_refs(rule, refs)
        deps[f] = tuple(refs)
    order: list[str] = []
    reads: dict[str, frozenset[str]] = {}
    state: dict[str, int] = {}

    def visit(f: str) -> None:
        if state.get(f) == 2:
            return
        if state.get(f) == 1:
            raise ValueError(f"formula cycle at {f}")
        state[f] = 1
        mine: set[str] = set()
        for d in deps[f]:
            if d in rules:
                visit(d)
                mine |= reads[d]
            elif d in variable:
                mine.add(d)
        reads[f] = frozenset(mine)
        state[f] = 2
        order.append(f)

    for f in rules:
        visit(f)
    groups: dict[frozenset[str], list[tuple[str, Expr, _Hole]]] = {}
    for f in order:
        groups.setdefault(reads[f], []).append((f, rules[f], holes[f]))  # type: ignore[arg-type]
    out = []
    for _, formulas in sorted(groups.items(), key=lambda g: len(g[0])):
        inside = {f for f, _, _ in formulas}
        # what the group reads from outside: variable pre-filled values and the values of
        # formulas of earlier groups (the same objects whenever those came from a cache)
        outside = {d: None for f, _, _ in formulas for d in deps[f]
                   if d not in inside and (d in rules or d in variable)}
        out.append((tuple(outside), formulas, BoundedCache(_MAX_MEMO)))
    return out


def _attr_hole(xml: str, attr: str, kind: str, trailing: int = 0) -> tuple[int, int, _Hole]:
    """The hole of a password attribute (`` password="ABCD"``) with its space."""
    start = xml.index(attr)
    end = xml.index('"', start + len(attr)) + 1 + trailing
    return start, end, _Hole(kind)


def _analyse(key: tuple, data: bytes, layout: Layout, pairs: list[tuple[str, Any]],
             labels: list[Any]) -> _Template:
    """Cut the holes out of a placeholder build."""
    z = zipfile.ZipFile(io.BytesIO(data))
    infos = z.infolist()
    files = {i.filename: z.read(i) for i in infos}
    sheets = sheet_parts(files.__getitem__, files)
    form_part, guide_part, meta_part = sheets[SHEET], sheets[GUIDE_SHEET], sheets[META_SHEET]
    tpl = _Template(key)
    tpl.fields = {f: c.address for f, c in layout.fields.items()}
    tpl.fields_json = _JSON.encode(tpl.fields)
    tpl.fields_bytes = tpl.fields_json.encode("utf-8")
    if not LITERAL_ESCAPE.search(tpl.fields_json):
        tpl.fields_const = _Const(_text(tpl.fields_json).encode("utf-8"))
    var = {f for f, _ in pairs}
    tpl.const_issued = {f: c.value for f, c in layout.fields.items()
                        if c.kind == "prefill" and f not in var}

    # the form: title, pre-filled values, extra 二级 labels, formulas, the password
    form = files[form_part].decode("utf-8")
    spots: list[tuple[str, _Hole]] = []
    for j, c in enumerate(layout.cells[:len(title_texts(layout.spec, None))]):
        assert c.col == 0 and c.kind in ("title", "subtitle"), c  # the title rows come first
        spots.append((xl_rowcol_to_cell(c.row, c.col), _Hole("title", j)))
    for i, (f, v) in enumerate(pairs):
        if v is not None:
            c = layout.fields[f]
            if c.kind != "prefill":  # pragma: no cover - the shape says it is pre-filled
                raise ValueError(f"{f} is not pre-filled in the template")
            spots.append((xl_rowcol_to_cell(c.row, c.col), _Hole("value", i)))
    for j in range(len(labels)):
        text = f"{_EXTRA}{j}"
        c = next(c for c in layout.cells if c.kind == "label" and c.value == text)
        spots.append((xl_rowcol_to_cell(c.row, c.col), _Hole("label", j)))
    for c in layout.cells:
        if c.rule is not None:
            spots.append((xl_rowcol_to_cell(c.row, c.col), _Hole("formula", field=c.field)))
    holes = []
    for addr, hole in spots:
        start, end, hole.prefix, hole.formula = _cell_span(form, addr)
        holes.append((start, end, hole))
    holes.append(_attr_hole(form, ' password="', "sheet_pw"))
    tpl.groups = _formula_groups(layout, {f for f, v in pairs if v is not None},
                                 {h.field: h for _, _, h in holes if h.kind == "formula"})

    # shared strings: only those the constant cells still use, renumbered
    guide = files[guide_part].decode("utf-8")
    sst = files["xl/sharedStrings.xml"].decode("utf-8")
    used: dict[int, None] = {}
    for text in [*_between(form, holes), guide]:
        for m in _SST_REF.finditer(text):
            used[int(m.group(2))] = None
    new = {old: i for i, old in enumerate(sorted(used))}
    count = 0

    def renumber(text: str) -> str:
        def sub(m: re.Match) -> str:
            nonlocal count
            count += 1
            return f"{m.group(1)}{new[int(m.group(2))]}{m.group(3)}"
        return _SST_REF.sub(sub, text)

    form = _renumber_between(form, holes, renumber)
    guide = renumber(guide)
    items = _SI.findall(sst)
    open_tag = re.search(r"<sst [^>]*>", sst)
    assert open_tag is not None and len(items) > max(used, default=-1)
    tag = re.sub(r' count="\d+"', f' count="{count}"', open_tag.group(0))
    tag = re.sub(r' uniqueCount="\d+"', f' uniqueCount="{len(new)}"', tag)
    sst = sst[:open_tag.start()] + tag + "".join(items[i] for i in sorted(used)) + "</sst>"

    # _meta: everything inside sheetData is written per workbook
    meta = files[meta_part].decode("utf-8")
    a, b = meta.index("<sheetData>") + len("<sheetData>"), meta.index("</sheetData>")
    d0 = meta.index('<dimension ref="') + len('<dimension ref="')
    meta_holes = [(d0, meta.index('"', d0), _Hole("dimension")), (a, b, _Hole("meta")),
                  _attr_hole(meta, ' password="', "sheet_pw")]

    book = files["xl/workbook.xml"].decode("utf-8")
    core = files["docProps/core.xml"].decode("utf-8")
    stamp = _PLACEHOLDER_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    core_holes = [(m.start(), m.end(), _Hole("time")) for m in re.finditer(re.escape(stamp), core)]
    assert len(core_holes) == 2
    for info in infos:
        n = info.filename
        if n == form_part:
            tpl.add_holed(n, form, holes)
        elif n == guide_part:
            tpl.add_holed(n, guide, [_attr_hole(guide, ' password="', "sheet_pw")])
        elif n == meta_part:
            tpl.add_holed(n, meta, meta_holes)
        elif n == "xl/workbook.xml":
            tpl.add_holed(n, book, [_attr_hole(book, 'workbookPassword="', "book_pw", 1)])
        elif n == "docProps/core.xml":
            tpl.add_holed(n, core, core_holes)
        elif n == "xl/sharedStrings.xml":
            tpl.add_const(ZipMember.of(n, sst.encode("utf-8")))
        else:
            tpl.add_const(ZipMember.of(n, files[n]))
    return tpl


def _between(xml: str, holes: list[tuple[int, int, _Hole]]) -> list[str]:
    out, pos = [], 0
    for start, end, _ in sorted(holes, key=lambda h: h[0]):
        out.append(xml[pos:start])
        pos = end
    out.append(xml[pos:])
    return out


def _renumber_between(xml: str, holes: list[tuple[int, int, _Hole]], renumber) -> str:
    """``xml`` with the shared-string numbers outside the holes renumbered; the holes'
    offsets are moved along."""
    out, pos, length = [], 0, 0
    moved = []
    for start, end, hole in sorted(holes, key=lambda h: h[0]):
        text = renumber(xml[pos:start])
        length += len(text)
        out += (text, xml[start:end])
        moved.append((length, length + end - start, hole))
        length += end - start
        pos = end
    out.append(renumber(xml[pos:]))
    holes[:] = moved
    return "".join(out)
