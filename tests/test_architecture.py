"""The rooms of xlkit import one way, as README's Architecture section says, and no module
reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "xlkit"
SHARED = {"core", "findings", "ooxml", "xlkit"}  # every stage may use these (xlkit: __version__)
#: room -> the rooms it may import besides itself and SHARED (README: Architecture)
MAY_IMPORT: dict[str, set[str]] = {
    "findings": set(),
    "core": {"findings"},
    "ooxml": {"findings"},
    "build": set(),
    "read": set(),
    "inputs": set(),
    # the round's result (result.py: plain data, no logic) is what the report shows
    "report": {"read", "round.result"},
    "round": {"read", "inputs", "report", "docs"},
    # the documents read the round's result and share the report's figures (one source)
    "docs": {"read", "round.result", "report"},
}
LEAVES = {"findings": {"xlkit"}, "core": {"findings", "xlkit"}, "ooxml": {"findings", "xlkit"}}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "xlkit":
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "xlkit":
                    yield a.name, []


def _sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30, f"xlkit's modules not found under {PACKAGE}"
    return files


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_rooms_import_one_way() -> None:
    wrong = []
    for path in _sources():
        rel = path.relative_to(PACKAGE).parts
        if len(rel) == 1:  # cli, demo, __init__: the entry points use every room
            continue
        room = rel[0]
        allowed = LEAVES.get(room, SHARED | MAY_IMPORT[room]) | {room}
        for module, _ in _imports(path):
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 else "xlkit"
            if target not in allowed and ".".join(parts[1:3]) not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = []
    for path in _sources():
        me = _module(path)
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and module != me:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}: {module} {private}")
    assert not wrong, "\n".join(wrong)
