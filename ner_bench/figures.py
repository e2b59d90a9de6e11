"""Leaderboard figures (matplotlib/seaborn, Agg canvas, no pyplot state), each saved as PNG and SVG.

- bars: per metric, the mean per method with its 95 % hierarchical-bootstrap CI, every independent unit's
  (test session's, seed-averaged) value as a point and the tie-group letters above the bar;
- ranks: a critical-difference diagram per headline metric (mean rank over sessions, Friedman, Nemenyi;
  Demsar 2006), methods joined by a bar are not separable by Nemenyi's test;
- matrix: the train x test recording matrix of one metric per method, with the means of its diagonal
  (same recording) and off-diagonal (different recordings) cells, as the NER paper's Figure 5;
- time course: a per-time-bin metric (direction accuracy) with its 95 % bootstrap CI across sessions;
- trajectories: direction-averaged 3-D latent trajectories per method, coloured by direction, several
  recordings aligned to an anchor (as the paper's Figure 3).

Figures show held-out test trials (``split == "test"``); training-trial scores are in the tables.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the 3-D projection)

from .results import HEADLINE
from .statistics import DIFFERENT, FAMILY, SAME, UNIT, metric_label
from .anchored_trajectories import AlignedTrajectories, EmbeddedRecording, align_to_anchor

log = logging.getLogger(__name__)

FIGURE_SPLITS = ("test",)
FORMATS = ("png", "svg")


@dataclass
class FigureRecord:
    """A saved figure: what it shows (``kind`` and the family fields) and its files."""

    kind: str  # "bars", "matrix", "time_course", "trajectories"
    title: str
    key: dict = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # format -> path


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Figure, directory: Path, stem: str) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in FORMATS:
        paths[fmt] = directory / f"{stem}.{fmt}"
        figure.savefig(paths[fmt], dpi=110)
    return paths


def slug(*parts: object) -> str:
    cleaned = (re.sub(r"[^A-Za-z0-9.=-]+", "-", str(p)).strip("-") for p in parts)
    return "_".join(part for part in cleaned if part)  # a missing field ("-") leaves no empty slot


def method_colors(methods: Sequence[str]) -> dict[str, tuple]:
    """One colour per method, the same in every figure."""
    names = sorted(set(methods))
    palette = sns.color_palette("colorblind", max(len(names), 1))
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


# ----------------------------------------------------------------------------- bars
def bar_figure(summary: pd.DataFrame, scores: pd.DataFrame, colors: Mapping[str, tuple], title: str) -> Figure:
    """One panel per (decoder, target, metric) of ``summary``; methods in rank order."""
    panels = sorted(summary.groupby(["decoder", "target", "metric"], sort=True), key=lambda p: _panel_order(p[0]))
    ncols = 2 if len(panels) == 4 else min(len(panels), 3)
    nrows = int(np.ceil(len(panels) / ncols))
    figure = new_figure(max(3.2, 0.55 * summary["method"].nunique() + 1.6) * ncols, 3.4 * nrows + 0.4)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, ((decoder, target, metric), rows) in zip(axes, panels):
        rows = rows.sort_values(["rank", "method"])
        points = scores[(scores["decoder"] == decoder) & (scores["target"] == target) & (scores["metric"] == metric)]
        _bar_panel(ax, rows, points, colors)
        ax.set_title(metric_label(decoder, target, metric), fontsize=9)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    figure.suptitle(f"{title}\nbars: mean, whiskers: 95 % bootstrap CI, points: sessions, "
                     "letters: tie groups (a shared letter: not separable)", fontsize=9)
    return figure


def _panel_order(key: tuple[str, str, str]) -> tuple:
    """The run summary's headline metrics first, in their order, then the others alphabetically."""
    return (HEADLINE.index(key), ()) if key in HEADLINE else (len(HEADLINE), key)


