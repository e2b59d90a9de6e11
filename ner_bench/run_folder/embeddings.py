"""Content-addressed embedding cache (``OUT/cache``): one ``.npz`` per fit, written atomically, verified on read."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from ..hashing import plain
from .files import atomic_write

log = logging.getLogger(__name__)


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
            stream, values=values, meta=np.array(json.dumps(meta, default=plain))))


def _checksum(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes() + str(values.shape).encode()).hexdigest()[:16]
