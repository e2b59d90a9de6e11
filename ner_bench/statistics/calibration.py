"""The calibration table: each method's cross-recording score against the calibration size K, per
alignment of the ladder, beside the refit control and the within-session ceiling (``calibration.py``).

Per (dataset, task, protocol, pair type, calibration block, decoder, target, metric, method, alignment, K):
the mean over independent units (test sessions; seeds and recording pairs averaged within a unit, as
everywhere on the board), its hierarchical-bootstrap CI, the refit control's mean at the same K (at K = all:
the ceiling), and the paired test of the alignment against it over test sessions (``refit_comparison.py``):
``refit_diff`` (in the metric's better direction), ``refit_p``, ``refit_p_holm`` (Holm over the K of the
method and alignment), subject agreement, and ``beats_refit`` (Holm p < alpha and the difference the better
way). ``beats_refit_up_to`` is the largest K up to which ``beats_refit`` holds at every K with a refit
control (empty when it does not at the smallest; a K whose test could not be run ends the run, since nothing
was shown there): an alignment pays while the new day has at most that many labelled trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import metrics
from ..calibration import size_key
from .refit_comparison import RESULT, refit_comparisons
from .tables import DEFAULT_ALPHA
from .units import UNIT, means_over_units, seed_scores

CURVE = ["dataset", "task", "protocol", "split", "cells", "pair_type", "calibration_block", "decoder", "target",
         "metric"]
RUNG = ["alignment", "alignment_mode", "calibration_size"]
COLUMNS = CURVE + ["method", "alignment", "alignment_mode", "calibration_size", "n_units", "mean", "ci_low",
                   "ci_high", "refit_mean", "ceiling_mean"] + RESULT + ["beats_refit_up_to", "higher_is_better"]
#: the block of ladder rows written before ``calibration_block`` existed: B's first K training trials
OLD_BLOCK = "first"


def calibration_table(ladder: pd.DataFrame, level: float = 0.95, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
    """The table of the ladder rows of a prepared results table (empty when there are none)."""
    rows = ladder[(ladder["status"] == "ok") & ladder["time_bin"].isna() & ladder["value"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = _with_block(rows)
    per_seed = seed_scores(rows, extra=["calibration_block", "alignment_mode", "calibration_size"])
    per_seed = per_seed.rename(columns={"method_label": "method"})
    table = means_over_units(per_seed, CURVE + ["method"] + RUNG, level)
    per_unit = per_seed.groupby(CURVE + ["method"] + RUNG + UNIT, sort=True, dropna=False)["value"].mean()
    tests = refit_comparisons(per_unit.reset_index(), CURVE, alpha)
    table = table.merge(tests, how="left", on=CURVE + ["method", "alignment", "calibration_size"])
    return _with_controls(table)[COLUMNS]


def _with_block(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with ``calibration_block``; rows written before it existed had the chronological block."""
    block = rows["calibration_block"] if "calibration_block" in rows else pd.Series(None, index=rows.index)
    return rows.assign(calibration_block=block.fillna(OLD_BLOCK).astype(str))


def _with_controls(table: pd.DataFrame) -> pd.DataFrame:
    """Refit mean at the same K, ceiling mean, and up to which K each alignment beats the refit control."""
    per_method = CURVE + ["method"]
    refit = table[table["alignment"] == "refit"][per_method + ["calibration_size", "mean"]]
    ceiling = table[table["alignment"] == "ceiling"][per_method + ["mean"]]
    table = table.merge(refit.rename(columns={"mean": "refit_mean"}), how="left", on=per_method + ["calibration_size"])
    table = table.merge(ceiling.rename(columns={"mean": "ceiling_mean"}), how="left", on=per_method)
    at_all = table["calibration_size"] == "all"  # refitting on every training trial is the ceiling
    table.loc[at_all, "refit_mean"] = table.loc[at_all, "ceiling_mean"]
    table.loc[table["alignment"].isin(["refit", "ceiling"]), "refit_mean"] = np.nan  # the controls themselves
    table["higher_is_better"] = [metrics.direction_of(m) != metrics.LOWER for m in table["metric"]]
    table["beats_refit_up_to"] = _beats_up_to(table, per_method + ["alignment"])
    table = table.sort_values("calibration_size", key=size_order, kind="stable")
    return table.sort_values(CURVE + ["method", "alignment"], kind="stable", ignore_index=True)


def _beats_up_to(table: pd.DataFrame, per_alignment: list[str]) -> list:
    """Per row, the largest K of its alignment up to which ``beats_refit`` is True at every K with a refit
    control (None when it is not at the smallest); an untested K (NaN) ends the run like a loss."""
    last = {}
    for key, part in table.groupby(per_alignment, sort=False, dropna=False):
        part = part[part["refit_mean"].notna()].sort_values("calibration_size", key=size_order)
        beats = part["beats_refit"].eq(True).to_numpy()
        losing = np.flatnonzero(~beats)
        up_to = len(beats) if not len(losing) else losing[0]  # sizes before the first K that does not beat
        last[key] = part["calibration_size"].iloc[up_to - 1] if up_to else None
    return [last.get(tuple(row)) for row in table[per_alignment].itertuples(index=False)]


def size_order(sizes: pd.Series) -> pd.Series:
    """``sort_values`` key: calibration sizes in :func:`ner_bench.calibration.size_key` order."""
    return sizes.map(size_key)
