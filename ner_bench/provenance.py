"""What made a result: package versions, the numeric libraries' thread count, device, host."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import platform
import socket

from . import threads

PACKAGES = ("ner-bench", "numpy", "scipy", "scikit-learn", "pandas", "torch", "cebra", "umap-learn", "dPCA")


def versions() -> dict[str, str]:
    """Package versions and ``threads``, the thread policy's count (``threads.thread_count``): both change
    the last digits of a result. The count is read each time, since ``NER_BENCH_THREADS`` may change between
    runs of one process; the versions cannot."""
    return {**_package_versions(), "threads": str(threads.thread_count())}


@functools.lru_cache(maxsize=1)
def _package_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def versions_json() -> str:
    return json.dumps(versions(), sort_keys=True)


def host() -> str:
    return socket.gethostname()
