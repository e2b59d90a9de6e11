"""Average ranks over units with Friedman's test and the Nemenyi critical difference (Demsar 2006).

Per family, only the units on which every compared method has a score are ranked (a blocked design);
rank 1 is the best method on a unit, ties share their average rank. The critical difference says how far
apart two mean ranks must be to differ at ``alpha`` after Nemenyi's correction for all pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .units import UNIT

RANK_COLUMNS = ["method", "mean_rank", "n_ranked_units", "n_ranked_methods", "friedman_chi2", "friedman_p",
                "critical_difference"]


def complete_block(family: pd.DataFrame) -> pd.DataFrame:
    """Units x methods values, units where every method has a value."""
    matrix = family.pivot_table(index=UNIT, columns="method_label", values="value", aggfunc="mean")
    return matrix.dropna(axis=0, how="any")


def average_ranks(family: pd.DataFrame, higher_is_better: bool, alpha: float) -> pd.DataFrame:
    """Per method: mean rank over complete units, with the family's Friedman test and Nemenyi CD."""
    matrix = complete_block(family)
    n_units, k = matrix.shape
    if n_units < 2 or k < 2:
        return pd.DataFrame(columns=RANK_COLUMNS)
    ranks = (-matrix if higher_is_better else matrix).rank(axis=1, method="average")
    chi2, p = _friedman(matrix) if k >= 3 else (float("nan"), float("nan"))
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = float(q * np.sqrt(k * (k + 1) / (6 * n_units)))
    mean_rank = ranks.mean(axis=0)
    return pd.DataFrame({"method": mean_rank.index, "mean_rank": mean_rank.to_numpy(), "n_ranked_units": n_units,
                         "n_ranked_methods": k, "friedman_chi2": chi2, "friedman_p": p, "critical_difference": cd})


def _friedman(matrix: pd.DataFrame) -> tuple[float, float]:
    if np.all(matrix.to_numpy() == matrix.to_numpy()[:, :1]):
        return float("nan"), float("nan")  # every unit ties all methods: nothing to test
    result = stats.friedmanchisquare(*[matrix[c].to_numpy() for c in matrix.columns])
    return float(result.statistic), float(result.pvalue)
