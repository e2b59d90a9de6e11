"""kNN decoders of one embedding's training trials: the two ks its grid search chose (``knn.py``), its
targets and a neighbour index, answering any query with one neighbour search.

None of it depends on the recording being decoded, so a source embedding (method x recording x seed) needs
one, whatever it decodes: ``decoders.fit_decoders`` remembers fitted decoders by content, and
``pairs.source_space_knn_rows`` maps each target's bins back into the source's space (the strict
alignments are isometries, so distances, hence neighbours, are the same; ``tests/test_knn.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from .knn import class_counts, published_folds, search_ks, trial_block_folds
from .protocol import Protocol
from .task import EmbeddedTrials


@dataclass(frozen=True, eq=False)
class SourceNeighbours:
    """The fitted kNN regressor (mean velocity of the ``k_velocity`` nearest) and classifier (majority
    direction of the ``k_direction`` nearest, ties to the smallest class) of one set of embedded trials."""

    index: NearestNeighbors
    velocity: np.ndarray
    classes: np.ndarray
    direction_codes: np.ndarray
    k_velocity: int
    k_direction: int

    def predict(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Velocity and direction for every row of ``values``, from one neighbour query. Float64, so that
        scikit-learn's fast brute-force path serves high-dimensional embeddings."""
        k = max(self.k_velocity, self.k_direction)
        neighbours = self.index.kneighbors(np.asarray(values, np.float64), n_neighbors=k, return_distance=False)
        counts = class_counts(self.direction_codes[neighbours[:, :self.k_direction]], len(self.classes))
        return self.velocity[neighbours[:, :self.k_velocity]].mean(axis=1), self.classes[counts.argmax(axis=1)]


def source_neighbours(fit_on: EmbeddedTrials, protocol: Protocol, search_on: EmbeddedTrials | None = None
                      ) -> SourceNeighbours:
    """The kNN decoders of ``fit_on``, k chosen by a 5-fold grid search over ``protocol.knn_grid`` on
    ``search_on`` (default ``fit_on``; the general path passes A's unaligned trials beside an aligned copy:
    the search sees only distances)."""
    search_on = fit_on if search_on is None else search_on
    return fitted_neighbours(fit_on.values, fit_on.recording.velocity, fit_on.recording.direction,
                             *chosen_ks(search_on, protocol))


def fitted_neighbours(values: np.ndarray, velocity: np.ndarray, direction: np.ndarray, k_velocity: int,
                      k_direction: int) -> SourceNeighbours:
    """The kNN decoders of ``values`` with the given ks (``KNeighborsRegressor``/``KNeighborsClassifier``'s
    predictions)."""
    classes, codes = np.unique(direction, return_inverse=True)
    index = NearestNeighbors(n_neighbors=max(k_velocity, k_direction)).fit(np.asarray(values, np.float64))
    return SourceNeighbours(index, np.asarray(velocity), classes, codes, k_velocity, k_direction)


def chosen_ks(search_on: EmbeddedTrials, protocol: Protocol) -> tuple[int, int]:
    """The grid search's k for the velocity regressor and for the direction classifier."""
    values, recording, grid = search_on.values, search_on.recording, protocol.knn_grid
    velocity, direction = (recording.velocity, False), (recording.direction, True)
    if protocol.knn_folds == "published":
        (velocity_search,) = search_ks(values, [velocity], published_folds(recording.velocity, False), grid)
        (direction_search,) = search_ks(values, [direction], published_folds(recording.direction, True), grid)
    else:  # the same folds for both decoders: one neighbour query per fold serves both
        velocity_search, direction_search = search_ks(values, [velocity, direction],
                                                      trial_block_folds(recording.trial), grid)
    return velocity_search.best_k, direction_search.best_k
