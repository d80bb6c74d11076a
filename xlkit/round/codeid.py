"""Which build of xlkit computed something: its version and a digest of its own source,
rules and form templates. The ledger keeps a result and a run only for the build that made
them, so after an upgrade (or any change to the code) every return is read again and the
report written again, never reused from a reader that judged differently."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

from xlkit import __version__
from xlkit.core.spec import template_dirs


@functools.cache
def code_id() -> str:
    """``"<version>+<digest>"``, the digest over xlkit's .py and .yaml files and those of
    every templates folder (read once per process: a few hundred KB)."""
    h = hashlib.sha256()
    package = Path(str(resources.files("xlkit")))  # the whole package, not this folder
    files = [*sorted(package.rglob("*.py")), *sorted(package.rglob("*.yaml"))]
    for folder in template_dirs():  # the office's folders too: a version added counts
        if folder.is_dir():
            files += sorted(f for f in folder.rglob("*.y*ml") if f.suffix in (".yaml", ".yml"))
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return f"{__version__}+{h.hexdigest()[:16]}"
