"""Leaderboard figures (matplotlib/seaborn, Agg canvas, no pyplot state), each saved as PNG and SVG.

- bars: per metric, the mean per method with its 95 % hierarchical-bootstrap CI, every independent unit's
  (test session's, seed-averaged) value as a point and the tie-group letters above the bar;
- ranks: a critical-difference diagram per headline metric (mean rank over sessions, Friedman, Nemenyi;
  Demsar 2006), methods joined by a bar are not separable by Nemenyi's test;
- matrix: the train x test recording matrix of one metric per method, with the means of its diagonal
  (same recording) and off-diagonal (different recordings) cells, as the NER paper's Figure 5; one common
  colour scale with one colour bar, clipped at R^2 = -1 for R^2-type metrics (``matrix_scale``; a cell
  below is drawn darkest with its value in bold), so that one diverging fit does not flatten every panel;
- time course: a per-time-bin metric (direction accuracy) with its 95 % bootstrap CI across sessions, in
  ms from the go cue (``time_axis``: the loaders' 30-ms bins; the results table carries no bin width),
  with chance (1 / number of directions);
- trajectories: direction-averaged 3-D latent trajectories per method, coloured by direction, several
  recordings aligned to an anchor (as the paper's Figure 3).

Figures show held-out test trials (``split == "test"``); training-trial scores are in the tables. Every
figure colours a method as ``method_colors`` does (colour-blind-safe, one distinct colour per method) and
labels metrics in words (``ner_bench.labels``).
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the 3-D projection)

from .labels import axis_label, metric_label, quantity_label
from .results import HEADLINE
from .statistics import DIFFERENT, FAMILY, SAME, UNIT
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


def suptitle(figure: Figure, text: str, fontsize: float = 9) -> None:
    """The figure's title, each line wrapped to the figure's width (a narrow figure clips no title)."""
    import textwrap

    width = max(20, int(figure.get_figwidth() * 72 / (0.6 * fontsize)) - 4)
    lines = [wrapped for line in text.split("\n") for wrapped in textwrap.wrap(line, width) or [""]]
    figure.suptitle("\n".join(lines), fontsize=fontsize)


def save(figure: Figure, directory: Path, stem: str, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in formats:
        paths[fmt] = directory / f"{stem}.{fmt}"
        # no date, and fixed element ids in SVGs: the same board gives the same files, whatever process drew it
        with matplotlib.rc_context({"svg.hashsalt": stem}):
            figure.savefig(paths[fmt], dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    return paths


def slug(*parts: object) -> str:
    cleaned = (re.sub(r"[^A-Za-z0-9.=-]+", "-", str(p)).strip("-") for p in parts)
    return "_".join(part for part in cleaned if part)  # a missing field ("-") leaves no empty slot


#: colour-blind-safe method colours, all distinct: Okabe & Ito (2008), then Paul Tol's "muted" wine, olive,
#: teal, indigo and a grey, then black (13; beyond that, evenly spaced hues, distinct but not colour-blind-safe)
METHOD_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#882255",
                  "#999933", "#44AA99", "#888888", "#332288", "#000000")


def method_colors(methods: Sequence[str]) -> dict[str, tuple]:
    """One distinct colour per method (in name order), the same in every figure of a board: bars,
    time courses and anything else that colours methods takes its colours from here."""
    from matplotlib.colors import to_rgb

    names = sorted(set(map(str, methods)))
    palette = [to_rgb(c) for c in METHOD_PALETTE]
    if len(names) > len(palette):
        log.info("%d methods: colours past the %d colour-blind-safe ones are evenly spaced hues", len(names),
                 len(palette))
        palette += list(sns.color_palette("husl", len(names) - len(palette)))
    return {name: palette[i] for i, name in enumerate(names)}


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
        ax.set_title(f"{quantity_label(target, metric)} · {decoder} decoder", fontsize=9)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    suptitle(figure, f"{title}\nbars: mean, whiskers: 95 % bootstrap CI, points: sessions, "
                     "letters: a shared letter = not separated (Holm, blocked by subject)")
    return figure


def _panel_order(key: tuple[str, str, str]) -> tuple:
    """The run summary's headline metrics first, in their order, then the others alphabetically."""
    return (HEADLINE.index(key), ()) if key in HEADLINE else (len(HEADLINE), key)


