"""Aligning one embedding (A) onto another (B) before decoders fitted on A are scored on B.

Models fitted on different recordings embed into arbitrarily rotated (and reflected) spaces, so
cross-session, cross-hemisphere and cross-area decoding first map A into B's space:

- ``none``: A as it is.
- ``train-procrustes`` (strict): one orthogonal Procrustes fit (reflections allowed) between A's and B's
  direction-averaged trajectories of *training trials only*, the 8 directions x time bins stacked. Both
  stacks are centred by their own mean first; A is mapped as ``(a - mean_A) @ R + mean_B``. Deterministic.
- ``published`` (paper): the release's rule. For each direction, A's and B's embeddings are averaged over
  *all* trials (training and test), one orthogonal Procrustes rotation is fitted per direction (no
  centring), and A is rotated by one of them. The release picks it by a criterion that float rounding
  decides; the criterion itself could not be read here, so ner-bench models it as the rotation with the
  largest Frobenius norm (sqrt(dim) for every rotation: rounding decides). Both defects are flagged.

A recording aligned onto the very same embedding gets the identity (the cross-session diagonal is the
within-session score, exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import orthogonal_procrustes

from .errors import NerBenchError
from .task import Embedding
from .trajectories import common_directions, direction_averages, stacked

ALIGNMENTS = ("none", "train-procrustes", "published")


@dataclass(frozen=True, eq=False)
class Alignment:
    """An orthogonal map ``x -> (x - source_offset) @ rotation + target_offset``."""

    method: str
    rotation: np.ndarray
    source_offset: np.ndarray
    target_offset: np.ndarray
    note: str = ""

    def apply(self, values: np.ndarray) -> np.ndarray:
        if self.is_identity:
            return values  # untouched, so that an identity alignment changes nothing, not even the dtype
        return (np.asarray(values, dtype=float) - self.source_offset) @ self.rotation + self.target_offset

    @property
    def is_identity(self) -> bool:
        return (np.array_equal(self.rotation, np.eye(len(self.rotation))) and not self.source_offset.any()
                and not self.target_offset.any())

    @classmethod
    def identity(cls, dim: int, method: str, note: str = "") -> "Alignment":
        return cls(method, np.eye(dim), np.zeros(dim), np.zeros(dim), note)


def align(source: Embedding, target: Embedding, method: str) -> Alignment:
    """The map that carries ``source``'s embedding into ``target``'s space."""
    if method not in ALIGNMENTS:
        raise NerBenchError(f"alignment {method!r} is unknown; expected one of {ALIGNMENTS}")
    dim = source.values.shape[1]
    if target.values.shape[1] != dim:
        raise NerBenchError(f"cannot align {source.recording.id!r} ({dim}-D) onto {target.recording.id!r} "
                            f"({target.values.shape[1]}-D): embeddings must have the same dimension")
    if method == "none":
        return Alignment.identity(dim, method)
    if _same_embedding(source, target):
        return Alignment.identity(dim, method, note="same embedding: identity")
    if method == "train-procrustes":
        train_a, train_b = source.part("train"), target.part("train")
        return training_procrustes(train_a.values, train_a.recording, train_b.values, train_b.recording)
    return published_procrustes(source.values, source.recording, target.values, target.recording)


def training_procrustes(values_a, recording_a, values_b, recording_b) -> Alignment:
    """One rotation between the centred, stacked direction averages of the given (training) trials."""
    averages_a, averages_b = direction_averages(values_a, recording_a), direction_averages(values_b, recording_b)
    directions = _shared(averages_a, averages_b, recording_a, recording_b)
    stack_a, stack_b = stacked(averages_a, directions), stacked(averages_b, directions)
    mean_a, mean_b = stack_a.mean(axis=0), stack_b.mean(axis=0)
    rotation, _ = orthogonal_procrustes(stack_a - mean_a, stack_b - mean_b)
    return Alignment("train-procrustes", rotation, mean_a, mean_b)


def published_procrustes(values_a, recording_a, values_b, recording_b) -> Alignment:
    """The release's alignment: a rotation per direction on all-trial averages, one of them kept."""
    averages_a, averages_b = direction_averages(values_a, recording_a), direction_averages(values_b, recording_b)
    directions = _shared(averages_a, averages_b, recording_a, recording_b)
    rotations = [orthogonal_procrustes(averages_a[d], averages_b[d])[0] for d in directions]
    chosen = int(np.argmax([np.linalg.norm(r) for r in rotations]))  # equal up to rounding, as published
    zero = np.zeros(values_a.shape[1])
    return Alignment("published", rotations[chosen], zero, zero,
                     note=f"published alignment: the rotation of direction {directions[chosen]} among "
                          f"{len(directions)} per-direction fits on all trials of both recordings (the "
                          "release's float-noise pick, modelled)")


def _shared(averages_a, averages_b, recording_a, recording_b) -> list[int]:
    directions = common_directions(averages_a, averages_b)
    if len(directions) < 2:
        raise NerBenchError(f"cannot align {recording_a.id!r} onto {recording_b.id!r}: they share "
                            f"{len(directions)} direction(s) ({directions}); at least 2 are needed")
    return directions


def _same_embedding(source: Embedding, target: Embedding) -> bool:
    return (source.recording.id == target.recording.id and source.values.shape == target.values.shape
            and np.array_equal(source.values, target.values))
