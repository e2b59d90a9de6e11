"""The shuffle-control table: each supervised method beside its shuffled control (``shuffle_controls.py``).

Per family and method with a control in the run: the mean over the independent units (test sessions) that
both have, the control's mean, and the gap between them in the metric's declared direction. A control
that keeps most of the method's score says that the score does not come from the neural-behaviour
relation the method claims to learn, so such a method is **flagged**: its gap is below ``NEAR`` of the
method's own score (relative, so that metrics of any unit compare), or the control scores higher.
"""

from __future__ import annotations

import json

import pandas as pd

from .. import metrics
from ..shuffle_controls import PARAMETER
from .table import FAMILY
from .units import UNIT

#: a control within this fraction of the method's own score is "near" it: the method is flagged
NEAR = 0.1
COLUMNS = FAMILY + ["method", "control", "shuffle", "n_units", "method_mean", "control_mean", "gap", "flagged"]


def shuffle_table(unit_scores: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The table from the board's unit scores and the prepared results (for the method labels' parameters)."""
    pairs = _control_pairs(table)
    if not pairs or unit_scores.empty:
        return pd.DataFrame(columns=COLUMNS)
    directional = unit_scores[[metrics.direction_of(m) != metrics.DESCRIPTIVE
                               for m in unit_scores["metric"]]] if len(unit_scores) else unit_scores
    grid = directional.pivot_table(index=FAMILY + UNIT, columns="method_label", values="value", aggfunc="mean")
    records = []
    for control, (method, mode) in pairs.items():
        if control not in grid or method not in grid:
            continue
        both = grid[[method, control]].dropna()
        for family, part in both.groupby(level=list(range(len(FAMILY))), sort=True):
            records.append(_record(dict(zip(FAMILY, family)), method, control, mode, part))
    return pd.DataFrame(records, columns=COLUMNS)


def _record(family: dict, method: str, control: str, mode: str, part: pd.DataFrame) -> dict:
    sign = 1.0 if metrics.direction_of(family["metric"]) == metrics.HIGHER else -1.0
    method_mean, control_mean = float(part[method].mean()), float(part[control].mean())
    gap = sign * (method_mean - control_mean)
    return {**family, "method": method, "control": control, "shuffle": mode, "n_units": len(part),
            "method_mean": method_mean, "control_mean": control_mean, "gap": gap,
            "flagged": bool(gap < NEAR * abs(method_mean))}


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


__all__ = ["COLUMNS", "NEAR", "flagged_methods", "shuffle_table"]
