"""The shuffle-control table: each supervised method beside its shuffled control (``shuffle_controls.py``).

Per family and method with a control in the run: the means over the independent units (test sessions) that
both have, the gap between them in the metric's declared direction with its t-interval, and the family's
subject-blocked paired test of the two (``blocked.py``, Holm-adjusted over the family's pairs, as the
letters are). A method is **flagged** unless it is above its control at the family's Holm level: a control
it cannot be told from says that its score does not come from the neural-behaviour relation it claims to
learn. Per-subject agreement in sign goes beside the gap.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import metrics
from ..shuffle_controls import PARAMETER
from .paired import comparisons_of
from .table import FAMILY

COLUMNS = FAMILY + ["method", "control", "shuffle", "n_units", "method_mean", "control_mean", "gap", "gap_ci_low",
                    "gap_ci_high", "p_holm", "subjects_agree", "n_subjects", "flagged"]


def shuffle_table(pairwise: pd.DataFrame, table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The table from the board's pairwise comparisons and the prepared results (for the labels' parameters)."""
    pairs = _control_pairs(table)
    if not pairs or pairwise.empty:
        return pd.DataFrame(columns=COLUMNS)
    records = []
    for control, (method, mode) in pairs.items():
        for row in comparisons_of(pairwise, method, control).itertuples(index=False):
            records.append(_record(row, method, control, mode, alpha))
    return pd.DataFrame(records, columns=COLUMNS)


def _record(row, method: str, control: str, mode: str, alpha: float) -> dict:
    """One row, the pairwise comparison turned to say method minus control in the better direction."""
    sign = 1.0 if metrics.direction_of(row.metric) == metrics.HIGHER else -1.0
    flip = row.flip  # pairwise differences are method_a - method_b
    method_mean, control_mean = (row.mean_a, row.mean_b) if flip > 0 else (row.mean_b, row.mean_a)
    low, high = sorted((sign * flip * row.diff_ci_low, sign * flip * row.diff_ci_high))
    gap = sign * (method_mean - control_mean)
    above = bool(np.isfinite(row.blocked_p_holm) and row.blocked_p_holm < alpha and gap > 0)
    agree = row.subjects_agree if gap > 0 else row.n_subjects - row.subjects_agree
    return {**{k: getattr(row, k) for k in FAMILY}, "method": method, "control": control, "shuffle": mode,
            "n_units": int(row.n_shared), "method_mean": float(method_mean), "control_mean": float(control_mean),
            "gap": float(gap), "gap_ci_low": float(low), "gap_ci_high": float(high),
            "p_holm": float(row.blocked_p_holm), "subjects_agree": int(agree), "n_subjects": int(row.n_subjects),
            "flagged": not above}


def _control_pairs(table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """control label -> (label of the same method and parameters without the shuffle, shuffle mode)."""
    variants = table[["method", "method_params", "method_label"]].drop_duplicates()
    by_params = {(row.method, _without_shuffle(row.method_params)[0]): row.method_label
                 for row in variants.itertuples(index=False) if _without_shuffle(row.method_params)[1] is None}
    pairs = {}
    for row in variants.itertuples(index=False):
        params, mode = _without_shuffle(row.method_params)
        real = by_params.get((row.method, params))
        if mode is not None and real is not None:
            pairs[row.method_label] = (real, mode)
    return pairs


def _without_shuffle(text: str) -> tuple[str, str | None]:
    """(the parameters without ``shuffled``, canonical JSON; the shuffle mode or None)."""
    try:
        params = json.loads(text)
    except (TypeError, ValueError):
        return str(text), None
    if not isinstance(params, dict):
        return str(text), None
    mode = params.pop(PARAMETER, None)
    return json.dumps(params, sort_keys=True), (None if mode in (None, "none") else str(mode))


def flagged_methods(shuffle: pd.DataFrame) -> list[str]:
    """The methods flagged in any family of the table (for the run summary and the page)."""
    return sorted(shuffle.loc[shuffle["flagged"].astype(bool), "method"].unique()) if len(shuffle) else []


__all__ = ["COLUMNS", "flagged_methods", "shuffle_table"]