def _session_points(ax, x: np.ndarray, order: list[str], points: pd.DataFrame) -> None:
    """Each session's score as a dot on its method's bar, every session at the same place across the bar
    in every bar (sessions in name order; no random jitter, so a figure redraws identically)."""
    if not len(points):
        return
    units = sorted(points["unit"].astype(str).unique())
    offsets = dict(zip(units, np.linspace(-0.18, 0.18, len(units)) if len(units) > 1 else [0.0]))
    for xi, method in zip(x, order):
        mine = points[points["method_label"] == method]
        ax.scatter(xi + mine["unit"].astype(str).map(offsets).to_numpy(float), mine["value"].to_numpy(float),
                   s=9, color="black", alpha=0.7, linewidths=0, zorder=3)


def _bar_panel(ax, rows: pd.DataFrame, points: pd.DataFrame, colors: Mapping[str, tuple]) -> None:
    order = rows["method"].tolist()
    x = np.arange(len(order))
    unranked = rows["rank"].isna().to_numpy() if "rank" in rows else np.zeros(len(rows), bool)
    ax.bar(x, rows["mean"], color=["lightgrey" if out else colors[m] for m, out in zip(order, unranked)],
           alpha=0.55, width=0.7, hatch=["//" if out else "" for out in unranked])
    errors = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
    ax.errorbar(x, rows["mean"], yerr=np.nan_to_num(errors), fmt="none", ecolor="black", capsize=3, lw=1)
    _session_points(ax, x, order, points)
    shown = np.r_[rows["ci_high"].to_numpy(float), rows["ci_low"].to_numpy(float), rows["mean"].to_numpy(float),
                  points["value"].to_numpy(float) if len(points) else []]
    top = np.nanmax(shown)
    for xi, group, out in zip(x, rows["tie_group"].fillna(""), unranked):  # a bar shown apart is not ranked
        ax.annotate("not ranked" if out else str(group), (xi, top), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=6 if out else 8, color="grey" if out else "black")
    ax.set_xticks(x, order, rotation=30, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_xlabel("")
    first = rows.iloc[0]
    ax.set_ylabel(axis_label(first["target"], first["metric"], first.get("split", "test")), fontsize=8)
    ax.margins(y=0.12)
    if str(first["metric"]).endswith("r2") and np.nanmin(shown) < R2_FLOOR:
        _cut_at_r2_floor(ax, x, rows["mean"].to_numpy(float), top)


def _cut_at_r2_floor(ax, x: np.ndarray, means: np.ndarray, top: float) -> None:
    """R^2 is unbounded below: one diverging method at -15 would flatten every other bar. The axis stops
    just under :data:`R2_FLOOR`; a bar whose mean lies below says its mean at the cut."""
    bottom = R2_FLOOR - 0.1
    ax.set_ylim(bottom, top + 0.12 * (top - bottom))
    for xi, mean in zip(x, means):
        if mean < bottom:
            ax.annotate(f"{mean:.2f} ↓", (xi, bottom), textcoords="offset points", xytext=(0, 3), ha="center",
                        fontsize=7, color="darkred")


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


#: R²-type metrics are unbounded below (one diverging fit can reach -20): their colour scale stops here
R2_FLOOR = -1.0
#: annotate every cell of matrices up to this many recordings a side (clipped cells are always annotated)
ANNOTATE_UP_TO = 10


def matrix_scale(values: np.ndarray, metric: str) -> tuple[float, float, bool]:
    """The common colour scale of a metric's matrices: (vmin, vmax, clipped). R²-type metrics
    (``r2``, ``consistency_r2``) are clipped at :data:`R2_FLOOR` so that one diverging cell does not
    flatten every panel; bounded metrics (accuracies, correlations) span their values."""
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return 0.0, 1.0, False
    low, high = float(finite.min()), float(finite.max())
    clipped = metric.endswith("r2") and low < R2_FLOOR
    if clipped:
        low = R2_FLOOR
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    return low, high, clipped


def matrix_figure(scores: pd.DataFrame, methods: Sequence[str], title: str) -> Figure:
    """One heatmap per method (in ``methods`` order) on one common colour scale (clipped at
    :data:`R2_FLOOR` for R²; see :func:`matrix_scale`) with one colour bar; diagonal/off-diagonal means."""
    matrices = {m: decoding_matrix(scores[scores["method_label"] == m]) for m in methods}
    first = scores.iloc[0] if len(scores) else pd.Series(dtype=object)
    target, metric = str(first.get("target", "-")), str(first.get("metric", ""))
    values = np.concatenate([m.to_numpy(float).ravel() for m in matrices.values()])
    vmin, vmax, clipped = matrix_scale(values, metric)
    n_units = max(max(m.shape) for m in matrices.values())
    same_axes = len({(tuple(m.index), tuple(m.columns)) for m in matrices.values()}) == 1
    size = min(1.6 + 0.4 * n_units, 6.0)
    ncols = min(len(methods), 3)
    nrows = int(np.ceil(len(methods) / ncols))
    label_room = 1.6 if any(len(str(u)) > 8 for m in matrices.values() for u in m.index) else 0.6
    figure = new_figure(size * ncols + label_room + 1.2, (size + 0.6) * nrows + label_room + 1.5)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    viridis = sns.color_palette("viridis", as_cmap=True)
    cmap = viridis.with_extremes(under=viridis(0.0))
    for index, (ax, method) in enumerate(zip(axes.ravel(), methods)):
        row, col = divmod(index, ncols)
        matrix = matrices[method]
        diagonal, off = diagonal_means(matrix)
        _heatmap(ax, matrix, vmin, vmax, cmap)
        ax.set_facecolor("#e6e6e6")  # a pair that was not scored
        _annotate_cells(ax, matrix, vmin, vmax, cmap, every=n_units <= ANNOTATE_UP_TO)
        ax.set_title(f"{method}\ndiagonal {_fmt(diagonal)} · off-diagonal {_fmt(off)}", fontsize=8)
        outer_x = not same_axes or row == nrows - 1 or index + ncols >= len(methods)
        outer_y = not same_axes or col == 0
        ax.set_xlabel("test recording" if outer_x else "", fontsize=8)
        ax.set_ylabel("train recording" if outer_y else "", fontsize=8)
        if not outer_x:
            ax.set_xticklabels([])
        if not outer_y:
            ax.set_yticklabels([])
        ax.tick_params(labelsize=6, length=2)
    for ax in axes.ravel()[len(methods):]:
        ax.set_visible(False)
    shown = [ax for ax in axes.ravel()[:len(methods)]]
    scale = (f"common colour scale clipped at {R2_FLOOR:g} (cells below: darkest, value in bold)" if clipped
             else "common colour scale")
    bar = figure.colorbar(shown[0].collections[0], ax=shown, shrink=0.8 if nrows == 1 else 0.45, aspect=25,
                          extend="min" if clipped else "neither", pad=0.02)
    bar.set_label(f"{axis_label(target, metric, first.get('split', 'test'))}\n{scale}", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    suptitle(figure, f"{title}\ngrey: pair not scored; {scale}")
    return figure


def _heatmap(ax, matrix: pd.DataFrame, vmin: float, vmax: float, cmap) -> None:
    """Square cells with white edges, rows top to bottom, a tick per row and column; an unscored (NaN) cell
    shows the axes' face. (seaborn's heatmap redraws the whole figure per call to check its tick labels:
    most of a 12-panel figure's time.)"""
    values = np.ma.masked_invalid(matrix.to_numpy(float))
    ax.pcolormesh(values, vmin=vmin, vmax=vmax, cmap=cmap, edgecolors="white", linewidth=0.3)
    ax.set_xlim(0, values.shape[1])
    ax.set_ylim(values.shape[0], 0)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(values.shape[1]) + 0.5, [str(c) for c in matrix.columns], rotation=90)
    ax.set_yticks(np.arange(values.shape[0]) + 0.5, [str(r) for r in matrix.index], rotation=0)
    for side in ax.spines.values():
        side.set_visible(False)


def _annotate_cells(ax, matrix: pd.DataFrame, vmin: float, vmax: float, cmap, every: bool) -> None:
    """Each cell's value (``every``), and always the value of a cell below the colour scale."""
    values = matrix.to_numpy(float)
    for i, j in zip(*np.where(np.isfinite(values))):
        value = values[i, j]
        below = value < vmin
        if not (every or below):
            continue
        level = (min(max(value, vmin), vmax) - vmin) / (vmax - vmin)
        red, green, blue, _ = cmap(level)
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(j + 0.5, i + 0.5, f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}", ha="center",
                va="center", fontsize=6 if every else 5.5, color="white" if dark else "black",
                fontweight="bold" if below else "normal")


