"""SLURM through submitit (``--executor slurm``), and the same code path on this machine through
submitit's local executor (``--executor submitit-local``: CI, or a workstation without SLURM).

Fits are grouped by method and resources; each group is one SLURM job array with one task per fit.
Every task stores its fit in the run folder itself (which must be on a filesystem the nodes share), so
fits that finish after the launching process died are found by the next run.

Resources of one fit, from weakest to strongest say:
``{"cpus": 1, "gpus": 0, "mem_gb": 8}``, then the method's ``resources`` class attribute, then
``--slurm-gpus`` for methods that use a GPU, then ``--slurm-resources "ner=gpus:1,mem_gb:16;umap=cpus:4"``.
GPUs are only requested when ``--device`` is a CUDA device; a fit given no GPU runs with ``device="cpu"``.
Each job runs with the launcher's thread count (``threads.py``), passed with the job and set in the
job's environment before its code is imported: a node's ``OMP_NUM_THREADS`` does not change the numbers.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from ..errors import NerBenchError
from ..jobs import FitJob, FitOutcome
from ..run_folder import RunFolder
from ..threads import thread_count
from .running import record_failure
from .wire import encode_job, run_encoded_job

log = logging.getLogger(__name__)

DEFAULT_RESOURCES = {"cpus": 1, "gpus": 0, "mem_gb": 8}
DEFAULT_TIME_MIN = 60


@dataclass
class SlurmOptions:
    """Options of ``--executor slurm`` (``--slurm-*`` on the command line)."""

    partition: str | None = None
    #: time limit of one fit's job, minutes (default: from --timeout, else 60)
    time_min: int | None = None
    #: GPUs per fit for methods that use a GPU (default 1 when --device is cuda)
    gpus: int | None = None
    array_parallelism: int = 64
    #: shell lines run before each job, e.g. "module load cuda", "source ~/venv/bin/activate"
    setup: tuple[str, ...] = ()
    #: per-method resources, e.g. {"ner": {"gpus": 1, "mem_gb": 16}}
    resources: dict[str, dict[str, int]] = field(default_factory=dict)
    #: extra sbatch options, e.g. {"account": "lab", "qos": "high"}
    extra: dict[str, str] = field(default_factory=dict)
    #: seconds between checks on the jobs (default: 10 on SLURM, 0.2 locally)
    poll_seconds: float | None = None


def parse_resources(text: str) -> dict[str, dict[str, int]]:
    """``"ner=gpus:1,mem_gb:16;umap=cpus:4"`` -> ``{"ner": {"gpus": 1, "mem_gb": 16}, "umap": {"cpus": 4}}``."""
    resources: dict[str, dict[str, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        method, sep, items = part.partition("=")
        if not sep or not method.strip():
            raise NerBenchError(f"argument --slurm-resources: {part!r} should be METHOD=KEY:VALUE,...")
        wanted = resources.setdefault(method.strip(), {})
        for item in filter(None, (i.strip() for i in items.split(","))):
            key, sep, value = item.partition(":")
            if not sep or key.strip() not in DEFAULT_RESOURCES or not value.strip().isdigit():
                raise NerBenchError(f"argument --slurm-resources: {item!r} in {part!r} should be KEY:INTEGER "
                                    f"with KEY one of {', '.join(DEFAULT_RESOURCES)}")
            wanted[key.strip()] = int(value)
    return resources


def parse_time(text: str) -> int:
    """Minutes from ``90``, ``1:30:00`` (hours:minutes:seconds) or ``1-12:00:00`` (days-hours:...)."""
    match = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", text.strip())
    if not match:
        raise NerBenchError(f"argument --slurm-time: expected minutes, H:MM:SS or D-HH:MM:SS, got {text!r}")
    days, first, second, third = (int(g) if g else None for g in match.groups())
    if second is None and days is None:
        return first
    hours, minutes, seconds = first, second or 0, third or 0
    return max(1, math.ceil((days or 0) * 1440 + hours * 60 + minutes + seconds / 60))


def fit_resources(job: FitJob, options: SlurmOptions) -> dict[str, int]:
    """What one fit asks the cluster for (see the module docstring)."""
    method_cls = job.method_class
    wanted = {**DEFAULT_RESOURCES, **dict(getattr(method_cls, "resources", {}) or {})}
    if not job.device.startswith("cuda"):
        wanted["gpus"] = 0
    elif getattr(method_cls, "uses_gpu", False):
        wanted["gpus"] = options.gpus if options.gpus is not None else max(1, wanted["gpus"])
    wanted.update(options.resources.get(job.method, {}))
    return wanted


def run_with_submitit(jobs: Sequence[FitJob], options: SlurmOptions, folder: RunFolder | None, *,
                      local: bool, timeout: float | None = None, max_running: int = 1
                      ) -> Iterator[tuple[FitJob, FitOutcome]]:
    """Submit every fit, yield ``(job, outcome)`` as they finish. ``local`` uses submitit's
    LocalExecutor, which runs at most ``max_running`` fits at a time on this machine."""
    if folder is None:
        raise NerBenchError("--executor slurm needs an output folder (--out) on a filesystem the nodes share")
    pending = list(jobs)
    running: list[tuple[FitJob, Any]] = []
    poll = options.poll_seconds or (0.2 if local else 10.0)
    try:
        while pending or running:
            room = len(pending) if not local else max(0, max_running - len(running))
            if room:
                running += submit(pending[:room], options, folder, local=local, timeout=timeout)
                pending = pending[room:]
            still = []
            for job, submitted in running:
                if submitted.done():
                    yield job, _outcome(job, submitted, folder)
                else:
                    still.append((job, submitted))
            running = still
            if running:
                time.sleep(poll)
    finally:
        for _, submitted in running:  # interrupted: do not leave jobs queued for nobody
            submitted.cancel(check=False)


def submit(jobs: Sequence[FitJob], options: SlurmOptions, folder: RunFolder, *, local: bool,
           timeout: float | None = None) -> list[tuple[FitJob, Any]]:
    """One submitit job (array task) per fit, one job array per (method, resources) group."""
    try:
        import submitit
    except ImportError:
        raise NerBenchError("--executor slurm needs submitit: pip install 'ner-bench[slurm]'") from None
    groups: dict[tuple, list[FitJob]] = {}
    for job in jobs:
        wanted = fit_resources(job, options)
        if wanted["gpus"] == 0 and job.device != "cpu":
            job = dataclasses.replace(job, device="cpu")
        groups.setdefault((job.method, tuple(sorted(wanted.items()))), []).append(job)
    submitted = []
    count = thread_count()  # the job takes this process's thread policy, whatever its node's environment
    off_cluster = ("--executor slurm: {}; run on a SLURM login node, or use --executor local "
                   "(or submitit-local)")
    for (method, wanted), group in groups.items():
        try:
            executor = submitit.AutoExecutor(folder=folder.submitit_dir / "%j",
                                             cluster="local" if local else "slurm")
        except RuntimeError as error:  # submitit: 'Could not detect "srun", are you indeed on a slurm cluster?'
            raise NerBenchError(off_cluster.format(error)) from None
        executor.update_parameters(**_parameters(method, dict(wanted), options, timeout))
        try:
            with executor.batch():
                handles = [executor.submit(run_encoded_job, encode_job(job), folder, count, timeout)
                           for job in group]
        except FileNotFoundError as error:
            raise NerBenchError(off_cluster.format(f"{error.filename or 'sbatch'} not found")) from None
        log.info("submitted %d %s fits (%s)", len(group), method, dict(wanted))
        submitted += [(job, handle) for job, handle in zip(group, handles)]
    return submitted


def _parameters(method: str, wanted: dict[str, int], options: SlurmOptions, timeout: float | None) -> dict:
    time_min = options.time_min or (math.ceil(timeout / 60) + 1 if timeout else DEFAULT_TIME_MIN)
    parameters: dict[str, Any] = dict(name=f"ner-bench-{method}", timeout_min=int(time_min),
                                      cpus_per_task=wanted["cpus"], mem_gb=wanted["mem_gb"],
                                      slurm_array_parallelism=options.array_parallelism)
    if wanted["gpus"]:
        parameters["gpus_per_node"] = wanted["gpus"]
    if options.partition:
        parameters["slurm_partition"] = options.partition
    if options.setup:
        parameters["slurm_setup"] = list(options.setup)
    if options.extra:
        parameters["slurm_additional_parameters"] = dict(options.extra)
    return parameters


def _outcome(job: FitJob, submitted: Any, folder: RunFolder) -> FitOutcome:
    """The fit's outcome; a job that crashed, was cancelled or ran out of time fails here and is
    recorded in the run folder (its own process could not)."""
    try:
        return submitted.result()
    except Exception as error:
        text = str(error).strip().splitlines()
        reason = "\n".join(text[:1] + text[-15:]) if len(text) > 16 else "\n".join(text)
        return record_failure(job, f"{type(error).__name__}: submitit job {submitted.job_id} failed (logs in "
                                   f"{folder.submitit_dir / str(submitted.job_id)}): {reason}", folder,
                              infrastructure=True)
