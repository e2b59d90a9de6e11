"""Hierarchical bootstrap (Saravanan, Berman & Sober 2020): confidence intervals that respect nesting.

Seeds are nested in sessions, sessions in subjects. Resampling flat units treats two sessions of one monkey
as independent as two monkeys; the hierarchical bootstrap resamples subjects with replacement, then, within
each drawn subject, its sessions with replacement, then, within each drawn session, its seeds with
replacement, and takes the mean of the drawn session values (each the mean of its drawn seeds). The
percentile interval of those means is the CI. With one subject the top level is a no-op, which is honest:
there is no subject-level variability to estimate.

Resampling is vectorised over the resamples (ragged levels are padded and masked) and uses a fixed seed, so a
table gives the same interval every time.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

N_RESAMPLES = 2000
SEED = 20200709  # any fixed number: intervals must not change between runs


def hierarchical_ci(seed_values: pd.DataFrame, level: float = 0.95, n_resamples: int = N_RESAMPLES,
                    seed: int = SEED) -> tuple[float, float]:
    """Percentile CI of the mean over sessions; ``seed_values`` has columns subject, test_session, seed,
    value (one row per session x seed). NaN for fewer than two sessions."""
    subject = pd.factorize(seed_values["subject"], sort=True)[0]
    session = pd.factorize(seed_values["test_session"], sort=True)[0]
    return nested_ci(subject, session, seed_values["value"].to_numpy(float), level, n_resamples, seed)


def nested_ci(subject: np.ndarray, session: np.ndarray, value: np.ndarray, level: float = 0.95,
              n_resamples: int = N_RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """:func:`hierarchical_ci` of one value per row, its subject and session given as integer codes in
    the sorted order of their labels (negative: missing, the row is left out)."""
    values, seeds_per_session, sessions_of_subject = _nested(subject, session, value)
    if values.shape[0] < 2:
        return float("nan"), float("nan")
    draws = _draws(tuple(seeds_per_session.tolist()), tuple(map(tuple, sessions_of_subject)), n_resamples, seed)
    tail = (1 - level) / 2
    low, high = np.quantile(_resampled_means(values, draws), [tail, 1 - tail])
    return float(low), float(high)


def _nested(subject: np.ndarray, session: np.ndarray,
            value: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(sessions x max seeds values, NaN padded; seeds per session; session indices of each subject), the
    sessions in (subject, session) order and each session's values in row order."""
    known = (subject >= 0) & (session >= 0)
    subject, session, value = subject[known], session[known], value[known]
    order = np.lexsort((np.arange(len(value)), session, subject))
    pairs = np.stack([subject[order], session[order]], axis=1)
    starts = np.flatnonzero(np.r_[True, np.any(pairs[1:] != pairs[:-1], axis=1)]) if len(pairs) else np.zeros(0, int)
    seeds_per_session = np.diff(np.r_[starts, len(order)])
    values = np.full((len(starts), seeds_per_session.max(initial=0)), np.nan)
    within = np.arange(len(order)) - np.repeat(starts, seeds_per_session)
    values[np.repeat(np.arange(len(starts)), seeds_per_session), within] = value[order]
    session_subject = pairs[starts, 0]
    by_subject = [np.flatnonzero(session_subject == s) for s in dict.fromkeys(session_subject.tolist())]
    return values, seeds_per_session, by_subject


@functools.lru_cache(maxsize=256)
def _draws(seeds_per_session: tuple, sessions_of_subject: tuple, n: int, seed: int) -> tuple:
    """The resampled (session, seed) indices and their masks. They depend only on the nesting, not on the
    values, so every metric and time bin of one design shares them (a fresh generator per design: the
    interval of a table does not depend on what else was computed)."""
    rng = np.random.default_rng(seed)
    seeds_per_session = np.array(seeds_per_session)
    n_subjects = len(sessions_of_subject)
    most_sessions = max(len(s) for s in sessions_of_subject)
    table = np.zeros((n_subjects, most_sessions), dtype=int)
    counts = np.array([len(s) for s in sessions_of_subject])
    for i, members in enumerate(sessions_of_subject):
        table[i, :len(members)] = members
    subjects = rng.integers(0, n_subjects, size=(n, n_subjects))                      # drawn subjects
    draws = (rng.random((n, n_subjects, most_sessions)) * counts[subjects][..., None]).astype(int)
    session_mask = np.arange(most_sessions) < counts[subjects][..., None]
    sessions = table[subjects[..., None], np.minimum(draws, most_sessions - 1)]        # drawn sessions
    width = int(seeds_per_session.max())
    seed_draws = (rng.random(sessions.shape + (width,)) * seeds_per_session[sessions][..., None]).astype(int)
    seed_mask = np.arange(width) < seeds_per_session[sessions][..., None]
    draws = sessions, seed_draws, seed_mask, session_mask
    for array in draws:
        array.setflags(write=False)  # shared by every caller of the cache
    return draws


def _resampled_means(values: np.ndarray, draws: tuple) -> np.ndarray:
    sessions, seed_draws, seed_mask, session_mask = draws
    drawn = np.where(seed_mask, values[sessions[..., None], seed_draws], 0.0)
    session_means = drawn.sum(axis=-1) / seed_mask.sum(axis=-1)
    return np.where(session_mask, session_means, 0.0).sum(axis=(1, 2)) / session_mask.sum(axis=(1, 2))