def _fmt(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.3f}"


# ----------------------------------------------------------------------------- over time
#: per dataset: bin width (ms), what bin 0 starts at, and the number of reach directions (chance = 1/n).
#: The results table does not carry the bin width; these are the loaders' defaults (docs/data.md).
DATASET_TIMING = {"reaching": (30.0, "go cue", 8), "synthetic": (30.0, "go cue", 8)}
#: assumed for a dataset not listed above: the NER release's 30-ms bins from the go cue
DEFAULT_TIMING = (30.0, "go cue", 8)


def time_axis(course: pd.DataFrame) -> tuple[np.ndarray, str, int | None]:
    """Milliseconds from the trial's reference event per row of ``course`` (a ``bin_size`` column, in
    seconds, when the table has one), the axis label, and the number of directions (None: unknown)."""
    dataset = str(course["dataset"].iloc[0]) if "dataset" in course and len(course) else ""
    bin_ms, event, n_directions = DATASET_TIMING.get(dataset.split("[")[0], DEFAULT_TIMING)
    known = dataset.split("[")[0] in DATASET_TIMING
    if "bin_size" in course and course["bin_size"].notna().all():
        bins = course["bin_size"].to_numpy(float) * 1000.0
        label = f"time from {event} (ms)"
    else:
        bins = np.full(len(course), bin_ms)
        label = (f"time from {event} (ms, {bin_ms:g}-ms bins" + ("" if known else ", assumed") + ")")
    return course["time_bin"].to_numpy(float) * bins, label, n_directions


