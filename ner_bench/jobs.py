"""Fit jobs: one (method, parameters, recording, split, seed) -> the embedding of every bin.

A job is a plain record that any executor (in-process, worker processes, SLURM) can ship as bytes
(``encode_job``/``decode_job``); ``run_fit_job`` never raises: a failing method becomes a ``FitOutcome``
with status and error text, and ``run_and_store`` also writes the outcome to the run's ``FitStore``, so
that a finished fit survives whatever happens to the process that launched it.
"""

from __future__ import annotations

import functools
import os
import pickle
import random
import socket
import sys
import time
import traceback
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol

import numpy as np

from . import threads
from .cache import content_key
from .recording import Recording
from .split import Split

OK, FAILED = "ok", "failed"


class Job(Protocol):
    """What executors run: a ``FitJob``, or a ``scoring.ScoringJob``. ``run`` never raises; ``failed`` is the
    outcome of a job whose process could not finish it; ``timed``: whether ``--timeout`` applies."""

    plugin_files: tuple[str, ...]
    timed: ClassVar[bool]

    def label(self) -> str: ...

    def run(self, store_root: str | None = None, on_start: Callable[[], None] | None = None) -> Any: ...

    def failed(self, error: str, store_root: str | None = None, seconds: float = float("nan")) -> Any: ...


@dataclass(frozen=True, eq=False)
class FitJob:
    method: str
    params: dict[str, Any]
    method_version: str
    recording: Recording
    split: Split
    seed: int
    budget: str = "quick"
    device: str = "cpu"
    plugin_files: tuple[str, ...] = ()
    #: the class itself when it is not discoverable by name (e.g. defined in a notebook)
    method_class: type | None = None
    #: the method's ``prepare_group``: which fits share a once-per-process set-up (not part of the key)
    prepare_group: str = ""
    #: ``--timeout`` limits fits
    timed: ClassVar[bool] = True

    @functools.cached_property
    def key(self) -> str:
        """Content hash of everything that determines the embedding (not the device, not the budget
        name: the budget acts through the resolved parameters)."""
        return content_key(self.key_fields())

    def key_fields(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params, "version": self.method_version,
                "recording": self.recording.id, "data": data_hash(self.recording),
                "split": self.split.key(), "seed": self.seed}

    def describe(self) -> dict[str, Any]:
        """What the cache entry belongs to (read back by the leaderboard's trajectory figures)."""
        return {"method": self.method, "recording": self.recording.id, "seed": self.seed,
                "data_hash": self.recording.data_hash(), "train_trials": self.split.train_trials.tolist()}

    def label(self) -> str:
        return f"{self.method} on {self.recording.id} (seed {self.seed})"

    def run(self, store_root: str | None = None, on_start: Callable[[], None] | None = None) -> "FitOutcome":
        """Fit, embed and store (see ``run_and_store``); never raises."""
        return run_and_store(self, store_root, on_start)

    def failed(self, error: str, store_root: str | None = None, seconds: float = float("nan")) -> "FitOutcome":
        """The outcome of a fit that could not run or finish (its worker died, it timed out), recorded in the
        run folder since the process that ran it could not."""
        outcome = FitOutcome(self.key, FAILED, fit_seconds=seconds, error=error)
        if store_root:
            from .fit_store import FitStore

            FitStore(store_root).save(self, outcome)
        return outcome


@dataclass
class FitOutcome:
    key: str
    status: str  # "ok", "failed"
    values: np.ndarray | None = None
    fit_seconds: float = float("nan")
    transform_seconds: float = float("nan")
    error: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    #: served from the run folder (an embedding in the cache, or a recorded failure) rather than fitted now
    cached: bool = False


_DATA_HASHES: "weakref.WeakKeyDictionary[Recording, str]" = weakref.WeakKeyDictionary()


