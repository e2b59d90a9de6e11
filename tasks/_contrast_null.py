"""The permutation null of latent-correlation's trajectory contrast: its zero reference.

The ``random`` control keeps a positive contrast (a random projection of direction-tuned neurons keeps
direction structure), so it is the floor a method must beat, not the zero. The zero is the contrast when
the test trials' direction labels say nothing: each recording's test-trial labels are permuted
(independently, among the trials of the directions both recordings have, so every direction keeps its
number of trials), the direction averages recomputed, centred as the observed ones are, and the contrast
taken as it is observed. The alignment is not refitted: under ``strict`` it never saw a test trial; under
``published`` (``paper``) it did, labels included, and the null does not reproduce that.

Why both sides. Permuted independently, A's and B's averages are independent random groupings, so the
expected r of a (same-direction) diagonal pair is that of an off-diagonal one up to the product of two
small group-size effects: the null mean is 0 by construction. Permuting B's labels alone leaves A's real
direction structure facing B's unequal direction counts: a permuted "direction" of one trial is one real
trial, likelier of B's most frequent direction, and lines up with A's average of that direction. On the
synthetic default that biased the null of ``behavior`` to +0.018 on average (+0.054 on one pair),
against |mean| <= 0.011 on every pair with both sides permuted.

The permutations are drawn from a generator seeded by the run's seed and the pair's recording ids (a
content hash, not Python's salted ``hash``), A's first, so a pair's null is the same whatever the executor
or order. All permutations are scored at once: a permuted direction average is a (directions x trials)
averaging matrix applied to the per-trial (trials x time*latent) array, so each side is one batched
matrix product, and the correlations one more.
"""

from __future__ import annotations

import numpy as np

from ner_bench.hashing import content_key

#: permutations per pair: the smallest p is 1/201, and the null's mean is known to +-0.006 (pca) to
#: +-0.02 (behavior) on the synthetic default (null sd 0.09 and 0.27 there), for ~5 ms per pair
N_PERMUTATIONS = 200


def null_generator(seed: int, train_id: str, test_id: str) -> np.random.Generator:
    """The permutations' generator of one ordered pair under one run seed."""
    key = content_key({"purpose": "latent-correlation contrast null", "seed": seed, "train": train_id,
                       "test": test_id})
    return np.random.default_rng(int(key, 16))


def null_contrasts(trials_a: np.ndarray, labels_a: np.ndarray, trials_b: np.ndarray, labels_b: np.ndarray,
                   directions: list[int], n_permutations: int, rng: np.random.Generator) -> np.ndarray:
    """The contrast under ``n_permutations`` independent permutations of each side's trial labels, shape
    (n_permutations,). ``trials_*`` are a recording's test trials, (trials, time, latent) (A's aligned),
    ``labels_*`` their directions; only the trials of ``directions`` (both sides have them) take part."""
    units_a = unit_trajectories(permuted_centred_averages(trials_a, labels_a, directions, n_permutations, rng))
    units_b = unit_trajectories(permuted_centred_averages(trials_b, labels_b, directions, n_permutations, rng))
    return contrasts(units_a, units_b)


def permuted_centred_averages(trials: np.ndarray, labels: np.ndarray, directions: list[int], n_permutations: int,
                              rng: np.random.Generator) -> np.ndarray:
    """(P, D, time, latent): the direction averages under P permutations of the labels, each centred per
    latent dimension over directions and time bins (as the observed ones are)."""
    kept = np.isin(labels, directions)
    labels, per_trial = labels[kept], trials[kept].reshape(int(kept.sum()), -1)
    orders = rng.permuted(np.tile(np.arange(len(labels)), (n_permutations, 1)), axis=1)
    averages = (averaging_matrices(labels[orders], directions) @ per_trial).reshape(
        n_permutations, len(directions), *trials.shape[1:])
    return averages - averages.mean(axis=(1, 2), keepdims=True)


def averaging_matrices(labels: np.ndarray, directions: list[int]) -> np.ndarray:
    """(P, D, trials): row d of matrix p averages the trials that permutation p labels ``directions[d]``."""
    members = (labels[:, None, :] == np.asarray(directions)[None, :, None]).astype(float)
    return members / members.sum(axis=2, keepdims=True)


def unit_trajectories(centred: np.ndarray) -> np.ndarray:
    """(P, D, time*latent): each flattened trajectory less its mean, over its norm, so that a dot product
    of two is their Pearson r; NaN where a trajectory is constant (as ``pearson`` gives)."""
    flat = centred.reshape(*centred.shape[:2], -1)
    flat = flat - flat.mean(axis=2, keepdims=True)
    norm = np.linalg.norm(flat, axis=2, keepdims=True)
    return flat / np.where(norm > 0, norm, np.nan)


def contrasts(units_a: np.ndarray, units_b: np.ndarray) -> np.ndarray:
    """Mean same-direction r minus mean different-direction r of paired (P, D, features) unit trajectories,
    per permutation p; NaN with one direction (no different directions)."""
    r = np.einsum("pif,pjf->pij", units_a, units_b)
    n = r.shape[1]
    if n < 2:
        return np.full(len(r), np.nan)
    diagonal = np.trace(r, axis1=1, axis2=2)
    return diagonal / n - (r.sum(axis=(1, 2)) - diagonal) / (n * (n - 1))


def null_rows(observed: float, null: np.ndarray) -> list[dict]:
    """The null's mean, the observed contrast's excess over it and the permutation p-value
    ((1 + #null >= observed) / (1 + n): a permutation test's p, never 0). NaN when either side is."""
    mean = float(np.mean(null))
    p = (1 + np.sum(null >= observed)) / (1 + len(null)) if np.isfinite(observed) and np.isfinite(mean) else np.nan
    note = f"permutation null: {len(null)} permutations of both recordings' test-trial direction labels"
    common = dict(decoder="pearson", target="latent_trajectory", split="test", note=note)
    return [dict(common, metric="trajectory_contrast_null_r", value=mean),
            dict(common, metric="trajectory_contrast_excess_r", value=observed - mean),
            dict(common, metric="trajectory_contrast_p", value=float(p))]
