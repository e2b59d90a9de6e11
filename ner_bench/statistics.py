"""Leaderboard statistics: per-unit scores, summary tables with ranks and tie groups, paired tests.

Pure pandas/scipy, no plotting. Every comparison is paired over units of replication:

- a *family* is one dataset x task x protocol x split x cells x decoder x target x metric; ``cells`` is
  ``same recording`` (train unit == test unit; the unit of replication is the recording) or
  ``different recordings`` (the unit is the ordered recording pair (train, test));
- seeds are averaged within a unit first, so a unit counts once however many seeds it has;
- per-time-bin rows (``time_bin`` set) are left to :func:`time_course`; the summary uses scalar metrics.

Tie groups (see :func:`tie_groups`): methods are walked from the best mean down; a method starts a new
group only when its Holm-adjusted paired t-test p-value is below ``alpha`` against *every* member of the
current group. So no group boundary is ever drawn between methods the data cannot separate.
"""

from __future__ import annotations

import itertools
import json
import logging
import warnings
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .errors import NerBenchError

log = logging.getLogger(__name__)

#: metrics for which a larger value is better; anything not listed is assumed higher-is-better
HIGHER_IS_BETTER: dict[str, bool] = {
    "r2": True, "accuracy": True, "peak_accuracy": True, "mean_accuracy": True,
    "diagonal_correlation": True, "consistency_r2": True,
}
SAME, DIFFERENT = "same recording", "different recordings"
UNIT_NAMES = {SAME: "recording", DIFFERENT: "ordered recording pair"}
FAMILY = ["dataset", "task", "protocol", "split", "cells", "decoder", "target", "metric"]
REQUIRED = ["task", "method", "dataset", "train_unit", "test_unit", "split", "seed", "decoder", "target",
            "metric", "value", "protocol", "status"]
DEFAULT_ALPHA = 0.05
NONE = "-"  # stands for a missing family field, so that groupby and matching keep the row


def higher_is_better(metric: str) -> bool:
    return HIGHER_IS_BETTER.get(metric, True)


def metric_label(decoder: str, target: str, metric: str) -> str:
    """E.g. ``velocity r2 (linear)``; missing parts (``-``) are left out."""
    label = metric.replace("_", " ") if target == NONE else f"{target} {metric.replace('_', ' ')}"
    return label if decoder == NONE else f"{label} ({decoder})"


# ----------------------------------------------------------------------------- input
def prepare(results: pd.DataFrame, source: str = "results") -> pd.DataFrame:
    """Validate the columns, add ``method_label`` (method plus the parameters that tell its variants
    apart) and ``cells``; keep every row (failed ones included)."""
    missing = [c for c in REQUIRED if c not in results.columns]
    if missing:
        raise NerBenchError(f"{source}: missing column(s) {', '.join(missing)}; expected a results table "
                            f"written by `ner-bench run`")
    table = results.copy()
    for column in ("method_params", "time_bin", "error", "note"):
        if column not in table:
            table[column] = None
    table["method_params"] = table["method_params"].fillna("{}").astype(str)
    for column in ("dataset", "task", "protocol", "split", "decoder", "target", "metric"):
        table[column] = table[column].fillna(NONE).astype(str)  # e.g. a metric with no decoder or target
    table["value"] = pd.to_numeric(table["value"], errors="coerce").astype(float)
    table["time_bin"] = pd.to_numeric(table["time_bin"], errors="coerce").astype("Int64")
    table["method_label"] = method_labels(table)
    table["cells"] = np.where(table["train_unit"].astype(str) == table["test_unit"].astype(str), SAME, DIFFERENT)
    return table


