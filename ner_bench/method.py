"""The Method contract: ``fit(train, seed=, device=)`` then ``transform(recording)``.

A method is one class in one file. Its parameters are declared in ``defaults`` (the published values);
``budgets`` overrides the training length per ``--budget`` (``quick`` for minutes-long runs, ``paper``
for the published lengths); explicit parameters (``--methods "ner[iterations=2000]"``) override both.
Parameters are resolved by :func:`ner_bench.options.resolve`, shared with tasks and datasets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

from .checkpoints import check_counts, checkpoint_parameter
from .errors import NerBenchError
from .options import BUDGETS, coerce, merged_minimums, resolve
from .recording import Recording
from .shuffle_controls import PARAMETER as SHUFFLE_PARAMETER
from .shuffle_controls import shuffle_parameter, shuffled_training

__all__ = ["BUDGETS", "MIN_TRIALS_PER_CONDITION", "Method", "coerce", "resolve_params"]

#: trials per direction class a ``needs_trials`` method needs (dPCA's cross-validation needs two)
MIN_TRIALS_PER_CONDITION = 2


class Method(ABC):
    """Base class of every dimensionality-reduction method.

    Subclasses set ``name`` and ``description`` and implement ``fit`` and ``transform``. ``fit`` receives a
    Recording holding the training trials only; ``transform`` must use the neural activity alone (never
    behaviour: ``ner-bench check-method`` verifies it) and return a (n_bins, dim) float array.

    Parameters
    ----------
    budget : {"quick", "paper", "converged"}, default "quick"
        Which of the class's ``budgets`` overrides apply on top of ``defaults`` (a budget the class does not
        declare applies none: the defaults, which are the published configuration).
    **params
        Explicit parameter values, each a key of ``defaults``; strings are parsed to the default's type.

    Attributes
    ----------
    params : dict
        The resolved parameters: ``defaults``, then the budget's overrides, then ``params``.
    budget : str
        The budget the parameters were resolved for.

    Raises
    ------
    NerBenchError
        ``method 'NAME': unknown parameter(s) ...`` for a parameter not in ``defaults``, an unparsable
        value, or an unknown budget.

    Notes
    -----
    **Fitted attributes.** As in scikit-learn, what ``fit`` learns is stored in instance attributes whose
    names end with a single trailing underscore (``self.model_``, ``self.mean_``), and only ``fit`` sets
    such attributes (never ``__init__``). ``transform`` starts with ``self.check_fitted()``, which raises
    ``method 'NAME': transform called before fit`` while there is none. A method that learns nothing
    records its fit all the same, e.g. ``self.fitted_ = True``.

    **Declared capabilities** (class attributes) say what a method needs; the default :meth:`skip` reads
    them to tell the run plan which (method, recording) combinations cannot run, with a reason:

    - ``supervised``: fits on behaviour labels, so a recording without behaviour
      (:attr:`Recording.has_behavior` false: velocity zero throughout) is skipped;
    - ``needs_trials``: needs whole, balanced trials (e.g. dPCA), so a recording with fewer than
      :data:`MIN_TRIALS_PER_CONDITION` trials of some direction class is skipped (a Recording always
      holds whole trials of one length, and at least two direction classes);
    - ``uses_gpu``: benefits from a GPU; never a reason to skip (the GPU is optional).

    Subclasses may override :meth:`skip` for needs of their own (calling ``super().skip(recording)``).

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

    Examples
    --------
    A method that embeds each bin as its distance to the training mean:

    >>> import numpy as np
    >>> from ner_bench import Method, Recording
    >>> class Distance(Method):
    ...     name, description = "distance", "Distance to the mean training activity (1-D)"
    ...     defaults = {"scale": 1.0}
    ...     def fit(self, train, *, seed, device="cpu"):
    ...         self.mean_ = train.neural.mean(axis=0)
    ...         return self
    ...     def transform(self, recording):
    ...         self.check_fitted()
    ...         distance = np.linalg.norm(recording.neural - self.mean_, axis=1, keepdims=True)
    ...         return self.params["scale"] * distance
    >>> rng = np.random.default_rng(0)
    >>> recording = Recording.from_trials(id="demo", neural=rng.normal(size=(40, 5)),
    ...                                   velocity=rng.normal(size=(40, 2)),
    ...                                   direction=np.repeat([0, 1, 0, 1], 10), trial_length=10)
    >>> method = Distance(scale="2")
    >>> method
    distance[scale=2.0]
    >>> method.fit(recording, seed=0).transform(recording).shape
    (40, 1)
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
    #: the smallest value each numeric option may take (merged with the base classes'), checked when given
    minimums: ClassVar[dict[str, float]] = {"dim": 1}
    #: import names of the optional packages the method needs (e.g. ``("torch",)``): when one is not installed
    #: the method is listed as unavailable, with the extra to install, without importing anything
    dependencies: ClassVar[tuple[str, ...]] = ()
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
    #: the parameter counting training steps, for a method whose first n steps are its n-step fit; it then
    #: takes ``checkpoints`` and calls :meth:`checkpoint_reached` after every step (``ner_bench.checkpoints``)
    length_parameter: ClassVar[str] = ""

    def __init__(self, budget: str = "quick", **params: Any) -> None:
        params, self.checkpoints = checkpoint_parameter(type(self), params)
        self.params: dict[str, Any] = resolve_params(type(self), params, budget)
        check_counts(self.name, self.params, self.length_parameter, self.checkpoints)
        self.budget = budget
        #: called with the step count at each checkpoint, while fitting (set by the runner)
        self.checkpoint_hook: Callable[[int], None] | None = None

    def checkpoint_reached(self, steps: int) -> bool:
        """Tell the runner that ``steps`` training steps are done; at a checkpoint it embeds the recording
        with the weights as they are (``transform`` must work from the first step on). Returns whether it
        did (the method then puts its model back in training mode)."""
        if self.checkpoint_hook is None or steps not in self.checkpoints:
            return False
        self.checkpoint_hook(steps)
        return True

    def prepare(self) -> None:
        """Once-per-process set-up kept out of ``fit_seconds`` (e.g. JIT warm-up); a no-op by default.

        The runner calls it before it starts the fit timer, possibly before every fit: make it idempotent
        (a module-level flag). It must not see the recording.

        Returns
        -------
        None

        Examples
        --------
        >>> from ner_bench.builtins.methods.pca import PCA
        >>> PCA().prepare() is None  # PCA has nothing to compile
        True
        """

    @abstractmethod
    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "Method":
        """Fit on the training trials of one recording; deterministic for a seed on the CPU.

        Store what is learnt in attributes with a trailing underscore (see Notes of :class:`Method`).

        Parameters
        ----------
        train : Recording
            The training trials only (neural activity and behaviour); held-out trials are never seen.
        seed : int
            Seeds every random draw of the fit; two fits with one seed on the CPU are identical.
        device : str, default "cpu"
            A torch device name (``"cpu"``, ``"cuda:0"``); methods without ``uses_gpu`` ignore it.

        Returns
        -------
        Method
            ``self``, fitted.

        Examples
        --------
        >>> import numpy as np
        >>> from ner_bench import Recording
        >>> from ner_bench.builtins.methods.pca import PCA
        >>> rng = np.random.default_rng(0)
        >>> train = Recording.from_trials(id="demo", neural=rng.normal(size=(40, 5)),
        ...                               velocity=rng.normal(size=(40, 2)),
        ...                               direction=np.repeat([0, 1, 0, 1], 10), trial_length=10)
        >>> method = PCA(dim=2).fit(train, seed=0)
        >>> method.model_.n_components_
        2
        """

    @abstractmethod
    def transform(self, recording: Recording) -> np.ndarray:
        """Embed every bin of ``recording`` from its neural activity alone.

        Implementations start with ``self.check_fitted()`` and never read behaviour (unless the class
        declares ``uses_behavior_at_transform``).

        Parameters
        ----------
        recording : Recording
            Any recording with the neurons the method was fitted on (training and test trials alike).

        Returns
        -------
        numpy.ndarray
            A (n_bins, dim) float array, one row per bin of ``recording``, in its order.

        Raises
        ------
        NerBenchError
            ``method 'NAME': transform called before fit`` when the method is not fitted.

        Examples
        --------
        >>> import numpy as np
        >>> from ner_bench import Recording
        >>> from ner_bench.builtins.methods.pca import PCA
        >>> rng = np.random.default_rng(0)
        >>> recording = Recording.from_trials(id="demo", neural=rng.normal(size=(40, 5)),
        ...                                   velocity=rng.normal(size=(40, 2)),
        ...                                   direction=np.repeat([0, 1, 0, 1], 10), trial_length=10)
        >>> PCA(dim=2).fit(recording.select_trials([0, 1, 2]), seed=0).transform(recording).shape
        (40, 2)
        >>> PCA().transform(recording)
        Traceback (most recent call last):
        ...
        ner_bench.errors.NerBenchError: method 'pca': transform called before fit
        """

    def fit_as_run(self, train: Recording, *, seed: int, device: str = "cpu") -> "Method":
        """``fit`` as the runner calls it: on the training trials as the ``shuffled`` control (a parameter of
        every supervised method, ``ner[shuffled=trials]``; :mod:`ner_bench.shuffle_controls`) leaves them."""
        return self.fit(shuffled_training(train, self.params.get(SHUFFLE_PARAMETER, "none"), seed), seed=seed,
                        device=device)

    def training_summary(self) -> str:
        """A short, deterministic account of how the last ``fit`` trained (e.g. iterations run and why it
        stopped), shown in the results' ``training`` column; empty by default."""
        return ""

    def check_fitted(self) -> None:
        """Raise unless ``fit`` has run: the method must have a fitted attribute.

        A fitted attribute is an instance attribute whose name ends with a single underscore and does not
        start with one (``model_``, not ``_cache_`` or ``__x__``), scikit-learn's convention; only ``fit``
        sets them.

        Returns
        -------
        None

        Raises
        ------
        NerBenchError
            ``method 'NAME': transform called before fit``.

        Examples
        --------
        >>> from ner_bench.builtins.methods.pca import PCA
        >>> method = PCA()
        >>> method.check_fitted()
        Traceback (most recent call last):
        ...
        ner_bench.errors.NerBenchError: method 'pca': transform called before fit
        >>> method.model_ = "anything fit stores"
        >>> method.check_fitted()
        """
        if not any(_is_fitted_attribute(key) for key in getattr(self, "__dict__", {})):
            raise NerBenchError(f"method {self.name!r}: transform called before fit")

    def skip(self, recording: Recording) -> str | None:
        """Why this method cannot run on ``recording``, or None when it can (as benchopt's ``Solver.skip``).

        The default reads the declared capabilities (Notes of :class:`Method`): a ``supervised`` method
        skips a recording without behaviour; a ``needs_trials`` method skips one with fewer than
        :data:`MIN_TRIALS_PER_CONDITION` trials of some direction class. Subclasses may override it,
        calling ``super().skip(recording)`` first.

        Parameters
        ----------
        recording : Recording
            The recording the method would be fitted on (the whole recording or its training trials).

        Returns
        -------
        str or None
            A one-line reason naming the method and the recording, or None.

        Examples
        --------
        >>> import numpy as np
        >>> from ner_bench import Recording
        >>> from ner_bench.builtins.methods.pca import PCA, PCAAverage
        >>> rng = np.random.default_rng(0)
        >>> recording = Recording.from_trials(id="demo", neural=rng.normal(size=(40, 5)),
        ...                                   velocity=rng.normal(size=(40, 2)),
        ...                                   direction=np.repeat([0, 1, 0, 1], 10), trial_length=10)
        >>> PCAAverage().skip(recording) is None
        True
        >>> PCAAverage().skip(recording.without_behavior())
        "method 'pca-avg' is supervised but recording 'demo' has no behaviour (velocity is zero throughout)"
        >>> PCA().skip(recording.without_behavior()) is None
        True
        >>> print(PCAAverage().skip(recording.select_trials([0, 1, 2])))  # doctest: +NORMALIZE_WHITESPACE
        method 'pca-avg' needs whole, balanced trials but recording 'demo' has 1 trial(s) of direction 1
        (at least 2 per direction needed)
        """
        if self.supervised and not recording.has_behavior:
            return (f"method {self.name!r} is supervised but recording {recording.id!r} has no behaviour "
                    "(velocity is zero throughout)")
        if self.needs_trials:
            problem = _trial_problem(recording)
            if problem:
                return f"method {self.name!r} needs whole, balanced trials but recording {recording.id!r} {problem}"
        return None

    def __repr__(self) -> str:
        params = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}[{params}]" if params else self.name


