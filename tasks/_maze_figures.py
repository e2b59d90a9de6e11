"""3-D latent trajectories by condition, like the paper's Figure 8: hand paths on the left, the latent
trajectories on the right; one colour per maze (trial type), straight reaches solid and curved dashed,
condition averages thick over single trials thin; a dot marks each average's first bin.

``plot_condition_trajectories`` draws one embedding; ``trajectory_figures`` draws every (method,
recording, seed) of a run, reading the embeddings from the run's cache (fitting what is missing, with the
same jobs and cache keys as ``ner-bench run``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from ner_bench import Recording

log = logging.getLogger(__name__)


def plot_condition_trajectories(values: np.ndarray, recording: Recording, path: str | Path, *,
                                trials: Sequence[int] | None = None, title: str = "") -> Path:
    """Save a figure of ``values`` (the embedding of every bin of ``recording``) for ``trials``
    (default: all) to ``path`` (the suffix picks the format: .png, .pdf, .svg)."""
    from matplotlib.figure import Figure

    keep = np.isin(recording.trial, recording.trial_ids if trials is None else np.asarray(trials))
    if not keep.any():
        raise ValueError(f"none of the given trials is in recording {recording.id!r}")
    part = recording.select_trials(np.unique(recording.trial[keep]))
    latent = _three_columns(np.asarray(values)[keep]).reshape(part.n_trials, part.trial_length, 3)
    hand = part.position.reshape(part.n_trials, part.trial_length, 2)
    labels = _trial_labels(part)
    figure = Figure(figsize=(11, 5), layout="constrained")
    hand_axes = figure.add_subplot(1, 2, 1)
    latent_axes = figure.add_subplot(1, 2, 2, projection="3d")
    colours = _colours(labels)
    order = [c for c in recording.meta.get("conditions", []) if c in set(labels)] or list(dict.fromkeys(labels))
    for label in order:
        rows = labels == label
        style = dict(color=colours[label], linestyle="--" if label.endswith("curved") else "-")
        for trial in latent[rows]:
            latent_axes.plot(*trial.T, alpha=0.15, linewidth=0.6, **style)
        mean = latent[rows].mean(axis=0)
        latent_axes.plot(*mean.T, linewidth=2.2, label=f"{label} ({rows.sum()})", **style)
        latent_axes.scatter(*mean[0], color=colours[label], s=14)
        hand_axes.plot(*hand[rows].mean(axis=0).T, linewidth=2, **style)
    hand_axes.set(title="hand position (condition means)", xlabel=f"x ({_unit(recording)})",
                  ylabel=f"y ({_unit(recording)})", aspect="equal")
    latent_axes.set(title="latent trajectories", xlabel="latent 1", ylabel="latent 2", zlabel="latent 3")
    latent_axes.legend(fontsize=7, loc="upper left")
    figure.suptitle(title or recording.id)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=130)
    return path


def trajectory_figures(methods: str | Sequence[str], dataset: str, figures_dir: str | Path, *,
                       out: str | Path = "results", seeds: Sequence[int] = (0,), which_trials: str = "test",
                       plugins: Sequence[str | Path] = (), budget: str = "quick", data_dir: str | Path | None = None,
                       areas: Sequence[str] = (), device: str = "cpu", train_fraction: float = 0.8) -> list[Path]:
    """One figure per (method, recording, seed) of a run, in ``figures_dir``; ``which_trials`` is
    ``"test"``, ``"train"`` or ``"all"``. Embeddings come from ``out``'s cache when the run made them.

    >>> trajectory_figures("pca", "mc_maze[trial_set=straight-curved-13]", "figures")  # doctest: +SKIP
    """
    from ner_bench.runner import fit_embeddings

    written = []
    for fitted in fit_embeddings(methods, dataset, seeds=seeds, out=out, plugins=plugins, budget=budget,
                                 data_dir=data_dir, areas=areas, device=device, train_fraction=train_fraction):
        label = f"{fitted.method} on {fitted.recording.id} (seed {fitted.seed})"
        if not fitted.ok:
            log.error("no figure for %s: %s", label, fitted.error.splitlines()[0])
            continue
        split = fitted.split
        trials = {"test": split.test_trials, "train": split.train_trials, "all": None}[which_trials]
        name = f"{fitted.method}_{fitted.recording.id}_seed{fitted.seed}_{which_trials}.png"
        written.append(plot_condition_trajectories(
            fitted.values, fitted.recording, Path(figures_dir) / name, trials=trials,
            title=f"{fitted.method} - {fitted.recording.id} - seed {fitted.seed} - {which_trials} trials"))
    return written


def _three_columns(values: np.ndarray) -> np.ndarray:
    """The first three latent dimensions (zeros added when there are fewer)."""
    if values.shape[1] >= 3:
        return values[:, :3]
    return np.column_stack([values, np.zeros((len(values), 3 - values.shape[1]))])


def _trial_labels(recording: Recording) -> np.ndarray:
    conditions = recording.meta.get("trial_conditions")
    if conditions:
        return np.array([conditions[int(t)]["condition"] for t in recording.trial_ids])
    return np.array([f"direction {d}" for d in recording.trial_direction])


def _colours(labels: np.ndarray) -> dict[str, tuple]:
    """One colour per trial type (the part of the label before the reach), from matplotlib's tab10."""
    from matplotlib import colormaps

    groups = list(dict.fromkeys(label.rsplit("-", 1)[0] for label in labels))
    palette = colormaps["tab10"]
    return {label: palette(groups.index(label.rsplit("-", 1)[0]) % 10) for label in labels}


def _unit(recording: Recording) -> str:
    return "cm" if recording.dataset == "mc_maze" else "a.u."
