"""The Task contract: which (train recording, test recording) units to score, and how.

A task never trains a model: the runner fits each (method, recording, split, seed) once, embeds every
bin of the recording, and hands those embeddings to every task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .errors import NerBenchError
from .method import coerce
from .protocol import Protocol
from .recording import Recording
from .split import Split


@dataclass(frozen=True)
class Unit:
    """One scored cell: decoders are fitted on ``train``'s embedding and scored on ``test``'s."""

    train: Recording
    test: Recording

    @property
    def recordings(self) -> tuple[Recording, ...]:
        return (self.train,) if self.train is self.test else (self.train, self.test)


@dataclass(frozen=True, eq=False)
class Embedding:
    """Every bin of ``recording`` embedded by the model fitted on ``split``'s training trials."""

    recording: Recording
    split: Split
    values: np.ndarray

    def part(self, which: str) -> "EmbeddedTrials":
        """The ``"train"`` or ``"test"`` trials, with their behaviour."""
        trials = self.split.train_trials if which == "train" else self.split.test_trials
        rows = np.isin(self.recording.trial, trials)
        return EmbeddedTrials(self.values[rows], self.recording.select_trials(trials))


@dataclass(frozen=True, eq=False)
class EmbeddedTrials:
    """Embedding rows of some trials and the Recording of exactly those trials (same row order)."""

    values: np.ndarray
    recording: Recording


@dataclass(frozen=True)
class Context:
    """What a task knows besides the embeddings."""

    protocol: Protocol
    seed: int
    options: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    """Base class of every task. ``units`` picks what to score, ``evaluate`` scores one unit.

    ``evaluate`` returns metric rows: dicts with ``decoder``, ``target``, ``metric``, ``value`` and
    ``split`` ("test" or "train": which trials of the test recording were scored), optionally
    ``time_bin`` and a ``note``; any other key becomes a column of its own. The runner adds method,
    recording, seed and provenance columns.

    Options are declared in ``defaults`` and given as ``--task "cross-session[alignment=none]"``.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            raise NerBenchError(f"task {self.name!r}: unknown option(s) {', '.join(unknown)}; known "
                                f"options: {', '.join(sorted(self.defaults)) or 'none'}")
        self.options: dict[str, Any] = {**self.defaults, **{
            key: coerce(value, self.defaults[key], f"task {self.name!r} option {key!r}")
            for key, value in options.items()}}

    @abstractmethod
    def units(self, recordings: list[Recording]) -> list[Unit]:
        """The (train, test) recording pairs this task scores; may be empty (e.g. one session)."""

    @abstractmethod
    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        """Score one unit from the embeddings of its train and test recordings."""
