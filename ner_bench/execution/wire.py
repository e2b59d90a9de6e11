"""Jobs as bytes for another process (local workers, submitit), and the entry point of a remote job."""

from __future__ import annotations

import contextlib
import pickle
import signal
import sys
import sysconfig
from pathlib import Path
from typing import Callable, Iterator

from .. import threads
from ..provenance import built_in
from ..run_folder import RunFolder
from .running import run_and_store


def encode_job(job) -> bytes:
    """A job (``FitJob``, ``ScoringJob``) as bytes for another process. Classes from ``--plugin`` files and
    installed packages go by reference (``decode_job`` imports the plug-in files first); classes defined in
    a notebook, a script or any module a fresh process may not find (a test module) go by value."""
    import cloudpickle

    for module in _modules_to_ship(job):
        cloudpickle.register_pickle_by_value(module)
    return pickle.dumps((job.plugin_files, cloudpickle.dumps(job)))


def _modules_to_ship(job) -> list:
    """The modules of the job's plug-in classes that are neither ner-bench's, nor a ``--plugin`` file, nor
    installed (``__main__`` is shipped by value by cloudpickle anyway)."""
    classes = [job.method_class] if hasattr(job, "method_class") else [type(item.task) for item in job.items]
    modules = []
    for cls in filter(None, classes):
        module = sys.modules.get(cls.__module__)
        source = getattr(module, "__file__", None)
        if (module is None or cls.__module__ == "__main__" or built_in(cls)
                or source is None or str(Path(source).resolve()) in job.plugin_files or _installed(source)):
            continue
        modules.append(module)
    return modules


def _installed(source: str) -> bool:
    """Whether a module file lives in an installed location (site-packages, the standard library)."""
    return any(part in ("site-packages", "dist-packages") for part in Path(source).parts) or \
        Path(source).is_relative_to(Path(sysconfig.get_paths()["stdlib"]))


def decode_job(payload: bytes):
    from ..plugins import load_plugin_file

    plugin_files, job_bytes = pickle.loads(payload)
    for path in plugin_files:
        load_plugin_file(Path(path))
    return pickle.loads(job_bytes)


def run_encoded_job(payload: bytes, folder: RunFolder | None, threads_count: int | None = None,
                    timeout: float | None = None):
    """Entry point of remote workers (submitit): adopt the launcher's thread policy (``threads_count``)
    before the job's code is imported, then decode, run, store. ``timeout`` (``--timeout``) counts from
    the start of the fit, as on local workers: past it, the fit fails with a TimeoutError."""
    if threads_count is not None:
        threads.adopt_in_this_process(threads_count)
    job = decode_job(payload)
    with fit_clock(timeout) as start:
        return run_and_store(job, folder, on_start=start)


@contextlib.contextmanager
def fit_clock(timeout: float | None) -> Iterator[Callable[[], None] | None]:
    """A function that starts a ``timeout``-second alarm raising TimeoutError in this (main) thread."""
    if not timeout or not hasattr(signal, "setitimer"):
        yield None
        return

    def expire(signum, frame):
        raise TimeoutError(f"the fit ran past --timeout {timeout:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        yield lambda: signal.setitimer(signal.ITIMER_REAL, timeout)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
