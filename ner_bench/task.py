"""The Task contract: which (train recording, test recording) units to score, and how.

A task never trains a model: the runner fits each (method, recording, split, seed) once, embeds every
bin of the recording, and hands those embeddings to every task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .options import merged_minimums, resolve
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
        """The distinct recordings of the unit: one when it trains and tests on the same recording."""
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

    A task never trains a model: the runner fits each (method, recording, split, seed) once, embeds every
    bin, and hands the embeddings of each unit's recordings to ``evaluate``. ``evaluate`` returns metric
    rows: dicts with ``decoder``, ``target``, ``metric``, ``value`` and ``split`` ("test" or "train": which
    trials of the test recording were scored), optionally ``time_bin`` and a ``note``; any other key
    becomes a column of its own. The runner adds method, recording, seed and provenance columns.

    Parameters
    ----------
    **options
        Option values, each a key of ``defaults`` (given as ``--task "cross-session[alignment=none]"``);
        strings are parsed to the default's type.

    Attributes
    ----------
    options : dict
        ``defaults`` updated by the given options.

    Raises
    ------
    NerBenchError
        ``task 'NAME': unknown option(s) ...; known options: ...`` or an unparsable value.

    Notes
    -----
    **Requirements on methods.** A task may declare in ``requires`` the values of method capability
    attributes it needs (any class attribute of a Method, e.g. ``supervised`` or
    ``uses_behavior_at_transform``): ``requires = {"supervised": False}`` for a task that compares
    label-free embeddings only. The default :meth:`skip` returns a reason for every method class whose
    attribute differs (a missing attribute counts as None); the run plan turns it into a skipped row.
    Subclasses may override :meth:`skip` for other needs.

    Examples
    --------
    A task scoring the mean norm of each recording's test-trial embedding:

    >>> import numpy as np
    >>> from ner_bench import Context, Embedding, Recording, Task, Unit, chronological_split
    >>> from ner_bench.protocol import STRICT
    >>> class Norm(Task):
    ...     name, description = "norm", "Mean norm of the test-trial embedding"
    ...     defaults = {"order": 2}
    ...     def units(self, recordings):
    ...         return [Unit(r, r) for r in recordings]
    ...     def evaluate(self, unit, train, test, context):
    ...         values = test.part("test").values
    ...         norm = np.linalg.norm(values, ord=self.options["order"], axis=1).mean()
    ...         return [{"decoder": "none", "target": "embedding", "metric": "norm", "value": float(norm),
    ...                  "split": "test"}]
    >>> rng = np.random.default_rng(0)
    >>> recording = Recording.from_trials(id="demo", neural=rng.normal(size=(40, 5)),
    ...                                   velocity=rng.normal(size=(40, 2)),
    ...                                   direction=np.repeat([0, 1, 0, 1], 10), trial_length=10)
    >>> task = Norm(order="1")
    >>> task.options
    {'order': 1}
    >>> [unit] = task.units([recording])
    >>> embedding = Embedding(recording, chronological_split(recording, 0.5), np.ones((40, 3)))
    >>> task.evaluate(unit, embedding, embedding, Context(STRICT, seed=0))[0]["value"]
    3.0
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    #: the smallest value each numeric option may take (merged with the base classes'), checked when given
    minimums: ClassVar[dict[str, float]] = {}
    #: method capability attributes and the values this task needs, e.g. {"supervised": False}
    requires: ClassVar[dict[str, Any]] = {}

    def __init__(self, **options: Any) -> None:
        self.options: dict[str, Any] = resolve("task", self.name, self.defaults, options,
                                                 minimums=merged_minimums(type(self)))

    @abstractmethod
    def units(self, recordings: list[Recording]) -> list[Unit]:
        """The (train, test) recording pairs this task scores.

        Parameters
        ----------
        recordings : list of Recording
            Every recording of the run (after the dataset's filters).

        Returns
        -------
        list of Unit
            The units to score; may be empty (e.g. a cross-session task given one session).

        Examples
        --------
        >>> import numpy as np
        >>> from ner_bench import Recording
        >>> from ner_bench.builtins.tasks.within_session import WithinSession
        >>> rng = np.random.default_rng(0)
        >>> recording = Recording.from_trials(id="demo", neural=rng.normal(size=(40, 5)),
        ...                                   velocity=rng.normal(size=(40, 2)),
        ...                                   direction=np.repeat([0, 1, 0, 1], 10), trial_length=10)
        >>> [unit.train.id for unit in WithinSession().units([recording])]
        ['demo']
        """

    @abstractmethod
    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        """Score one unit from the embeddings of its train and test recordings.

        Parameters
        ----------
        unit : Unit
            The unit, one of those ``units`` returned.
        train, test : Embedding
            Every bin of ``unit.train`` and of ``unit.test`` embedded by the model fitted on that
            recording's training trials (one and the same object when the unit has one recording).
        context : Context
            The evaluation protocol, the seed and the run's options.

        Returns
        -------
        list of dict
            Metric rows, each with ``decoder``, ``target``, ``metric``, ``value`` and ``split``.

        Examples
        --------
        >>> import numpy as np
        >>> from ner_bench import Context, Embedding, Recording, chronological_split
        >>> from ner_bench.builtins.tasks.within_session import WithinSession
        >>> from ner_bench.protocol import STRICT
        >>> rng = np.random.default_rng(0)
        >>> direction = np.repeat(np.arange(16) % 2, 10)
        >>> recording = Recording.from_trials(id="demo", neural=rng.normal(size=(160, 5)),
        ...                                   velocity=rng.normal(size=(160, 2)), direction=direction,
        ...                                   trial_length=10)
        >>> embedding = Embedding(recording, chronological_split(recording), recording.velocity)
        >>> task = WithinSession(decoders="linear")
        >>> [unit] = task.units([recording])
        >>> rows = task.evaluate(unit, embedding, embedding, Context(STRICT, seed=0))
        >>> [(row["decoder"], row["target"], row["metric"], row["split"], round(row["value"], 3))
        ...  for row in rows][:2]  # the embedding is the velocity itself
        [('linear', 'velocity', 'r2', 'test', 1.0), ('linear', 'position', 'r2', 'test', 1.0)]
        """

    def skip(self, method_cls: type) -> str | None:
        """Why this task cannot score ``method_cls``, or None when it can (as benchopt's ``Solver.skip``).

        The default checks ``requires`` (Notes of :class:`Task`): the first method attribute whose value
        differs from the required one gives the reason. With no ``requires``, never skips.

        Parameters
        ----------
        method_cls : type of Method
            The method class (its declared capabilities are class attributes).

        Returns
        -------
        str or None
            A one-line reason naming the task and the method, or None.

        Examples
        --------
        >>> from ner_bench import Task
        >>> from ner_bench.builtins.methods.pca import PCA, PCAAverage
        >>> class LabelFree(Task):
        ...     name, requires = "label-free", {"supervised": False}
        ...     def units(self, recordings):
        ...         return []
        ...     def evaluate(self, unit, train, test, context):
        ...         return []
        >>> LabelFree().skip(PCA) is None
        True
        >>> LabelFree().skip(PCAAverage)
        "task 'label-free' requires methods with supervised=False; method 'pca-avg' has supervised=True"
        """
        for attribute, wanted in self.requires.items():
            actual = getattr(method_cls, attribute, None)
            if actual != wanted:
                return (f"task {self.name!r} requires methods with {attribute}={wanted!r}; method "
                        f"{getattr(method_cls, 'name', method_cls.__name__)!r} has {attribute}={actual!r}")
        return None