def method_labels(table: pd.DataFrame) -> pd.Series:
    """``method`` alone, or ``method[k=v,...]`` with the parameters that differ between variants of one
    method present in the same table (e.g. two iteration budgets); a variant's own ``label`` parameter,
    when given, is used as it is."""
    labels = table["method"].astype(str).copy()
    for method, rows in table.groupby("method", sort=False):
        variants = rows["method_params"].unique()
        own = {v: _params(v).get("label") for v in variants}
        if all(own.values()):
            for variant, label in own.items():
                labels[rows.index[rows["method_params"] == variant]] = str(label)
            continue
        if len(variants) < 2:
            continue
        parsed = {v: _params(v) for v in variants}
        keys = sorted({k for p in parsed.values() for k in p})
        differing = [k for k in keys if len({json.dumps(p.get(k), sort_keys=True) for p in parsed.values()}) > 1]
        for variant, params in parsed.items():
            shown = ",".join(f"{k}={params.get(k)}" for k in differing)
            labels[rows.index[rows["method_params"] == variant]] = f"{method}[{shown}]"
    return labels


def _params(text: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"params": text}
    return value if isinstance(value, dict) else {"params": value}


# ----------------------------------------------------------------------------- unit scores
def unit_scores(table: pd.DataFrame) -> pd.DataFrame:
    """One row per family x method x unit: the value averaged over seeds (``n_seeds`` of them).
    Scalar metrics only (rows without ``time_bin``); failed rows and NaN values are left out."""
    ok = table[(table["status"] == "ok") & table["time_bin"].isna() & table["value"].notna()]
    keys = FAMILY + ["method_label", "train_unit", "test_unit"]
    scores = ok.groupby(keys, sort=True, dropna=False).agg(value=("value", "mean"), n_seeds=("seed", "nunique"))
    scores = scores.reset_index()
    scores["unit"] = np.where(scores["cells"] == SAME, scores["test_unit"].astype(str),
                              scores["train_unit"].astype(str) + " -> " + scores["test_unit"].astype(str))
    return scores


