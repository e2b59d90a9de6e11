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


#: the entry format; entries of an older one are recomputed (quietly: nothing is wrong with them)
FORMAT = 2


class EmbeddingCache:
    """``root/<key[:2]>/<key>.npz`` holding ``values`` and a JSON ``meta`` record. The meta names its key
    and a checksum of the key and the values together, so that an entry copied under another key, or
    edited, is recognised and recomputed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> tuple[np.ndarray, dict] | None:
        """The cached embedding and its metadata, or None when absent, partial, corrupt or another key's."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as archive:
                values = archive["values"]
                meta = json.loads(str(archive["meta"]))
            if not isinstance(meta, dict):
                raise ValueError("its meta record is not a JSON object")
            if "format" not in meta and meta.get("checksum") == _unkeyed_checksum(values):
                # written before entries named their key: a run folder of an earlier version still draws
                # its figures (no new fit key is ever such an entry's key, so no fit reuses it)
                return values, meta
            if meta.get("format") != FORMAT:
                log.info("cache entry %s is of an older format; it will be recomputed", path)
                return None
            if meta.get("key") != key or meta.get("checksum") != _checksum(key, values):
                raise ValueError("it does not belong to this key (checksum mismatch)")
            return values, meta
        except Exception as error:  # truncated zip, missing member, bad JSON, another entry's file: recompute
            log.warning("cache entry %s is unreadable (%s); it will be recomputed", path, error)
            return None

    def put(self, key: str, values: np.ndarray, meta: dict) -> Path:
        """Write atomically (see ``atomic_write``)."""
        meta = {**meta, "format": FORMAT, "key": key, "checksum": _checksum(key, values)}
        return atomic_write(self.path(key), lambda stream: np.savez(
            stream, values=values, meta=np.array(json.dumps(meta, default=plain))))


def _checksum(key: str, values: np.ndarray) -> str:
    digest = hashlib.sha256(key.encode() + str(values.dtype).encode() + str(values.shape).encode())
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()[:16]


def _unkeyed_checksum(values: np.ndarray) -> str:
    """The checksum of format-1 entries (values and shape only)."""
    return hashlib.sha256(np.ascontiguousarray(values).tobytes() + str(values.shape).encode()).hexdigest()[:16]
