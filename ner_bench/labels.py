"""Human labels for the leaderboard's metrics (tables, figure titles and axes): one place, no matplotlib.

>>> metric_label("linear", "velocity", "r2")
'velocity R² (linear)'
>>> axis_label("direction", "peak_accuracy", "test")
'peak direction accuracy (test trials)'
"""

from __future__ import annotations

from .statistics import NONE

#: metric identifier -> its name in words
METRIC_NAMES = {
    "r2": "R²",
    "consistency_r2": "consistency R²",
    "accuracy": "accuracy",
    "peak_accuracy": "peak accuracy",
    "mean_accuracy": "mean accuracy",
    "balanced_accuracy": "balanced accuracy",
    "pearson_r": "Pearson r",
    "trajectory_contrast_r": "contrast r",
    "trajectory_contrast_null_r": "contrast r under permuted labels",
    "trajectory_contrast_excess_r": "contrast r over its permutation null",
    "trajectory_contrast_p": "contrast permutation p",
    "diagonal_mean_r": "same-direction mean r",
    "off_diagonal_mean_r": "different-direction mean r",
}

#: target identifier -> its name in words
TARGET_NAMES = {"latent_trajectory": "latent-trajectory", "trial_type": "curved-vs-straight"}

#: split -> the trials it scores
SPLIT_NAMES = {"test": "test trials", "train": "training trials"}


def quantity_label(target: str, metric: str) -> str:
    """The quantity in words, e.g. ``velocity R²``, ``peak direction accuracy``."""
    name = METRIC_NAMES.get(metric, metric.replace("_", " "))
    if target == NONE:
        return name
    target_name = TARGET_NAMES.get(target, target.replace("_", " "))
    for prefix in ("peak ", "mean ", "balanced "):  # "peak direction accuracy", not "direction peak accuracy"
        if name.startswith(prefix) and name.endswith("accuracy"):
            return f"{prefix}{target_name} {name[len(prefix):]}"
    return f"{target_name} {name}"


def metric_label(decoder: str, target: str, metric: str) -> str:
    """The quantity and its decoder, e.g. ``velocity R² (linear)``; missing parts (``-``) are left out."""
    label = quantity_label(target, metric)
    return label if decoder == NONE else f"{label} ({decoder})"


def axis_label(target: str, metric: str, split: str | None = "test") -> str:
    """A figure axis: the quantity and the trials it is scored on, e.g. ``velocity R² (test trials)``."""
    trials = SPLIT_NAMES.get(split or "", f"{split} trials" if split else "")
    label = quantity_label(target, metric)
    return f"{label} ({trials})" if trials else label
