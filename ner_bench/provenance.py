"""What made a result: package versions, the numeric libraries' thread count, device, host."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import json
import platform
import socket
from pathlib import Path

from . import threads

#: numba, llvmlite and pynndescent compile UMAP's kernels: a change of theirs moves UMAP's embeddings
PACKAGES = ("ner-bench", "numpy", "scipy", "scikit-learn", "pandas", "torch", "cebra", "umap-learn", "pynndescent",
            "numba", "llvmlite", "dPCA", "elephant", "PSID")


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


def built_in(cls: type) -> bool:
    """Whether ``cls`` ships with ner-bench (a plug-in does not: it is isolated, and its source is hashed)."""
    return cls.__module__.split(".")[0] == "ner_bench"


def code_identity(cls: type) -> str:
    """What of a method's code its fits depend on, for the fit key: for a built-in method ner-bench's
    version (the method's own ``version`` is in the key too); for a plug-in a hash of its source file (or
    of the class's source, for a class defined in a notebook), so that an edit refits without a ``version``
    bump."""
    if built_in(cls):
        return f"ner-bench {versions().get('ner-bench', '')}"
    try:
        source = inspect.getsourcefile(cls)
        text = Path(source).read_bytes() if source and Path(source).is_file() else inspect.getsource(cls).encode()
    except (OSError, TypeError):
        return "source unknown"
    return "source " + hashlib.sha256(text).hexdigest()[:16]
