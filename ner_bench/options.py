"""One resolver for the declared options of every plug-in: method parameters, task and dataset options.

A plug-in class declares its options in ``defaults`` (names and default values; a default's type is the
type a given value is parsed to, since command-line values arrive as strings). :func:`resolve` builds the
options of one instance: the defaults, then (methods only) the overrides of the chosen ``--budget``, then
the given values, each coerced to its default's type. Every error names the owner, e.g.
``method 'pca': unknown parameter(s) foo; known parameters: dim``.

>>> resolve("task", "demo", {"alpha": 1.0, "mode": "fast"}, {"alpha": "0.5"})
{'alpha': 0.5, 'mode': 'fast'}
>>> resolve("method", "pca", {"dim": 3, "iterations": 100}, {"dim": "2"},
...         budgets={"quick": {"iterations": 10}}, budget="quick")
{'dim': 2, 'iterations': 10}
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from .errors import NerBenchError

#: the training budgets a method may declare overrides for (``--budget``)
BUDGETS = ("quick", "paper", "converged")
#: what an option is called in messages, per owner kind (default "option")
NOUNS = {"method": "parameter"}


def resolve(kind: str, name: str, defaults: Mapping[str, Any], given: Mapping[str, Any], *,
            budgets: Mapping[str, Mapping[str, Any]] | None = None, budget: str | None = None,
            minimums: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The resolved options of one plug-in instance.

    Parameters
    ----------
    kind : str
        What the owner is, as messages name it: ``"method"``, ``"task"`` or ``"dataset"``. Methods call
        their options *parameters*, the others *options* (:data:`NOUNS`).
    name : str
        The owner's registered name, e.g. ``"pca"``.
    defaults : mapping
        Every known option and its default value. The default's type is what a given value is coerced
        to (:func:`coerce`); ``None``, ``str``, ``list``, ``tuple`` and ``dict`` defaults take values as given.
    given : mapping
        Explicitly given values (e.g. from ``--methods "pca[dim=2]"``); every key must be in ``defaults``.
    budgets : mapping, optional
        Per-budget overrides (``Method.budgets``), applied between the defaults and the given values.
    budget : str, optional
        The chosen budget, one of :data:`BUDGETS`; checked whenever it is not None.
    minimums : mapping, optional
        The smallest value a numeric option may take (``{"dim": 1}``); a given value below it is refused.

    Returns
    -------
    dict
        The defaults, updated by the budget's overrides, updated by the coerced given values; a new dict.

    Raises
    ------
    NerBenchError
        On an unknown budget, an unknown option (the message lists the known ones) or a value that
        cannot be parsed to its default's type.

    Examples
    --------
    >>> resolve("dataset", "toy", {"n_trials": 8}, {"n_trials": "16"})
    {'n_trials': 16}
    >>> resolve("method", "pca", {"dim": 3}, {"foo": 1})
    Traceback (most recent call last):
    ...
    ner_bench.errors.NerBenchError: method 'pca': unknown parameter(s) foo; known parameters: dim
    >>> resolve("task", "demo", {}, {"alpha": 1})
    Traceback (most recent call last):
    ...
    ner_bench.errors.NerBenchError: task 'demo': unknown option(s) alpha; known options: none
    """
    if budget is not None and budget not in BUDGETS:
        raise NerBenchError(f"argument --budget: unknown budget {budget!r}; expected one of {BUDGETS}")
    noun = NOUNS.get(kind, "option")
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise NerBenchError(f"{kind} {name!r}: unknown {noun}(s) {', '.join(unknown)}; known {noun}s: {known}")
    options = dict(defaults)
    if budgets and budget is not None:
        options.update(budgets.get(budget, {}))
    for key, value in given.items():
        where = f"{kind} {name!r} {noun} {key!r}"
        options[key] = at_least(coerce(value, defaults[key], where), (minimums or {}).get(key), where)
    return options


def at_least(value: Any, minimum: float | None, where: str) -> Any:
    """``value``, unless it is a number below ``minimum`` (e.g. ``dim=0`` would fail every fit later)."""
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        raise NerBenchError(f"{where}: expected at least {minimum}, got {value!r}")
    return value


def merged_minimums(cls: type) -> dict[str, float]:
    """The ``minimums`` a plug-in class declares, with those of its base classes (``Method``: ``dim >= 1``)."""
    merged: dict[str, float] = {}
    for klass in reversed(cls.__mro__):
        merged.update(getattr(klass, "__dict__", {}).get("minimums", {}))
    return merged


def coerce(value: Any, default: Any, where: str) -> Any:
    """Convert ``value`` to the type of ``default`` (command-line values arrive as strings).

    Parameters
    ----------
    value : object
        The given value, often a string.
    default : object
        The declared default. ``None`` and ``str``/``list``/``tuple``/``dict`` defaults leave ``value`` as
        it is; a ``bool`` default accepts ``true/false/1/0/yes/no`` (any case); an ``int`` default refuses
        a float with a fractional part.
    where : str
        What the value is, for the error message, e.g. ``"method 'pca' parameter 'dim'"``.

    Returns
    -------
    object
        ``value`` as the default's type (``None`` stays ``None``).

    Raises
    ------
    NerBenchError
        ``"{where}: expected {type}, got {value!r}"`` when the value does not parse.

    Examples
    --------
    >>> coerce("3", 1, "x"), coerce("yes", False, "x"), coerce("2.5", 1.0, "x"), coerce("a", "b", "x")
    (3, True, 2.5, 'a')
    >>> coerce("three", 1, "method 'pca' parameter 'dim'")
    Traceback (most recent call last):
    ...
    ner_bench.errors.NerBenchError: method 'pca' parameter 'dim': expected int, got 'three'
    """
    if default is None or value is None or isinstance(default, (str, list, tuple, dict)):
        return value
    kind = type(default)
    if kind is not bool and isinstance(value, bool):  # dim=True would run as dim 1
        raise NerBenchError(f"{where}: expected {kind.__name__}, got {value!r}")
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        converted = kind(value)
        if kind is float and not math.isfinite(converted):
            raise ValueError(value)
        return converted
    except (TypeError, ValueError):
        raise NerBenchError(f"{where}: expected {kind.__name__}, got {value!r}") from None