def _bar_panel(ax, rows: pd.DataFrame, points: pd.DataFrame, colors: Mapping[str, tuple]) -> None:
    order = rows["method"].tolist()
    x = np.arange(len(order))
    ax.bar(x, rows["mean"], color=[colors[m] for m in order], alpha=0.55, width=0.7)
    errors = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
    ax.errorbar(x, rows["mean"], yerr=np.nan_to_num(errors), fmt="none", ecolor="black", capsize=3, lw=1)
    if len(points):
        sns.stripplot(data=points, x="method_label", y="value", order=order, ax=ax, color="black", size=3,
                      jitter=0.18, alpha=0.7)
    top = np.nanmax(np.r_[rows["ci_high"].to_numpy(float), rows["mean"].to_numpy(float),
                          points["value"].to_numpy(float) if len(points) else []])
    for xi, group in zip(x, rows["tie_group"]):
        ax.annotate(str(group), (xi, top), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
    ax.set_xticks(x, order, rotation=30, ha="right", fontsize=8)
    ax.set_xlabel("")
    ax.set_ylabel(rows["metric"].iloc[0])
    ax.margins(y=0.12)


# ----------------------------------------------------------------------------- session x session matrix
def decoding_matrix(scores: pd.DataFrame) -> pd.DataFrame:
    """Train unit x test unit matrix of the seed-averaged values of one method and metric; when the
    train and test recordings are the same set, both axes share one order so the diagonal is A = A."""
    matrix = scores.pivot_table(index="train_unit", columns="test_unit", values="value", aggfunc="mean")
    rows, cols = sorted(matrix.index), sorted(matrix.columns)
    if set(rows) == set(cols) or set(rows) & set(cols):
        rows = cols = sorted(set(rows) | set(cols))
    return matrix.reindex(index=rows, columns=cols)


def diagonal_means(matrix: pd.DataFrame) -> tuple[float, float]:
    """Mean of the cells where train unit == test unit, and of all other filled cells."""
    values = matrix.to_numpy(dtype=float)
    same = np.array([[r == c for c in matrix.columns] for r in matrix.index], dtype=bool)
    diagonal, off = values[same & ~np.isnan(values)], values[~same & ~np.isnan(values)]
    return (float(diagonal.mean()) if diagonal.size else float("nan"),
            float(off.mean()) if off.size else float("nan"))


def matrix_figure(scores: pd.DataFrame, methods: Sequence[str], title: str) -> Figure:
    """One heatmap per method (in ``methods`` order), common colour scale, diagonal/off-diagonal means."""
    matrices = {m: decoding_matrix(scores[scores["method_label"] == m]) for m in methods}
    values = np.concatenate([m.to_numpy(float).ravel() for m in matrices.values()])
    vmin, vmax = np.nanmin(values), np.nanmax(values)
    n_units = max(max(m.shape) for m in matrices.values())
    size = min(2.2 + 0.42 * n_units, 7.0)
    ncols = min(len(methods), 3)
    nrows = int(np.ceil(len(methods) / ncols))
    figure = new_figure(size * ncols + 0.8, size * nrows + 1.2)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, method in zip(axes, methods):
        matrix = matrices[method]
        diagonal, off = diagonal_means(matrix)
        sns.heatmap(matrix, ax=ax, vmin=vmin, vmax=vmax, cmap="viridis", square=True, annot=n_units <= 8,
                    fmt=".2f", annot_kws={"fontsize": 7}, cbar=ax is axes[ncols - 1], linewidths=0.3)
        ax.set_title(f"{method}\ndiagonal {_fmt(diagonal)} · off-diagonal {_fmt(off)}", fontsize=9)
        ax.set_xlabel("test recording", fontsize=8)
        ax.set_ylabel("train recording", fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes[len(methods):]:
        ax.set_visible(False)
    figure.suptitle(title, fontsize=9)
    return figure


def _fmt(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.3f}"


# ----------------------------------------------------------------------------- over time
def time_course_figure(course: pd.DataFrame, colors: Mapping[str, tuple], title: str) -> Figure:
    figure = new_figure(6.0, 3.6)
    ax = figure.subplots()
    for method, rows in course.groupby("method", sort=True):
        rows = rows.sort_values("time_bin")
        x = rows["time_bin"].to_numpy(float)
        ax.plot(x, rows["mean"], color=colors[method], label=method, lw=1.5)
        ax.fill_between(x, rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float), color=colors[method],
                        alpha=0.2, lw=0)
    first = course.iloc[0]
    ax.set_xlabel("time bin within trial")
    ax.set_ylabel(f"{first['target']} {first['metric']}")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"{title} · mean across units, band: 95 % CI", fontsize=9)
    return figure


