"""Paired comparisons of two methods over their shared units: t-test, Wilcoxon, Holm, Cohen's dz."""

from __future__ import annotations

import itertools
import warnings
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .blocked import BLOCKED_COLUMNS, blocked_paired_test
from .mixed import mixed_intercept_test
from .table import SAME
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
    return paired_comparisons(np.asarray(a, dtype=float)[None], np.asarray(b, dtype=float)[None], level)[0]


def paired_comparisons(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> list[dict]:
    """:func:`paired_comparison` of each row of two (pairs x units) arrays, vectorised over the rows: the
    same numbers as one call per row (scipy's tests are applied to batches of rows that it would treat
    alike), at a fraction of the cost."""
    diff = a - b
    rows, n = diff.shape
    nan = np.full(rows, np.nan)
    sd = diff.std(axis=1, ddof=1) if n > 1 else nan
    out = dict(n_shared=np.full(rows, n), mean_a=_means(a), mean_b=_means(b), mean_diff=_means(diff), sd_diff=sd)
    out["diff_ci_low"], out["diff_ci_high"] = _mean_cis(diff, level)
    out.update(t_statistic=nan.copy(), t_df=np.full(rows, n - 1 if n > 1 else np.nan), t_p=nan.copy(),
               wilcoxon_statistic=nan.copy(), wilcoxon_p=nan.copy(), cohens_dz=nan.copy())
    notes = [[] for _ in range(rows)]
    zero = np.all(diff == 0, axis=1)
    constant = ~zero & (sd == 0)
    tested = ~zero & ~constant & (n >= 2)
    for i in np.flatnonzero(zero if n >= 2 else np.ones(rows, bool)):
        notes[i].append(f"{n} shared unit(s): no test" if n < 2 else "all differences are zero: no test")
    for i in np.flatnonzero(constant & (n >= 2)):
        notes[i].append("constant difference: t-test p is 0, dz undefined")
        out["t_statistic"][i], out["t_p"][i] = np.sign(out["mean_diff"][i]) * np.inf, 0.0
    if tested.any():
        result = stats.ttest_rel(a[tested], b[tested], axis=1)
        out["t_statistic"][tested], out["t_p"][tested] = result.statistic, result.pvalue
        out["cohens_dz"][tested] = out["mean_diff"][tested] / sd[tested]
    if n >= 2:
        _wilcoxons(a, b, ~zero, out, notes)
    records = [{key: _scalar(values[i]) for key, values in out.items()} for i in range(rows)]
    for record, note in zip(records, notes):
        record["note"] = "; ".join(note)
    return records


def _means(values: np.ndarray) -> np.ndarray:
    return values.mean(axis=1) if values.shape[1] else np.full(len(values), np.nan)


def _mean_cis(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mean_ci` of each row."""
    n = values.shape[1]
    if n < 2:
        return np.full(len(values), np.nan), np.full(len(values), np.nan)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(axis=1, ddof=1) / np.sqrt(n)
    return values.mean(axis=1) - half, values.mean(axis=1) + half


def _scalar(value):
    return int(value) if isinstance(value, np.integer) else float(value)


def _wilcoxons(a: np.ndarray, b: np.ndarray, tested: np.ndarray, out: dict, notes: list[list[str]]) -> None:
    """Wilcoxon signed-rank tests of the ``tested`` rows. scipy chooses its method (exact, permutation or
    asymptotic) from zeros and ties anywhere in a batch, so rows with zeros or ties go apart from the rest."""
    diff = a - b
    magnitude = np.sort(np.abs(diff), axis=1)
    irregular = np.any(diff == 0, axis=1) | np.any(magnitude[:, 1:] == magnitude[:, :-1], axis=1)
    for batch in (tested & irregular, tested & ~irregular):
        if batch.any():
            _wilcoxon_batch(a, b, np.flatnonzero(batch), out, notes)
    for i in np.flatnonzero(tested):
        nonzero = int(np.count_nonzero(diff[i]))
        if nonzero < 6:
            notes[i].append(f"{nonzero} non-zero differences: Wilcoxon cannot reach p < 0.05")


def _wilcoxon_batch(a: np.ndarray, b: np.ndarray, rows: np.ndarray, out: dict, notes: list[list[str]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = stats.wilcoxon(a[rows], b[rows], axis=1)
        except ValueError:
            if len(rows) == 1:
                raise
            for row in rows:  # find the row scipy refuses; the others still get their test
                try:
                    _wilcoxon_batch(a, b, np.array([row]), out, notes)
                except ValueError as error:
                    notes[row].append(f"Wilcoxon: {error}")
            return
    out["wilcoxon_statistic"][rows], out["wilcoxon_p"][rows] = result.statistic, result.pvalue


def compare_methods(family: pd.DataFrame, ranked: list[str], alpha: float, level: float = 0.95,
                    pair_level: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every pair of methods over their shared units (test sessions), the better-ranked one as
    ``method_a``: the paired t-test and Wilcoxon, the test blocked by subject (``blocked.py``, what the
    letters are built on), each subject's mean difference and how many agree in sign, and the mixed model
    (``mixed.py``; on ``pair_level``, the seed-averaged recording pairs, where the family pairs recordings).
    Holm's adjustment over the pairs of this family, for each test separately."""
    grid = family.pivot(index=UNIT, columns="method_label", values="value")  # units (sorted) x methods
    values = {method: grid[method].to_numpy(float) for method in grid.columns}
    batches: dict[int, list] = {}  # pairs with the same number of shared units are tested together
    shared_units = {}
    for method_a, method_b in itertools.combinations(ranked, 2):
        shared = shared_units[method_a, method_b] = ~np.isnan(values[method_a]) & ~np.isnan(values[method_b])
        batches.setdefault(int(shared.sum()), []).append((method_a, method_b, values[method_a][shared],
                                                          values[method_b][shared]))
    records = {}
    for n, pairs in batches.items():
        a = np.array([pair[2] for pair in pairs]).reshape(len(pairs), n)
        b = np.array([pair[3] for pair in pairs]).reshape(len(pairs), n)
        for (method_a, method_b, _, _), result in zip(pairs, paired_comparisons(a, b, level)):
            records[method_a, method_b] = dict(method_a=method_a, method_b=method_b, **result)
    subjects = grid.index.get_level_values("subject").to_numpy()
    mixed_data = _mixed_data(grid, family["cells"].iloc[0], pair_level)
    for (method_a, method_b), record in records.items():
        shared = shared_units[method_a, method_b]
        record.update(blocked_paired_test(values[method_a][shared] - values[method_b][shared], subjects[shared]))
        record.update(_mixed(mixed_data, method_a, method_b))
    records = [records[pair] for pair in itertools.combinations(ranked, 2)]
    frame = pd.DataFrame.from_records(records, columns=["method_a", "method_b"] + list(
        paired_comparison(np.zeros(0), np.zeros(0)).keys()) + BLOCKED_COLUMNS + MIXED_COLUMNS)
    for test in ("t", "wilcoxon", "blocked", "mixed"):
        frame[f"{test}_p_holm"] = holm(frame[f"{test}_p"])
    frame["significant"] = frame["blocked_p_holm"] < alpha
    return frame


MIXED_COLUMNS = ["mixed_mean", "mixed_se", "mixed_p", "mixed_components"]


def _mixed_data(grid: pd.DataFrame, cells: str, pair_level: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """(observations x methods values, the grouping columns of their random intercepts): the units (``grid``)
    with a subject intercept, or the recording pairs with subject, source recording and target session ones."""
    if pair_level is None or cells == SAME:
        return grid, ["subject"]
    index = ["subject", "train_unit", "test_session", "test_unit"]
    return pair_level.pivot(index=index, columns="method_label", values="value"), ["subject", "train_unit",
                                                                                    "test_session"]


def _mixed(data: tuple[pd.DataFrame, list[str]], method_a: str, method_b: str) -> dict:
    grid, groupings = data
    both = grid[[method_a, method_b]].dropna()
    levels = [both.index.get_level_values(g).to_numpy() for g in groupings]
    sessions = both.index.get_level_values("test_session").nunique()  # the independent units
    return mixed_intercept_test((both[method_a] - both[method_b]).to_numpy(float), *levels, df=sessions - 1)


def comparisons_of(pairwise: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """The rows of a pairwise table that compare ``first`` with ``second``, in either order, with ``flip``:
    +1 where the row's differences are ``first - second``, -1 where they are ``second - first``."""
    rows = pairwise[((pairwise["method_a"] == first) & (pairwise["method_b"] == second))
                    | ((pairwise["method_a"] == second) & (pairwise["method_b"] == first))]
    return rows.assign(flip=np.where(rows["method_a"] == first, 1.0, -1.0))
