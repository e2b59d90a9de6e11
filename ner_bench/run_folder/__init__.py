"""The run folder (``ner-bench run --out OUT``): the one owner of what a run keeps on disk.

Its layout (the names are in ``layout.py``, and nowhere else)::

    OUT/cache/<key[:2]>/<key>.npz        one embedding per fit (embeddings.py)
    OUT/fits/<key>.json                  one status record per fit (fit_records.py)
    OUT/evaluations/<key[:2]>/<key>.json one unit's task rows (evaluations.py)
    OUT/submitit/<job id>/               SLURM and submitit-local logs
    OUT/results.csv, OUT/results.parquet the results table (results_files.py)

Whoever runs a job stores its outcome (``RunFolder.store``): a worker process its fits, the runner what
it scores; so a run killed at any moment loses at most the jobs in flight. Every file is written
atomically (``files.py``). ``RunFolder`` is a small picklable value: executors hand it to worker
processes and SLURM jobs as it is.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import pandas as pd

from ..errors import NerBenchError
from ..jobs import OK, FitJob, FitOutcome, ScoringJob, ScoringOutcome
from .embeddings import EmbeddingCache
from .evaluations import EvaluationStore, code_fingerprint, evaluation_key
from . import layout
from .claim import check_writable, exclusive
from .fit_records import FitStore
from .params import canonical_params, parse_params
from .layout import RESULT_FILES
from .results_files import accumulated, read_table, results_file, write_results

log = logging.getLogger(__name__)

__all__ = ["RESULT_FILES", "RunFolder", "canonical_params", "code_fingerprint", "evaluation_key", "parse_params",
           "read_table", "results_file"]


@dataclass(frozen=True)
class RunFolder:
    """The folder of one run; its parts as properties, its stores as methods."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def cache_dir(self) -> Path:
        return self.root / layout.CACHE

    @property
    def fits_dir(self) -> Path:
        return self.root / layout.FITS

    @property
    def evaluations_dir(self) -> Path:
        return self.root / layout.EVALUATIONS

    @property
    def submitit_dir(self) -> Path:
        return self.root / layout.SUBMITIT

    @property
    def results_csv(self) -> Path:
        return self.root / layout.RESULTS_CSV

    @contextlib.contextmanager
    def claimed(self) -> Iterator["RunFolder"]:
        """Use the folder for one run: check that it can be written, then hold its lock (``claim.py``)."""
        check_writable(self.root, [self.cache_dir, self.fits_dir, self.evaluations_dir],
                       [self.root / name for name in layout.RESULT_FILES])
        with exclusive(self.root / layout.LOCK):
            yield self

    def fits(self) -> FitStore:
        return FitStore(EmbeddingCache(self.cache_dir), self.fits_dir)

    def evaluations(self) -> EvaluationStore:
        return EvaluationStore(self.evaluations_dir)

    def store(self, job: FitJob | ScoringJob, outcome: FitOutcome | ScoringOutcome) -> None:
        """Keep what a finished job produced: a fit's embedding and record, a scoring job's unit rows."""
        if isinstance(outcome, FitOutcome):
            self.fits().save(job, outcome)
            return
        evaluations = self.evaluations()
        for item in job.items:
            score = outcome.scores.get(item.index)
            if item.stored_as and score is not None and score.status == OK:
                evaluations.put(item.stored_as, score.rows)

    def write_results(self, table: pd.DataFrame, *, fresh: bool = False) -> pd.DataFrame:
        """Write the folder's table: this run's rows plus, unless ``fresh``, the rows of earlier runs into the
        folder that this one did not redo (``results_files.accumulated``); returns what was written. A
        failure (a full disk) keeps the previous pair and says what is kept."""
        whole = table if fresh else accumulated(table, self.previous_results())
        try:
            write_results(whole, self.root)
        except OSError as error:
            raise NerBenchError(f"could not write the results table into {self.root} ({error}); the previous "
                                "table is unchanged, and the fits and scores stored so far are kept for a rerun") from None
        return whole

    def previous_results(self) -> pd.DataFrame:
        """The folder's results table, empty when there is none or it cannot be read (said in a warning)."""
        if not any((self.root / name).exists() for name in layout.RESULT_FILES):
            return pd.DataFrame()
        try:
            return read_table(self.root)[0]
        except NerBenchError as error:
            log.warning("%s; the new table replaces it", error)
            return pd.DataFrame()

    def has_embeddings(self) -> bool:
        return self.cache_dir.is_dir()

    def embeddings(self, recordings: Iterable, *, seed: int | None = None,
                   labels: Mapping[tuple[str, str], str] | None = None) -> dict[str, list[Any]]:
        """The cached embeddings of ``recordings`` per method label (see ``reading.load_cached_embeddings``)."""
        from .reading import load_cached_embeddings  # statistics (method labels) only when figures are drawn

        return load_cached_embeddings(self.cache_dir, recordings, seed=seed, labels=labels)
