"""Paired comparisons of two methods over their shared units: t-test, Wilcoxon, Holm, Cohen's dz."""

from __future__ import annotations

import itertools
import warnings
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .units import UNIT


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Two-sided t-based confidence interval of the mean; NaN for fewer than two values."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return float(values.mean() - half), float(values.mean() + half)


def holm(pvalues: Iterable[float]) -> np.ndarray:
    """Holm's step-down adjustment. NaN p-values stay NaN and do not count as tests."""
    p = np.asarray(list(pvalues), dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = len(order)
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, (m - i) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def paired_comparison(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict:
    """Paired statistics of ``a - b`` over matched units: t-test, Wilcoxon, mean difference with its
    t-CI, Cohen's dz. Degenerate cases give NaN and a note instead of an error."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = a - b
    n = len(diff)
    notes = []
    out = dict(n_shared=n, mean_a=_mean(a), mean_b=_mean(b), mean_diff=_mean(diff),
               sd_diff=float(diff.std(ddof=1)) if n > 1 else float("nan"))
    out["diff_ci_low"], out["diff_ci_high"] = mean_ci(diff, level)
    out.update(t_statistic=float("nan"), t_df=n - 1 if n > 1 else float("nan"), t_p=float("nan"),
               wilcoxon_statistic=float("nan"), wilcoxon_p=float("nan"), cohens_dz=float("nan"))
    if n < 2:
        notes.append(f"{n} shared unit(s): no test")
    elif np.all(diff == 0):
        notes.append("all differences are zero: no test")
    elif out["sd_diff"] == 0:
        notes.append("constant difference: t-test p is 0, dz undefined")
        out.update(t_statistic=float(np.sign(out["mean_diff"]) * np.inf), t_p=0.0)
    else:
        result = stats.ttest_rel(a, b)
        out.update(t_statistic=float(result.statistic), t_p=float(result.pvalue),
                   cohens_dz=out["mean_diff"] / out["sd_diff"])
    if n >= 2 and not np.all(diff == 0):
        notes += _wilcoxon(a, b, out)
    out["note"] = "; ".join(notes)
    return out


def _wilcoxon(a: np.ndarray, b: np.ndarray, out: dict) -> list[str]:
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.wilcoxon(a, b)
        out.update(wilcoxon_statistic=float(result.statistic), wilcoxon_p=float(result.pvalue))
    except ValueError as error:
        notes.append(f"Wilcoxon: {error}")
    nonzero = int(np.count_nonzero(a - b))
    if nonzero < 6:
        notes.append(f"{nonzero} non-zero differences: Wilcoxon cannot reach p < 0.05")
    return notes


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def compare_methods(family: pd.DataFrame, ranked: list[str], alpha: float, level: float = 0.95) -> pd.DataFrame:
    """Every pair of methods over their shared units (test sessions), the better-ranked one as
    ``method_a``; Holm's adjustment over the pairs of this family (t-test and Wilcoxon separately)."""
    by_method = {m: part.set_index(UNIT)["value"] for m, part in family.groupby("method_label", sort=False)}
    records = []
    for method_a, method_b in itertools.combinations(ranked, 2):
        shared = by_method[method_a].index.intersection(by_method[method_b].index)
        result = paired_comparison(by_method[method_a][shared].to_numpy(), by_method[method_b][shared].to_numpy(),
                                   level)
        records.append(dict(method_a=method_a, method_b=method_b, **result))
    frame = pd.DataFrame.from_records(records, columns=["method_a", "method_b"] + list(
        paired_comparison(np.zeros(0), np.zeros(0)).keys()))
    frame["t_p_holm"] = holm(frame["t_p"])
    frame["wilcoxon_p_holm"] = holm(frame["wilcoxon_p"])
    frame["significant"] = frame["t_p_holm"] < alpha
    return frame
