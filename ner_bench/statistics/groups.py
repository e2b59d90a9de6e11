"""Tie groups as a compact letter display: methods that share a letter are not separable.

Methods are in rank order (best first). A letter covers a maximal run of consecutive methods in which *no*
pair differs (Holm-adjusted paired t-test p >= alpha, or untestable). Runs may overlap, so a method can carry
several letters ("ab": not separable from the a's nor from the b's, although some a and some b differ).
Hence the guarantee a reader needs: two methods with a common letter were not shown to differ. The converse
is not claimed: methods without a common letter differ from at least one member of each other's runs.
(The earlier rule, "open a group when a method differs from every member", chained: 12 methods shared
group 1 although 41 of their 66 pairs differed.)
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd


def separability(comparisons: pd.DataFrame, alpha: float) -> dict[tuple[str, str], bool]:
    """(method, method) -> whether the pair differs at Holm-adjusted ``alpha``, both orders."""
    separable = {}
    for row in comparisons.itertuples():
        differs = bool(np.isfinite(row.t_p_holm) and row.t_p_holm < alpha)
        separable[(row.method_a, row.method_b)] = separable[(row.method_b, row.method_a)] = differs
    return separable


def letter_groups(ranked: list[str], comparisons: pd.DataFrame, alpha: float) -> list[str]:
    """The letters of each method of ``ranked`` (best first), e.g. ``["a", "ab", "b"]``."""
    differs = separability(comparisons, alpha)
    runs = maximal_runs(len(ranked), lambda i, j: differs.get((ranked[i], ranked[j]), False))
    letters = [""] * len(ranked)
    for letter, (start, end) in zip(_letters(len(runs)), runs):
        for i in range(start, end + 1):
            letters[i] += letter
    return letters


def maximal_runs(n: int, differs) -> list[tuple[int, int]]:
    """Maximal index runs ``[start, end]`` of 0..n-1 inside which no pair ``differs(i, j)``."""
    runs, previous_end = [], -1
    for start in range(n):
        end = start
        while end + 1 < n and not any(differs(k, end + 1) for k in range(start, end + 1)):
            end += 1
        if end > previous_end:  # not inside the previous run
            runs.append((start, end))
            previous_end = end
    return runs


def _letters(n: int) -> list[str]:
    alphabet = string.ascii_lowercase
    return [alphabet[i] if i < 26 else alphabet[i // 26 - 1] + alphabet[i % 26] for i in range(n)]
