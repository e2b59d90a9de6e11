"""What made a result: package versions, device, host."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import platform
import socket

PACKAGES = ("ner-bench", "numpy", "scipy", "scikit-learn", "pandas", "torch", "cebra", "umap-learn", "dPCA")


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
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
