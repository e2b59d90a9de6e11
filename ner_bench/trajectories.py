"""Direction-averaged latent trajectories: the mean embedding of each direction's trials, bin by bin."""

from __future__ import annotations

import numpy as np

from .recording import Recording


def direction_averages(values: np.ndarray, recording: Recording, dtype: type | None = float) -> dict[int, np.ndarray]:
    """``{direction: (trial_length, dim) mean over that direction's trials}`` for the directions present.
    ``values`` has one row per bin of ``recording`` (whole trials, trial-major), embedded or neural;
    ``dtype=None`` averages in the values' own precision."""
    n_trials, length = recording.n_trials, recording.trial_length
    per_trial = np.asarray(values, dtype=dtype).reshape(n_trials, length, -1)
    directions = recording.trial_direction
    return {int(d): per_trial[directions == d].mean(axis=0) for d in np.unique(directions)}


def common_directions(*averages: dict[int, np.ndarray]) -> list[int]:
    """The directions every one of ``averages`` has, sorted."""
    return sorted(set.intersection(*(set(a) for a in averages)))


def stacked(averages: dict[int, np.ndarray], directions: list[int]) -> np.ndarray:
    """The trajectories of ``directions`` one after another: (n_directions * trial_length, dim)."""
    return np.concatenate([averages[d] for d in directions])