def data_hash(recording: Recording) -> str:
    """``recording.data_hash()``, computed once per Recording object (every method and seed shares it)."""
    if recording not in _DATA_HASHES:
        _DATA_HASHES[recording] = recording.data_hash()
    return _DATA_HASHES[recording]


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and, when the method's module imported it, torch (importing torch for a
    method that does not use it would cost seconds per worker)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def run_fit_job(job: FitJob, on_start: Callable[[], None] | None = None) -> FitOutcome:
    """Fit on the training trials, embed every bin; any exception is caught and reported.

    ``on_start`` is called once the method's class is imported and instantiated, right before fitting
    (the local executor starts a job's ``--timeout`` clock there, so imports do not count)."""
    from .plugins import discover  # workers rebuild the registry, the user's plug-in files included

    where = {"fit_host": socket.gethostname(), "fit_device": describe_device(job.device)}
    try:
        method_cls = job.method_class or discover(job.plugin_files).get("methods", job.method)
        method = method_cls(budget=job.budget, **job.params)
        # the thread policy from here on, once the method's modules (torch, numba...) are imported
        with threads.limited() as count:
            where["threads"] = count
            prepared = time.perf_counter()
            method.prepare()  # once-per-process set-up (JIT warm-up): out of fit_seconds and the timeout clock
            prepare_seconds = time.perf_counter() - prepared
            seed_everything(job.seed)
            if on_start:
                on_start()
            started = time.perf_counter()
            method.fit(job.split.train(job.recording), seed=job.seed, device=job.device)
            fitted = time.perf_counter()
            values = np.asarray(method.transform(job.recording))
            transformed = time.perf_counter()
        check_embedding(values, job.recording)
    except (Exception, SystemExit) as error:  # SystemExit: a method calling sys.exit() must not end the run
        return FitOutcome(key=job.key, status=FAILED, meta=where,
                          error=f"{type(error).__name__}: {error}\n" + traceback.format_exc(limit=-8))
    return FitOutcome(key=job.key, status=OK, values=values.astype(np.float32),
                      fit_seconds=fitted - started, transform_seconds=transformed - fitted,
                      meta={"params": method.params, **where, "prepare_seconds": prepare_seconds})


def run_and_store(job: FitJob, store_root: str | None, on_start: Callable[[], None] | None = None) -> FitOutcome:
    """Run the job and, when the run has a folder, write its embedding and status record there."""
    outcome = run_fit_job(job, on_start)
    if store_root:
        from .fit_store import FitStore

        try:
            FitStore(store_root).save(job, outcome)
        except OSError as error:  # a full disk fails this fit, not the run
            outcome = FitOutcome(job.key, FAILED, error=f"could not store the fit in {store_root}: {error}",
                                 meta=outcome.meta)
    return outcome


def check_embedding(values: np.ndarray, recording: Recording) -> None:
    """A method's output must be (n_bins, dim) finite floats."""
    if values.ndim != 2 or values.shape[0] != recording.n_bins or values.shape[1] < 1:
        raise ValueError(f"transform returned shape {values.shape}; expected ({recording.n_bins}, dim) "
                         f"for recording {recording.id!r}")
    if not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"transform returned dtype {values.dtype}; expected floats")
    if not np.isfinite(values).all():
        raise ValueError(f"transform returned {int((~np.isfinite(values)).sum())} non-finite values "
                         f"for recording {recording.id!r}")


def describe_device(device: str) -> str:
    """The device a fit ran on, with the GPU it was pinned to, e.g. ``cuda (CUDA_VISIBLE_DEVICES=1)``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return f"{device} (CUDA_VISIBLE_DEVICES={visible})" if device.startswith("cuda") and visible else device


def encode_job(job) -> bytes:
    """A job (``FitJob``, ``scoring.ScoringJob``) as bytes for another process. cloudpickle ships classes
    defined in a notebook by value; classes from ``--plugin`` files go by reference and ``decode_job``
    imports those files first."""
    import cloudpickle

    return pickle.dumps((job.plugin_files, cloudpickle.dumps(job)))


def decode_job(payload: bytes):
    from .plugins import load_plugin_file

    plugin_files, job_bytes = pickle.loads(payload)
    for path in plugin_files:
        load_plugin_file(Path(path))
    return pickle.loads(job_bytes)


def run_encoded_job(payload: bytes, store_root: str | None, threads_count: int | None = None) -> FitOutcome:
    """Entry point of remote workers (submitit): adopt the launcher's thread policy (``threads_count``)
    before the job's code is imported, then decode, run, store."""
    if threads_count is not None:
        threads.adopt_in_this_process(threads_count)
    return run_and_store(decode_job(payload), store_root)
