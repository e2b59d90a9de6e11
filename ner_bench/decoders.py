"""Decoders shared by every task: linear regression and kNN to velocity (position is the within-trial
cumulative sum of true and predicted velocity), and direction classifiers (multinomial logistic and kNN)
scored as accuracy per time bin, its peak over the trial and its mean.

Each decoder is fitted on one set of embedded trials and scored on others; R^2 is always
``r2_score(truth, prediction)`` unless a protocol reproduces the published swapped order (flagged).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .errors import NerBenchError
from .knn import neighbour_predictions, published_folds, search_ks, trial_block_folds
from .protocol import Protocol
from .task import EmbeddedTrials

SWAPPED_NOTE = "r2_score(prediction, truth) as published"


def within_trial_cumsum(values: np.ndarray, trial: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarted at every trial (trials are contiguous), starting at the
    trial's first value (the convention that reproduces the published position R^2)."""
    total = np.cumsum(values, axis=0)
    starts = np.flatnonzero(np.r_[True, trial[1:] != trial[:-1]])
    before_trial = np.zeros_like(total)
    before_trial[starts[1:]] = total[starts[1:] - 1]
    lengths = np.diff(np.r_[starts, len(trial)])
    return total - np.repeat(before_trial[starts], lengths, axis=0)


def velocity_rows(decoder: str, predictions: dict[str, np.ndarray], score_on: dict[str, EmbeddedTrials],
                  protocol: Protocol, note: str = "") -> list[dict]:
    """Velocity and position R^2 of a regressor's ``predictions``, one row per (scored split, target)."""
    rows = []
    for split, data in score_on.items():
        truth = data.recording.velocity
        prediction = predictions[split]
        swapped = protocol.swap_test_velocity_r2 and split == "test"
        velocity_r2 = r2_score(prediction, truth) if swapped else r2_score(truth, prediction)
        trial = data.recording.trial
        position_r2 = r2_score(within_trial_cumsum(truth, trial), within_trial_cumsum(prediction, trial))
        velocity_note = "; ".join(filter(None, [note, SWAPPED_NOTE if swapped else ""]))
        rows.append(dict(decoder=decoder, target="velocity", metric="r2", split=split,
                         value=float(velocity_r2), note=velocity_note))
        rows.append(dict(decoder=decoder, target="position", metric="r2", split=split,
                         value=float(position_r2), note=note))
    return rows


def direction_accuracy_rows(decoder: str, predictions: dict[str, np.ndarray],
                            score_on: dict[str, EmbeddedTrials], note: str = "") -> list[dict]:
    """Accuracy of a classifier's ``predictions`` per time bin across the scored trials, its peak over the
    trial, and the mean over bins."""
    rows = []
    for split, data in score_on.items():
        correct = predictions[split] == data.recording.direction
        per_bin = np.bincount(data.recording.time_in_trial, weights=correct) / np.bincount(
            data.recording.time_in_trial)
        common = dict(decoder=decoder, target="direction", split=split, note=note)
        rows += [dict(common, metric="accuracy", time_bin=int(t), value=float(a)) for t, a in enumerate(per_bin)]
        rows.append(dict(common, metric="peak_accuracy", value=float(per_bin.max())))
        rows.append(dict(common, metric="mean_accuracy", value=float(correct.mean())))
    return rows


def linear_velocity_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials],
                         protocol: Protocol) -> list[dict]:
    """Linear regression embedding -> velocity."""
    model = LinearRegression().fit(fit_on.values, fit_on.recording.velocity)
    return velocity_rows("linear", predicted_by(model, score_on), score_on, protocol)


def direction_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials],
                   protocol: Protocol) -> list[dict]:
    """Multinomial logistic regression on every training bin."""
    classifier = LogisticRegression(max_iter=protocol.logistic_max_iter)
    if protocol.standardize_classifier_input:
        classifier = make_pipeline(StandardScaler(), classifier)
    classifier.fit(fit_on.values, fit_on.recording.direction)
    return direction_accuracy_rows("logistic", predicted_by(classifier, score_on), score_on)


def predicted_by(model, score_on: dict[str, EmbeddedTrials]) -> dict[str, np.ndarray]:
    return {split: model.predict(data.values) for split, data in score_on.items()}


def knn_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials], protocol: Protocol,
             search_on: EmbeddedTrials | None = None) -> list[dict]:
    """kNN regressor to velocity and kNN direction classifier, k chosen by a 5-fold grid search over
    ``protocol.knn_grid`` on ``search_on`` (default ``fit_on``; pass the unaligned training trials when
    ``fit_on`` is a rotated copy of them: the search sees only distances, so the result is the same)."""
    search_on = fit_on if search_on is None else search_on
    values, recording, grid = search_on.values, search_on.recording, protocol.knn_grid
    velocity, direction = (recording.velocity, False), (recording.direction, True)
    if protocol.knn_folds == "published":
        (velocity_search,) = search_ks(values, [velocity], published_folds(recording.velocity, False), grid)
        (direction_search,) = search_ks(values, [direction], published_folds(recording.direction, True), grid)
    else:  # the same folds for both decoders: one neighbour query per fold serves both
        velocity_search, direction_search = search_ks(values, [velocity, direction],
                                                      trial_block_folds(recording.trial), grid)
    k_velocity, k_direction = velocity_search.best_k, direction_search.best_k
    predicted = neighbour_predictions(fit_on.values, fit_on.recording.velocity, fit_on.recording.direction,
                                      k_velocity, k_direction, {split: d.values for split, d in score_on.items()})
    velocity_predictions = {split: v for split, (v, _) in predicted.items()}
    direction_predictions = {split: d for split, (_, d) in predicted.items()}
    return (velocity_rows("knn", velocity_predictions, score_on, protocol, note=f"k={k_velocity}")
            + direction_accuracy_rows("knn", direction_predictions, score_on, note=f"k={k_direction}"))


DECODERS = ("linear", "logistic", "knn")


def chosen_decoders(value: str | list | tuple, where: str) -> tuple[str, ...]:
    """A task's ``decoders`` option: names joined by ``+`` (``linear+knn``) or a list; ``all`` for every one."""
    names = [n.strip() for n in (value.replace(",", "+").split("+") if isinstance(value, str) else value)]
    names = list(DECODERS) if names == ["all"] else [n for n in names if n]
    unknown = sorted(set(names) - set(DECODERS))
    if unknown or not names:
        raise NerBenchError(f"{where}: decoders {value!r}; expected names among {DECODERS} joined by '+', or 'all'")
    return tuple(names)


def decoding_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials], protocol: Protocol,
                  knn_search_on: EmbeddedTrials | None = None,
                  decoders: tuple[str, ...] = DECODERS) -> list[dict]:
    """The shared decoders named in ``decoders``: fitted on ``fit_on``, scored on each of ``score_on``
    (keyed by split label).

    BLAS and OpenMP run single-threaded here: the problems are small, and on a shared machine their thread
    pools cost more than they save (logistic regression is 20x slower on 2 loaded cores)."""
    rows = []
    with threadpool_limits(limits=1):
        if "linear" in decoders:
            rows += linear_velocity_rows(fit_on, score_on, protocol)
        if "logistic" in decoders:
            rows += direction_rows(fit_on, score_on, protocol)
        if "knn" in decoders:
            rows += knn_rows(fit_on, score_on, protocol, knn_search_on)
    return rows
