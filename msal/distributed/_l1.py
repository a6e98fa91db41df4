"""The in-process level (L1): recently used partitions, bounded by their size."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional

from ..token_cache import TokenCache


class Partition(object):
    """One partition as this process last saw it: an indexed copy of the document, the Redis
    version it came from, and the changes made while Redis was away (replayed later)."""

    __slots__ = ("name", "key", "cache", "version", "size", "pending")

    def __init__(
        self,
        name: str,
        key: str,
        doc: Dict[str, Any],
        version: int,
        size: Optional[int] = None,
        pending: Optional[List[Callable[[TokenCache], None]]] = None,
    ) -> None:
        self.name, self.key, self.version = name, key, version
        self.cache = TokenCache()
        self.cache._replace_all(doc)
        self.size = len(json.dumps(doc, separators=(",", ":"))) if size is None else size
        self.pending = pending or []

    def document(self) -> Dict[str, Any]:
        """A deep copy of the document, to change without touching what readers see."""
        with self.cache._lock:
            copy: Dict[str, Any] = json.loads(json.dumps(self.cache._cache))
            return copy


class LRU(object):
    """Partitions by name, least recently used evicted first once their JSON size passes
    ``max_bytes``. Partitions with changes not yet in Redis are never evicted."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: "OrderedDict[str, Partition]" = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, name: str) -> Optional[Partition]:
        with self._lock:
            found = self._items.get(name)
            if found is not None:
                self._items.move_to_end(name)
            return found

    def put(self, part: Partition) -> None:
        with self._lock:
            old = self._items.pop(part.name, None)
            if old is not None:
                self._bytes -= old.size
            self._items[part.name] = part
            self._bytes += part.size
            while self._bytes > self.max_bytes:
                victim = next(
                    (
                        n
                        for n, p in self._items.items()  # oldest first: O(1) usually
                        if not p.pending and n != part.name
                    ),
                    None,
                )
                if victim is None:
                    break
                self._bytes -= self._items.pop(victim).size

    def values(self) -> List[Partition]:
        with self._lock:
            return list(self._items.values())

    def stats(self) -> Dict[str, int]:
        with self._lock:
            return {"partitions": len(self._items), "bytes": self._bytes}
