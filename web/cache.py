"""A bounded least-recently-used cache shared by the worker threads that serve pages."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Keeps the most recently used values up to ``max_size`` (as ``size_of`` counts); each key is made once.

    Threads asking for a key being made wait for it rather than making it again, so a burst of requests for
    one new diff page computes it once. A value larger than ``max_size`` is returned but not kept.
    """

    def __init__(self, max_size: int, size_of: Callable[[V], int]) -> None:
        self.max_size = max_size
        self.size_of = size_of
        self.size = 0
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[K, threading.Lock] = {}

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make()`` when it is not kept."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = make()
                self._keep(key, value)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return value

    def kept(self, key: K) -> V | None:
        """The value kept for ``key``, or None; never makes one."""
        with self._lock:
            return self._values.get(key)

    def _keep(self, key: K, value: V) -> None:
        size = self.size_of(value)
        if size > self.max_size:
            return
        with self._lock:
            self._values[key] = value
            self.size += size
            while self.size > self.max_size:
                _, evicted = self._values.popitem(last=False)
                self.size -= self.size_of(evicted)

    def __len__(self) -> int:
        return len(self._values)
