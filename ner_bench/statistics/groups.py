"""Tie groups as a compact letter display that reads both ways (Piepho 2004, insert-and-absorb).

Two methods share a letter **if and only if** they are not separated (Holm-adjusted p >= alpha, or
untestable). Insert-and-absorb starts from one letter holding every method; for each separated pair, each
letter holding both is split into a copy without the one and a copy without the other, and a letter whose
methods all sit in another letter is absorbed. What is left are the maximal groups of mutually inseparable
methods, so a separated pair never shares a letter and an inseparable pair always does. A final sweep drops
letters whose every pair (and every method) another letter already covers, which keeps both properties
with fewer letters. Letters are named in rank order: ``a`` holds the best-ranked method.

(The earlier display, maximal runs of consecutive methods in rank order, held the first property only:
on the reaching board 2 281 inseparable pairs shared no letter, and readers took them as different.)
"""

from __future__ import annotations

import itertools
import re
import string

import numpy as np
import pandas as pd

#: the comparisons' column the letters are built on: the subject-blocked paired test, Holm-adjusted
LETTER_P = "blocked_p_holm"


def separability(comparisons: pd.DataFrame, alpha: float, p_column: str = LETTER_P) -> dict[tuple[str, str], bool]:
    """(method, method) -> whether the pair differs at Holm-adjusted ``alpha``, both orders."""
    separable = {}
    for a, b, p in zip(comparisons["method_a"], comparisons["method_b"], comparisons[p_column]):
        differs = bool(np.isfinite(p) and p < alpha)
        separable[(a, b)] = separable[(b, a)] = differs
    return separable


def letter_groups(ranked: list[str], comparisons: pd.DataFrame, alpha: float,
                  p_column: str = LETTER_P) -> list[str]:
    """The letters of each method of ``ranked`` (best first), e.g. ``["a", "ab", "b"]``."""
    differs = separability(comparisons, alpha, p_column)
    separated = [(i, j) for i, j in itertools.combinations(range(len(ranked)), 2)
                 if differs.get((ranked[i], ranked[j]), False)]
    groups = swept(inseparable_groups(len(ranked), separated))
    letters = [""] * len(ranked)
    for letter, members in zip(_letters(len(groups)), groups):
        for i in members:
            letters[i] += letter
    return letters


def inseparable_groups(n: int, separated: list[tuple[int, int]]) -> list[frozenset[int]]:
    """Insert-and-absorb: the maximal sets of 0..n-1 that hold no separated pair, in rank order."""
    groups = [frozenset(range(n))] if n else []
    for i, j in separated:
        split = []
        for group in groups:
            split.extend([group - {i}, group - {j}] if i in group and j in group else [group])
        groups = _absorbed(split)
    return sorted(groups, key=sorted)


def swept(groups: list[frozenset[int]]) -> list[frozenset[int]]:
    """Drop, last first, every group whose pairs and members the remaining groups all cover."""
    kept = list(groups)
    for group in reversed(groups):
        others = [g for g in kept if g is not group]
        covered = all(any(i in g for g in others) for i in group) and all(
            any(i in g and j in g for g in others) for i, j in itertools.combinations(sorted(group), 2))
        if covered:
            kept = others
    return kept


def reads_both_ways(ranked: list[str], letters: list[str], differs: dict[tuple[str, str], bool]) -> list[str]:
    """The pairs for which the display misreads: a separated pair sharing a letter, or an inseparable pair
    sharing none (empty when the letters read both ways, which insert-and-absorb guarantees)."""
    wrong = []
    for (i, a), (j, b) in itertools.combinations(enumerate(ranked), 2):
        share = bool(set(letter_tokens(letters[i])) & set(letter_tokens(letters[j])))
        if share == differs.get((a, b), False):
            wrong.append(f"{a} / {b}: {'separated but share a letter' if share else 'not separated, no shared letter'}")
    return wrong


def letter_tokens(letters: str) -> list[str]:
    """A method's letters one by one (``"ab(53)"`` -> ``["a", "b", "(53)"]``)."""
    return re.findall(r"\(\d+\)|[A-Za-z]", letters)


def _absorbed(groups: list[frozenset[int]]) -> list[frozenset[int]]:
    unique = list(dict.fromkeys(g for g in groups if g))
    return [g for g in unique if not any(g < other for other in unique)]


def _letters(n: int) -> list[str]:
    """a..z, A..Z, then (53), (54), ...: one token per letter, so a method's letters read unambiguously."""
    alphabet = string.ascii_lowercase + string.ascii_uppercase
    return [alphabet[i] if i < len(alphabet) else f"({i + 1})" for i in range(n)]
