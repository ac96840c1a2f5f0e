"""A per-process memo bounded by the size of what it holds: the monitor keeps its rendered
live parts (by bytes), the run summaries before the live region's line and the chart's
finished slices (by count) in one each; compiled queries (`core.compiled`) are kept in one.
Least recently used dropped first; thread-safe (a server process answers several requests
at once)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedMemo(Generic[Value]):
    def __init__(self, max_size: int, size: Callable[[Value], int]) -> None:
        self.max_size = max_size
        self.measure = size
        self.size = 0  # the sum of what is held, in the memo's unit
        self.rows: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self.lock:
            found = self.rows.get(key)
            if found is None:
                return None
            self.rows.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Value) -> None:
        size = self.measure(value)
        if size > self.max_size:
            return  # larger than the whole memo: used once, not kept
        with self.lock:
            old = self.rows.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self.rows[key] = (value, size)
            self.size += size
            while self.size > self.max_size:
                _key, (_value, dropped) = self.rows.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self.lock:
            self.rows.clear()
            self.size = 0
