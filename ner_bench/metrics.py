"""The metric registry: every metric a task writes declares its direction, once, here (or in its plug-in).

The leaderboard ranks a family by its metric's direction and refuses a metric that declares none, so a
score can never be ranked the wrong way by a silent default. ``descriptive`` metrics are summarised (mean,
CI, ...) but not ranked: their value has no better end (a raw distance whose scale is the method's own, the
mean correlation over all direction pairs).

A plug-in task declares its own metrics with :func:`declare` at import time:

>>> from ner_bench.metrics import declare, direction_of
>>> declare("my_error", "lower", "mean absolute error of my decoder (cm/s)")
>>> direction_of("my_error")
'lower'
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NerBenchError

HIGHER, LOWER, DESCRIPTIVE = "higher", "lower", "descriptive"
DIRECTIONS = (HIGHER, LOWER, DESCRIPTIVE)


@dataclass(frozen=True)
class Metric:
    name: str
    direction: str  # which end is better: "higher", "lower", or "descriptive" (not ranked)
    description: str


METRICS: dict[str, Metric] = {}


def declare(name: str, direction: str, description: str) -> Metric:
    """Register ``name``; declaring it again with the same direction is harmless, with another an error."""
    if direction not in DIRECTIONS:
        raise NerBenchError(f"metric {name!r}: direction {direction!r}; expected one of {DIRECTIONS}")
    known = METRICS.get(name)
    if known is not None and known.direction != direction:
        raise NerBenchError(f"metric {name!r} is already declared {known.direction!r}-is-better, not {direction!r}")
    METRICS[name] = Metric(name, direction, description)
    return METRICS[name]


def direction_of(name: str) -> str:
    """The declared direction of ``name``; an undeclared metric is an error that says how to declare it."""
    try:
        return METRICS[name].direction
    except KeyError:
        raise NerBenchError(
            f"metric {name!r} has no declared direction (higher, lower or descriptive), so it cannot be ranked; "
            f"declare it with ner_bench.metrics.declare({name!r}, 'higher', '...') in the plug-in that writes it "
            "and pass that plug-in with --plugin") from None


def is_ranked(name: str) -> bool:
    return direction_of(name) != DESCRIPTIVE


def higher_is_better(name: str) -> bool:
    return direction_of(name) == HIGHER


for _name, _direction, _description in [
    ("r2", HIGHER, "coefficient of determination, r2_score(truth, prediction)"),
    ("accuracy", HIGHER, "direction accuracy in one time bin (per-bin rows)"),
    ("peak_accuracy", HIGHER, "maximum over the trial of the per-bin direction accuracy"),
    ("mean_accuracy", HIGHER, "direction accuracy over all bins"),
    ("balanced_accuracy", HIGHER, "mean per-class recall"),
    ("pearson_r", DESCRIPTIVE, "Pearson r of two centred direction-averaged trajectories (one direction pair)"),
    ("diagonal_mean_r", HIGHER, "mean centred-trajectory r between the same directions of two recordings"),
    ("off_diagonal_mean_r", LOWER, "mean centred-trajectory r between different directions of two recordings"),
    ("trajectory_contrast_r", HIGHER, "diagonal_mean_r - off_diagonal_mean_r: same directions line up, others not"),
    ("trajectory_contrast_null_r", DESCRIPTIVE,
     "mean trajectory_contrast_r over permutations of B's test-trial direction labels (~0: the zero reference)"),
    ("trajectory_contrast_excess_r", HIGHER, "trajectory_contrast_r minus its permutation null's mean"),
    ("trajectory_contrast_p", DESCRIPTIVE,
     "permutation p of trajectory_contrast_r: (1 + #null >= observed) / (1 + permutations)"),
    ("consistency_r2", HIGHER, "R^2 of a linear map between two recordings' direction-averaged trajectories"),
    ("distance", DESCRIPTIVE, "mean distance between two conditions' average trajectories, in the method's units"),
    ("separation", HIGHER, "distance between conditions over the within-condition spread (scale-free)"),
]:
    declare(_name, _direction, _description)
