"""The jobs a run is made of, and their outcomes.

- ``FitJob``: one (method, parameters, recording, split, seed) -> the embedding of every bin (``FitOutcome``);
- ``ScoringJob``: every unit of one method x seed still to score, with the embeddings they need
  (``ScoringOutcome``, a ``UnitScore`` per unit).

A job is a plain record that any executor (in-process, worker processes, SLURM) can ship as bytes
(``execution.wire``). ``run`` never raises: a failing method or task becomes an outcome with status and
error text. A job does not store itself: whoever runs it hands the outcome to the run folder
(``RunFolder.store``), so that a finished fit survives whatever happens to the process that launched it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import random
import socket
import sys
import time
import traceback
import weakref
from dataclasses import dataclass, field
import typing
from typing import Any, Callable, ClassVar

import numpy as np

from . import threads
from .embedding_output import as_embedding
from .errors import NerBenchError
from .hashing import content_key
from .protocol import Protocol
from .recording import Recording
from .row_identity import check_unique
from .split import Split
from .task import Context, Embedding, Task, Unit

log = logging.getLogger(__name__)

#: a row's status: scored, failed (its error says why), or skipped (an impossible combination; its note says why)
OK, FAILED, SKIPPED = "ok", "failed", "skipped"


class Job(typing.Protocol):
    """What executors run: a ``FitJob`` or a ``ScoringJob``. ``run`` never raises; ``failed`` is the
    outcome of a job whose process could not finish it; ``timed``: whether ``--timeout`` applies."""

    plugin_files: tuple[str, ...]
    timed: ClassVar[bool]

    def label(self) -> str: ...

    def run(self, on_start: Callable[[], None] | None = None) -> Any: ...

    def failed(self, error: str, seconds: float = float("nan")) -> Any: ...


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
    #: what of the method's code the fit depends on (``provenance.code_identity``): part of the key
    code: str = ""
    #: step counts at which the fit also embeds the recording (``checkpoints.py``; not part of the key),
    #: and the parameter that counts steps
    checkpoints: tuple[int, ...] = ()
    length_parameter: str = ""
    #: ``--timeout`` limits fits
    timed: ClassVar[bool] = True

    @functools.cached_property
    def key(self) -> str:
        """Content hash of everything that determines the embedding (not the device, not the budget
        name: the budget acts through the resolved parameters)."""
        return content_key(self.key_fields())

    def key_fields(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params, "version": self.method_version, "code": self.code,
                "recording": self.recording.id, "data": data_hash(self.recording),
                "split": self.split.key(), "seed": self.seed}

    def checkpoint_jobs(self) -> list["FitJob"]:
        """The shorter fits this one yields: the same job with the length parameter at each checkpoint."""
        return [dataclasses.replace(self, params={**self.params, self.length_parameter: steps}, checkpoints=())
                for steps in self.checkpoints]

    def describe(self) -> dict[str, Any]:
        """What the cache entry belongs to (read back by the leaderboard's trajectory figures)."""
        return {"method": self.method, "recording": self.recording.id, "seed": self.seed,
                "data_hash": self.recording.data_hash(), "train_trials": self.split.train_trials.tolist()}

    def label(self) -> str:
        return f"{self.method} on {self.recording.id} (seed {self.seed})"

    def run(self, on_start: Callable[[], None] | None = None) -> "FitOutcome":
        """Fit and embed (see ``run_fit_job``); never raises."""
        return run_fit_job(self, on_start)

    def failed(self, error: str, seconds: float = float("nan")) -> "FitOutcome":
        """The outcome of a fit that could not run or finish (its worker died, it timed out)."""
        return FitOutcome(self.key, FAILED, fit_seconds=seconds, error=error)


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
    #: the fit's process was killed from outside (SIGKILL, as the out-of-memory killer does, or SIGTERM):
    #: not the method's fault, so a rerun fits it again
    infrastructure: bool = False
    #: the outcomes of the job's checkpoint jobs, by key
    checkpoints: dict[str, "FitOutcome"] = field(default_factory=dict)


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
        recording = job.recording.read_only()  # a method writing into its input fails, alone
        taken = CheckpointTaker(job, method, recording)
        # the thread policy from here on, once the method's modules (torch, numba...) are imported
        with threads.limited() as count:
            where["threads"] = count
            prepared = time.perf_counter()
            method.prepare()  # once-per-process set-up (JIT warm-up): out of fit_seconds and the timeout clock
            prepare_seconds = time.perf_counter() - prepared
            seed_everything(job.seed)
            if on_start:
                on_start()
            started = taken.started = time.perf_counter()
            method.fit_as_run(job.split.train(recording), seed=job.seed, device=job.device)
            fitted = time.perf_counter()
            raw = method.transform(recording)
            transformed = time.perf_counter()
        values = as_embedding(raw, job.recording)
    except (Exception, SystemExit) as error:  # SystemExit: a method calling sys.exit() must not end the run
        return FitOutcome(key=job.key, status=FAILED, meta=where,
                          error=f"{type(error).__name__}: {error}\n" + traceback.format_exc(limit=-8))
    meta = {"params": method.params, **where, "prepare_seconds": prepare_seconds}
    return FitOutcome(key=job.key, status=OK, values=values,
                      fit_seconds=fitted - started - taken.seconds, transform_seconds=transformed - fitted,
                      meta={**meta, "training": method.training_summary()}, checkpoints=taken.outcomes(meta))


class CheckpointTaker:
    """Embeds the recording at each of the job's checkpoints while its method trains; the time spent
    embedding is taken out of the fit's (and later checkpoints') ``fit_seconds``."""

    def __init__(self, job: FitJob, method, recording: Recording) -> None:
        self.job, self.method, self.recording = job, method, recording
        self.started, self.seconds = time.perf_counter(), 0.0
        self.taken: dict[int, tuple[np.ndarray, float, float]] = {}
        method.checkpoints = job.checkpoints
        method.checkpoint_hook = self.take if job.checkpoints else None

    def take(self, steps: int) -> None:
        before = time.perf_counter()
        values = as_embedding(self.method.transform(self.recording), self.job.recording)
        transform_seconds = time.perf_counter() - before
        self.taken[steps] = (values, before - self.started - self.seconds, transform_seconds)
        self.seconds += transform_seconds

    def outcomes(self, meta: dict) -> dict[str, "FitOutcome"]:
        """An outcome per checkpoint job: its embedding, or a failure when the method never reported it."""
        outcomes = {}
        total = self.job.params.get(self.job.length_parameter)
        for steps, shorter in zip(self.job.checkpoints, self.job.checkpoint_jobs()):
            if steps not in self.taken:
                outcomes[shorter.key] = shorter.failed(f"method {self.job.method!r} did not report checkpoint {steps} "
                                                       f"(checkpoint_reached) while training {total} steps")
                continue
            values, fit_seconds, transform_seconds = self.taken[steps]
            training = f"{steps} {self.job.length_parameter} (a checkpoint of the {self.job.length_parameter}={total} fit)"
            outcomes[shorter.key] = FitOutcome(shorter.key, OK, values, fit_seconds, transform_seconds,
                                               meta={**meta, "params": shorter.params, "training": training})
        return outcomes


def describe_device(device: str) -> str:
    """The device a fit ran on, with the GPU it was pinned to, e.g. ``cuda (CUDA_VISIBLE_DEVICES=1)``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return f"{device} (CUDA_VISIBLE_DEVICES={visible})" if device.startswith("cuda") and visible else device


# ----------------------------------------------------------------------------- scoring
@dataclass(eq=False)
class ScoringItem:
    """One unit of one task to score; ``index`` is its place in the plan, ``stored_as`` the key its rows
    are kept under in the run folder (None: not kept)."""

    index: int
    task: Task
    unit: Unit
    stored_as: str | None


@dataclass
class UnitScore:
    status: str
    error: str = ""
    rows: list[dict] = field(default_factory=list)


@dataclass
class ScoringOutcome:
    key: str
    scores: dict[int, UnitScore]
    status: str = OK
    error: str = ""


@dataclass(eq=False)
class ScoringJob:
    """Every unit of one method x seed still to score, with the embeddings they need (by recording id)."""

    method: str
    seed: int
    items: list[ScoringItem]
    embeddings: dict[str, Embedding]
    protocol: Protocol
    plugin_files: tuple[str, ...] = ()
    #: ``--timeout`` limits fits only
    timed: ClassVar[bool] = False

    @property
    def key(self) -> str:
        return f"scoring:{self.method}:{self.seed}:{self.items[0].index}"

    def label(self) -> str:
        units = f"{len(self.items)} units" if len(self.items) > 1 else self._unit_label(self.items[0])
        return f"scoring {self.method} (seed {self.seed}, {units})"

    @staticmethod
    def _unit_label(item: ScoringItem) -> str:
        return f"{item.task.name} {item.unit.train.id} -> {item.unit.test.id}"

    def run(self, on_start: Callable[[], None] | None = None) -> ScoringOutcome:
        """Score every unit under the thread policy (``threads``), so that the numbers do not depend on
        the process that scores them."""
        if on_start:
            on_start()
        with threads.limited():
            return ScoringOutcome(self.key, {item.index: self._score(item) for item in self.items})

    def failed(self, error: str, seconds: float = float("nan")) -> ScoringOutcome:
        """Every unit fails with ``error`` (e.g. the worker process scoring them died)."""
        text = f"evaluation: {error}"
        return ScoringOutcome(self.key, {item.index: UnitScore(FAILED, text) for item in self.items}, FAILED, text)

    def one_by_one(self) -> list["ScoringJob"]:
        """A job per unit, each with the embeddings it needs: after a crash, so that it fails alone."""
        return [ScoringJob(self.method, self.seed, [item], {rec.id: self.embeddings[rec.id] for rec in
                                                            item.unit.recordings},
                           self.protocol, self.plugin_files) for item in self.items]

    def _score(self, item: ScoringItem) -> UnitScore:
        """The task's rows for one unit; a failing task becomes a failed score."""
        unit = item.unit
        train, test = self.embeddings[unit.train.id], self.embeddings[unit.test.id]
        try:
            rows = item.task.evaluate(unit, train, test, Context(self.protocol, self.seed))
            check_unique(rows, f"task {item.task.name!r} on {unit.train.id} -> {unit.test.id}")
        except NerBenchError as error:  # an explained failure (e.g. embeddings of different sizes)
            return UnitScore(FAILED, f"evaluation: {type(error).__name__}: {error}")
        except Exception as error:
            log.exception("task %s failed on %s -> %s", item.task.name, unit.train.id, unit.test.id)
            return UnitScore(FAILED, f"evaluation: {type(error).__name__}: {error}")
        return UnitScore(OK, rows=rows)
