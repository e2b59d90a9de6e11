"""The Method contract: ``fit(train, seed=, device=)`` then ``transform(recording)``.

A method is one class in one file. Its parameters are declared in ``defaults`` (the published values);
``budgets`` overrides the training length per ``--budget`` (``quick`` for minutes-long runs, ``paper``
for the published lengths); explicit parameters (``--methods "ner[iterations=2000]"``) override both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from .errors import NerBenchError
from .recording import Recording

BUDGETS = ("quick", "paper")


class Method(ABC):
    """Base class of every dimensionality-reduction method.

    Subclasses set ``name`` and ``description`` and implement ``fit`` and ``transform``. ``fit`` receives a
    Recording holding the training trials only; ``transform`` must use the neural activity alone (never
    behaviour: ``ner-bench check-method`` verifies it) and return a (n_bins, dim) float array.

    Optional hooks and declarations a subclass may add:

    - ``prepare()``: once-per-process set-up (e.g. a numba JIT warm-up on throwaway data) that the runner
      calls *before* it starts the fit timer (and a job's ``--timeout`` clock), so compile time stays out
      of ``fit_seconds``. It must not see the recording; make it idempotent (a module-level flag), it may
      be called before every fit. Methods that share what ``prepare`` sets up (``umap`` and ``umap-label``
      compile the same kernels) name the same ``prepare_group``; the local executor hands a method's fits
      to workers that already prepared its group.
    - ``check_params``: parameter overrides the contract check (``ner-bench check-method``) applies on top
      of the ``quick`` budget, so that iterative methods stay seconds-fast there, e.g.
      ``check_params = {"iterations": 50}``. They never apply to real runs.
    - ``uses_behavior_at_transform = True``: declares that ``transform`` reads behaviour *by design*
      (the ``behavior`` ceiling control, or a published leaky variant kept only to reproduce the paper);
      the contract check then reports the method as exempt from the no-behaviour check instead of
      failing it. A method meant to be compared must never set it.

    >>> from ner_bench import Method
    >>> class Mean(Method):
    ...     name, description = "mean", "Mean firing rate (1-D)"
    ...     def fit(self, train, *, seed, device="cpu"):
    ...         return self
    ...     def transform(self, recording):
    ...         return recording.neural.mean(axis=1, keepdims=True)
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: uses behaviour labels while fitting
    supervised: ClassVar[bool] = False
    #: needs whole, balanced trials (e.g. dPCA)
    needs_trials: ClassVar[bool] = False
    #: benefits from a GPU when one is given
    uses_gpu: ClassVar[bool] = False
    #: included in ``--methods all`` (False for e.g. readers of precomputed embeddings)
    in_all: ClassVar[bool] = True
    #: bump when a change alters the embeddings (part of the cache key)
    version: ClassVar[str] = "1"
    #: parameter names and their defaults; their types are used to parse command-line values
    defaults: ClassVar[dict[str, Any]] = {}
    #: what one fit needs on a cluster (``--executor slurm``): any of "cpus", "gpus", "mem_gb";
    #: GPUs are requested only when the run's --device is cuda. Default: 1 CPU, 8 GB, 1 GPU if uses_gpu.
    resources: ClassVar[dict[str, int]] = {}
    #: per-budget parameter overrides, e.g. {"quick": {"iterations": 1500}, "paper": {"iterations": 20000}}
    budgets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: parameter overrides applied by the contract check only (keep its fits seconds-fast)
    check_params: ClassVar[dict[str, Any]] = {}
    #: True only for controls whose embedding *is* behaviour (exempt from the no-behaviour check)
    uses_behavior_at_transform: ClassVar[bool] = False
    #: methods with the same group share their ``prepare`` set-up in a process (default: the method's name)
    prepare_group: ClassVar[str] = ""

    def __init__(self, budget: str = "quick", **params: Any) -> None:
        self.params: dict[str, Any] = resolve_params(type(self), params, budget)
        self.budget = budget

    def prepare(self) -> None:
        """Once-per-process set-up kept out of ``fit_seconds`` (e.g. JIT warm-up); a no-op by default."""

    @abstractmethod
    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "Method":
        """Fit on the training trials of one recording; deterministic for a seed on the CPU."""

    @abstractmethod
    def transform(self, recording: Recording) -> np.ndarray:
        """Embed every bin of ``recording`` from its neural activity: a (n_bins, dim) float array."""

    def __repr__(self) -> str:
        params = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}[{params}]" if params else self.name


def resolve_params(cls: type[Method], given: dict[str, Any], budget: str) -> dict[str, Any]:
    """Defaults, then the budget's overrides, then the given values (parsed to the defaults' types)."""
    if budget not in BUDGETS:
        raise NerBenchError(f"argument --budget: unknown budget {budget!r}; expected one of {BUDGETS}")
    unknown = sorted(set(given) - set(cls.defaults))
    if unknown:
        known = ", ".join(sorted(cls.defaults)) or "none"
        raise NerBenchError(f"method {cls.name!r}: unknown parameter(s) {', '.join(unknown)}; "
                            f"known parameters: {known}")
    params = dict(cls.defaults)
    params.update(cls.budgets.get(budget, {}))
    for key, value in given.items():
        params[key] = coerce(value, cls.defaults[key], f"method {cls.name!r} parameter {key!r}")
    return params


def coerce(value: Any, default: Any, where: str) -> Any:
    """Convert ``value`` to the type of ``default`` (command-line values arrive as strings)."""
    if default is None or value is None or isinstance(default, (str, list, tuple, dict)):
        return value
    kind = type(default)
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise NerBenchError(f"{where}: expected {kind.__name__}, got {value!r}") from None
