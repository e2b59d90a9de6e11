"""The leaderboard's input: a validated results table with each row's method label, family and unit.

A *family* is one dataset x task x protocol x split x pair type x alignment x decoder x target x metric:
numbers of one family are comparable, numbers of two families never are. ``cells`` says whether a family
trains and tests on the same recording; ``pair_type`` says how two recordings differ (cross-session,
cross-hemisphere, cross-area, ...), so pairs of different kinds are never pooled.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..errors import NerBenchError
from ..shuffle_controls import PARAMETER as SHUFFLE_PARAMETER

SAME, DIFFERENT = "same recording", "different recordings"
FAMILY = ["dataset", "task", "protocol", "split", "cells", "pair_type", "alignment", "decoder", "target", "metric"]
REQUIRED = ["task", "method", "dataset", "train_unit", "test_unit", "split", "seed", "decoder", "target",
            "metric", "value", "protocol", "status"]
NONE = "-"  # stands for a missing family field, so that groupby and matching keep the row


def prepare(results: pd.DataFrame, source: str = "results") -> pd.DataFrame:
    """Validate the columns; add ``method_label`` (method plus the parameters that tell its variants
    apart), ``cells``, and, for tables written before they existed, ``pair_type`` and the sessions (each
    recording its own session); keep every row (failed ones included)."""
    missing = [c for c in REQUIRED if c not in results.columns]
    if missing:
        raise NerBenchError(f"{source}: missing column(s) {', '.join(missing)}; expected a results table "
                            f"written by `ner-bench run`")
    table = results.copy()
    for column in ("method_params", "time_bin", "error", "note", "alignment", "subject"):
        if column not in table:
            table[column] = None
    same = table["train_unit"].astype(str) == table["test_unit"].astype(str)
    table["cells"] = np.where(same, SAME, DIFFERENT)
    if "pair_type" not in table:
        table["pair_type"] = table["cells"]
    table["pair_type"] = table["pair_type"].replace("", np.nan).fillna(pd.Series(table["cells"], index=table.index))
    for side in ("train", "test"):
        if f"{side}_session" not in table:
            table[f"{side}_session"] = None
        table[f"{side}_session"] = table[f"{side}_session"].fillna(table[f"{side}_unit"]).astype(str)
    table["method_params"] = table["method_params"].fillna("{}").astype(str)
    for column in ("dataset", "task", "protocol", "split", "decoder", "target", "metric", "alignment", "subject"):
        table[column] = table[column].fillna(NONE).astype(str).replace("", NONE)
    table["value"] = pd.to_numeric(table["value"], errors="coerce").astype(float)
    table["time_bin"] = pd.to_numeric(table["time_bin"], errors="coerce").astype("Int64")
    table["method_label"] = method_labels(table)
    return table


#: parameters a label always shows: a shuffled control must never pass for its method, even alone
ALWAYS_SHOWN = {SHUFFLE_PARAMETER}


def method_labels(table: pd.DataFrame) -> pd.Series:
    """``method`` alone, or ``method[k=v,...]`` with the parameters that differ between variants of one
    method present in the same table (e.g. two iteration budgets) and those in :data:`ALWAYS_SHOWN`; a
    variant's own ``label`` parameter, when given, is used as it is."""
    labels = table["method"].astype(str).copy()
    for method, rows in table.groupby("method", sort=False):
        variants = rows["method_params"].unique()
        own = {v: _params(v).get("label") for v in variants}
        if all(own.values()):
            for variant, label in own.items():
                labels[rows.index[rows["method_params"] == variant]] = str(label)
            continue
        parsed = {v: _params(v) for v in variants}
        keys = sorted({k for p in parsed.values() for k in p})
        differing = [k for k in keys if k in ALWAYS_SHOWN
                     or len({json.dumps(p.get(k), sort_keys=True) for p in parsed.values()}) > 1]
        for variant, params in parsed.items():
            shown = ",".join(f"{k}={params[k]}" for k in differing if k in params)  # absent: the default
            labels[rows.index[rows["method_params"] == variant]] = f"{method}[{shown}]" if shown else method
    return labels


def _params(text: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"params": text}
    return value if isinstance(value, dict) else {"params": value}
