"""Fuzz the reader: N seeded mutants of the sample returns, read, every outcome checked.

    python bench/fuzz.py [N] [--seed S] [--jobs 1] [--openpyxl-every 10] [--keep DIR]

Each mutant is one of the real returns under ``samples/returns/`` changed one way (chosen by
a generator seeded with ``S`` and the mutant's number, so a run is reproduced by its seed):
bytes flipped, the file truncated, a zip member dropped, duplicated or the members
reordered, an XML part edited (an attribute removed, a value or a text replaced by an odd
one: "inf", "NaN", "1e400", "", a very long string, control characters, full-width
digits, "=cmd|..."; a tag broken; cells written ``<c\\tr=``), or odd values typed into input
cells through openpyxl. All are read with ``xlkit.read_many`` (every ``--openpyxl-every``-th
also with the openpyxl engine), and :func:`problems` lists what is wrong: an exception that
escaped, a file not accounted for (neither read nor rejected), a rejection without a Chinese
reason or with a Python exception's name in it, a finding whose message is not Chinese.
Prints the counts: mutants, read, rejected by code, seconds, peak RSS. ``tests/test_fuzz.py``
runs 300 of them in the suite.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import resource
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RETURNS = sorted((ROOT / "samples" / "returns").rglob("*.xlsx"))
DEFAULT_SEED = 20261213

#: odd values a clerk (or a mailbox) puts where a number or a text belongs
ODD = ["inf", "-inf", "NaN", "1e400", "-1e400", "", " ", "9" * 400, "x" * 5000, "\x01\x02\x03",
       "\x00", "\x1b[31m", "１２３４", "９５％", "٣٤", "−5", "1,234.5", "95%", "≥90%", "TRUE",
       "#DIV/0!", "=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)",
       "\t=1", "\r\n", "0x1F", "1_000", "1e-400", "-0", "\u202e123", "𠀀" * 20, "<v>1</v>",
       "&amp;", "&", "]]>", "\ufffe", "2147483648", "-9223372036854775809", "1.7976931348623157e309"]
CJK = re.compile(r"[\u4e00-\u9fff]")
PYTHON_WORDS = re.compile(r"Error|Exception|Traceback", re.I)

Members = list[tuple[zipfile.ZipInfo, bytes]]


def _members(path: Path) -> Members:
    with zipfile.ZipFile(path) as z:
        return [(i, z.read(i)) for i in z.infolist()]


def _zip(members: Members) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for info, body in members:
                z.writestr(info.filename, body)
    return buf.getvalue()


def _odd(rng: random.Random, escape: bool) -> str:
    v = rng.choice(ODD)
    if escape:
        v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return v


# ------------------------------------------------------------------------ mutations


def flip(rng, raw, members):
    data = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data), "bytes flipped"


def truncate(rng, raw, members):
    return raw[:rng.randrange(len(raw))], "truncated"


def drop(rng, raw, members):
    i = rng.randrange(len(members))
    return _zip(members[:i] + members[i + 1:]), f"member {members[i][0].filename} dropped"


def duplicate(rng, raw, members):
    i = rng.randrange(len(members))
    info, body = members[i]
    other = body[:len(body) // 2] if rng.random() < 0.5 else body
    out = list(members)
    out.insert(rng.randrange(len(out) + 1), (info, other))
    return _zip(out), f"member {info.filename} duplicated"


def reorder(rng, raw, members):
    out = list(members)
    rng.shuffle(out)
    return _zip(out), "members reordered"


_ATTR = re.compile(rb' [A-Za-z:]+="[^"]*"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_TEXT = re.compile(rb"<t(?: [^>]*)?>([^<]*)</t>")
_ATTR_VALUE = re.compile(rb'( [A-Za-z:]+=")([^"]*)(")')
_TAG = re.compile(rb"</?[A-Za-z:]+")


def _xml_part(rng, members) -> int:
    xml = [i for i, (info, _) in enumerate(members) if info.filename.endswith((".xml", ".rels"))]
    sheets = [i for i in xml if members[i][0].filename.startswith("xl/worksheets/")]
    return rng.choice(sheets if sheets and rng.random() < 0.7 else xml)


def _edit_at(rng, body: bytes, pattern: re.Pattern[bytes], make: Callable[[re.Match], bytes],
             group: int = 0) -> bytes | None:
    found = list(pattern.finditer(body))
    if not found:
        return None
    m = rng.choice(found)
    return body[:m.start(group)] + make(m) + body[m.end(group):]


def xml_edit(rng, raw, members):
    i = _xml_part(rng, members)
    info, body = members[i]
    kind = rng.choice(["attr removed", "value", "text", "attr value", "tag broken", "tab cells",
                       "typed inline"])
    escape = rng.random() < 0.8
    odd = _odd(rng, escape).encode("utf-8", "surrogatepass")
    if kind == "attr removed":
        new = _edit_at(rng, body, _ATTR, lambda m: b"")
    elif kind == "value":
        new = _edit_at(rng, body, _VALUE, lambda m: odd, 1)
    elif kind == "text":
        new = _edit_at(rng, body, _TEXT, lambda m: odd, 1)
    elif kind == "attr value":
        new = _edit_at(rng, body, _ATTR_VALUE, lambda m: odd, 2)
    elif kind == "tag broken":
        new = _edit_at(rng, body, _TAG, lambda m: m[0][:-1] + rng.choice([b"", b"x", b":", b" "]))
    elif kind == "tab cells":
        new = body.replace(b"<c r=", rng.choice([b"<c\tr=", b"<c\nr=", b"<c   r="]))
    else:  # a cell's number replaced by an inline string, as a unit types text
        new = _edit_at(rng, body, re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(?: t="n")?><v>[^<]*</v>'),
                       lambda m: b'<c r="' + m[1] + b'"' + m[2] + b' t="inlineStr"><is><t>' + odd
                       + b"</t></is>")
    if new is None:
        return flip(rng, raw, members)
    out = list(members)
    out[i] = (info, new)
    return _zip(out), f"{info.filename}: {kind} ({odd[:40]!r})"


def typed(rng, raw, members, *, src: Path):
    """Odd values typed into input cells with openpyxl, as a unit (or a script) would."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(src)
        names = [dn for dn in wb.defined_names.values() if dn.name.startswith("xk_")]
        done = []
        for dn in rng.sample(names, min(len(names), rng.randint(1, 4))):
            for title, ref in dn.destinations:
                if title in wb.sheetnames and ":" not in ref:
                    value = _odd(rng, False)
                    value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]", "?", value)
                    wb[title][ref.replace("$", "")].value = value
                    done.append(f"{dn.name}={value[:20]!r}")
        buf = io.BytesIO()
        wb.save(buf)
    return buf.getvalue(), "typed " + ", ".join(done)


