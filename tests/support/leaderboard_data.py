"""Fabricated results tables and embedding caches for the leaderboard tests (no fitting involved)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ner_bench.hashing import content_key
from ner_bench.run_folder.embeddings import EmbeddingCache
from ner_bench.results import COLUMNS
from ner_bench.split import chronological_split

SESSIONS = ["S1_day1", "S1_day2", "S1_day3", "S1_day4"]
VERSIONS = json.dumps({"ner-bench": "0.1.0", "numpy": "2.0.0", "python": "3.11.2"}, sort_keys=True)


def row(**fields) -> dict:
    base = dict.fromkeys(COLUMNS)
    base.update(task="within-session", method="pca", method_params="{}", dataset="toy", subject="Monkey",
                area="M1", split="test", seed=0, decoder="linear", target="velocity", metric="r2",
                protocol="strict", status="ok", error="", note="", budget="quick", device="cpu", defects="",
                versions=VERSIONS)
    base.update(fields)
    return base


def fabricated_results(seed: int = 0, n_bins: int = 5) -> pd.DataFrame:
    """Two methods clearly apart plus a third close to the second, on within-session (4 recordings),
    cross-session (4 x 4 ordered pairs) and per-time-bin accuracy, 2 seeds, and one failed fit."""
    rng = np.random.default_rng(seed)
    level = {"good": 0.8, "fair": 0.5, "fair2": 0.49}
    rows = []
    for method, mean in level.items():
        for s in (0, 1):
            for a in SESSIONS:
                for b in SESSIONS:
                    cross = a != b
                    for task in (["cross-session"] if cross else ["within-session", "cross-session"]):
                        value = mean - 0.2 * cross + rng.normal(0, 0.02)
                        common = dict(task=task, method=method, train_unit=a, test_unit=b, seed=s)
                        rows.append(row(**common, value=value))
                        rows.append(row(**common, target="position", value=value + 0.1))
                        rows.append(row(**common, decoder="logistic", target="direction", metric="peak_accuracy",
                                        value=min(1.0, value + 0.15)))
                        for t in range(n_bins):
                            rows.append(row(**common, decoder="logistic", target="direction", metric="accuracy",
                                            time_bin=t, value=value * np.sin(np.pi * (t + 0.5) / n_bins)))
    rows.append(row(method="fair2", train_unit="S1_day5", test_unit="S1_day5", seed=0, status="failed",
                    decoder=None, target=None, metric=None, value=np.nan, error="ValueError: boom"))
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["time_bin"] = pd.array(table["time_bin"], dtype="Int64")
    return table


def write_cache(root: Path, embeddings: dict[str, list[tuple]], seed: int = 0) -> None:
    """Cache entries as the runner writes them, with the meta fields the trajectory loader reads:
    ``embeddings[method] = [(recording, values), ...]``."""
    cache = EmbeddingCache(root)
    for method, items in embeddings.items():
        for recording, values in items:
            split = chronological_split(recording)
            meta = {"method": method, "params": {"dim": values.shape[1]}, "recording": recording.id, "seed": seed,
                    "data_hash": recording.data_hash(), "train_trials": split.train_trials.tolist()}
            cache.put(content_key(meta), np.asarray(values, dtype=np.float32), meta)


def toy_embeddings(methods=("good", "fair"), days=("S1_day1", "S1_day2")) -> dict:
    """In-memory 3-D embeddings of two toy recordings per method, for the trajectory figures."""
    from ner_bench.anchored_trajectories import EmbeddedRecording
    from support.recordings import make_recording

    rng = np.random.default_rng(0)
    embeddings = {}
    for method in methods:
        for day in days:
            rec = make_recording(n_trials=24, id=day, subject="Monkey", area="M1", dataset="toy")
            embeddings.setdefault(method, []).append(
                EmbeddedRecording(rec, rng.normal(size=(rec.n_bins, 3)), chronological_split(rec)))
    return embeddings
