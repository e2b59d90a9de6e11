"""One run at a time in a run folder: checked writable before any fit, then held by an exclusive lock.

A second run into the same folder waits (saying so in one line) until the first is done, then finds its
fits and scores stored and writes its own complete results table; two runs never interleave their writes.
The lock is ``fcntl.flock`` on a file in the folder: released by the kernel when the process ends, even by
SIGKILL, so a crashed run never leaves the folder locked. (On Windows, where there is no ``flock``, runs
are not serialised. On network filesystems ``flock`` works where the server supports it.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import NerBenchError

log = logging.getLogger(__name__)


def check_writable(root: Path, directories: list[Path], files: list[Path]) -> None:
    """Fail now, in one line, if the run could not store what it computes (``--out`` a file, a read-only
    folder, ``results.csv`` a directory), rather than after every fit."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        for folder in directories:
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(f"{folder} is not a folder")
        for path in files:
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a folder, expected a file")
        handle, probe = tempfile.mkstemp(dir=root, prefix=".write-check.", suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise NerBenchError(f"argument --out: the run folder {root} cannot be written ({error})") from None


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; wait for another run that holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("run folder %s is in use by another run; waiting for it to finish", lock_path.parent)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
