"""The summary ``ner-bench run`` prints: the leaderboard's numbers for the headline metrics, nothing else.

Same unit (the test session), same aggregation (seeds, then recordings or pairs, averaged within a
session), same interval (hierarchical bootstrap) and same ranks as ``summary.csv`` of ``ner-bench
leaderboard`` on the same results, so that a number printed here is the board's number. Test trials only;
the calibration ladder's rows are left to the leaderboard's calibration table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .results import on_calibration_curve
from .statistics import FAMILY, prepare, seed_scores, unit_scores
from .statistics.tables import summarise_family, unranked_methods

#: the numbers shown in the run summary: (decoder, target, metric) -> their label
SUMMARY_METRICS = {("linear", "velocity", "r2"): "velocity R^2 (linear)",
                   ("linear", "position", "r2"): "position R^2 (linear)",
                   ("logistic", "direction", "peak_accuracy"): "peak direction accuracy (logistic)",
                   ("pearson", "latent_trajectory", "trajectory_contrast_excess_r"): "trajectory contrast r over "
                                                                                     "its permutation null",
                   ("trajectory-logistic", "trial_type", "balanced_accuracy"): "curved vs straight balanced "
                                                                               "accuracy"}
COLUMNS = ["task", "pair_type", "alignment", "metric_label", "rank", "method", "mean", "ci_low", "ci_high", "n_units",
           "unranked_reason"]


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per task x pair type x alignment x headline metric x method: the board's mean, CI and rank."""
    main = table[~on_calibration_curve(table)]
    if main.empty:
        return pd.DataFrame(columns=COLUMNS)
    prepared = prepare(main)
    headline = [k in SUMMARY_METRICS for k in zip(prepared["decoder"], prepared["target"], prepared["metric"])]
    chosen = prepared[(prepared["split"] == "test").to_numpy() & np.array(headline, dtype=bool)]
    scores, per_seed = unit_scores(chosen), seed_scores(chosen)
    if scores.empty:
        return pd.DataFrame(columns=COLUMNS)
    seeds_by_family = dict(tuple(per_seed.groupby(FAMILY, sort=True, dropna=False)))
    unranked, parts = unranked_methods(prepared), []
    for key, family in scores.groupby(FAMILY, sort=True, dropna=False):
        described = summarise_family(family, seeds_by_family[key], unranked=unranked)
        info = dict(zip(FAMILY, key))
        parts.append(described.assign(task=info["task"], pair_type=info["pair_type"], alignment=info["alignment"],
                                      metric_label=SUMMARY_METRICS[info["decoder"], info["target"], info["metric"]]))
    frame = pd.concat(parts, ignore_index=True)
    for column in COLUMNS:
        frame[column] = frame[column] if column in frame else None
    return frame[COLUMNS]


def format_summary(table: pd.DataFrame) -> str:
    """The summary as text: one block per task x pair type x alignment x metric, best method first."""
    frame = summary(table)
    if frame.empty:
        return "no test-trial results of the summary's metrics"
    lines = ["test trials; mean over test sessions (seeds, then recordings or pairs, averaged within a session) "
             "[95 % hierarchical-bootstrap CI], rank as on the leaderboard; tests and letters: ner-bench "
             "leaderboard"]
    for (task, pair_type, alignment, label), block in frame.groupby(
            ["task", "pair_type", "alignment", "metric_label"], sort=True):
        aligned = "" if alignment == "-" else f" · alignment {alignment}"
        lines.append(f"\n{task} · {pair_type}{aligned} · {label} (n = {_sessions(block)} sessions)")
        for row in block.itertuples(index=False):
            rank = "-" if pd.isna(row.rank) else str(int(row.rank))
            apart = f"   not ranked: {row.unranked_reason}" if isinstance(row.unranked_reason, str) else ""
            lines.append(f"  {rank:>3}  {row.method:<28} {row.mean:8.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]{apart}")
    return "\n".join(lines)


def _sessions(block: pd.DataFrame) -> str:
    low, high = int(block["n_units"].min()), int(block["n_units"].max())
    return str(low) if low == high else f"{low}-{high} (by method)"
