"""The leaderboard's tables: per family, a summary row per method and a row per pair of methods.

Every comparison is over independent units (test sessions, see ``units.py``); ranks follow each metric's
declared direction (``ner_bench.metrics``), and a metric without one is an error, never a silent default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import metrics
from ..errors import NerBenchError
from .bootstrap import N_RESAMPLES, hierarchical_ci
from .groups import letter_groups
from .paired import compare_methods
from .ranks import average_ranks
from .table import FAMILY, SAME, prepare
from .units import pair_scores, seed_scores, unit_name, unit_scores

DEFAULT_ALPHA = 0.05
CI_METHOD = f"hierarchical bootstrap (subjects > sessions > seeds), {N_RESAMPLES} resamples, percentile"
SUMMARY_COLUMNS = FAMILY + ["method", "unit", "n_units", "n_recordings", "n_subjects", "seeds", "mean", "sd",
                            "ci_low", "ci_high", "median", "iqm", "rank", "tie_group", "direction",
                            "higher_is_better", "mean_rank", "friedman_p", "critical_difference", "scope",
                            "unranked_reason"]
PAIRWISE_COLUMNS = FAMILY + ["method_a", "method_b", "n_shared", "mean_a", "mean_b", "mean_diff", "diff_ci_low",
                             "diff_ci_high", "sd_diff", "cohens_dz", "n_subjects", "subjects_agree", "subject_diffs",
                             "blocked_t", "blocked_df", "blocked_p", "blocked_p_holm", "significant", "mixed_mean",
                             "mixed_se", "mixed_p", "mixed_p_holm", "mixed_components", "t_statistic", "t_df", "t_p",
                             "t_p_holm", "wilcoxon_statistic", "wilcoxon_p", "wilcoxon_p_holm", "scope", "note"]


def leaderboard_tables(results: pd.DataFrame, alpha: float = DEFAULT_ALPHA,
                       level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(summary, pairwise)`` for every family of a results table."""
    if not 0 < alpha < 1:
        raise NerBenchError(f"argument alpha: must be in (0, 1), got {alpha}")
    table = results if "method_label" in results else prepare(results)
    scores, per_seed, per_pair = unit_scores(table), seed_scores(table), pair_scores(table)
    for metric in scores["metric"].unique():
        metrics.direction_of(metric)  # every metric on the board declares its direction, before any work
    summaries, pairs = [], []
    seeds_by_family = dict(tuple(per_seed.groupby(FAMILY, sort=True, dropna=False)))
    pairs_by_family = dict(tuple(per_pair.groupby(FAMILY, sort=True, dropna=False)))
    unranked = unranked_methods(table)
    for key, family in scores.groupby(FAMILY, sort=True, dropna=False):
        described, comparisons = family_tables(family, seeds_by_family[key], alpha, level, pairs_by_family.get(key),
                                               unranked)
        summaries.append(described.assign(**dict(zip(FAMILY, key))))
        if len(comparisons):
            pairs.append(comparisons.assign(**dict(zip(FAMILY, key))))
    summary = _ordered(pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame(), SUMMARY_COLUMNS)
    pairwise = _ordered(pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(), PAIRWISE_COLUMNS)
    if len(summary):
        summary = summary.merge(failed_counts(table), how="left", on=["dataset", "task", "protocol", "cells",
                                                                       "method"])
        summary["n_failed"] = summary["n_failed"].fillna(0).astype(int)
    return summary, pairwise


