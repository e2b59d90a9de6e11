"""Direction-averaged latent trajectories, aligned across recordings to an anchor (for the paper's
Figure 3), and a loader of embeddings from the runner's cache.

The results table holds no embeddings. Trajectory figures take, per method, a list of
:class:`EmbeddedRecording` (a Recording, the embedding of its every bin, optionally its split), from
memory or from :func:`load_cached_embeddings`.

Alignment (never used for a score, only for drawing): each recording's embedding is reduced to at most
3 dimensions (PCA of its own direction-averaged training trajectories, when it has more), then rotated
onto the anchor's by one orthogonal Procrustes fit (reflections allowed) on the stacked, centred
direction-averaged trajectories of the training trials. The drawn curves average every trial of a
direction by default (``trials="test"`` for the held-out ones only: with 20 % of the trials that is a
handful per direction, so the curves are noisy).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.linalg import orthogonal_procrustes

from . import trajectories
from .cache import EmbeddingCache
from .errors import NerBenchError
from .recording import Recording
from .split import Split
from .statistics import method_labels

log = logging.getLogger(__name__)

#: cache ``meta`` fields the loader needs; ``train_trials`` (and ``data_hash``) are used when present
REQUIRED_META = ("method", "recording", "seed")
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


def direction_averages(embedded: EmbeddedRecording, part: str,
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
    _, anchor_train = direction_averages(reference, "train", shared)
    target = anchor_reduce(anchor_train).reshape(-1, PLOT_DIM)
    target_mean = target.mean(axis=0)
    aligned = []
    for e in embedded:
        if e.recording.trial_length != reference.recording.trial_length:
            log.warning("trajectories: %s has %d-bin trials, the anchor %s has %d: left out", e.recording.id,
                        e.recording.trial_length, anchor_id, reference.recording.trial_length)
            continue
        reduce = anchor_reduce if e is reference else _reducer(e, shared)
        _, train = direction_averages(e, "train", shared)
        source = reduce(train).reshape(-1, PLOT_DIM)
        rotation = np.eye(PLOT_DIM) if e is reference else orthogonal_procrustes(
            source - source.mean(axis=0), target - target_mean)[0]
        _, shown = direction_averages(e, trials, shared)
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
    _, train = direction_averages(embedded, "train", directions)
    flat = train.reshape(-1, dim)
    mean = flat.mean(axis=0)
    components = np.linalg.svd(flat - mean, full_matrices=False)[2][:PLOT_DIM].T
    return lambda x: (x - mean) @ components


# ----------------------------------------------------------------------------- the runner's cache
def load_cached_embeddings(cache_dir: str | Path, recordings: Iterable[Recording], *, seed: int | None = None,
                           labels: Mapping[tuple[str, str], str] | None = None) -> dict[str, list[EmbeddedRecording]]:
    """Embeddings of ``recordings`` from an ``OUT/cache`` folder, per method label, for one seed (the
    smallest present when ``seed`` is None).

    Needs each entry's ``meta`` to carry ``method``, ``recording`` (the recording id) and ``seed``; uses
    ``params`` (the method's parameters, as in the results' ``method_params``) to tell variants of a
    method apart, ``data_hash`` to skip entries made from other data under the same id, and
    ``train_trials`` to align on training trials and draw test trials. ``labels`` maps
    ``(method, method_params JSON)`` to the label to use; entries not in it are skipped.
    """
    root = Path(cache_dir)
    if not root.is_dir():
        raise NerBenchError(f"embedding cache {root}: no such folder")
    by_id = {r.id: r for r in recordings}
    cache = EmbeddingCache(root)
    found, lacking = [], 0
    for path in sorted(root.glob("*/*.npz")):
        entry = cache.get(path.stem)
        if entry is None:
            continue
        values, meta = entry
        if any(field not in meta for field in REQUIRED_META):
            lacking += 1
            continue
        rec = by_id.get(str(meta["recording"]))
        if rec is None or ("data_hash" in meta and meta["data_hash"] != rec.data_hash()):
            continue
        found.append((str(meta["method"]), params_json(meta.get("params", {})), meta, values, rec))
    if labels is None:
        variants = pd.DataFrame([(m, p) for m, p, *_ in found], columns=["method", "method_params"])
        labels = dict(zip(zip(variants["method"], variants["method_params"]), method_labels(variants)))
    found = [item for item in found if item[:2] in labels]
    if not found:
        detail = (f"{lacking} entries lack the meta fields {', '.join(REQUIRED_META)}" if lacking
                  else "no entry matches the recordings and methods given")
        raise NerBenchError(f"embedding cache {root}: nothing to draw ({detail})")
    chosen_seed = seed if seed is not None else min(int(item[2]["seed"]) for item in found)
    embeddings: dict[str, list[EmbeddedRecording]] = {}
    for method, params, meta, values, rec in sorted(found, key=lambda item: item[4].id):
        if int(meta["seed"]) != chosen_seed:
            continue
        split = None
        if "train_trials" in meta:
            train = np.asarray(meta["train_trials"], dtype=np.int64)
            split = Split("cached", rec.id, train, np.setdiff1d(rec.trial_ids, train))
        embeddings.setdefault(labels[(method, params)], []).append(EmbeddedRecording(rec, values, split))
    return embeddings


def params_json(params) -> str:
    """Parameters as the results table writes them (``method_params``)."""
    return json.dumps(params, sort_keys=True, default=str)
