"""Decoders shared by every task: linear velocity (and position as its within-trial cumulative sum)
and the multinomial logistic direction classifier with accuracy per time bin.

Each decoder is fitted on one set of embedded trials and scored on others; R^2 is always
``r2_score(truth, prediction)`` unless a protocol reproduces the published swapped order (flagged).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .protocol import Protocol
from .task import EmbeddedTrials


def within_trial_cumsum(values: np.ndarray, trial: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarted at every trial (trials are contiguous), starting at the
    trial's first value."""
    total = np.cumsum(values, axis=0)
    starts = np.flatnonzero(np.r_[True, trial[1:] != trial[:-1]])
    before_trial = np.zeros_like(total)
    before_trial[starts[1:]] = total[starts[1:] - 1]
    lengths = np.diff(np.r_[starts, len(trial)])
    return total - np.repeat(before_trial[starts], lengths, axis=0)


def linear_velocity_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials],
                         protocol: Protocol) -> list[dict]:
    """Linear regression embedding -> velocity; position = within-trial cumsum of true and predicted
    velocity. One row per (scored split, target)."""
    model = LinearRegression().fit(fit_on.values, fit_on.recording.velocity)
    rows = []
    for split, data in score_on.items():
        truth = data.recording.velocity
        prediction = model.predict(data.values)
        swapped = protocol.swap_test_velocity_r2 and split == "test"
        velocity_r2 = r2_score(prediction, truth) if swapped else r2_score(truth, prediction)
        trial = data.recording.trial
        position_r2 = r2_score(within_trial_cumsum(truth, trial), within_trial_cumsum(prediction, trial))
        note = "r2_score(prediction, truth) as published" if swapped else ""
        rows.append(dict(decoder="linear", target="velocity", metric="r2", split=split,
                         value=float(velocity_r2), note=note))
        rows.append(dict(decoder="linear", target="position", metric="r2", split=split,
                         value=float(position_r2), note=""))
    return rows


def direction_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials],
                   protocol: Protocol) -> list[dict]:
    """Multinomial logistic regression on every training bin; accuracy per time bin across the scored
    trials, its peak over the trial, and the mean over bins."""
    classifier = LogisticRegression(max_iter=protocol.logistic_max_iter)
    if protocol.standardize_classifier_input:
        classifier = make_pipeline(StandardScaler(), classifier)
    classifier.fit(fit_on.values, fit_on.recording.direction)
    rows = []
    for split, data in score_on.items():
        correct = classifier.predict(data.values) == data.recording.direction
        per_bin = np.bincount(data.recording.time_in_trial, weights=correct) / np.bincount(
            data.recording.time_in_trial)
        common = dict(decoder="logistic", target="direction", split=split, note="")
        rows += [dict(common, metric="accuracy", time_bin=int(t), value=float(a)) for t, a in enumerate(per_bin)]
        rows.append(dict(common, metric="peak_accuracy", value=float(per_bin.max())))
        rows.append(dict(common, metric="mean_accuracy", value=float(correct.mean())))
    return rows


def decoding_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials], protocol: Protocol) -> list[dict]:
    """All shared decoders: fitted on ``fit_on``, scored on each of ``score_on`` (keyed by split label)."""
    return linear_velocity_rows(fit_on, score_on, protocol) + direction_rows(fit_on, score_on, protocol)
