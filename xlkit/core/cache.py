"""One bounded memo for every cache in xlkit.

A :class:`BoundedCache` is a dict, so a hit is dict's own ``get`` / ``in`` / ``[]`` (the
read path asks some of these caches once per cell, where anything in Python per hit would
show). :meth:`~BoundedCache.put` adds an entry; when the cache holds ``maxsize`` entries the
oldest eighth is dropped first (by insertion, or by use for entries looked up through
:meth:`~BoundedCache.recent`), so a cache never grows past its bound and never loses what
it has just learnt, at amortised constant cost per ``put``.

Values must be what the key alone determines: a cache only ever saves work.
"""

from __future__ import annotations

from itertools import islice
from typing import TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """A dict of at most ``maxsize`` entries, filled through :meth:`put`."""

    __slots__ = ("maxsize", "_drop")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        super().__init__()
        self.maxsize = maxsize
        self._drop = max(1, maxsize // 8)

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` (dropping the oldest entries when full); returns
        ``value``."""
        if len(self) >= self.maxsize and key not in self:
            for old in list(islice(self, self._drop)):
                del self[old]
        self[key] = value
        return value

    def recent(self, key: K) -> V | None:
        """``get(key)``, and a hit counts as new: least recently used entries go first."""
        value = self.pop(key, None)
        if value is not None:
            self[key] = value
        return value
