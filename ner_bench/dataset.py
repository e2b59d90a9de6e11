"""The Dataset contract: a named source of `Recording`s, with optional filters."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Sequence

from .errors import NerBenchError
from .method import coerce
from .recording import Recording


class Dataset(ABC):
    """Base class of every dataset. Subclasses set ``name``/``description`` and implement ``load``.

    Options are declared in ``defaults`` and given as ``--dataset "synthetic[n_trials=64]"``.
    ``data_dir`` is where files are read from (or downloaded to); datasets that need none ignore it.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, data_dir: str | Path | None = None, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            raise NerBenchError(f"dataset {self.name!r}: unknown option(s) {', '.join(unknown)}; known "
                                f"options: {', '.join(sorted(self.defaults)) or 'none'}")
        self.options = {**self.defaults, **{k: coerce(v, self.defaults[k], f"dataset {self.name!r} option {k!r}")
                                            for k, v in options.items()}}
        self.data_dir = Path(data_dir) if data_dir else None

    @abstractmethod
    def load(self) -> list[Recording]:
        """Every recording of the dataset (one per session x area)."""

    def recordings(self, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
                   areas: Sequence[str] = ()) -> list[Recording]:
        """The recordings, filtered by subject, session (date or recording id) and area.
        Datasets that download may override this to fetch only what the filters select."""
        return filter_recordings(self.load(), subjects, sessions, areas, dataset=self.name)


def filter_recordings(recordings: list[Recording], subjects: Sequence[str] = (), sessions: Sequence[str] = (),
                      areas: Sequence[str] = (), dataset: str = "") -> list[Recording]:
    kept = [r for r in recordings
            if (not subjects or r.subject in subjects)
            and (not sessions or r.date in sessions or r.id in sessions)
            and (not areas or r.area in areas)]
    if not kept:
        raise NerBenchError(f"dataset {dataset!r}: no recording matches subjects={list(subjects)}, "
                            f"sessions={list(sessions)}, areas={list(areas)}; available: "
                            f"{sorted({(r.subject, r.date, r.area) for r in recordings})}")
    return kept
