"""A bounded memo of deterministic results by content key: the scoring of a run computes the same decoders,
grid searches and control rows for many recording pairs (every pair that shares a source or a target), and
each process keeps the most recent ones instead of computing them again."""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

Value = TypeVar("Value")


class BoundedMemo(Generic[Value]):
    """``get(key, compute)``: the value remembered for ``key``, else ``compute()`` remembered; the least
    recently used entry goes once more than ``size`` are held."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Value] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        if key in self._values:
            self._values.move_to_end(key)
            return self._values[key]
        value = compute()
        self._values[key] = value
        if len(self._values) > self.size:
            self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
