"""Fit jobs: one (method, parameters, recording, split, seed) -> the embedding of every bin.

A job is a plain picklable record, so any executor (in-process, worker processes, SLURM) can run it;
``run_fit_job`` never raises: a failing method becomes a ``FitOutcome`` with status and error text.
"""

from __future__ import annotations

import random
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cache import content_key
from .recording import Recording
from .split import Split


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

    @property
    def key(self) -> str:
        """Content hash of everything that determines the embedding (not the device)."""
        return content_key({"method": self.method, "params": self.params, "version": self.method_version,
                            "recording": self.recording.id, "data": self.recording.data_hash(),
                            "split": self.split.key(), "seed": self.seed})

    def describe(self) -> dict[str, Any]:
        """What the cache entry belongs to (read back by the leaderboard's trajectory figures)."""
        return {"method": self.method, "recording": self.recording.id, "seed": self.seed,
                "data_hash": self.recording.data_hash(), "train_trials": self.split.train_trials.tolist()}

    def label(self) -> str:
        return f"{self.method} on {self.recording.id} (seed {self.seed})"


@dataclass
class FitOutcome:
    key: str
    status: str  # "ok", "failed"
    values: np.ndarray | None = None
    fit_seconds: float = float("nan")
    transform_seconds: float = float("nan")
    error: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)


def run_fit_job(job: FitJob) -> FitOutcome:
    """Fit on the training trials, embed every bin; any exception is caught and reported."""
    from .plugins import discover  # workers rebuild the registry, the user's plug-in files included

    try:
        method_cls = job.method_class or discover(job.plugin_files).get("methods", job.method)
        method = method_cls(budget=job.budget, **job.params)
        seed_everything(job.seed)
        started = time.perf_counter()
        method.fit(job.split.train(job.recording), seed=job.seed, device=job.device)
        fitted = time.perf_counter()
        values = np.asarray(method.transform(job.recording))
        transformed = time.perf_counter()
        check_embedding(values, job.recording)
    except Exception as error:
        return FitOutcome(key=job.key, status="failed", error=f"{type(error).__name__}: {error}\n"
                          + traceback.format_exc(limit=-8))
    return FitOutcome(key=job.key, status="ok", values=values.astype(np.float32),
                      fit_seconds=fitted - started, transform_seconds=transformed - fitted,
                      meta={"params": method.params, "device": job.device})


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
