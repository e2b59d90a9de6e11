"""Content-addressed embedding cache: one ``.npz`` per fit, written atomically, verified on read."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def content_key(fields: dict[str, Any]) -> str:
    """A stable hash of everything that determines an embedding."""
    blob = json.dumps(fields, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


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
        """Write atomically: a temporary file in the same folder, fsynced, then renamed into place."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**meta, "checksum": _checksum(values)}
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, values=values, meta=np.array(json.dumps(meta, default=str)))
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _checksum(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes() + str(values.shape).encode()).hexdigest()[:16]
