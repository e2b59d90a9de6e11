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

import numpy as np
import pandas as pd

N_RESAMPLES = 2000
SEED = 20200709  # any fixed number: intervals must not change between runs


def hierarchical_ci(seed_values: pd.DataFrame, level: float = 0.95, n_resamples: int = N_RESAMPLES,
                    seed: int = SEED) -> tuple[float, float]:
    """Percentile CI of the mean over sessions; ``seed_values`` has columns subject, test_session, seed,
    value (one row per session x seed). NaN for fewer than two sessions."""
    values, seeds_per_session, sessions_of_subject = _nested(seed_values)
    if values.shape[0] < 2:
        return float("nan"), float("nan")
    means = _resampled_means(values, seeds_per_session, sessions_of_subject, n_resamples,
                             np.random.default_rng(seed))
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


def _nested(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(sessions x max seeds values, NaN padded; seeds per session; session indices of each subject)."""
    sessions = frame.groupby(["subject", "test_session"], sort=True)["value"].apply(lambda v: v.to_numpy(float))
    width = max(len(v) for v in sessions)
    values = np.full((len(sessions), width), np.nan)
    for i, v in enumerate(sessions):
        values[i, :len(v)] = v
    subjects = sessions.index.get_level_values("subject").to_numpy()
    by_subject = [np.flatnonzero(subjects == s) for s in dict.fromkeys(subjects)]
    return values, np.array([len(v) for v in sessions]), by_subject


def _resampled_means(values, seeds_per_session, sessions_of_subject, n, rng) -> np.ndarray:
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
    width = values.shape[1]
    seed_draws = (rng.random(sessions.shape + (width,)) * seeds_per_session[sessions][..., None]).astype(int)
    seed_mask = np.arange(width) < seeds_per_session[sessions][..., None]
    drawn = np.where(seed_mask, values[sessions[..., None], seed_draws], 0.0)
    session_means = drawn.sum(axis=-1) / seed_mask.sum(axis=-1)
    return np.where(session_mask, session_means, 0.0).sum(axis=(1, 2)) / session_mask.sum(axis=(1, 2))
