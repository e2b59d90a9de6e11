"""`Split`: which trials of a recording train and which test. The default is the published one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import NerBenchError, RecordingError
from .recording import Recording


@dataclass(frozen=True, eq=False)
class Split:
    """Train and test trial ids of one recording; disjoint, non-empty, and all present in it."""

    name: str
    recording_id: str
    train_trials: np.ndarray
    test_trials: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "train_trials", np.asarray(self.train_trials, dtype=np.int64))
        object.__setattr__(self, "test_trials", np.asarray(self.test_trials, dtype=np.int64))
        where = f"split {self.name!r} of recording {self.recording_id!r}"
        for field_name in ("train_trials", "test_trials"):
            if len(getattr(self, field_name)) == 0:
                raise RecordingError(f"{where}: field {field_name!r} is empty")
        if np.intersect1d(self.train_trials, self.test_trials).size:
            raise RecordingError(f"{where}: fields 'train_trials' and 'test_trials' share trials")

    def check_against(self, recording: Recording) -> None:
        missing = np.setdiff1d(np.r_[self.train_trials, self.test_trials], recording.trial_ids)
        if recording.id != self.recording_id or missing.size:
            raise RecordingError(f"split {self.name!r} does not fit recording {recording.id!r}: "
                                 f"made for {self.recording_id!r}, {missing.size} trial ids not in it")

    def train(self, recording: Recording) -> Recording:
        """The recording's training trials (all a method may see while fitting)."""
        self.check_against(recording)
        return recording.select_trials(self.train_trials)

    def test(self, recording: Recording) -> Recording:
        self.check_against(recording)
        return recording.select_trials(self.test_trials)

    def key(self) -> str:
        """Identity of the split for cache keys."""
        return f"{self.name}:{self.train_trials.tolist()}|{self.test_trials.tolist()}"


def chronological_split(recording: Recording, train_fraction: float = 0.8) -> Split:
    """The published split: the first ``int(train_fraction * n_trials)`` trials train, the rest test."""
    if not 0.0 < train_fraction < 1.0:
        raise RecordingError(f"argument 'train_fraction' must be in (0, 1), got {train_fraction}")
    trials = recording.trial_ids
    n_train = int(train_fraction * len(trials))
    if n_train == 0 or n_train == len(trials):
        raise RecordingError(f"recording {recording.id!r}: {len(trials)} trials cannot be split "
                             f"{train_fraction:.0%}/{1 - train_fraction:.0%} into non-empty parts")
    return Split(name=f"chronological-{train_fraction:g}", recording_id=recording.id,
                 train_trials=trials[:n_train], test_trials=trials[n_train:])


def validation_trials(train: Recording, fraction: float, *, method: str, parameter: str) -> np.ndarray:
    """The last ``fraction`` of a recording's training trials (at least one, at least one left to train on),
    which a method holds out of its training to validate on: never test trials."""
    if not 0.0 < fraction < 1.0:
        raise NerBenchError(f"method {method!r} parameter {parameter!r}: expected a value in (0, 1), got {fraction}")
    trials = train.trial_ids
    if len(trials) < 2:
        raise NerBenchError(f"method {method!r}: recording {train.id!r} has {len(trials)} training trial(s); at "
                            "least 2 are needed to hold some out for validation")
    n_valid = int(round(fraction * len(trials)))
    return trials[len(trials) - min(max(n_valid, 1), len(trials) - 1):]
