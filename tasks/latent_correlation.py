"""Latent-correlation: do two recordings' latent trajectories line up once aligned?

For every ordered pair (A, B) of different recordings of the same subject (across days, hemispheres
and areas), A's embedding is aligned onto B's (the protocol's alignment: under ``strict`` fitted on
training trials only) and both are averaged per direction over their *test* trials, so the correlations
are held out from the alignment. Rows:

- ``pearson_r`` for every pair of directions (columns ``train_direction``, ``test_direction``): Pearson's r
  between A's and B's (time x latent) trajectories, flattened;
- ``diagonal_mean_r`` (same direction) and ``off_diagonal_mean_r`` (different directions);
- ``consistency_r2``, as CEBRA's consistency score: a linear map from A's direction-averaged trajectories
  to B's, fitted on training-trial averages and scored by R^2 on test-trial averages (``split="test"``),
  or on the training averages it was fitted on (``split="train"``). A linear map absorbs any rotation, so
  this score does not depend on the alignment.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from ner_bench import Context, Embedding, Recording, Unit
from ner_bench.pairs import PairwiseTask, same_subject, with_alignment
from ner_bench.trajectories import common_directions, direction_averages, stacked


class LatentCorrelation(PairwiseTask):
    name = "latent-correlation"
    description = ("Pearson r between aligned direction-averaged latent trajectories of two recordings "
                   "(same vs different directions) and a linear consistency R^2")

    def accepts(self, a: Recording, b: Recording) -> bool:
        return a is not b and a.id != b.id and same_subject(a, b)

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        alignment = self.align(train, test, context.protocol)
        a_test, b_test = train.part("test"), test.part("test")
        averages_a = direction_averages(alignment.apply(a_test.values), a_test.recording)
        averages_b = direction_averages(b_test.values, b_test.recording)
        rows = correlation_rows(averages_a, averages_b) + consistency_rows(train, test)
        return [with_alignment(row, alignment) for row in rows]


def correlation_rows(averages_a: dict[int, np.ndarray], averages_b: dict[int, np.ndarray]) -> list[dict]:
    directions = common_directions(averages_a, averages_b)
    common = dict(decoder="pearson", target="latent_trajectory", split="test", note="")
    rows, same, different = [], [], []
    for i in directions:
        for j in directions:
            r = float(np.corrcoef(averages_a[i].ravel(), averages_b[j].ravel())[0, 1])
            rows.append(dict(common, metric="pearson_r", value=r, train_direction=i, test_direction=j))
            (same if i == j else different).append(r)
    rows.append(dict(common, metric="diagonal_mean_r", value=float(np.mean(same))))
    rows.append(dict(common, metric="off_diagonal_mean_r", value=float(np.mean(different))))
    return rows


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
