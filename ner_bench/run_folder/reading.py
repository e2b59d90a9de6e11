"""Embeddings read back from a run folder's cache, per method label, for figures and notebooks."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..anchored_trajectories import EmbeddedRecording
from ..errors import NerBenchError
from ..recording import Recording
from ..split import Split
from ..statistics import method_labels
from .embeddings import EmbeddingCache
from .params import canonical_params

#: cache ``meta`` fields the loader needs; ``train_trials`` (and ``data_hash``) are used when present
REQUIRED_META = ("method", "recording", "seed")


def load_cached_embeddings(cache_dir: str | Path, recordings: Iterable[Recording], *, seed: int | None = None,
                           labels: Mapping[tuple[str, str], str] | None = None) -> dict[str, list[EmbeddedRecording]]:
    """Embeddings of ``recordings`` from an embedding cache folder, per method label, for one seed (the
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
        found.append((str(meta["method"]), canonical_params(meta.get("params", {})), meta, values, rec))
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
