"""The paired test blocked by subject, and how many subjects agree in sign.

Sessions of one monkey are not independent draws: a paired t-test over 13 sessions of 3 monkeys counts
between-monkey differences as sampling noise of sessions. Here the difference ``a - b`` of each unit
(test session) is modelled as ``d = mu_subject + e`` with the subject as a fixed factor: the estimate is the
board's mean difference over sessions (each subject weighted by its sessions), its error the pooled
within-subject residual, df = units - subjects. The scope is inference about these monkeys' sessions;
whether an effect generalises to new monkeys is shown, not tested, by how many subjects agree in sign.
With one subject the test is the ordinary paired t-test.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

BLOCKED_COLUMNS = ["n_subjects", "subjects_agree", "subject_diffs", "blocked_t", "blocked_df", "blocked_p"]


def blocked_paired_test(diff: np.ndarray, subjects: np.ndarray) -> dict:
    """``BLOCKED_COLUMNS`` of the unit differences ``diff`` whose subjects are ``subjects``."""
    names, codes = np.unique(subjects, return_inverse=True)
    counts = np.bincount(codes, minlength=len(names))
    subject_means = np.bincount(codes, weights=diff, minlength=len(names)) / np.maximum(counts, 1)
    mean = float(diff.mean()) if len(diff) else float("nan")
    out = dict(n_subjects=len(names), subjects_agree=_agreeing(subject_means, mean),
               subject_diffs="; ".join(f"{n} {m:+.3f}" for n, m in zip(names, subject_means)),
               blocked_t=float("nan"), blocked_df=float("nan"), blocked_p=float("nan"))
    df = len(diff) - len(names)
    if df < 1 or np.all(diff == 0):
        return out
    residual_variance = float(np.sum((diff - subject_means[codes]) ** 2) / df)
    out["blocked_df"] = float(df)
    if residual_variance == 0:  # every subject's sessions agree exactly: a constant shift per subject
        out["blocked_t"], out["blocked_p"] = float(np.sign(mean) * np.inf), 0.0 if mean else 1.0
        return out
    t = mean / np.sqrt(residual_variance / len(diff))
    out["blocked_t"], out["blocked_p"] = float(t), float(2 * stats.t.sf(abs(t), df))
    return out


def _agreeing(subject_means: np.ndarray, mean: float) -> int:
    """Subjects whose mean difference has the sign of the overall one (a zero agrees with nothing)."""
    return int(np.sum(np.sign(subject_means) == np.sign(mean))) if mean else 0


def agreement_text(agree, n_subjects) -> str:
    """``"3/3"``; empty where the counts are missing."""
    try:
        return f"{int(agree)}/{int(n_subjects)}"
    except (TypeError, ValueError):
        return ""
