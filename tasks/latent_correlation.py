"""Latent-correlation: do two recordings' latent trajectories line up once aligned?

For every ordered pair (A, B) of different recordings of the same subject (across days, hemispheres
and areas; each row's ``pair_type`` says which, and the leaderboard splits by it), A's embedding is
aligned onto B's (the protocol's alignment: under ``strict`` fitted on training trials only) and both are
averaged per direction over their *test* trials, so the correlations are held out from the alignment.

Each recording's direction averages are centred per latent dimension (the mean over all the directions
both recordings have and all time bins is subtracted) before correlating. Raw, the offset of the
embedding from zero dominates the flattened (time x latent) vectors and any two trajectories correlate:
the ``random`` control scored r = 0.7-0.9. Rows:

- ``pearson_r`` for every pair of directions (columns ``train_direction``, ``test_direction``): Pearson's r
  between A's and B's centred (time x latent) trajectories, flattened;
- ``diagonal_mean_r`` (same direction) and ``off_diagonal_mean_r`` (different directions);
- ``trajectory_contrast_r``, the headline: ``diagonal_mean_r - off_diagonal_mean_r``. A time course shared
  by every direction (the condition-independent component, which any embedding, ``random`` included,
  carries) raises both means alike; only trajectories that tell the directions apart, the same way in A
  and B, raise the contrast. It is ~0 for ``random`` unaligned; aligned (a rotation fitted on training
  direction averages) a random projection of direction-tuned neurons lines up partly (0.1-0.25 on the
  synthetic default, by seed, against ~0.45 for pca and ~1.1 for behavior), so ``random`` is the floor;
- its zero reference, a permutation null (``_contrast_null``): both recordings' test-trial direction labels
  permuted, independently, ``permutations`` times (option, default 200), the direction averages and the
  contrast recomputed, from a generator seeded by the run's seed and the pair's recording ids (the same
  null whatever the executor or order). ``trajectory_contrast_null_r`` is the null's mean (~0 by
  construction, descriptive), ``trajectory_contrast_excess_r`` the contrast less that mean (higher is
  better) and ``trajectory_contrast_p`` the permutation p, (1 + #null >= contrast) / (1 + permutations)
  (descriptive; 1/201 at best with 200 permutations);
- ``consistency_r2``, as CEBRA's consistency score: a linear map from A's direction-averaged trajectories
  to B's, fitted on training-trial averages and scored by R^2 on test-trial averages (``split="test"``),
  or on the training averages it was fitted on (``split="train"``). A linear map absorbs any rotation, so
  this score does not depend on the alignment.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from ner_bench import Context, EmbeddedTrials, Embedding, Unit
from ner_bench.builtins.tasks._contrast_null import N_PERMUTATIONS, null_contrasts, null_generator, null_rows
from ner_bench.pairs import (CROSS_AREA, CROSS_HEMISPHERE, CROSS_SESSION, CROSS_SESSION_AND_AREA, SAME_SESSION,
                             PairwiseTask, with_alignment)
from ner_bench.trajectories import common_directions, direction_averages, stacked


class LatentCorrelation(PairwiseTask):
    name = "latent-correlation"
    description = ("Pearson r between aligned, centred direction-averaged latent trajectories of two recordings "
                   "of a subject (same minus different directions) and a linear consistency R^2")
    pair_types = (CROSS_SESSION, CROSS_HEMISPHERE, CROSS_AREA, CROSS_SESSION_AND_AREA, SAME_SESSION)
    defaults = {**PairwiseTask.defaults, "permutations": N_PERMUTATIONS}
    minimums = {"permutations": 1}

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        alignment = self.align(train, test, context.protocol)
        a_test, b_test = train.part("test"), test.part("test")
        aligned_a = EmbeddedTrials(alignment.apply(a_test.values), a_test.recording)
        correlations = correlation_rows(direction_averages(aligned_a.values, aligned_a.recording),
                                        direction_averages(b_test.values, b_test.recording))
        rng = null_generator(context.seed, unit.train.id, unit.test.id)
        null = contrast_null_rows(correlations, aligned_a, b_test, self.options["permutations"], rng)
        rows = correlations + null + consistency_rows(train, test)
        return [with_alignment(row, alignment, test) for row in rows]


def correlation_rows(averages_a: dict[int, np.ndarray], averages_b: dict[int, np.ndarray]) -> list[dict]:
    directions = common_directions(averages_a, averages_b)
    centred_a, centred_b = centred(averages_a, directions), centred(averages_b, directions)
    common = dict(decoder="pearson", target="latent_trajectory", split="test", note="")
    rows, same, different = [], [], []
    for i in directions:
        for j in directions:
            r = pearson(centred_a[i], centred_b[j])
            rows.append(dict(common, metric="pearson_r", value=r, train_direction=i, test_direction=j))
            (same if i == j else different).append(r)
    diagonal, off_diagonal = mean_or_nan(same), mean_or_nan(different)
    rows.append(dict(common, metric="diagonal_mean_r", value=diagonal))
    rows.append(dict(common, metric="off_diagonal_mean_r", value=off_diagonal))
    rows.append(dict(common, metric="trajectory_contrast_r", value=diagonal - off_diagonal))
    return rows


def contrast_null_rows(correlations: list[dict], aligned_a: EmbeddedTrials, b_test: EmbeddedTrials,
                       n_permutations: int, rng: np.random.Generator) -> list[dict]:
    """The permutation null of the pair's ``trajectory_contrast_r`` (``_contrast_null``): both recordings'
    test-trial labels permuted, over the directions both have."""
    observed = next(row["value"] for row in correlations if row["metric"] == "trajectory_contrast_r")
    labels_a, labels_b = aligned_a.recording.trial_direction, b_test.recording.trial_direction
    directions = sorted(set(labels_a.tolist()) & set(labels_b.tolist()))
    null = null_contrasts(per_trial(aligned_a), labels_a, per_trial(b_test), labels_b, directions,
                          n_permutations, rng)
    return null_rows(observed, null)


def per_trial(trials: EmbeddedTrials) -> np.ndarray:
    """(trials, time, latent) in float64, as ``direction_averages`` computes."""
    recording = trials.recording
    return np.asarray(trials.values, dtype=float).reshape(recording.n_trials, recording.trial_length, -1)


def centred(averages: dict[int, np.ndarray], directions: list[int]) -> dict[int, np.ndarray]:
    """The direction averages of ``directions`` less, per latent dimension, their mean over those
    directions and every time bin: the offset of an embedding from zero says nothing about directions,
    and left in, it dominates every correlation."""
    mean = stacked(averages, directions).mean(axis=0)
    return {d: averages[d] - mean for d in directions}


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two flattened trajectories; NaN, not a warning, when either is constant."""
    x, y = x.ravel() - x.mean(), y.ravel() - y.mean()
    scale = np.sqrt((x @ x) * (y @ y))
    return float(x @ y / scale) if scale > 0 else float("nan")


def mean_or_nan(values: list[float]) -> float:
    """The mean (NaN if any value is: a constant trajectory is a finding, not noise to drop); NaN when
    there are none (a single common direction has no off-diagonal)."""
    return float(np.mean(values)) if values else float("nan")


def consistency_rows(a: Embedding, b: Embedding) -> list[dict]:
    """Linear map A -> B between stacked direction-averaged trajectories, fitted on training trials."""
    parts = {(which, part): e.part(part) for which, e in (("a", a), ("b", b)) for part in ("train", "test")}
    averages = {key: direction_averages(trials.values, trials.recording) for key, trials in parts.items()}
    directions = common_directions(*averages.values())
    stack = {key: stacked(value, directions) for key, value in averages.items()}
    mapping = LinearRegression().fit(stack["a", "train"], stack["b", "train"])
    common = dict(decoder="linear", target="latent_trajectory", metric="consistency_r2", note="")
    return [dict(common, split=part, value=float(r2_score(stack["b", part], mapping.predict(stack["a", part]))))
            for part in ("test", "train")]
