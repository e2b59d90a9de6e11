"""Which pending job a free local worker runs next.

Some methods have a costly once-per-process set-up (``Method.prepare``: umap's numba warm-up takes ~30 s),
shared by the methods of one ``prepare_group``. So a worker first takes fits of groups it has prepared,
then any job no other worker is better prepared for (scoring, fits of groups prepared nowhere), in queue
order. It takes a fit of a group prepared in another worker only when that group's pending fits outlast
preparing it again (judged from the fits seen so far), since otherwise the prepared worker finishes them
sooner. Fits of methods with a set-up are queued first: they tend to be the long ones, and the worker
that prepares them should start early, so that the rest of the work can balance around it.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

from ..jobs import OK, FitJob, FitOutcome


def has_set_up(job: Any) -> bool:
    """Whether the job is a fit of a method that overrides ``Method.prepare`` (a once-per-process set-up)."""
    from ..method import Method

    return isinstance(job, FitJob) and job.method_class is not None and job.method_class.prepare is not Method.prepare


def set_up_description(job: FitJob) -> str:
    """What preparing the job's method does, for the progress bar: its ``prepare`` docstring's first line."""
    doc = (job.method_class.prepare.__doc__ or "").strip().splitlines()
    return f"preparing {prepare_group(job)}" + (f": {doc[0].rstrip('.')}" if doc else " (once per worker)")


def set_up_first(jobs: list[FitJob]) -> list[FitJob]:
    """The fits of methods that override ``Method.prepare`` first, otherwise in the given order."""
    return sorted(jobs, key=lambda job: not has_set_up(job))


def prepare_group(job: Any) -> str | None:
    """The once-per-process set-up a job needs (fits only)."""
    return (job.prepare_group or job.method) if isinstance(job, FitJob) else None


class JobChooser:
    def __init__(self) -> None:
        self.setup_seconds: dict[str, float] = {}
        self.fit_seconds: dict[str, list[float]] = defaultdict(list)

    def observe(self, job: Any, outcome: Any) -> None:
        """Learn a group's set-up and fit times from a finished fit."""
        group = prepare_group(job)
        if group is None or not isinstance(outcome, FitOutcome) or outcome.status != OK:
            return
        prepare = float(outcome.meta.get("prepare_seconds", 0.0))
        self.setup_seconds[group] = max(self.setup_seconds.get(group, 0.0), prepare)
        self.fit_seconds[group].append(outcome.fit_seconds + outcome.transform_seconds)

    def choose(self, pending: deque, prepared_here: set, prepared_elsewhere: set) -> Any | None:
        """Remove and return the job a worker with ``prepared_here`` should run, or None to leave it idle."""
        preferences = (lambda job: prepare_group(job) in prepared_here,
                       lambda job: prepare_group(job) not in prepared_elsewhere,
                       lambda job: self._worth_preparing(prepare_group(job), pending))
        for wanted in preferences:
            for index, job in enumerate(pending):
                if wanted(job):
                    del pending[index]
                    return job
        return None

    def _worth_preparing(self, group: str, pending: deque) -> bool:
        """Whether a second worker preparing ``group`` would finish its pending fits sooner."""
        if group not in self.setup_seconds or not self.fit_seconds[group]:
            return True  # nothing seen yet: assume the fits are long
        per_fit = sum(self.fit_seconds[group]) / len(self.fit_seconds[group])
        left = sum(prepare_group(job) == group for job in pending)
        return left * per_fit >= 2 * self.setup_seconds[group]
