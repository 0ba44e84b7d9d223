"""Analysis results kept by content for every session of one process, bounded by bytes.

A count of entries bounds nothing: a CellaVision cell's result holds 1.2 MB of
arrays, a 6000-px photo's ten times more (the image at the
models' pixel size, its working copy, masks and canvas), so 128 cached photos
once held gigabytes. ``ResultCache`` counts the bytes of the arrays each
result holds (``nbytes_of``) and drops the least recently used results once
the total passes its budget. Every caller gets its own copy, so one session
changing a result (a reclassification, a note) never reaches another.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")

#: Bytes of arrays the app's cached cell results of all sessions may hold: about 850 CellaVision
#: cells (1.2 MB each, measured), or 80 big photos (each kept at the models' pixel size; decoding caps
#: the side at 2048 px). A page run asks for its whole batch in order, so a batch larger than the
#: cache would miss on every rerun and be analysed again at each click: the app's batches are capped
#: below it (``batch_input.MAX_BATCH_IMAGES``).
APP_RESULT_BYTES = 1024 * 2**20
#: The same for smear fields, whose results also hold every found cell.
APP_FIELD_BYTES = 128 * 2**20


def nbytes_of(value: object) -> int:
    """Bytes of the numpy arrays inside ``value`` (dataclasses, lists, tuples, dicts, walked)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes_of(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, list | tuple):
        return sum(nbytes_of(item) for item in value)
    if isinstance(value, dict):
        return sum(nbytes_of(item) for item in value.values())
    return 0


class ResultCache(Generic[T]):
    """A thread-safe least-recently-used cache whose arrays stay within ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> T | None:
        """A copy of the cached value, or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            value = self._items[key][0]
        return copy.deepcopy(value)

    def put(self, key: Hashable, value: T) -> None:
        """Keep a copy of ``value``; a value larger than the whole budget is not kept."""
        size = nbytes_of(value)
        if size > self.max_bytes:
            return
        kept = copy.deepcopy(value)
        with self._lock:
            if key in self._items:
                self._bytes -= self._items.pop(key)[1]
            self._items[key] = (kept, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value's copy, or ``compute()``'s (kept for next time)."""
        found = self.get(key)
        if found is not None:
            return found
        value = compute()
        self.put(key, value)
        return value