def time_course_figure(course: pd.DataFrame, colors: Mapping[str, tuple], title: str) -> Figure:
    """Mean per time bin per method with its 95 % CI band, x in ms from the go cue, legend beside the
    axes (methods in order of their mean), and chance (1 / directions) for direction accuracy."""
    figure = new_figure(7.6, 3.8)
    ax = figure.subplots()
    course = course.assign(_ms=time_axis(course)[0])
    _, xlabel, n_directions = time_axis(course)
    order = course.groupby("method")["mean"].mean().sort_values(ascending=False).index
    for method in order:
        rows = course[course["method"] == method].sort_values("time_bin")
        x = rows["_ms"].to_numpy(float)
        ax.plot(x, rows["mean"], color=colors[method], label=method, lw=1.6)
        ax.fill_between(x, rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float), color=colors[method],
                        alpha=0.15, lw=0)
    first = course.iloc[0]
    if first["target"] == "direction" and "accuracy" in str(first["metric"]) and n_directions:
        chance = 1.0 / n_directions
        ax.axhline(chance, color="0.35", ls="--", lw=1.0, zorder=0, label=f"chance (1/{n_directions})")
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(axis_label(first["target"], first["metric"], first.get("split", "test")), fontsize=9)
    ax.set_xlim(float(np.nanmin(course["_ms"])), float(np.nanmax(course["_ms"])))
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.legend(fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
              title="method (by mean)", title_fontsize=7.5)
    suptitle(figure, f"{title}\nline: mean across sessions, band: 95 % bootstrap CI")
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
        _trajectory_panel(ax, aligned[method], palette)
        dims = {a.original_dim for a in aligned[method]}
        note = "" if dims <= {3} else f" ({'/'.join(map(str, sorted(dims)))}-D, shown in 3-D)"
        ax.set_title(f"{method}{note}", fontsize=9)
        ax.tick_params(labelsize=6)
    handles = [_line(palette[d]) for d in all_directions]
    figure.legend(handles, [f"{angle_of[d]:g}°" for d in all_directions], loc="outside lower center",
                  ncols=min(len(all_directions), 8), fontsize=7, frameon=False, title="target direction",
                  title_fontsize=7)
    suptitle(figure, title)
    return figure