def _is_fitted_attribute(key: str) -> bool:
    return key.endswith("_") and not key.endswith("__") and not key.startswith("_")


def _trial_problem(recording: Recording) -> str | None:
    """What keeps ``recording`` from whole, balanced trials (a ``needs_trials`` method's input), or None."""
    classes, counts = np.unique(recording.trial_direction, return_counts=True)
    if counts.min() < MIN_TRIALS_PER_CONDITION:
        return (f"has {int(counts.min())} trial(s) of direction {classes[counts.argmin()]} "
                f"(at least {MIN_TRIALS_PER_CONDITION} per direction needed)")
    return None


def resolve_params(cls: type[Method], given: dict[str, Any], budget: str) -> dict[str, Any]:
    """A method's parameters: defaults, then the budget's overrides, then the given values.

    :func:`ner_bench.options.resolve` for a Method class.

    Parameters
    ----------
    cls : type of Method
        The method class (its ``name``, ``defaults`` and ``budgets``).
    given : dict
        Explicit values, parsed to the defaults' types.
    budget : str
        One of :data:`BUDGETS`.

    Returns
    -------
    dict
        The resolved parameters.

    Examples
    --------
    >>> from ner_bench.builtins.methods.dpca import DPCA
    >>> resolve_params(DPCA, {"dim": "2"}, "quick")
    {'dim': 2, 'regularizer': 'auto', 'cv_repeats': 1}
    """
    given, shuffle = shuffle_parameter(cls.name, cls.supervised, given)
    params = resolve("method", cls.name, cls.defaults, given, budgets=cls.budgets, budget=budget,
                     minimums=merged_minimums(cls))
    return {**params, SHUFFLE_PARAMETER: shuffle} if shuffle != "none" else params
