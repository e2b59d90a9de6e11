"""Aligning one embedding (A) onto another (B) before decoders fitted on A are scored on B.

Models fitted on different recordings embed into arbitrarily rotated (and reflected) spaces, so
cross-session, cross-hemisphere and cross-area decoding first map A into B's space:

- ``none``: A as it is.
- ``train-procrustes`` (strict): one orthogonal Procrustes fit (reflections allowed) between A's and B's
  direction-averaged trajectories of *training trials only*, the 8 directions x time bins stacked. Both
  stacks are centred by their own mean first; A is mapped as ``(a - mean_A) @ R + mean_B``. Deterministic.
- ``published`` (paper): the release's rule (``get_best_R``, reference protocol section 5). For each
  direction d, A's and B's embeddings are averaged over *all* trials (training and test) and one orthogonal
  Procrustes map R_d (reflections allowed, no centring) is fitted from A's average to B's. The R_d are split
  by the sign of their determinant (rotations: det >= 0; reflections: det < 0); each non-empty class offers
  the R_d whose |det| is closest to 1 (the first such d). P is A's embedding with every trial of direction
  d mapped by its own R_d; a candidate R costs the sum over all bins and dimensions of |A R - P| (an empty
  class costs infinity) and the cheaper candidate maps A. Rotation against reflection is thus decided by
  the data; the pick *within* a class is float noise (every |det| is 1 up to rounding), as in the release,
  and the alignment's note says so, with the class that won and both costs (``rotation_picks.py`` gives every
  fit the rule admits within float tolerance; ``pick_ranges.py`` scores each). Trials of A whose direction B
  lacks have no R_d and take no part in the cost.

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

    def invert(self, values: np.ndarray) -> np.ndarray:
        """Values of the target's space carried back into the source's (an isometry's inverse: the
        rotation's transpose)."""
        if self.is_identity:
            return values
        return (np.asarray(values, dtype=float) - self.target_offset) @ self.rotation.T + self.source_offset

    @property
    def is_isometry(self) -> bool:
        """An orthogonal rotation (reflections included): it keeps distances, hence neighbours."""
        return np.allclose(self.rotation @ self.rotation.T, np.eye(len(self.rotation)), atol=1e-9)

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
    if same_embedding(source, target):
        return Alignment.identity(dim, method, note="same embedding: identity")
    if method == "train-procrustes":
        train_a, train_b = source.part("train"), target.part("train")
        return training_procrustes(train_a.values, train_a.recording, train_b.values, train_b.recording)
    return published_procrustes(source.values, source.recording, target.values, target.recording)


def training_procrustes(values_a, recording_a, values_b, recording_b) -> Alignment:
    """One rotation between the centred, stacked direction averages of the given (training) trials."""
    averages_a, averages_b = direction_averages(values_a, recording_a), direction_averages(values_b, recording_b)
    directions = shared_directions(averages_a, averages_b, recording_a, recording_b)
    stack_a, stack_b = stacked(averages_a, directions), stacked(averages_b, directions)
    mean_a, mean_b = stack_a.mean(axis=0), stack_b.mean(axis=0)
    rotation, _ = orthogonal_procrustes(stack_a - mean_a, stack_b - mean_b)
    return Alignment("train-procrustes", rotation, mean_a, mean_b)


def published_procrustes(values_a, recording_a, values_b, recording_b) -> Alignment:
    """The release's alignment: a map per direction on all-trial averages, one of them kept by the
    release's rule (``published_choice``)."""
    fits = published_fits(values_a, recording_a, values_b, recording_b)
    choice = published_choice(values_a, recording_a, fits)
    return published_alignment(fits[choice.direction], note=choice.note(len(fits)))


def published_fits(values_a, recording_a, values_b, recording_b) -> dict[int, np.ndarray]:
    """``{direction: R_d}``: orthogonal Procrustes (reflections allowed, no centring) from A's to B's
    average over all trials of direction d, for the directions both have."""
    averages_a, averages_b = direction_averages(values_a, recording_a), direction_averages(values_b, recording_b)
    directions = shared_directions(averages_a, averages_b, recording_a, recording_b)
    return {d: orthogonal_procrustes(averages_a[d], averages_b[d])[0] for d in directions}


def published_alignment(rotation: np.ndarray, note: str = "") -> Alignment:
    zero = np.zeros(len(rotation))
    return Alignment("published", rotation, zero, zero, note=note)


@dataclass(frozen=True)
class PublishedChoice:
    """Which per-direction fit the release's rule keeps, and the L1 cost of each class's candidate."""

    kind: str  # "rotation" or "reflection"
    direction: int
    costs: dict[str, float]

    def note(self, n_directions: int) -> str:
        other = next(k for k in CLASSES if k != self.kind)
        against = (f"{other} {self.costs[other]:.6g}" if np.isfinite(self.costs[other])
                   else f"no {other} among the fits")
        return (f"published alignment: per-direction Procrustes fits on all trials of both recordings "
                f"({n_directions} directions); the {self.kind} class won on L1 cost |A R - P| "
                f"({self.kind} {self.costs[self.kind]:.6g} vs {against}); within it the fit "
                f"of direction {self.direction} (|det| closest to 1) was kept, a float-noise pick as in the release")


#: the two classes of per-direction fits, by the sign of the determinant, in the order that wins a tie
CLASSES = ("rotation", "reflection")


def published_choice(values_a, recording_a, fits: dict[int, np.ndarray]) -> PublishedChoice:
    """The release's ``get_best_R``: each class's candidate (``_class_candidate``) is scored by
    ``fit_costs``; the cheaper one wins (a tie, which real embeddings never give, goes to the rotation:
    ner-bench's choice, the protocol does not say)."""
    candidates = {kind: _class_candidate(fits, kind) for kind in CLASSES}
    costs_by_direction = fit_costs(values_a, recording_a, fits)
    costs = {kind: costs_by_direction[d] if d is not None else np.inf for kind, d in candidates.items()}
    kind = min(CLASSES, key=lambda k: costs[k])
    return PublishedChoice(kind, candidates[kind], costs)


def fit_costs(values_a, recording_a, fits: dict[int, np.ndarray]) -> dict[int, float]:
    """The release's cost of each fit R_d: the sum of |A R_d - P| over A's bins and dimensions, P being A
    with each trial mapped by its own direction's fit (A's trials of directions without a fit left out)."""
    values = np.asarray(values_a, dtype=float)
    rows = {d: recording_a.direction == d for d in fits}
    covered = np.logical_or.reduce(list(rows.values()))
    target = np.zeros_like(values)
    for d, fit in fits.items():
        target[rows[d]] = values[rows[d]] @ fit
    return {d: float(np.abs(values[covered] @ fit - target[covered]).sum()) for d, fit in fits.items()}


def fit_class(fit: np.ndarray) -> str:
    """``rotation`` (det >= 0) or ``reflection`` (det < 0), the release's split of the fits."""
    return "rotation" if np.linalg.det(fit) >= 0 else "reflection"


def det_distance(fit: np.ndarray) -> float:
    """The release's criterion within a class, ||det R| - 1|: 0 up to rounding for every orthogonal fit."""
    return abs(abs(float(np.linalg.det(fit))) - 1.0)


def _class_candidate(fits: dict[int, np.ndarray], kind: str) -> int | None:
    """The direction (in direction order, first on ties) whose fit of ``kind`` has |det| closest to 1;
    None when no fit is of that kind."""
    members = [d for d, fit in sorted(fits.items()) if fit_class(fit) == kind]
    if not members:
        return None
    return min(members, key=lambda d: det_distance(fits[d]))


def shared_directions(averages_a, averages_b, recording_a, recording_b) -> list[int]:
    directions = common_directions(averages_a, averages_b)
    if len(directions) < 2:
        raise NerBenchError(f"cannot align {recording_a.id!r} onto {recording_b.id!r}: they share "
                            f"{len(directions)} direction(s) ({directions}); at least 2 are needed")
    return directions


def same_embedding(source: Embedding, target: Embedding) -> bool:
    """The very same embedding of one recording: aligning it onto itself is the identity."""
    return (source.recording.id == target.recording.id and source.values.shape == target.values.shape
            and np.array_equal(source.values, target.values))