def family_tables(family: pd.DataFrame, per_seed: pd.DataFrame, alpha: float, level: float,
                  per_pair: pd.DataFrame | None = None,
                  unranked: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summary and pairwise rows of one family; descriptive metrics are summarised, not ranked, and so is a
    method of ``unranked`` (label -> reason) in a family that pairs two recordings."""
    described = summarise_family(family, per_seed, level, unranked)
    if described["direction"].iloc[0] == metrics.DESCRIPTIVE:
        return described, pd.DataFrame()
    ranked = described.loc[described["rank"].notna(), "method"].tolist()
    family = family[family["method_label"].isin(ranked)]
    comparisons = compare_methods(family, ranked, alpha, level, per_pair)
    described.loc[described["rank"].notna(), "tie_group"] = letter_groups(ranked, comparisons, alpha)
    ranks = average_ranks(family, described["direction"].iloc[0] == metrics.HIGHER, alpha)
    described = described.merge(ranks[["method", "mean_rank", "friedman_p", "critical_difference"]], how="left",
                                on="method")
    return described, comparisons.assign(scope=described["scope"].iloc[0])


def summarise_family(family: pd.DataFrame, per_seed: pd.DataFrame, level: float = 0.95,
                     unranked: dict[str, str] | None = None) -> pd.DataFrame:
    """The summary rows of one family without its tests: means, intervals, ranks (none for a descriptive
    metric, nor for an ``unranked`` method where the family pairs two recordings), scope; best first."""
    direction = metrics.direction_of(family["metric"].iloc[0])
    described = describe_methods(family, per_seed, direction, level).assign(scope=family_scope(family),
                                                                             tie_group="")
    if direction == metrics.DESCRIPTIVE:
        return described.assign(rank=pd.NA)
    left_out = {m: r for m, r in (unranked or {}).items() if family["cells"].iloc[0] != SAME and m in set(
        described["method"])}
    return _ranked_apart(described, left_out, direction) if left_out else described


def _ranked_apart(described: pd.DataFrame, left_out: dict[str, str], direction: str) -> pd.DataFrame:
    """The summary with the ``left_out`` methods unranked (their reason given) and the others ranked
    among themselves, best first, the unranked last."""
    out = described["method"].isin(left_out)
    ranked = described[~out].copy()
    ranked["rank"] = ranked["mean"].rank(method="min", ascending=direction == metrics.LOWER).astype(int)
    apart = described[out].assign(rank=pd.NA, unranked_reason=described.loc[out, "method"].map(left_out))
    return pd.concat([ranked, apart], ignore_index=True)


#: methods whose embedding axes are the recording's own neurons: across two recordings those do not
#: correspond, so any alignment of them is meaningless and they are shown, never ranked
NEURONS_AS_AXES = {"raw": "its axes are each recording's own neurons, which do not correspond across recordings"}


def unranked_methods(table: pd.DataFrame) -> dict[str, str]:
    """method label -> why it is not ranked in a family that pairs two recordings."""
    labels = table[["method", "method_label"]].drop_duplicates()
    return {row.method_label: NEURONS_AS_AXES[row.method] for row in labels.itertuples() if row.method in
            NEURONS_AS_AXES}


def family_scope(family: pd.DataFrame) -> str:
    """What the family's tests infer about: these subjects' sessions; one subject is said outright."""
    subjects = sorted(family["subject"].unique())
    sessions = family["test_session"].nunique()
    if len(subjects) == 1:
        return f"one subject ({subjects[0]}), {sessions} sessions: inference about this monkey only"
    return (f"{len(subjects)} subjects, {sessions} sessions: inference about these monkeys' sessions "
            f"(tests blocked by subject); generalisation to new monkeys shown only by sign agreement")


def describe_methods(family: pd.DataFrame, per_seed: pd.DataFrame, direction: str,
                     level: float = 0.95) -> pd.DataFrame:
    """Per method of one family: n units, mean, SD, bootstrap CI, median, interquartile mean, rank
    (1 = best); sorted best first."""
    records = []
    seeds_of = dict(tuple(per_seed.groupby("method_label", sort=False)))
    for method, part in family.groupby("method_label", sort=True):
        values = part["value"].to_numpy()
        low, high = hierarchical_ci(seeds_of[method], level)
        seeds = sorted(part["n_seeds"].unique())
        records.append(dict(
            method=method, unit=unit_name(part["cells"].iloc[0]), n_units=len(values),
            n_recordings=int(seeds_of[method]["n_recordings"].groupby(seeds_of[method]["test_session"]).max().sum()),
            n_subjects=part["subject"].nunique(),
            seeds=str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}",
            mean=values.mean(), sd=values.std(ddof=1) if len(values) > 1 else float("nan"), ci_low=low, ci_high=high,
            median=float(np.median(values)), iqm=float(stats.trim_mean(values, 0.25)), direction=direction,
            higher_is_better=direction == metrics.HIGHER))
    frame = pd.DataFrame.from_records(records)
    better_high = direction != metrics.LOWER
    frame = frame.sort_values(["mean", "method"], ascending=[not better_high, True], kind="stable")
    frame["rank"] = frame["mean"].rank(method="min", ascending=not better_high).astype(int)
    return frame.reset_index(drop=True)


def _ordered(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=columns)
    for column in columns:
        if column not in frame:
            frame[column] = np.nan
    return frame[columns + [c for c in frame.columns if c not in columns]]


def failed_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Failed (unit, seed) combinations per dataset x task x protocol x cells x method."""
    keys = ["dataset", "task", "protocol", "cells", "method_label"]
    failed = table[table["status"] == "failed"]
    counts = failed.drop_duplicates(keys + ["train_unit", "test_unit", "seed"]).groupby(keys).size()
    return counts.rename("n_failed").reset_index().rename(columns={"method_label": "method"})
