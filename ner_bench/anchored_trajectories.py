"""Direction-averaged latent trajectories, aligned across recordings to an anchor (for the paper's
Figure 3).

The results table holds no embeddings. Trajectory figures take, per method, a list of
:class:`EmbeddedRecording` (a Recording, the embedding of its every bin, optionally its split), from
memory or from a run folder (``RunFolder.embeddings``).

Alignment (never used for a score, only for drawing): each recording's embedding is reduced to at most
3 dimensions (PCA of its own direction-averaged training trajectories, when it has more), then rotated
onto the anchor's by one orthogonal Procrustes fit (reflections allowed) on the stacked, centred
direction-averaged trajectories of the training trials. The drawn curves average every trial of a
direction by default (``trials="test"`` for the held-out ones only: with 20 % of the trials that is a
handful per direction, so the curves are noisy).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.linalg import orthogonal_procrustes

from . import trajectories
from .errors import NerBenchError
from .recording import Recording
from .split import Split

log = logging.getLogger(__name__)

PLOT_DIM = 3


@dataclass(frozen=True, eq=False)
class EmbeddedRecording:
    """One recording and the embedding of every bin by one fitted model."""

    recording: Recording
    values: np.ndarray
    split: Split | None = None

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        if values.ndim != 2 or len(values) != self.recording.n_bins:
            raise NerBenchError(f"embedding of recording {self.recording.id!r}: shape {values.shape}, expected "
                                f"({self.recording.n_bins}, dim)")
        object.__setattr__(self, "values", values)

    def trials(self, part: str) -> np.ndarray:
        """Trial ids of ``part`` ("train" or "test"); every trial when the split is unknown."""
        if self.split is None or part == "all":
            return self.recording.trial_ids
        return self.split.train_trials if part == "train" else self.split.test_trials


@dataclass(frozen=True)
class AlignedTrajectories:
    """Direction-averaged trajectories of one recording in the anchor's frame."""

    recording_id: str
    directions: np.ndarray  # (n_directions,) class labels
    angles: np.ndarray  # (n_directions,) target angle of each class, degrees
    curves: np.ndarray  # (n_directions, trial_length, 3)
    is_anchor: bool
    original_dim: int


def part_averages(embedded: EmbeddedRecording, part: str,
                       directions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(directions, averages)``: the mean embedding per direction and time bin over the trials of
    ``part``; averages has shape (n_directions, trial_length, dim)."""
    trials = embedded.trials(part)
    rows = np.isin(embedded.recording.trial, trials)
    averages = trajectories.direction_averages(embedded.values[rows], embedded.recording.select_trials(trials))
    present = np.array(sorted(averages))
    directions = present if directions is None else np.intersect1d(directions, present)
    return directions, np.stack([averages[int(d)] for d in directions])


def align_to_anchor(embedded: Sequence[EmbeddedRecording], anchor: str | None = None,
                    trials: str = "all") -> list[AlignedTrajectories]:
    """Each recording's direction-averaged trajectories over ``trials`` ("all" or "test") rotated into the
    anchor's frame (the first recording when ``anchor`` is None); the rotation is fitted on training
    trials. Recordings whose trial length differs from the anchor's are left out with a warning."""
    if trials not in ("all", "test"):
        raise NerBenchError(f"argument trials: expected 'all' or 'test', got {trials!r}")
    if not embedded:
        return []
    by_id = {e.recording.id: e for e in embedded}
    anchor_id = anchor or embedded[0].recording.id
    if anchor_id not in by_id:
        raise NerBenchError(f"argument anchor: recording {anchor_id!r} is not among {sorted(by_id)}")
    reference = by_id[anchor_id]
    shared = np.unique(reference.recording.direction)
    for e in embedded:
        shared = np.intersect1d(shared, np.unique(e.recording.direction))
    anchor_reduce = _reducer(reference, shared)
    _, anchor_train = part_averages(reference, "train", shared)
    target = anchor_reduce(anchor_train).reshape(-1, PLOT_DIM)
    target_mean = target.mean(axis=0)
    aligned = []
    for e in embedded:
        if e.recording.trial_length != reference.recording.trial_length:
            log.warning("trajectories: %s has %d-bin trials, the anchor %s has %d: left out", e.recording.id,
                        e.recording.trial_length, anchor_id, reference.recording.trial_length)
            continue
        reduce = anchor_reduce if e is reference else _reducer(e, shared)
        _, train = part_averages(e, "train", shared)
        source = reduce(train).reshape(-1, PLOT_DIM)
        rotation = np.eye(PLOT_DIM) if e is reference else orthogonal_procrustes(
            source - source.mean(axis=0), target - target_mean)[0]
        _, shown = part_averages(e, trials, shared)
        curves = (reduce(shown) - source.mean(axis=0)) @ rotation + target_mean
        angles = np.array([e.recording.angle[e.recording.direction == d][0] for d in shared])
        aligned.append(AlignedTrajectories(e.recording.id, shared, angles, curves, e is reference,
                                           e.values.shape[1]))
    return aligned


def _reducer(embedded: EmbeddedRecording, directions: np.ndarray):
    """A map from (..., dim) to (..., 3): PCA of the training averages when dim > 3, zero-padding below."""
    dim = embedded.values.shape[1]
    if dim <= PLOT_DIM:
        return lambda x: np.concatenate([x, np.zeros(x.shape[:-1] + (PLOT_DIM - dim,))], axis=-1)
    _, train = part_averages(embedded, "train", directions)
    flat = train.reshape(-1, dim)
    mean = flat.mean(axis=0)
    components = np.linalg.svd(flat - mean, full_matrices=False)[2][:PLOT_DIM].T
    return lambda x: (x - mean) @ components
