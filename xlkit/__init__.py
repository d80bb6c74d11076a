"""xlkit: build, read and reconcile 绩效自评表 (budget performance self-evaluation) workbooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Tables", "__version__", "iter_read", "load_key", "read_many", "read_workbook"]

if TYPE_CHECKING:
    from xlkit.core.meta import load_key
    from xlkit.read import iter_read, read_many, read_workbook
    from xlkit.read.tables import Tables

# The reading API pulls in pandas (about half a second); `xlkit build` and `xlkit templates`
# never need it, so these names are imported on first use (PEP 562).
_LAZY = {
    "read_workbook": "xlkit.read",
    "read_many": "xlkit.read",
    "iter_read": "xlkit.read",
    "load_key": "xlkit.core.meta",  # a key file → bytes, stripped; Chinese InputError
    "Tables": "xlkit.read.tables",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xlkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
