"""Stable content hashes of plain records: the keys of fits and stored evaluations."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np


def content_key(fields: dict[str, Any]) -> str:
    """A stable hash of everything that determines a result.

    numpy scalars and arrays hash like the Python numbers and lists they hold, so ``dim=np.int64(3)``
    and ``dim=3`` share a key.
    """
    blob = json.dumps(fields, sort_keys=True, default=plain).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def plain(value: Any) -> Any:
    """``json.dumps``'s ``default``: numpy values as Python ones, sets sorted, anything else as text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)