def _trajectory_panel(ax, recordings: Sequence[AlignedTrajectories], palette: Mapping[int, tuple]) -> None:
    """The curves of one method: other recordings thin and faint, the anchor bold on top, a dot at each
    curve's start. One collection per style, not an artist per curve: a 12-panel figure draws in a second."""
    from mpl_toolkits.mplot3d.art3d import Line3DCollection

    ordered = sorted(recordings, key=lambda trajectories: trajectories.is_anchor)
    for anchor in (False, True):
        shown = [(curve, palette[int(d)]) for t in ordered if t.is_anchor == anchor
                 for d, curve in zip(t.directions, t.curves)]
        if shown:
            ax.add_collection3d(Line3DCollection([curve for curve, _ in shown], colors=[c for _, c in shown],
                                                 linewidths=2.0 if anchor else 0.8, alpha=1.0 if anchor else 0.55))
    starts = [(t.curves[k][0], palette[int(d)]) for t in ordered for k, d in enumerate(t.directions)]
    if starts:
        points = np.array([point for point, _ in starts])
        ax.scatter(*points.T, color=[c for _, c in starts], s=8, depthshade=False)
    everything = np.concatenate([np.asarray(c) for t in ordered for c in t.curves]) if starts else np.zeros((0, 3))
    if len(everything):
        ax.auto_scale_xyz(everything[:, 0], everything[:, 1], everything[:, 2])


def _line(color):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, lw=2)


# ----------------------------------------------------------------------------- all figures of a board
def draw_all(summary: pd.DataFrame, scores: pd.DataFrame, pairs: pd.DataFrame, course: pd.DataFrame,
             directory: Path, relative_to: Path | None = None, jobs: int = 1,
             extra: Sequence[FigureSpec] = (), colors: Mapping[str, tuple] | None = None,
             formats: Sequence[str] = FORMATS) -> list[FigureRecord]:
    """Bars, rank diagrams, matrices and time courses for every test-split family, then the ``extra`` figures
    (e.g. :func:`trajectory_specs`); returns the saved figures. ``scores``: one row per independent unit;
    ``pairs``: one per recording pair. ``jobs`` > 1 draws them in that many processes (the files are the
    same); ``formats``: the files of each figure (``FORMATS``: PNG and SVG)."""
    specs = board_specs(summary, scores, pairs, course, colors) + list(extra)
    return draw_specs(specs, directory, jobs, relative_to, formats)


@dataclass
class FigureSpec:
    """One figure to draw: ``draw(*args)`` makes it; kind, title and family fields describe it."""

    kind: str
    title: str
    info: dict
    draw: Callable[..., Figure]
    args: tuple


