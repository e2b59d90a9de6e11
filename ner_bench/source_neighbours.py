"""kNN decoders of one embedding's training trials, built once and shared by every recording they decode.

A kNN decoder is its training embedding, its targets, the two ks its grid search chose (``knn.py``) and a
neighbour index. None of it depends on the recording being decoded, so a source embedding (method x
recording x seed) gets one, remembered by content (a bounded memo), and every target recording is one
query of its bins. The strict alignments are isometries (an orthogonal map plus offsets): rather than
rebuilding the index on A's aligned copy for each target B, B's bins are mapped back into A's space by the
inverse and queried against A's own index; distances, hence neighbours, are the same
(``tests/test_knn.py`` checks the scores equal).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from .knn import class_counts, published_folds, search_ks, trial_block_folds
from .protocol import Protocol
from .task import EmbeddedTrials

_MEMO: "OrderedDict[str, SourceNeighbours]" = OrderedDict()
_MEMO_SIZE = 64


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
    the search sees only distances). Remembered by content."""
    search_on = fit_on if search_on is None else search_on
    key = trials_key(f"{protocol.knn_grid}{protocol.knn_folds}", fit_on, search_on)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    built = fitted_neighbours(fit_on.values, fit_on.recording.velocity, fit_on.recording.direction,
                              *chosen_ks(search_on, protocol))
    _MEMO[key] = built
    if len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return built


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


def clear_memo() -> None:
    """Forget every remembered decoder (benchmarks time a cold build)."""
    _MEMO.clear()


def trials_key(prefix: str, *trials: EmbeddedTrials) -> str:
    """A content hash of embedded trials as decoders see them (values, velocity, direction, trial), after
    ``prefix`` (what else the result depends on)."""
    digest = hashlib.sha1(prefix.encode())
    for part in trials:
        recording = part.recording
        for array in (part.values, recording.velocity, recording.direction, recording.trial):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.shape}{array.dtype}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()
