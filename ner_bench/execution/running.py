"""Whoever runs a job stores it: run a job, or record that it could not run, and keep the outcome in the
run folder (``RunFolder.store``) from the process that has it."""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..jobs import FAILED, FitOutcome, Job
from ..run_folder import RunFolder

log = logging.getLogger(__name__)


def run_and_store(job: Job, folder: RunFolder | None, on_start: Callable[[], None] | None = None) -> Any:
    """Run ``job`` and keep its outcome in ``folder`` (when the run has one)."""
    return stored(job, job.run(on_start), folder)


def record_failure(job: Job, error: str, folder: RunFolder | None, seconds: float = float("nan"), *,
                   infrastructure: bool = False) -> Any:
    """The outcome of a job whose process could not finish it (it died, it timed out), kept in ``folder``
    since that process could not keep it. ``infrastructure``: the process was killed from outside, so a
    rerun tries the fit again."""
    outcome = job.failed(error, seconds)
    if isinstance(outcome, FitOutcome):
        outcome.infrastructure = infrastructure
    return stored(job, outcome, folder)


def stored(job: Job, outcome: Any, folder: RunFolder | None) -> Any:
    """``outcome``, once kept in ``folder``. A full disk fails the fit, not the run; scores that cannot be
    kept are still returned (they are only recomputed by the next run)."""
    if folder is None:
        return outcome
    try:
        folder.store(job, outcome)
    except OSError as error:
        if isinstance(outcome, FitOutcome):
            return FitOutcome(outcome.key, FAILED, error=f"could not store the fit in {folder.root}: {error}",
                              meta=outcome.meta)
        log.warning("%s: its scores could not be kept in %s (%s)", job.label(), folder.root, error)
    return outcome
