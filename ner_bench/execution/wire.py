"""Jobs as bytes for another process (local workers, submitit), and the entry point of a remote job."""

from __future__ import annotations

import pickle
from pathlib import Path

from .. import threads
from ..run_folder import RunFolder
from .running import run_and_store


def encode_job(job) -> bytes:
    """A job (``FitJob``, ``ScoringJob``) as bytes for another process. cloudpickle ships classes defined in
    a notebook by value; classes from ``--plugin`` files go by reference and ``decode_job`` imports those
    files first."""
    import cloudpickle

    return pickle.dumps((job.plugin_files, cloudpickle.dumps(job)))


def decode_job(payload: bytes):
    from ..plugins import load_plugin_file

    plugin_files, job_bytes = pickle.loads(payload)
    for path in plugin_files:
        load_plugin_file(Path(path))
    return pickle.loads(job_bytes)


def run_encoded_job(payload: bytes, folder: RunFolder | None, threads_count: int | None = None):
    """Entry point of remote workers (submitit): adopt the launcher's thread policy (``threads_count``)
    before the job's code is imported, then decode, run, store."""
    if threads_count is not None:
        threads.adopt_in_this_process(threads_count)
    return run_and_store(decode_job(payload), folder)