def time_course(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per-time-bin metrics (e.g. direction accuracy per bin): mean and t-based CI across units of the
    seed-averaged values, per family x method x time bin."""
    rows = table[(table["status"] == "ok") & table["time_bin"].notna() & table["value"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=FAMILY + ["method", "time_bin", "n_units", "mean", "ci_low", "ci_high"])
    per_unit = rows.groupby(FAMILY + ["method_label", "train_unit", "test_unit", "time_bin"], dropna=False)["value"]
    per_unit = per_unit.mean().reset_index()
    records = []
    for key, part in per_unit.groupby(FAMILY + ["method_label", "time_bin"], sort=True, dropna=False):
        low, high = mean_ci(part["value"].to_numpy(), level)
        records.append(dict(zip(FAMILY + ["method", "time_bin"], key), n_units=len(part),
                            mean=part["value"].mean(), ci_low=low, ci_high=high))
    return pd.DataFrame.from_records(records)


# ----------------------------------------------------------------------------- elementary statistics
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
    CI, Cohen's dz. Degenerate cases give NaN and a note instead of an error."""
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
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = stats.wilcoxon(a, b)
            out.update(wilcoxon_statistic=float(result.statistic), wilcoxon_p=float(result.pvalue))
        except ValueError as error:
            notes.append(f"Wilcoxon: {error}")
        nonzero = int(np.count_nonzero(diff))
        if nonzero < 6:
            notes.append(f"{nonzero} non-zero differences: Wilcoxon cannot reach p < 0.05")
    out["note"] = "; ".join(notes)
    return out


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


# ----------------------------------------------------------------------------- tables
def leaderboard_tables(results: pd.DataFrame, alpha: float = DEFAULT_ALPHA,
                       level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(summary, pairwise)`` for every family of a results table (see the module docstring)."""
    if not 0 < alpha < 1:
        raise NerBenchError(f"argument alpha: must be in (0, 1), got {alpha}")
    table = results if "method_label" in results else prepare(results)
    scores = unit_scores(table)
    failed = failed_counts(table)
    summaries, pairs = [], []
    for key, family in scores.groupby(FAMILY, sort=True, dropna=False):
        family_key = dict(zip(FAMILY, key))
        described = describe_methods(family, level)
        comparisons = compare_methods(family, described["method"].tolist(), alpha, level)
        described["tie_group"] = tie_groups(described["method"].tolist(), comparisons, alpha)
        summaries.append(described.assign(**family_key))
        if len(comparisons):
            pairs.append(comparisons.assign(**family_key))
    summary = _ordered(pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame(), SUMMARY_COLUMNS)
    pairwise = _ordered(pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(), PAIRWISE_COLUMNS)
    if len(summary):
        summary = summary.merge(failed, how="left", on=["dataset", "task", "protocol", "cells", "method"])
        summary["n_failed"] = summary["n_failed"].fillna(0).astype(int)
    return summary, pairwise


SUMMARY_COLUMNS = FAMILY + ["method", "unit", "n_units", "seeds", "mean", "sd", "ci_low", "ci_high", "median",
                            "rank", "tie_group", "higher_is_better"]
PAIRWISE_COLUMNS = FAMILY + ["method_a", "method_b", "n_shared", "mean_a", "mean_b", "mean_diff", "diff_ci_low",
                             "diff_ci_high", "sd_diff", "cohens_dz", "t_statistic", "t_df", "t_p", "t_p_holm",
                             "wilcoxon_statistic", "wilcoxon_p", "wilcoxon_p_holm", "significant", "note"]


def _ordered(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame[columns + [c for c in frame.columns if c not in columns]]


def describe_methods(family: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per method of one family: n units, mean, SD, CI, median, rank (1 = best); sorted best first."""
    metric = family["metric"].iloc[0]
    better_high = higher_is_better(metric)
    records = []
    for method, part in family.groupby("method_label", sort=True):
        values = part["value"].to_numpy()
        low, high = mean_ci(values, level)
        seeds = sorted(part["n_seeds"].unique())
        records.append(dict(method=method, unit=UNIT_NAMES[part["cells"].iloc[0]], n_units=len(values),
                            seeds=str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}",
                            mean=values.mean(), sd=values.std(ddof=1) if len(values) > 1 else float("nan"),
                            ci_low=low, ci_high=high, median=float(np.median(values)),
                            higher_is_better=better_high))
    frame = pd.DataFrame.from_records(records)
    frame = frame.sort_values(["mean", "method"], ascending=[not better_high, True], kind="stable")
    frame["rank"] = frame["mean"].rank(method="min", ascending=not better_high).astype(int)
    return frame.reset_index(drop=True)


def compare_methods(family: pd.DataFrame, ranked: list[str], alpha: float = DEFAULT_ALPHA,
                    level: float = 0.95) -> pd.DataFrame:
    """Every pair of methods over their shared units, the better-ranked one as ``method_a``; Holm's
    adjustment over the pairs of this family (t-test and Wilcoxon separately)."""
    by_method = {m: part.set_index(["train_unit", "test_unit"])["value"]
                 for m, part in family.groupby("method_label", sort=False)}
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


def tie_groups(ranked: list[str], comparisons: pd.DataFrame, alpha: float = DEFAULT_ALPHA) -> list[int]:
    """Tie group per method of ``ranked`` (best first), numbered 1, 2, ...

    Walk the ranking; the first method opens group 1. Each next method joins the current group unless its
    Holm-adjusted paired t-test p-value is below ``alpha`` against every member of that group; then it opens
    the next group. A pair without a p-value (fewer than two shared units, identical scores) counts as
    not separable.
    """
    p_holm = {}
    for row in comparisons.itertuples():
        p_holm[(row.method_a, row.method_b)] = p_holm[(row.method_b, row.method_a)] = row.t_p_holm
    groups: list[int] = []
    members: list[str] = []
    for method in ranked:
        separable = members and all(p_holm.get((method, m), np.nan) < alpha for m in members)
        if not groups:
            groups.append(1)
        elif separable:
            groups.append(groups[-1] + 1)
            members = []
        else:
            groups.append(groups[-1])
        members.append(method)
    return groups


def failed_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Failed (unit, seed) combinations per dataset x task x protocol x cells x method."""
    keys = ["dataset", "task", "protocol", "cells", "method_label"]
    failed = table[table["status"] != "ok"]
    counts = failed.drop_duplicates(keys + ["train_unit", "test_unit", "seed"]).groupby(keys).size()
    return counts.rename("n_failed").reset_index().rename(columns={"method_label": "method"})
