"""The one way the run folder writes a file: atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


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


def atomic_write_bytes(path: Path, blob: bytes) -> Path:
    return atomic_write(path, lambda stream: stream.write(blob))