# ----------------------------------------------------------------------------- 3-D trajectories
def trajectory_figure(aligned: Mapping[str, Sequence[AlignedTrajectories]], title: str) -> Figure:
    """One 3-D panel per method; each direction a colour, the anchor recording bold, others thin."""
    methods = list(aligned)
    ncols = min(len(methods), 3)
    nrows = int(np.ceil(len(methods) / ncols))
    figure = new_figure(3.6 * ncols, 3.6 * nrows + 0.5)
    angle_of = {int(d): float(angle) for curves in aligned.values() for a in curves
                for d, angle in zip(a.directions, a.angles)}
    all_directions = sorted(angle_of)
    palette = dict(zip(all_directions, sns.color_palette("husl", len(all_directions))))
    for i, method in enumerate(methods):
        ax = figure.add_subplot(nrows, ncols, i + 1, projection="3d")
        for trajectories in aligned[method]:
            for direction, curve in zip(trajectories.directions, trajectories.curves):
                ax.plot(*curve.T, color=palette[int(direction)], lw=2.0 if trajectories.is_anchor else 0.8,
                        alpha=1.0 if trajectories.is_anchor else 0.55)
                ax.scatter(*curve[0], color=palette[int(direction)], s=8)
        dims = {a.original_dim for a in aligned[method]}
        note = "" if dims <= {3} else f" ({'/'.join(map(str, sorted(dims)))}-D, shown in 3-D)"
        ax.set_title(f"{method}{note}", fontsize=9)
        ax.tick_params(labelsize=6)
    handles = [_line(palette[d]) for d in all_directions]
    figure.legend(handles, [f"{angle_of[d]:g}°" for d in all_directions], loc="outside lower center",
                  ncols=min(len(all_directions), 8), fontsize=7, frameon=False, title="target direction",
                  title_fontsize=7)
    figure.suptitle(title, fontsize=9)
    return figure


def _line(color):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, lw=2)


# ----------------------------------------------------------------------------- all figures of a board
def draw_all(summary: pd.DataFrame, scores: pd.DataFrame, pairs: pd.DataFrame, course: pd.DataFrame,
             directory: Path, relative_to: Path | None = None) -> list[FigureRecord]:
    """Bars, rank diagrams, matrices and time courses for every test-split family; returns the saved
    figures. ``scores``: one row per independent unit; ``pairs``: one per recording pair."""
    colors = method_colors(list(summary.get("method", [])) + list(course.get("method", [])))
    records: list[FigureRecord] = []
    head = ["dataset", "task", "protocol", "split"]
    panel_keys = head + ["cells", "pair_type", "alignment"]
    for key, part in summary[summary["split"].isin(FIGURE_SPLITS)].groupby(panel_keys, sort=True):
        info = dict(zip(panel_keys, key))
        title = _title(info)
        ranked = part[part["direction"] != "descriptive"]
        if len(ranked):
            records.append(_saved("bars", title, info, bar_figure(ranked, _match(scores, info), colors, title),
                                  directory))
        rank_panels = _rank_panels(ranked, _match(scores, info))
        if rank_panels:
            records.append(_saved("ranks", title, info, rank_figure(rank_panels, title), directory))
    records += _matrices(summary, pairs, head, directory)
    for key, part in course[course["split"].isin(FIGURE_SPLITS)].groupby(FAMILY, sort=True) if len(course) else []:
        info = dict(zip(FAMILY, key))
        title = f"{_title(info)}\n{metric_label(info['decoder'], info['target'], info['metric'])}"
        records.append(_saved("time_course", title, info, time_course_figure(part, colors, title), directory))
    if relative_to is not None:
        for record in records:
            record.files = {fmt: path.relative_to(relative_to) for fmt, path in record.files.items()}
    return records


def _matrices(summary: pd.DataFrame, pairs: pd.DataFrame, head: list[str], directory: Path) -> list[FigureRecord]:
    """One train x test matrix per cross-recording metric (the diagonal A = A included where scored)."""
    records = []
    across = pairs[(pairs["cells"] == DIFFERENT) & pairs["split"].isin(FIGURE_SPLITS)]
    metric_keys = head + ["decoder", "target", "metric"]
    for key in sorted(across.groupby(metric_keys).groups, key=lambda k: (k[:4], _panel_order(k[4:]))):
        info = dict(zip(metric_keys, key))
        ranked = _match(summary, {**info, "cells": DIFFERENT}).sort_values(["rank", "method"])["method"]
        title = f"{_title(info)}\n{metric_label(info['decoder'], info['target'], info['metric'])}"
        figure = matrix_figure(_match(pairs, info), list(dict.fromkeys(ranked)), title)
        records.append(_saved("matrix", title, info, figure, directory))
    return records


# ----------------------------------------------------------------------------- critical-difference diagrams
RANKED_HEADLINE = HEADLINE + [("ridge", "velocity", "r2"), ("pearson", "latent_trajectory", "trajectory_contrast_r")]