def board_colors(summary: pd.DataFrame, course: pd.DataFrame, calibration: pd.DataFrame | None = None
                 ) -> dict[str, tuple]:
    """The method colours of a board: every method of its tables, each its own colour in every figure."""
    others = [] if calibration is None else list(calibration.get("method", []))
    return method_colors(list(summary.get("method", [])) + list(course.get("method", [])) + others)


def board_specs(summary: pd.DataFrame, scores: pd.DataFrame, pairs: pd.DataFrame,
                course: pd.DataFrame, colors: Mapping[str, tuple] | None = None) -> list[FigureSpec]:
    colors = board_colors(summary, course) if colors is None else colors
    specs: list[FigureSpec] = []
    head = ["dataset", "task", "protocol", "split"]
    panel_keys = head + ["cells", "pair_type", "alignment"]
    for key, part in summary[summary["split"].isin(FIGURE_SPLITS)].groupby(panel_keys, sort=True):
        info = dict(zip(panel_keys, key))
        title = title_of(info)
        ranked = part[part["direction"] != "descriptive"]
        if len(ranked):
            specs.append(FigureSpec("bars", title, info, bar_figure, (ranked, _match(scores, info), colors, title)))
        rank_panels = _rank_panels(ranked, _match(scores, info))
        if rank_panels:
            specs.append(FigureSpec("ranks", title, info, rank_figure, (rank_panels, title, colors)))
    specs += _matrices(summary, pairs, head)
    for key, part in course[course["split"].isin(FIGURE_SPLITS)].groupby(FAMILY, sort=True) if len(course) else []:
        info = dict(zip(FAMILY, key))
        title = f"{title_of(info)}\n{metric_label(info['decoder'], info['target'], info['metric'])}"
        specs.append(FigureSpec("time_course", title, info, time_course_figure, (part, colors, title)))
    return specs


#: relative drawing cost per kind: the pool starts the slowest figures first, so no core idles at the end
DRAWING_COST = {"trajectories": 4, "matrix": 3, "bars": 2}


def draw_specs(specs: list[FigureSpec], directory: Path, jobs: int = 1,
               relative_to: Path | None = None, formats: Sequence[str] = FORMATS) -> list[FigureRecord]:
    """Draw and save every figure, in ``jobs`` processes when more than one; records in ``specs`` order,
    their paths relative to ``relative_to`` when given."""
    if jobs <= 1 or len(specs) < 2:
        records = [_draw_spec(spec, directory, formats) for spec in specs]
    else:
        order = sorted(range(len(specs)), key=lambda i: -DRAWING_COST.get(specs[i].kind, 1))
        context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
        with ProcessPoolExecutor(max_workers=min(jobs, len(specs)), mp_context=context) as pool:
            drawn = dict(zip(order, pool.map(_draw_spec, [specs[i] for i in order], [directory] * len(specs),
                                             [tuple(formats)] * len(specs))))
        records = [drawn[i] for i in range(len(specs))]
    if relative_to is not None:
        for record in records:
            record.files = {fmt: path.relative_to(relative_to) for fmt, path in record.files.items()}
    return records


def _draw_spec(spec: FigureSpec, directory: Path, formats: Sequence[str] = FORMATS) -> FigureRecord:
    return _saved(spec.kind, spec.title, spec.info, spec.draw(*spec.args), directory, formats)


def _matrices(summary: pd.DataFrame, pairs: pd.DataFrame, head: list[str]) -> list[FigureSpec]:
    """One train x test matrix per cross-recording metric (the diagonal A = A included where scored)."""
    specs = []
    across = pairs[(pairs["cells"] == DIFFERENT) & pairs["split"].isin(FIGURE_SPLITS)]
    metric_keys = head + ["decoder", "target", "metric"]
    for key in sorted(across.groupby(metric_keys).groups, key=lambda k: (k[:4], _panel_order(k[4:]))):
        info = dict(zip(metric_keys, key))
        ranked = _match(summary, {**info, "cells": DIFFERENT}).sort_values(["rank", "method"])["method"]
        title = f"{title_of(info)}\n{metric_label(info['decoder'], info['target'], info['metric'])}"
        specs.append(FigureSpec("matrix", title, info, matrix_figure,
                                (_match(pairs, info), list(dict.fromkeys(ranked)), title)))
    return specs


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


