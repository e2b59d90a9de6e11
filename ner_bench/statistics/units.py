"""Units of replication: which numbers are independent, and one value per unit.

Seeds of one model are not independent samples, nor are recording pairs that share a recording (A -> B and
B -> A share both models; a recording is in many pairs), nor the two areas of one session (simultaneous
recordings of the same trials). So the unit of replication is the **session** of the test recording:

1. per (family, method, recording pair, seed): the row's value (``pair_scores`` averages the seeds, for
   the train x test matrices);
2. per (family, method, test session, seed): the mean over that session's recordings or pairs
   (``seed_scores``, what the hierarchical bootstrap resamples);
3. per (family, method, test session): the mean over seeds (``unit_scores``, what tests compare).

Per-time-bin rows (``time_bin`` set) go to :func:`time_course`; everything else is a scalar metric.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .bootstrap import nested_ci
from .table import FAMILY, SAME

UNIT = ["subject", "test_session"]
UNIT_NAMES = {SAME: "session (its recordings averaged)", "pairs": "test session (its recording pairs averaged)"}


def unit_name(cells: str) -> str:
    return UNIT_NAMES[SAME] if cells == SAME else UNIT_NAMES["pairs"]


def _scalar_ok(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["status"] == "ok") & table["time_bin"].isna() & table["value"].notna()]


def pair_scores(table: pd.DataFrame) -> pd.DataFrame:
    """One row per family x method x (train, test) recording pair: the value averaged over seeds."""
    keys = FAMILY + ["method_label", "subject", "train_unit", "test_unit", "test_session"]
    scores = _scalar_ok(table).groupby(keys, sort=True, dropna=False)
    scores = scores.agg(value=("value", "mean"), n_seeds=("seed", "nunique")).reset_index()
    scores["unit"] = np.where(scores["cells"] == SAME, scores["test_unit"].astype(str),
                              scores["train_unit"].astype(str) + " -> " + scores["test_unit"].astype(str))
    return scores


def seed_scores(table: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    """One row per family x method x test session x seed: the mean over the session's recordings/pairs."""
    keys = FAMILY + ["method_label"] + UNIT + (extra or []) + ["seed"]
    rows = table if extra else _scalar_ok(table)
    return rows.groupby(keys, sort=True, dropna=False).agg(
        value=("value", "mean"), n_pairs=("test_unit", "size"),
        n_recordings=("test_unit", "nunique")).reset_index()


def unit_scores(table: pd.DataFrame) -> pd.DataFrame:
    """One row per family x method x test session (the unit of replication): the seed-averaged value,
    with ``n_seeds`` and the recordings (``n_recordings``) and rows per seed (``n_pairs``) it averages."""
    per_seed = seed_scores(table)
    keys = FAMILY + ["method_label"] + UNIT
    scores = per_seed.groupby(keys, sort=True, dropna=False).agg(
        value=("value", "mean"), n_seeds=("seed", "nunique"), n_pairs=("n_pairs", "max"),
        n_recordings=("n_recordings", "max")).reset_index()
    scores["unit"] = scores["test_session"]
    return scores


def time_course(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per-time-bin metrics (e.g. direction accuracy per bin): per family x method x bin, the mean over
    sessions and its hierarchical-bootstrap CI."""
    rows = table[(table["status"] == "ok") & table["time_bin"].notna() & table["value"].notna()]
    columns = FAMILY + ["method", "time_bin", "n_units", "mean", "ci_low", "ci_high"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    per_seed = seed_scores(rows, extra=["time_bin"])
    keys = FAMILY + ["method_label", "time_bin"]
    records = means_over_units(per_seed, keys, level).rename(columns={"method_label": "method"})
    return records[columns]


def means_over_units(per_seed: pd.DataFrame, keys: list[str], level: float = 0.95) -> pd.DataFrame:
    """Per group of ``keys`` of a ``seed_scores`` table: the number of units, the mean over units (each the
    mean of its seeds) and its hierarchical-bootstrap CI."""
    per_unit = per_seed.groupby(keys + UNIT, sort=True, dropna=False)["value"].mean()
    unit_groups = per_unit.groupby(level=list(range(len(keys))), sort=True, dropna=False).indices
    # integer codes in sorted order: the same nesting as the labels, without string work per group
    subject = pd.factorize(per_seed["subject"], sort=True)[0]
    session = pd.factorize(per_seed["test_session"], sort=True)[0]
    value = per_seed["value"].to_numpy(float)
    groups = per_seed.groupby(keys, sort=True, dropna=False).indices
    unit_values = per_unit.to_numpy(float)
    records = []
    for (key, members), unit_rows in zip(groups.items(), unit_groups.values()):  # both in sorted key order
        low, high = nested_ci(subject[members], session[members], value[members], level)
        units = unit_values[unit_rows]
        records.append(dict(zip(keys, key), n_units=len(units), mean=float(units.mean()), ci_low=low, ci_high=high))
    return pd.DataFrame.from_records(records, columns=keys + ["n_units", "mean", "ci_low", "ci_high"])