def _rank_panels(summary: pd.DataFrame, scores: pd.DataFrame) -> list[tuple[str, pd.Series, pd.DataFrame, float]]:
    """(label, mean ranks, Nemenyi p-values, CD) per headline metric with 3+ methods ranked on 2+ sessions."""
    import scikit_posthocs

    panels = []
    for key in RANKED_HEADLINE:
        rows = summary[(summary["decoder"] == key[0]) & (summary["target"] == key[1]) & (summary["metric"] == key[2])]
        rows = rows.dropna(subset=["mean_rank"])
        points = scores[(scores["decoder"] == key[0]) & (scores["target"] == key[1]) & (scores["metric"] == key[2])]
        block = points.pivot_table(index=UNIT, columns="method_label", values="value").dropna()
        block = block[[m for m in rows["method"] if m in block]]
        if block.shape[1] < 3 or block.shape[0] < 2:
            continue
        oriented = block if bool(rows["higher_is_better"].iloc[0]) else -block
        p_values = scikit_posthocs.posthoc_nemenyi_friedman(oriented.to_numpy())
        p_values.index = p_values.columns = block.columns
        ranks = rows.set_index("method")["mean_rank"]
        panels.append((f"{metric_label(*key)} ({block.shape[0]} sessions)", ranks, p_values,
                       float(rows["critical_difference"].iloc[0])))
    return panels


def rank_figure(panels: list[tuple[str, pd.Series, pd.DataFrame, float]], title: str) -> Figure:
    """One critical-difference diagram per panel: rank 1 = best on a session."""
    import scikit_posthocs

    figure = new_figure(7.5, 1.9 * len(panels) + 0.8)
    axes = figure.subplots(len(panels), 1, squeeze=False).ravel()
    for ax, (label, ranks, p_values, cd) in zip(axes, panels):
        scikit_posthocs.critical_difference_diagram(ranks, p_values, ax=ax, label_props={"fontsize": 7})
        ax.set_title(f"{label}: mean rank (1 = best), Nemenyi CD = {cd:.2f}", fontsize=8)
    figure.suptitle(f"{title}\ncritical-difference diagrams (Friedman + Nemenyi); a bar joins methods not "
                    "separable", fontsize=9)
    return figure


def _match(frame: pd.DataFrame, info: dict) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in info.items():
        mask &= (frame[column] == value).to_numpy()
    return frame[mask]


def _title(info: dict) -> str:
    parts = [info["dataset"], info["task"], f"protocol {info['protocol']}", f"{info['split']} trials"]
    if "pair_type" in info:
        parts.append("train = test recording" if info["pair_type"] == SAME else f"{info['pair_type']} pairs")
    elif "cells" in info:
        parts.append("train = test recording" if info["cells"] == SAME else "train ≠ test recording")
    return " · ".join(parts)


def _saved(kind: str, title: str, info: dict, figure: Figure, directory: Path) -> FigureRecord:
    stem = slug(kind, *info.values())
    return FigureRecord(kind, title, info, save(figure, directory, stem))


def draw_trajectories(embeddings: Mapping[str, Sequence[EmbeddedRecording]], directory: Path, *,
                      anchor: str | None = None, trials: str = "all",
                      relative_to: Path | None = None) -> list[FigureRecord]:
    """One trajectory figure per (dataset, subject, area): every method's recordings of that group
    aligned to one anchor recording (``anchor`` when it is in the group, else the first recording
    id that the most methods have)."""
    groups: dict[tuple, dict[str, list[EmbeddedRecording]]] = {}
    for method, items in embeddings.items():
        for item in items:
            rec = item.recording
            groups.setdefault((rec.dataset, rec.subject, rec.area), {}).setdefault(method, []).append(item)
    records = []
    for (dataset, subject, area), by_method in sorted(groups.items()):
        counts = Counter(e.recording.id for items in by_method.values() for e in items)
        chosen = anchor if anchor in counts else sorted(counts, key=lambda rid: (-counts[rid], rid))[0]
        aligned = {m: align_to_anchor(sorted(items, key=lambda e: e.recording.id), chosen, trials)
                   for m, items in sorted(by_method.items()) if chosen in {e.recording.id for e in items}}
        if not aligned:
            continue
        n = len(counts)
        title = (f"{dataset} · {subject} {area} · {n} recording{'s' if n != 1 else ''} aligned to {chosen} (bold)\n"
                 f"direction averages of {_trials_shown(by_method, trials)}")
        info = {"dataset": dataset, "subject": subject, "area": area, "anchor": chosen}
        record = _saved("trajectories", title, info, trajectory_figure(aligned, title), directory)
        if relative_to is not None:
            record.files = {fmt: path.relative_to(relative_to) for fmt, path in record.files.items()}
        records.append(record)
    return records


def _trials_shown(by_method: Mapping[str, Sequence[EmbeddedRecording]], trials: str) -> str:
    known = all(e.split is not None for items in by_method.values() for e in items)
    if not known:
        return "all trials, aligned on all trials (split unknown)"
    return f"{'all' if trials == 'all' else 'test'} trials, rotation fitted on training trials"
