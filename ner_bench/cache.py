"""Content-addressed embedding cache: one ``.npz`` per fit, written atomically, verified on read."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

log = logging.getLogger(__name__)


def content_key(fields: dict[str, Any]) -> str:
    """A stable hash of everything that determines an embedding.

    numpy scalars and arrays hash like the Python numbers and lists they hold, so ``dim=np.int64(3)``
    and ``dim=3`` share a key.
    """
    blob = json.dumps(fields, sort_keys=True, default=_plain).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` so that readers see either the old file or the whole new one, never a part:
    a temporary file in the same folder, fsynced, then renamed into place. A crash leaves at most a
    hidden ``.*.tmp`` file behind, which nothing reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class EmbeddingCache:
    """``root/<key[:2]>/<key>.npz`` holding ``values`` and a JSON ``meta`` record with a checksum."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> tuple[np.ndarray, dict] | None:
        """The cached embedding and its metadata, or None when absent, partial or corrupt."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as archive:
                values = archive["values"]
                meta = json.loads(str(archive["meta"]))
            if meta.get("checksum") != _checksum(values):
                raise ValueError("checksum mismatch")
            return values, meta
        except Exception as error:  # truncated zip, missing member, bad JSON: recompute
            log.warning("cache entry %s is unreadable (%s); it will be recomputed", path, error)
            return None

    def put(self, key: str, values: np.ndarray, meta: dict) -> Path:
        """Write atomically (see ``atomic_write``)."""
        meta = {**meta, "checksum": _checksum(values)}
        return atomic_write(self.path(key), lambda stream: np.savez(
            stream, values=values, meta=np.array(json.dumps(meta, default=_plain))))


def _checksum(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes() + str(values.shape).encode()).hexdigest()[:16]
