"""The Dataset contract: a named source of `Recording`s, with optional filters."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Sequence

from .errors import NerBenchError
from .options import merged_minimums, resolve
from .recording import Recording


class Dataset(ABC):
    """Base class of every dataset. Subclasses set ``name``/``description`` and implement ``load``.

    Parameters
    ----------
    data_dir : str or Path, optional
        Where files are read from (or downloaded to); datasets that need none ignore it.
    **options
        Option values, each a key of ``defaults`` (given as ``--dataset "synthetic[n_trials=64]"``);
        strings are parsed to the default's type.

    Attributes
    ----------
    options : dict
        ``defaults`` updated by the given options.
    data_dir : Path or None
        ``data_dir`` as a Path.

    Raises
    ------
    NerBenchError
        ``dataset 'NAME': unknown option(s) ...; known options: ...`` or an unparsable value.

    Examples
    --------
    A dataset of random recordings, one per area:

    >>> import numpy as np
    >>> from ner_bench import Dataset, Recording
    >>> class Noise(Dataset):
    ...     name, description = "noise", "Gaussian noise, no structure"
    ...     defaults = {"n_trials": 4, "seed": 0}
    ...     def load(self):
    ...         rng = np.random.default_rng(self.options["seed"])
    ...         n_bins = 10 * self.options["n_trials"]
    ...         return [Recording.from_trials(id=f"noise_{area}", neural=rng.normal(size=(n_bins, 5)),
    ...                                       velocity=rng.normal(size=(n_bins, 2)),
    ...                                       direction=np.repeat(np.arange(self.options["n_trials"]) % 2, 10),
    ...                                       trial_length=10, dataset=self.name, area=area)
    ...                 for area in ("M1", "PMd")]
    >>> dataset = Noise(n_trials="6")
    >>> dataset.options
    {'n_trials': 6, 'seed': 0}
    >>> [recording.n_trials for recording in dataset.load()]
    [6, 6]
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    #: the smallest value each numeric option may take (merged with the base classes'), checked when given
    minimums: ClassVar[dict[str, float]] = {}

    def __init__(self, data_dir: str | Path | None = None, **options: Any) -> None:
        self.options: dict[str, Any] = resolve("dataset", self.name, self.defaults, options,
                                                 minimums=merged_minimums(type(self)))
        self.data_dir = Path(data_dir) if data_dir else None

    @abstractmethod
    def load(self) -> list[Recording]:
        """Every recording of the dataset (one per session x area).

        Returns
        -------
        list of Recording
            Validated recordings, each with an ``id`` unique within the dataset and stable across runs.

        Examples
        --------
        >>> from ner_bench.builtins.datasets.synthetic import SyntheticReaching
        >>> recordings = SyntheticReaching(n_sessions=2, n_s1_sessions=0, n_trials=16, n_neurons=8).load()
        >>> [recording.id for recording in recordings]
        ['Synthie_20260101_M1', 'Synthie_20260102_M1', 'Synthie_20260102_PMd']
        """

    def recordings(self, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
                   areas: Sequence[str] = ()) -> list[Recording]:
        """The recordings, filtered by subject, session (date or recording id) and area.

        Datasets that download may override this to fetch only what the filters select.

        Parameters
        ----------
        subjects, sessions, areas : sequence of str, optional
            Keep recordings of these subjects, sessions (a date such as ``2026-01-02`` or a recording
            id) and areas; an empty filter keeps everything.

        Returns
        -------
        list of Recording
            The matching recordings, in ``load`` order.

        Raises
        ------
        NerBenchError
            When no recording matches (the message lists what is available).

        Examples
        --------
        >>> from ner_bench.builtins.datasets.synthetic import SyntheticReaching
        >>> dataset = SyntheticReaching(n_sessions=2, n_s1_sessions=0, n_trials=16, n_neurons=8)
        >>> [recording.id for recording in dataset.recordings(areas=["PMd"])]
        ['Synthie_20260102_PMd']
        """
        return filter_recordings(self.load(), subjects, sessions, areas, dataset=self.name)


def filter_recordings(recordings: list[Recording], subjects: Sequence[str] = (), sessions: Sequence[str] = (),
                      areas: Sequence[str] = (), dataset: str = "") -> list[Recording]:
    """``recordings`` filtered by subject, session (date or recording id) and area; see ``Dataset.recordings``.

    Raises
    ------
    NerBenchError
        When no recording matches.
    """
    kept = [r for r in recordings
            if (not subjects or r.subject in subjects)
            and (not sessions or r.date in sessions or r.id in sessions)
            and (not areas or r.area in areas)]
    if not kept:
        raise NerBenchError(f"dataset {dataset!r}: no recording matches subjects={list(subjects)}, "
                            f"sessions={list(sessions)}, areas={list(areas)}; available: "
                            f"{sorted({(r.subject, r.date, r.area) for r in recordings})}")
    return kept
