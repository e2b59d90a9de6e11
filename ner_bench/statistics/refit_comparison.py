"""Does an alignment beat the refit control? A paired test over test sessions at each calibration size K.

Per (curve, method, alignment, K): the alignment's unit scores (test sessions, ``units.UNIT``; seeds
averaged) against the refit control's at the same K (at K = all: the ceiling, refitting on every training
trial), over the units both have. A paired t-test (``paired.paired_comparisons``), Holm-adjusted over the K
of one curve, method and alignment (the claim "beats refit up to K" is read off those K together), and how
many subjects' mean difference has the sign of the overall one. ``beats_refit``: Holm p < alpha and the
difference in the metric's better direction; NaN, with a note, where there is no control at that K or fewer
than 2 shared units to test on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import metrics
from .paired import holm, paired_comparisons
from .units import UNIT

CONTROLS = ("refit", "ceiling")
RESULT = ["refit_diff", "refit_p", "refit_p_holm", "n_subjects_agree", "n_subjects", "beats_refit", "refit_note"]


def refit_comparisons(per_unit: pd.DataFrame, curve: list[str], alpha: float) -> pd.DataFrame:
    """``per_unit``: one row per ``curve`` key x method x alignment x calibration_size x unit, with ``value``
    (the unit's seed mean). One row per aligned (non-control) curve key x method x alignment x K: the
    ``RESULT`` columns."""
    keys = curve + ["method", "alignment", "calibration_size"]
    paired = _with_control(per_unit, curve)
    table = _tests(paired, keys).merge(_subject_agreement(paired, keys), how="left", on=keys)
    higher = np.array([metrics.direction_of(m) != metrics.LOWER for m in table["metric"]], dtype=bool)
    table["refit_diff"] = np.where(higher, 1.0, -1.0) * table["mean_diff"]
    table["refit_p"] = table["t_p"]
    table["refit_p_holm"] = _holm_over_sizes(table, keys[:-1])
    table["beats_refit"] = _beats(table, alpha)
    table["refit_note"] = table["note"]
    for count in ("n_subjects_agree", "n_subjects"):  # 0 where nothing was shared
        table[count] = table[count].fillna(0).astype("Int64")
    return table[keys + RESULT]


def _with_control(per_unit: pd.DataFrame, curve: list[str]) -> pd.DataFrame:
    """The aligned rows with ``control``: the refit's unit score at the same K (the ceiling's at K = all)."""
    is_control = per_unit["alignment"].isin(CONTROLS)
    control = per_unit[is_control][curve + ["method", "calibration_size"] + UNIT + ["value"]]
    return per_unit[~is_control].merge(control.rename(columns={"value": "control"}), how="left",
                                       on=curve + ["method", "calibration_size"] + UNIT)


def _tests(paired: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The paired test of each group (keys, ``mean_diff``, ``t_p``, ``n_shared``, ``note``), the groups with
    the same number of shared units tested together (one scipy call per batch, not per group)."""
    grouped = paired.groupby(keys, sort=True, dropna=False)
    groups = grouped.size().index.to_frame(index=False)
    codes = grouped.ngroup().to_numpy()
    has_control = np.bincount(codes, weights=paired["control"].notna(), minlength=len(groups)) > 0
    shared = (paired["control"].notna() & paired["value"].notna()).to_numpy()
    order = np.argsort(codes[shared], kind="stable")  # shared rows, group by group
    values = paired["value"].to_numpy(float)[shared][order]
    controls = paired["control"].to_numpy(float)[shared][order]
    n_shared = np.bincount(codes[shared], minlength=len(groups))
    starts = np.r_[0, np.cumsum(n_shared)[:-1]]
    results = pd.DataFrame(dict(mean_diff=np.nan, t_p=np.nan, n_shared=n_shared, note="no refit control at this K"),
                           index=groups.index)
    for n in np.unique(n_shared[has_control]):
        members = np.flatnonzero(has_control & (n_shared == n))
        rows = starts[members][:, None] + np.arange(n)
        results.loc[members, ["mean_diff", "t_p", "note"]] = _batch(values[rows], controls[rows])
    return pd.concat([groups, results], axis=1)


def _batch(values: np.ndarray, controls: np.ndarray) -> list[tuple]:
    """(mean difference, t-test p, note) of each row of two (groups x shared units) arrays."""
    n = values.shape[1]
    if n < 2:
        note = f"{n} shared unit(s) with the refit control: no test"
        return [(float(np.mean(a - b)), np.nan, note) for a, b in zip(values, controls)]
    return [(r["mean_diff"], r["t_p"], r["note"]) for r in paired_comparisons(values, controls)]


def _subject_agreement(paired: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group: subjects (with shared units) and how many of them differ from the control in the sign of
    the overall mean difference."""
    shared = paired[paired["control"].notna() & paired["value"].notna()]
    shared = shared.assign(diff=shared["value"] - shared["control"])
    overall = shared.groupby(keys, dropna=False)["diff"].mean().rename("overall")
    per_subject = shared.groupby(keys + ["subject"], dropna=False)["diff"].mean().reset_index()
    per_subject = per_subject.merge(overall.reset_index(), how="left", on=keys)
    per_subject["agrees"] = (np.sign(per_subject["diff"]) == np.sign(per_subject["overall"])) & (
        per_subject["overall"] != 0)
    counts = per_subject.groupby(keys, dropna=False).agg(n_subjects_agree=("agrees", "sum"),
                                                         n_subjects=("subject", "nunique"))
    return counts.reset_index()


def _holm_over_sizes(table: pd.DataFrame, per_alignment: list[str]) -> pd.Series:
    """Holm's adjustment of the t-test p over the K of each curve x method x alignment."""
    p = table["t_p"].to_numpy(float)
    adjusted = np.full(len(p), np.nan)
    for rows in table.groupby(per_alignment, sort=False, dropna=False).indices.values():
        adjusted[rows] = holm(p[rows])
    return pd.Series(adjusted, index=table.index)


def _beats(table: pd.DataFrame, alpha: float) -> pd.Series:
    """True where the Holm p is under ``alpha`` and the difference goes the better way; False where tested
    otherwise (an untestable all-zero difference included); NaN where no test could be run."""
    wins = (table["refit_p_holm"] < alpha) & (table["refit_diff"] > 0)
    return wins.astype(object).where(table["n_shared"] >= 2, np.nan)
