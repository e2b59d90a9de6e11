"""Whole-trial latent trajectories and how well they separate conditions (used by curved-vs-straight).

- ``classify``: a logistic-regression classifier on trajectory features (the latent averaged in
  ``n_windows`` equal time windows, standardised), fitted on training trials, scored by balanced accuracy
  on test trials. Balanced accuracy, because straight and curved trials are not equally many.
- ``separate``: the mean Euclidean distance between two conditions' average trajectories (averaged over
  time bins), and that distance divided by the within-condition spread (the mean distance of single
  trials from their own condition's average). The ratio is free of the embedding's scale, so methods can be
  compared with it; the raw distance cannot.

Both return NaN with a note, never a guess, when a condition has too few trials in a part of the split.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ner_bench import EmbeddedTrials


@dataclass(frozen=True)
class Trajectories:
    """Latent trajectories (trials x bins x dim) with each trial's id and condition label, and the
    trial set's conditions (whether or not this part of the split has trials of each)."""

    values: np.ndarray
    trial_ids: np.ndarray
    labels: np.ndarray  # condition label per trial, e.g. "13-curved"
    trial_types: np.ndarray
    reaches: np.ndarray  # "straight" or "curved" per trial
    conditions: tuple[str, ...]

    @classmethod
    def of(cls, part: EmbeddedTrials) -> "Trajectories":
        rec = part.recording
        values = part.values.reshape(rec.n_trials, rec.trial_length, -1)
        info = [rec.meta["trial_conditions"][int(t)] for t in rec.trial_ids]
        return cls(values, rec.trial_ids, np.array([i["condition"] for i in info]),
                   np.array([i["trial_type"] for i in info]), np.array([i["reach"] for i in info]),
                   tuple(rec.meta["conditions"]))

    def where(self, mask: np.ndarray) -> "Trajectories":
        return Trajectories(self.values[mask], self.trial_ids[mask], self.labels[mask], self.trial_types[mask],
                            self.reaches[mask], self.conditions)

    def group(self, label: str) -> np.ndarray:
        """Trajectories of the trials of one condition (possibly none)."""
        return self.values[self.labels == label]

    def types_with_both_reaches(self) -> list[int]:
        """Trial types of the set that have both a straight and a curved condition."""
        types = dict.fromkeys(int(label.split("-")[0]) for label in self.conditions)
        return [t for t in types if {f"{t}-straight", f"{t}-curved"} <= set(self.conditions)]

    def features(self, n_windows: int) -> np.ndarray:
        """Each trial's trajectory averaged in ``n_windows`` equal time windows, flattened."""
        windows = np.array_split(np.arange(self.values.shape[1]), min(n_windows, self.values.shape[1]))
        return np.concatenate([self.values[:, w].mean(axis=1) for w in windows], axis=1)


@dataclass(frozen=True)
class Score:
    value: float
    note: str = ""


def classify(train: Trajectories, test: Trajectories, train_labels: np.ndarray, test_labels: np.ndarray,
             classes: list[str], *, n_windows: int = 10, max_iter: int = 1000) -> Score:
    """Balanced accuracy on ``test`` of a classifier of ``classes`` fitted on ``train``.

    Every class needs training trials; the score averages the recall of the classes present in the test
    trials (at least two), and the note says which were absent."""
    absent_train = [c for c in classes if c not in set(train_labels.tolist())]
    if absent_train:
        return Score(float("nan"), f"no training trials of {', '.join(absent_train)}")
    present = [c for c in classes if c in set(test_labels.tolist())]
    if len(present) < 2:
        return Score(float("nan"), f"test trials of {len(present)} of the {len(classes)} classes only")
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    classifier.fit(train.features(n_windows), train_labels)
    predicted = classifier.predict(test.features(n_windows))
    with warnings.catch_warnings():  # predictions of classes absent from the test trials are expected
        warnings.simplefilter("ignore", UserWarning)
        accuracy = balanced_accuracy_score(test_labels, predicted)
    absent = [c for c in classes if c not in present]
    note = f"chance {1 / len(classes):.2f}" + (f"; no test trials of {', '.join(absent)}" if absent else "")
    return Score(float(accuracy), note)


def separate(first: np.ndarray, second: np.ndarray, names: tuple[str, str]) -> tuple[Score, Score]:
    """(distance, separation) between two groups of trajectories (trials x bins x dim)."""
    few = [name for name, group in zip(names, (first, second)) if len(group) < 2]
    if few:
        note = f"fewer than 2 trials of {', '.join(few)}"
        return Score(float("nan"), note), Score(float("nan"), note)
    mean_first, mean_second = first.mean(axis=0), second.mean(axis=0)
    distance = float(np.linalg.norm(mean_first - mean_second, axis=-1).mean())
    spread = float(np.concatenate([np.linalg.norm(first - mean_first, axis=-1).mean(axis=1),
                                   np.linalg.norm(second - mean_second, axis=-1).mean(axis=1)]).mean())
    if spread == 0:
        return Score(distance), Score(float("nan"), "no within-condition spread")
    return Score(distance), Score(distance / spread)


def mean_score(scores: list[Score], what: str) -> Score:
    """The mean of the finite scores, noting which were left out."""
    finite = [s.value for s in scores if np.isfinite(s.value)]
    if not finite:
        return Score(float("nan"), f"no {what} could be scored")
    left_out = len(scores) - len(finite)
    return Score(float(np.mean(finite)), f"mean of {len(finite)} {what}" + (f", {left_out} left out" if left_out else ""))
