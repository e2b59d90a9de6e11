"""Executors run jobs (fits, and the scoring that follows them) and yield ``(job, outcome)`` pairs as they
finish.

- ``local``: with ``jobs=1``, no timeout and only built-in methods and tasks, fits run in this process,
  one after the other; otherwise (a plug-in takes part: ``isolate``) on worker processes (``local_pool.py``, which picks jobs with ``chooser.py``), optionally pinned to GPUs, with an optional per-fit timeout.
- ``slurm``: one SLURM array task per fit through submitit (``slurm.py``; jobs travel as bytes, ``wire.py``).
- ``submitit-local``: the SLURM code path run by submitit's local executor (CI, workstations).

Whatever the executor, each job is stored in the run folder by the process that ran it (``running.py``), and every fit
and scoring job runs under the same thread policy (``threads.py``), so that the executor and ``--jobs``
change where numbers are computed, never their digits.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from tqdm.auto import tqdm

from ..errors import NerBenchError
from ..jobs import FitJob, Job
from ..run_folder import RunFolder
from .local_pool import WorkerPool, worker_slots
from .running import run_and_store
from .slurm import SlurmOptions, run_with_submitit

log = logging.getLogger(__name__)

EXECUTORS = ("local", "slurm", "submitit-local")


@dataclass
class ExecutionOptions:
    """Where and how fits run (the execution options of ``ner-bench run``)."""

    executor: str = "local"
    #: fits in parallel (local worker processes; also the cap of submitit-local)
    jobs: int = 1
    #: GPU ids for local workers, each worker pinned to one; workers = len(gpus) * jobs_per_gpu
    gpus: tuple[str, ...] = ()
    jobs_per_gpu: int = 1
    #: seconds one fit may take before its worker is killed and the fit recorded as failed
    timeout: float | None = None
    slurm: SlurmOptions = field(default_factory=SlurmOptions)
    #: progress bar on stderr; None: only when stderr is a terminal
    progress: bool | None = None
    #: run even ``jobs=1`` on a worker process: the runner sets it when a plug-in (a method or task that is
    #: not built in) takes part, so that one ending its process (``os._exit``, a segfault) fails alone
    isolate: bool = False

    def check(self) -> None:
        if self.executor not in EXECUTORS:
            raise NerBenchError(f"argument --executor: unknown executor {self.executor!r}; "
                                f"expected one of {', '.join(EXECUTORS)}")
        if self.jobs < 1:
            raise NerBenchError(f"argument --jobs: expected a positive number of fits in parallel, got {self.jobs}")
        if self.jobs_per_gpu < 1:
            raise NerBenchError(f"argument --jobs-per-gpu: expected a positive integer, got {self.jobs_per_gpu}")
        if self.timeout is not None and not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise NerBenchError(f"argument --timeout: expected a positive, finite number of seconds, got {self.timeout}")
        if self.gpus and self.jobs != 1:
            raise NerBenchError("argument --jobs: with --gpus the number of workers is the number of GPUs "
                                "times --jobs-per-gpu; leave --jobs out")
        if os.name != "posix" and not self.in_process and self.executor == "local":
            raise NerBenchError("arguments --jobs/--gpus/--timeout: worker processes need Linux or macOS; "
                                "on Windows run with --jobs 1 and no --timeout")
        if self.gpus and self.executor != "local":
            raise NerBenchError("argument --gpus: only for --executor local (on SLURM use --slurm-gpus)")

    @property
    def in_process(self) -> bool:
        return self.executor == "local" and self.jobs == 1 and not self.gpus and self.timeout is None


def execute(jobs: Sequence[Job] | deque, options: ExecutionOptions | None = None,
            folder: RunFolder | None = None, notify: Callable[[str], None] | None = None) -> Iterator[tuple[Job, Any]]:
    """Run ``jobs`` on the chosen executor; yields each job with its outcome as it finishes.

    Given a deque, the caller may append jobs to it whenever a pair is yielded (the runner adds scoring
    jobs as fits finish). Fits go to the executor; scoring jobs run on local worker processes when there
    are some, else in this process (on SLURM, scoring is cheap next to the fits and needs no allocation)."""
    options = options or ExecutionOptions()
    options.check()
    queue = jobs if isinstance(jobs, deque) else deque(jobs)
    if not queue:
        return
    if options.executor == "local" and (not options.in_process or (options.isolate and os.name == "posix")):
        workers = worker_slots(options.jobs, options.gpus, options.jobs_per_gpu)
        yield from WorkerPool(workers, options.timeout, folder, notify).run(queue)  # workers start on demand
    elif options.executor == "local":
        yield from _in_process(queue, folder)
    else:
        yield from _submitit_then_here(queue, options, folder)


def progress_bar(total: int, options: ExecutionOptions, desc: str, unit: str) -> tqdm:
    """A progress bar on stderr with counts and ETA (shown when stderr is a terminal, unless chosen). Its
    rate is the run's average (``smoothing=0``), so that :func:`leave_out_set_up` can take a method's
    one-off set-up out of it."""
    disable = None if options.progress is None else not options.progress
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr, dynamic_ncols=True,
                smoothing=0)


def leave_out_set_up(bar: tqdm, seconds: float, options: ExecutionOptions) -> None:
    """Move the bar's start later by a fit's set-up time (e.g. umap's numba warm-up, once per worker) over
    the number of fits running side by side, so that the ETA is not stretched by a cost paid once."""
    if seconds > 0 and hasattr(bar, "start_t"):
        bar.start_t += seconds / parallel_fits(options)


def parallel_fits(options: ExecutionOptions) -> int:
    """How many fits run side by side: the local workers, or 1 in this process (or SLURM's ``--jobs``)."""
    if options.executor == "local" and options.in_process:
        return 1
    return max(1, len(worker_slots(options.jobs, options.gpus, options.jobs_per_gpu)))


def _in_process(queue: deque, folder: RunFolder | None) -> Iterator[tuple[Job, Any]]:
    while queue:
        job = queue.popleft()
        yield job, run_and_store(job, folder)


def _submitit_then_here(queue: deque, options: ExecutionOptions, folder: RunFolder | None) -> Iterator[tuple[Job, Any]]:
    """Fits through submitit; other jobs (scoring) here, between the fits' arrivals. The fits leave the
    queue, which then holds only the jobs run here (the caller adds those as fits arrive)."""
    fits = [job for job in queue if isinstance(job, FitJob)]
    others = [job for job in queue if not isinstance(job, FitJob)]
    queue.clear()
    queue.extend(others)
    local = options.executor == "submitit-local"
    for job, outcome in run_with_submitit(fits, options.slurm, folder, local=local, timeout=options.timeout,
                                          max_running=options.jobs):
        yield job, outcome
        yield from _in_process(queue, folder)
    yield from _in_process(queue, folder)
