"""Calibration: how much of a new recording B a cross-recording decoder may see, and what it does with it.

A BMI user who moves a decoder from recording A to a new day B labels a few of B's trials, or none, and
aligns B onto A; the question is how much labelling each alignment needs. So the alignments here map B's
embedding into A's space and A's decoders, fitted once on A's training trials, decode B's **test** trials.
Whatever an alignment fits on comes from B's *calibration block* of K training trials, never its test
trials (``calibration_block``): by default balanced over the directions (the first trials of each direction,
K / directions each), or B's first K training trials (``first``, chronological). The ladder, each rung a
named alignment with a mode:

- ``none`` (mode ``none``): B as it is.
- ``centre`` (``unsupervised``): B's calibration mean moved onto A's training mean; no labels.
- ``moments`` (``unsupervised``): centring and whitening, B's calibration bins given A's training mean and
  covariance (``x -> (x - m_B) C_B^-1/2 C_A^1/2 + m_A``); no labels. Both covariances are Ledoit-Wolf
  shrunk, so that a 16-D embedding seen on 8 trials does not blow up.
- ``axes`` (``unsupervised``): a label-free orthogonal map, B's principal axes (of its calibration bins)
  turned onto A's (of its training bins) in order of variance, each axis's sign set so that the third
  moments along it agree; B's block mean onto A's. It fits only where the axes are identifiable: each
  variance at least ``AXES_SEPARATION`` times the next on both sides (else no rows at that K, logged).
- ``procrustes`` (``supervised``): one orthogonal Procrustes map between the centred, stacked direction
  averages of B's K labelled calibration trials and of A's training trials (at K = all, the strict
  protocol's ``train-procrustes`` with the roles of A and B swapped). An isometry: nothing to regularise.
- ``cca`` (``supervised``): canonical correlation analysis (Gallego et al. 2020) on condition-matched,
  time-aligned single trials: B's calibration trials paired in order with A's training trials of the same
  direction, bin by bin. Both sides are first reduced to their top ``CCA_DIM`` principal components; B goes
  through B's canonical weights, each variate rescaled to its A partner's spread, and back out through the
  pseudo-inverse of A's weights and A's components.
- ``published`` (``oracle``): the release's alignment, which sees all of B's trials, test trials and labels
  included; only for comparison, flagged in every row and table.

And two controls on the same K trials (mode ``control``): ``refit``, decoders fitted on B's K labelled
calibration trials alone (no A at all), and ``ceiling``, decoders fitted on all of B's training trials
(the within-session score). A cross-recording score is worth reporting only beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import orthogonal_procrustes
from sklearn.covariance import ledoit_wolf

from .alignment import published_procrustes, shared_directions
from .errors import NerBenchError
from .task import EmbeddedTrials, Embedding
from .trajectories import direction_averages, stacked

#: the calibration sizes K of the ladder (labelled trials of B; ``all``: every training trial)
DEFAULT_SIZES = (0, 8, 16, 32, 64, "all")
#: dimension CCA works in: embeddings wider than this are reduced to their top principal components first
CCA_DIM = 10
#: how far apart consecutive principal variances must be for the ``axes`` rung to pair the axes
AXES_SEPARATION = 1.05
RUNGS = {"none": "none", "centre": "unsupervised", "moments": "unsupervised", "axes": "unsupervised",
         "procrustes": "supervised",
         "cca": "supervised", "published": "oracle", "refit": "control", "ceiling": "control"}
DEFAULT_RUNGS = tuple(RUNGS)
#: how B's calibration block is chosen (``block_trials``): balanced over directions, or the first K trials
BLOCKS = ("balanced", "first")
DEFAULT_BLOCK = "balanced"
#: rungs that use B's labels, and those that fit at every K (the rest: once)
LABELLED = {"procrustes", "cca", "published", "refit", "ceiling"}
AT_EVERY_SIZE = {"centre", "moments", "axes", "procrustes", "cca", "refit"}


@dataclass(frozen=True, eq=False)
class TargetMap:
    """An affine map of B's embedding into A's space: ``x -> (x - target_offset) @ matrix + source_offset``."""

    matrix: np.ndarray
    target_offset: np.ndarray
    source_offset: np.ndarray

    def apply(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=float) - self.target_offset) @ self.matrix + self.source_offset

    @classmethod
    def identity(cls, dim: int) -> "TargetMap":
        return cls(np.eye(dim), np.zeros(dim), np.zeros(dim))


def size_key(size) -> float:
    """Calibration sizes in numeric order, ``all`` last (sizes as ints or as the strings rows carry)."""
    return np.inf if str(size) == "all" else float(size)


def ordered_sizes(sizes) -> list[str]:
    """The distinct sizes among ``sizes``, as strings, in :func:`size_key` order."""
    return sorted({str(s) for s in sizes}, key=size_key)


def parse_sizes(value, where: str) -> tuple:
    """A ``calibration`` option: sizes joined by ``+`` or ``,`` (``0+8+all``) or a list; ``off`` for none."""
    if value in ("off", "none", "", ()):
        return ()
    items = value.replace(",", "+").split("+") if isinstance(value, str) else list(value)
    sizes = []
    for item in items:
        item = item.strip() if isinstance(item, str) else item
        if item == "all":
            sizes.append("all")
            continue
        try:
            size = int(item)
        except (TypeError, ValueError):
            size = -1
        if size < 0 or isinstance(item, bool):
            raise NerBenchError(f"{where}: calibration size {item!r}; expected trial counts >= 0 or 'all', joined "
                                "by '+' (e.g. '0+8+32+all'), or 'off'")
        sizes.append(size)
    return tuple(dict.fromkeys(sizes))


def parse_rungs(value, where: str) -> tuple[str, ...]:
    names = [n.strip() for n in (value.replace(",", "+").split("+") if isinstance(value, str) else value)]
    names = list(DEFAULT_RUNGS) if names == ["all"] else [n for n in names if n]
    unknown = sorted(set(names) - set(RUNGS))
    if unknown or not names:
        raise NerBenchError(f"{where}: alignments {value!r}; expected names among {tuple(RUNGS)} joined by '+', "
                            "or 'all'")
    return tuple(n for n in RUNGS if n in names)


def parse_block(value, where: str) -> str:
    """A ``calibration_block`` option: one of :data:`BLOCKS`."""
    if value not in BLOCKS:
        raise NerBenchError(f"{where}: calibration block {value!r}; expected one of {BLOCKS}")
    return value


def calibration_block(target: Embedding, size, block: str = DEFAULT_BLOCK) -> EmbeddedTrials:
    """B's calibration block of ``size`` training trials (``all``: every one), never a test trial; which
    trials, :func:`block_trials` says."""
    chosen = block_trials(target, size, block)
    rows = np.isin(target.recording.trial, chosen)
    return EmbeddedTrials(target.values[rows], target.recording.select_trials(chosen))


def block_trials(target: Embedding, size, block: str = DEFAULT_BLOCK) -> np.ndarray:
    """The trial ids of B's calibration block, in time order, all of them training trials.

    ``first``: B's first ``size`` training trials. ``balanced``: the first trials of each direction in time
    order, ``size / directions`` of each (directions: those among B's training trials); where the share is
    not whole, the remainder goes to the directions whose next trial comes first. A direction with fewer
    training trials than its share gives all it has and the other directions fill the rest in the same way,
    so the block still holds ``size`` trials: K is the number of trials a user labels, and every rung and the
    refit control see that many. Training trials without behaviour (``Recording.has_behavior`` false: their
    direction classes are placeholders) have no directions to balance, and get the ``first`` block.
    """
    train = np.sort(target.split.train_trials)
    if size == "all":
        return train
    if block == "first" or not _has_direction_labels(target.recording, train):
        return train[:size]
    return balanced_trials(train, _trial_directions(target.recording, train), size)


def balanced_trials(trials: np.ndarray, directions: np.ndarray, size: int) -> np.ndarray:
    """``size`` of ``trials`` (in time order, ``directions`` their classes) taken round by round: the i-th
    trial of every direction before the (i+1)-th of any, each round in time order. Returned in time order."""
    rank = np.zeros(len(trials), dtype=int)  # how many earlier trials share the trial's direction
    for direction in np.unique(directions):
        of_direction = np.flatnonzero(directions == direction)
        rank[of_direction] = np.arange(len(of_direction))
    order = np.lexsort((np.arange(len(trials)), rank))  # by round, then by time
    return np.sort(trials[order[:size]])


def _trial_directions(recording, trial_ids: np.ndarray) -> np.ndarray:
    by_trial = dict(zip(recording.trial_ids.tolist(), recording.trial_direction.tolist()))
    return np.array([by_trial[t] for t in trial_ids.tolist()])


def _has_direction_labels(recording, trial_ids: np.ndarray) -> bool:
    """Whether the trials' behaviour is recorded (else their direction classes are placeholders); decided on
    the given (training) trials alone, so that B's test trials never change the block."""
    return bool(np.any(recording.velocity[np.isin(recording.trial, trial_ids)]))


def centre_map(source: EmbeddedTrials, calibration: EmbeddedTrials) -> TargetMap:
    dim = source.values.shape[1]
    return TargetMap(np.eye(dim), calibration.values.mean(axis=0), source.values.mean(axis=0))


def moments_map(source: EmbeddedTrials, calibration: EmbeddedTrials) -> TargetMap:
    """Whiten B's calibration bins and colour them with A's training covariance (both shrunk)."""
    target_cov, _ = ledoit_wolf(np.asarray(calibration.values, float))
    source_cov, _ = ledoit_wolf(np.asarray(source.values, float))
    matrix = _matrix_power(target_cov, -0.5) @ _matrix_power(source_cov, 0.5)
    return TargetMap(matrix, calibration.values.mean(axis=0), source.values.mean(axis=0))


def _matrix_power(covariance: np.ndarray, power: float) -> np.ndarray:
    values, vectors = np.linalg.eigh(covariance)
    values = np.maximum(values, values.max() * 1e-12)
    return (vectors * values ** power) @ vectors.T


def axes_map(source: EmbeddedTrials, calibration: EmbeddedTrials) -> TargetMap:
    """B's principal axes onto A's, in order of variance, signs matched by third moments; no labels."""
    axes_a, mean_a = _signed_axes(np.asarray(source.values, float), source.recording.id)
    axes_b, mean_b = _signed_axes(np.asarray(calibration.values, float), calibration.recording.id)
    return TargetMap(axes_b @ axes_a.T, mean_b, mean_a)


def _signed_axes(values: np.ndarray, recording: str) -> tuple[np.ndarray, np.ndarray]:
    """(dim x dim) principal axes as columns, largest variance first, each pointing where the values'
    third moment along it is positive; and the mean. Refused when two variances are too close to tell the
    axes apart."""
    mean = values.mean(axis=0)
    centred = values - mean
    variances, axes = np.linalg.eigh(np.cov(centred, rowvar=False).reshape(values.shape[1], -1))
    variances, axes = variances[::-1], axes[:, ::-1]
    ratios = variances[:-1] / np.maximum(variances[1:], 1e-300)
    if (ratios < AXES_SEPARATION).any():
        worst = int(np.argmin(ratios))
        raise NerBenchError(f"axes alignment of {recording!r}: principal variances {variances[worst]:.4g} and "
                            f"{variances[worst + 1]:.4g} are within {AXES_SEPARATION:g}x of each other; their "
                            "axes cannot be told apart without labels")
    skew = ((centred @ axes) ** 3).mean(axis=0)
    return axes * np.where(skew < 0, -1.0, 1.0), mean


def procrustes_map(source: EmbeddedTrials, calibration: EmbeddedTrials) -> TargetMap:
    """Orthogonal Procrustes from B's calibration direction averages onto A's training ones (centred)."""
    averages_a = direction_averages(source.values, source.recording)
    averages_b = direction_averages(calibration.values, calibration.recording)
    directions = shared_directions(averages_b, averages_a, calibration.recording, source.recording)
    stack_a, stack_b = stacked(averages_a, directions), stacked(averages_b, directions)
    mean_a, mean_b = stack_a.mean(axis=0), stack_b.mean(axis=0)
    rotation, _ = orthogonal_procrustes(stack_b - mean_b, stack_a - mean_a)
    return TargetMap(rotation, mean_b, mean_a)


def cca_map(source: EmbeddedTrials, calibration: EmbeddedTrials, dim: int = CCA_DIM) -> TargetMap:
    """CCA on condition-matched, time-aligned single trials; B -> canonical space -> A."""
    from sklearn.cross_decomposition import CCA

    matched_a, matched_b = matched_trials(source, calibration)
    reduce_a, reduce_b = _top_components(matched_a, dim), _top_components(matched_b, dim)
    mean_a, mean_b = matched_a.mean(axis=0), matched_b.mean(axis=0)
    low_a, low_b = (matched_a - mean_a) @ reduce_a, (matched_b - mean_b) @ reduce_b
    n_components = min(low_a.shape[1], low_b.shape[1])
    cca = CCA(n_components=n_components, scale=False, max_iter=2000).fit(low_b, low_a)
    variates_b, variates_a = low_b @ cca.x_rotations_, low_a @ cca.y_rotations_
    # B's canonical variates, rescaled to A's (each pair is one correlated variate at two scales), then A's
    # canonical weights inverted and A's components undone
    scale = variates_a.std(axis=0) / np.maximum(variates_b.std(axis=0), 1e-12)
    matrix = reduce_b @ (cca.x_rotations_ * scale) @ np.linalg.pinv(cca.y_rotations_) @ reduce_a.T
    return TargetMap(matrix, mean_b, mean_a)


def matched_trials(source: EmbeddedTrials, calibration: EmbeddedTrials) -> tuple[np.ndarray, np.ndarray]:
    """Bins of trial pairs of the same direction, A's training trials and B's calibration trials taken in
    order, cut to the shorter trial length: (bins, dim_A) and (bins, dim_B), row i of one matched to row i
    of the other."""
    length = min(source.recording.trial_length, calibration.recording.trial_length)
    trials_a = np.asarray(source.values).reshape(source.recording.n_trials, source.recording.trial_length, -1)
    trials_b = np.asarray(calibration.values).reshape(calibration.recording.n_trials,
                                                      calibration.recording.trial_length, -1)
    directions_a, directions_b = source.recording.trial_direction, calibration.recording.trial_direction
    pairs_a, pairs_b = [], []
    for direction in np.intersect1d(directions_a, directions_b):
        of_a, of_b = np.flatnonzero(directions_a == direction), np.flatnonzero(directions_b == direction)
        n = min(len(of_a), len(of_b))
        pairs_a.append(trials_a[of_a[:n], :length].reshape(-1, trials_a.shape[-1]))
        pairs_b.append(trials_b[of_b[:n], :length].reshape(-1, trials_b.shape[-1]))
    if len(pairs_a) < 2:
        raise NerBenchError(f"cca alignment of {calibration.recording.id!r}: its calibration trials share "
                            f"{len(pairs_a)} direction(s) with the source's training trials; at least 2 are needed")
    return np.concatenate(pairs_a).astype(float), np.concatenate(pairs_b).astype(float)


def _top_components(values: np.ndarray, dim: int) -> np.ndarray:
    """(features x k) orthonormal top principal axes, k = min(dim, features, rank)."""
    centred = values - values.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    rank = int((singular > singular[0] * 1e-10).sum()) if singular.size and singular[0] > 0 else 0
    return vt[:max(1, min(dim, rank))].T


def published_map(source: Embedding, target: Embedding) -> TargetMap:
    """The release's alignment (which sees every trial of both recordings), inverted to map B into A."""
    forward = published_procrustes(source.values, source.recording, target.values, target.recording)
    return TargetMap(forward.rotation.T, forward.target_offset, forward.source_offset)


#: the alignments fitted on the calibration block, by rung name
MAPS_BY_NAME = {"centre": centre_map, "moments": moments_map, "axes": axes_map, "procrustes": procrustes_map,
                "cca": cca_map}
