"""The calibration table: each method's cross-recording score against the calibration size K, per
alignment of the ladder, beside the refit control and the within-session ceiling (``calibration.py``).

Per (dataset, task, protocol, pair type, decoder, target, metric, method, alignment, K): the mean over
independent units (test sessions; seeds and recording pairs averaged within a unit, as everywhere on the
board), its hierarchical-bootstrap CI, the refit control's mean at the same K, and whether the alignment
beats it there (in the metric's declared direction). ``beats_refit_up_to`` is the largest K up to which the
alignment beats the refit control at every K scored (empty when it loses at the smallest): an alignment pays
while the new day has at most that many labelled trials, and refitting on them is better past it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import metrics
from ..calibration import size_key
from .units import means_over_units, seed_scores

CURVE = ["dataset", "task", "protocol", "split", "cells", "pair_type", "decoder", "target", "metric"]
RUNG = ["alignment", "alignment_mode", "calibration_size"]
COLUMNS = CURVE + ["method", "alignment", "alignment_mode", "calibration_size", "n_units", "mean", "ci_low",
                   "ci_high", "refit_mean", "ceiling_mean", "beats_refit", "beats_refit_up_to", "higher_is_better"]


def calibration_table(ladder: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The table of the ladder rows of a prepared results table (empty when there are none)."""
    rows = ladder[(ladder["status"] == "ok") & ladder["time_bin"].isna() & ladder["value"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    per_seed = seed_scores(rows, extra=["alignment_mode", "calibration_size"])
    table = means_over_units(per_seed, CURVE + ["method_label"] + RUNG, level).rename(
        columns={"method_label": "method"})
    return _with_controls(table)[COLUMNS]


def _with_controls(table: pd.DataFrame) -> pd.DataFrame:
    """Refit mean at the same K, ceiling mean, and where each alignment beats the refit control."""
    per_method = CURVE + ["method"]
    refit = table[table["alignment"] == "refit"][per_method + ["calibration_size", "mean"]]
    ceiling = table[table["alignment"] == "ceiling"][per_method + ["mean"]]
    table = table.merge(refit.rename(columns={"mean": "refit_mean"}), how="left", on=per_method + ["calibration_size"])
    table = table.merge(ceiling.rename(columns={"mean": "ceiling_mean"}), how="left", on=per_method)
    at_all = table["calibration_size"] == "all"  # refitting on every training trial is the ceiling
    table.loc[at_all, "refit_mean"] = table.loc[at_all, "ceiling_mean"]
    table.loc[table["alignment"].isin(["refit", "ceiling"]), "refit_mean"] = np.nan  # the controls themselves
    table["higher_is_better"] = [metrics.direction_of(m) != metrics.LOWER for m in table["metric"]]
    sign = np.where(table["higher_is_better"], 1.0, -1.0)
    table["beats_refit"] = (sign * (table["mean"] - table["refit_mean"]) > 0).where(table["refit_mean"].notna())
    last = {}
    for key, part in table.groupby(per_method + ["alignment"], sort=False):
        part = part.dropna(subset=["beats_refit"]).sort_values("calibration_size", key=size_order)
        beats = part["beats_refit"].astype(bool).to_numpy()
        losing = np.flatnonzero(~beats)
        up_to = len(beats) if not len(losing) else losing[0]  # sizes before the first K that loses
        last[key] = part["calibration_size"].iloc[up_to - 1] if up_to else None
    table["beats_refit_up_to"] = [last.get(tuple(row)) for row in table[per_method + ["alignment"]].itertuples(
        index=False)]
    table = table.sort_values("calibration_size", key=size_order, kind="stable")
    return table.sort_values(CURVE + ["method", "alignment"], kind="stable", ignore_index=True)


def size_order(sizes: pd.Series) -> pd.Series:
    """``sort_values`` key: calibration sizes in :func:`ner_bench.calibration.size_key` order."""
    return sizes.map(size_key)
