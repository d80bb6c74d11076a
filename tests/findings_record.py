"""Under the test suite: every finding code produced is recorded, and a declared code that
no test produces fails the session (when the whole suite ran, not a ``-k`` subset).

Codes are recorded where they are made (``xlkit.findings.declared``, through which every
finding, InputError and built-in rule outcome passes), in every process: the reader's
workers are forked from the test process and inherit the recorder, which appends each code
new to its process to a file of its own (a worker's findings come back pickled, never
through the factory again). Worded messages are checked against their code's templates
(``xlkit.findings.strict``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

import xlkit.findings as findings

_DIR = Path(tempfile.mkdtemp(prefix="xlkit-codes-"))
_seen: set[str] = set()
_pid = 0


def _record(code: str) -> None:
    global _pid
    if os.getpid() != _pid:  # a forked worker: its own file, its own set
        _pid = os.getpid()
        _seen.clear()
    if code not in _seen:
        _seen.add(code)
        with open(_DIR / f"codes-{_pid}", "a", encoding="utf-8") as fh:
            fh.write(code + "\n")


def produced() -> set[str]:
    out: set[str] = set()
    for p in _DIR.glob("codes-*"):
        out.update(p.read_text(encoding="utf-8").split())
    return out


def pytest_configure(config: pytest.Config) -> None:
    findings.strict = True
    findings.observe(_record)


def _whole_suite(session: pytest.Session) -> bool:
    opt = session.config.option
    if getattr(opt, "keyword", "") or getattr(opt, "markexpr", "") or getattr(opt, "lf", False) \
            or getattr(opt, "deselect", None):
        return False
    tests = Path(__file__).resolve().parent
    return all(Path(a).resolve() in (tests, tests.parent) for a in session.config.args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _whole_suite(session) or session.shouldstop or session.testscollected == 0:
        return
    missing = sorted(set(findings.CATALOGUE) - produced())
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = ("declared finding codes that no test produces "
                f"(xlkit/findings/catalogue.py): {', '.join(missing)}")
        if reporter:
            reporter.write_line(text, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