MUTATIONS = [flip, truncate, drop, duplicate, reorder, xml_edit, xml_edit, xml_edit]


def make_mutants(folder: Path, n: int, seed: int, typed_every: int = 15) -> dict[Path, str]:
    """``n`` mutants written under ``folder``: path → how it was made."""
    bases = [(p, p.read_bytes(), _members(p)) for p in RETURNS]
    out = {}
    for k in range(n):
        rng = random.Random(seed * 1_000_003 + k)
        src, raw, members = bases[rng.randrange(len(bases))]
        if typed_every and k % typed_every == typed_every - 1:
            data, how = typed(rng, raw, members, src=src)
        else:
            data, how = rng.choice(MUTATIONS)(rng, raw, members)
        path = folder / f"m{k:05d}.xlsx"
        path.write_bytes(data)
        out[path] = f"#{k} of {src.name[:30]}: {how}"
    return out


# ------------------------------------------------------------------------- checking


def problems(tables, made: dict[Path, str]) -> list[str]:
    """What is wrong with reading ``made`` into ``tables``: every file read or rejected, a
    rejected one with a Chinese reason without Python's names, every finding in Chinese."""
    out = []
    files = tables.files
    seen = {Path(p): i for i, p in enumerate(files["path"])}
    for path, how in made.items():
        if path not in seen:
            out.append(f"{how}: not accounted for")
            continue
        row = files.iloc[seen[path]]
        if row["status"] not in ("read", "rejected"):
            out.append(f"{how}: status {row['status']}")
        if row["status"] == "rejected":
            reason = row["reason"] or ""
            if not CJK.search(reason) or PYTHON_WORDS.search(reason):
                out.append(f"{how}: reason {reason!r}")
    if len(files) != len(made):
        out.append(f"{len(files)} file rows for {len(made)} mutants")
    for msg in tables.findings["message"]:
        if not CJK.search(msg or "") or PYTHON_WORDS.search(msg or ""):
            out.append(f"finding message {msg!r}")
    return out


def run(n: int, seed: int, jobs: int = 1, openpyxl_every: int = 10,
        keep: Path | None = None) -> dict:
    from xlkit import read_many

    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        made = make_mutants(folder, n, seed)
        t1 = time.perf_counter()
        found: list[str] = []
        try:
            tables = read_many(list(made), jobs=jobs)
            found += problems(tables, made)
        except Exception as exc:  # noqa: BLE001 - the one thing that must never happen
            found.append(f"read_many raised {type(exc).__name__}: {exc}\n"
                         + traceback.format_exc(limit=-4))
            tables = None
        subset = {p: h for i, (p, h) in enumerate(made.items()) if openpyxl_every
                  and i % openpyxl_every == 0}
        if subset:
            try:
                found += [f"openpyxl {p}" for p in
                          problems(read_many(list(subset), jobs=jobs, engine="openpyxl"), subset)]
            except Exception as exc:  # noqa: BLE001
                found.append(f"read_many(engine=openpyxl) raised {type(exc).__name__}: {exc}\n"
                             + traceback.format_exc(limit=-4))
        t2 = time.perf_counter()
    statuses = Counter(tables.files["status"]) if tables is not None else Counter()
    codes = Counter(c for c, s in zip(tables.files["code"], tables.files["status"], strict=True)
                    if s == "rejected") if tables is not None else Counter()
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"seed": seed, "mutants": n, "read": statuses.get("read", 0),
            "rejected": statuses.get("rejected", 0), "codes": dict(codes.most_common()),
            "openpyxl": len(subset), "make_s": t1 - t0, "read_s": t2 - t1, "peak_mb": peak,
            "problems": found}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, nargs="?", default=5000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--openpyxl-every", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="write the mutants here and keep them")
    a = ap.parse_args()
    got = run(a.n, a.seed, a.jobs, a.openpyxl_every, a.keep)
    print(f"seed {got['seed']}: {got['mutants']} mutants ({got['openpyxl']} also through "  # noqa: T201
          f"openpyxl): read {got['read']}, rejected {got['rejected']}")
    for code, k in got["codes"].items():
        print(f"  rejected {code}: {k}")  # noqa: T201
    print(f"made in {got['make_s']:.1f} s, read in {got['read_s']:.1f} s; "  # noqa: T201
          f"peak RSS {got['peak_mb']:.0f} MB")
    for p in got["problems"][:50]:
        print("PROBLEM", p)  # noqa: T201
    print(f"problems: {len(got['problems'])}")  # noqa: T201
    sys.exit(1 if got["problems"] else 0)


if __name__ == "__main__":
    main()
