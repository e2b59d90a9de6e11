"""The one way the run folder writes a file: atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def _file_mode() -> int:
    """What ``open`` gives a new file: 0666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` so that readers see either the old file or the whole new one, never a part:
    a temporary file in the same folder (a name of its own, so that two writers never share one), fsynced,
    then renamed into place. A crash leaves at most a hidden ``.*.tmp`` file behind, which nothing reads."""
    return atomic_write_all({path: write})[0]


def atomic_write_all(writes: dict[Path, Callable[[BinaryIO], None]]) -> list[Path]:
    """Write every file to its temporary first, then rename them all into place one after the other: a
    failure while writing (a full disk) changes none of them, and the files change together but for the
    moment between two renames."""
    temporaries: list[tuple[str, Path]] = []
    try:
        for path, write in writes.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temporaries.append((tmp, path))
            if hasattr(os, "fchmod"):
                os.fchmod(handle, FILE_MODE)  # mkstemp's 0600 would hide results from the rest of a lab
            with os.fdopen(handle, "wb") as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
        for tmp, path in temporaries:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temporaries:
            Path(tmp).unlink(missing_ok=True)
        raise
    return list(writes)


def atomic_write_bytes(path: Path, blob: bytes) -> Path:
    return atomic_write(path, lambda stream: stream.write(blob))
