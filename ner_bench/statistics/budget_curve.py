"""The budget-curve table: a step-trained method's score against its training length (``checkpoints.py``).

A curve is every variant of one method whose parameters differ only in the method's length parameter
(``ner[iterations=500]``, ``ner[iterations=2000]``, ...), with at least two lengths in the results. Per
family and length: each curve's mean over the independent units (test sessions) and its rank among the
curves that have that length (1 = best, in the metric's declared direction; ties share the lower rank),
so that a reader sees whether the ranking at a short length holds at the longest.
"""

from __future__ import annotations

import json

import pandas as pd

from .. import metrics
from .table import FAMILY

#: the parameters that count training steps, as the built-in step-trained methods name them
LENGTH_PARAMETERS = ("iterations", "epochs")
COLUMNS = FAMILY + ["method", "curve", "length_parameter", "steps", "method_label", "n_units", "mean", "rank"]


def budget_curve_table(unit_scores: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The table from the board's unit scores and the prepared results (for the labels' parameters)."""
    curves = curve_members(table)
    if not curves or unit_scores.empty:
        return pd.DataFrame(columns=COLUMNS)
    members = pd.DataFrame([dict(method_label=label, **info) for label, info in curves.items()])
    scored = unit_scores[[metrics.direction_of(m) != metrics.DESCRIPTIVE for m in unit_scores["metric"]]]
    scored = scored.merge(members, on="method_label")
    if scored.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = FAMILY + ["method", "curve", "length_parameter", "steps", "method_label"]
    means = scored.groupby(keys, sort=True, dropna=False)["value"].agg(["mean", "size"]).reset_index()
    means = means.rename(columns={"size": "n_units"})
    means["rank"] = _ranks(means)
    return means[COLUMNS].sort_values(FAMILY + ["steps", "rank"], kind="stable").reset_index(drop=True)


def curve_members(table: pd.DataFrame) -> dict[str, dict]:
    """method label -> its method, curve name (label of the method without its length), length parameter
    and steps, for every label that belongs to a curve of at least two lengths."""
    variants = table[["method", "method_params", "method_label"]].drop_duplicates()
    found: dict[tuple, dict[int, str]] = {}
    for row in variants.itertuples(index=False):
        split = _length_of(row.method_params)
        if split is None:
            continue
        parameter, steps, rest = split
        key = (row.method, parameter, rest)
        found.setdefault(key, {})[steps] = row.method_label
    members = {}
    for (method, parameter, rest), by_steps in found.items():
        if len(by_steps) < 2:
            continue
        curve = _curve_name(method, rest)
        for steps, label in by_steps.items():
            members[label] = {"method": method, "curve": curve, "length_parameter": parameter, "steps": steps}
    return members


def ranking_holds(curve: pd.DataFrame) -> pd.DataFrame:
    """Per family: the curves' ranking at the shortest and at the longest length that every curve has,
    whether it is the same, and ``stable_from``: the shortest length from which every longer one ranks the
    curves as the longest does."""
    records = []
    for family, part in curve.groupby(FAMILY, sort=True, dropna=False):
        n_curves = part["curve"].nunique()
        common = sorted(s for s, at in part.groupby("steps") if at["curve"].nunique() == n_curves)
        if n_curves < 2 or len(common) < 2:
            continue
        order = {s: " > ".join(part[part["steps"] == s].sort_values(["rank", "curve"])["curve"]) for s in common}
        stable_from = common[-1]
        for steps in reversed(common):
            if order[steps] != order[common[-1]]:
                break
            stable_from = steps
        records.append({**dict(zip(FAMILY, family)), "shortest": common[0], "longest": common[-1],
                        "ranking_at_shortest": order[common[0]], "ranking_at_longest": order[common[-1]],
                        "holds": order[common[0]] == order[common[-1]], "stable_from": stable_from})
    return pd.DataFrame(records)


def _length_of(params_text: str) -> tuple[str, int, str] | None:
    """(length parameter, its value, the other parameters as canonical JSON), or None."""
    try:
        params = json.loads(params_text)
    except (TypeError, ValueError):
        return None
    if not isinstance(params, dict):
        return None
    for parameter in LENGTH_PARAMETERS:
        if isinstance(params.get(parameter), int) and not isinstance(params[parameter], bool):
            steps = params.pop(parameter)
            return parameter, steps, json.dumps(params, sort_keys=True)
    return None


def _curve_name(method: str, rest: str) -> str:
    """The method's name, with the parameters that set its curve apart from the defaults left to the
    method labels (a curve of a shuffled control keeps the ``shuffled`` tag)."""
    params = json.loads(rest)
    shuffled = params.get("shuffled")
    return f"{method}[shuffled={shuffled}]" if shuffled not in (None, "none") else method


def _ranks(means: pd.DataFrame) -> pd.Series:
    """Rank of each curve among the curves at the same family and length (1 = best)."""
    sign = means["metric"].map(lambda m: -1.0 if metrics.direction_of(m) == metrics.HIGHER else 1.0)
    keyed = means.assign(_score=sign * means["mean"])
    return keyed.groupby(FAMILY + ["steps"], dropna=False)["_score"].rank(method="min").astype(int)


__all__ = ["COLUMNS", "LENGTH_PARAMETERS", "budget_curve_table", "curve_members", "ranking_holds"]
