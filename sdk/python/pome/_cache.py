"""A short-lived, bounded, thread-safe memory of valid verifications."""

from __future__ import annotations

import threading
import time
from typing import Dict, Generic, Optional, Tuple, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    """Maps a string to a value for ``ttl`` seconds; at most ``max_entries`` are kept.

    When full, expired entries go first, then the oldest: a flood of
    distinct keys costs memory up to the bound, never more.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._lock = threading.Lock()
        self._items: Dict[str, Tuple[float, V]] = {}

    def get(self, key: str) -> Optional[V]:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                del self._items[key]
                return None
            return item[1]

    def put(self, key: str, value: V) -> None:
        if self._ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            self._items.pop(key, None)
            if len(self._items) >= self._max:
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
            while len(self._items) >= self._max:
                del self._items[next(iter(self._items))]
            self._items[key] = (now + self._ttl, value)