def rank_figure(panels: list[tuple[str, pd.Series, pd.DataFrame, float]], title: str,
                colors: Mapping[str, tuple] | None = None) -> Figure:
    """One critical-difference diagram per panel: rank 1 = best on a session; methods in their colours."""
    import scikit_posthocs
    from matplotlib.colors import to_hex

    figure = new_figure(7.5, 1.9 * len(panels) + 0.8)
    axes = figure.subplots(len(panels), 1, squeeze=False).ravel()
    for ax, (label, ranks, p_values, cd) in zip(axes, panels):
        palette = {m: to_hex(colors[m]) for m in ranks.index} if colors and set(ranks.index) <= set(colors) else None
        drawn = scikit_posthocs.critical_difference_diagram(ranks, p_values, ax=ax, label_props={"fontsize": 7},
                                                            color_palette=palette)
        for lines in drawn["crossbars"]:  # drawn in a set's order, which changes from process to process
            for line in lines:
                line.set_xdata(np.sort(line.get_xdata()))
        ax.set_title(f"{label}: mean rank (1 = best), Nemenyi CD = {cd:.2f}", fontsize=8)
    suptitle(figure, f"{title}\ncritical-difference diagrams (Friedman + Nemenyi); a bar joins methods not "
                     "separable")
    return figure


def _match(frame: pd.DataFrame, info: dict) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in info.items():
        mask &= (frame[column] == value).to_numpy()
    return frame[mask]


def title_of(info: dict) -> str:
    parts = [info["dataset"], info["task"], f"protocol {info['protocol']}", f"{info['split']} trials"]
    if "pair_type" in info:
        parts.append("train = test recording" if info["pair_type"] == SAME else f"{info['pair_type']} pairs")
    elif "cells" in info:
        parts.append("train = test recording" if info["cells"] == SAME else "train ≠ test recording")
    return " · ".join(parts)


def _saved(kind: str, title: str, info: dict, figure: Figure, directory: Path,
           formats: Sequence[str] = FORMATS) -> FigureRecord:
    stem = slug(kind, *info.values())
    return FigureRecord(kind, title, info, save(figure, directory, stem, formats))


def draw_trajectories(embeddings: Mapping[str, Sequence[EmbeddedRecording]], directory: Path, *,
                      anchor: str | None = None, trials: str = "all", relative_to: Path | None = None,
                      jobs: int = 1) -> list[FigureRecord]:
    """Draw the figures of :func:`trajectory_specs` (in ``jobs`` processes)."""
    return draw_specs(trajectory_specs(embeddings, anchor=anchor, trials=trials), directory, jobs, relative_to)


def trajectory_specs(embeddings: Mapping[str, Sequence[EmbeddedRecording]], *, anchor: str | None = None,
                     trials: str = "all") -> list[FigureSpec]:
    """One trajectory figure per (dataset, subject, area): every method's recordings of that group
    aligned to one anchor recording (``anchor`` when it is in the group, else the first recording
    id that the most methods have)."""
    groups: dict[tuple, dict[str, list[EmbeddedRecording]]] = {}
    for method, items in embeddings.items():
        for item in items:
            rec = item.recording
            groups.setdefault((rec.dataset, rec.subject, rec.area), {}).setdefault(method, []).append(item)
    specs = []
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
        specs.append(FigureSpec("trajectories", title, info, trajectory_figure, (aligned, title)))
    return specs


def _trials_shown(by_method: Mapping[str, Sequence[EmbeddedRecording]], trials: str) -> str:
    known = all(e.split is not None for items in by_method.values() for e in items)
    if not known:
        return "all trials, aligned on all trials (split unknown)"
    return f"{'all' if trials == 'all' else 'test'} trials, rotation fitted on training trials"
