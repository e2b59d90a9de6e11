"""The calibration figures: cross-recording score against the calibration size K (``calibration.py``), with
the refit control and the within-session ceiling drawn in. Two views of one table: one panel per alignment of
the ladder, a line per method (which method transfers best with a given alignment), and one panel per method,
a line per alignment (which alignment gets most out of K trials for that method: readable with many methods,
where the first view's lines crowd)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .calibration import RUNGS, ordered_sizes
from .figures import FIGURE_SPLITS, R2_FLOOR, FigureSpec, new_figure, suptitle, title_of
from .labels import axis_label, metric_label
from .results import HEADLINE

PANELS = [rung for rung in RUNGS if rung != "ceiling"]
#: the alignments drawn as lines of the per-method view (the controls are drawn apart)
ALIGNMENT_LINES = [rung for rung in RUNGS if rung not in ("refit", "ceiling")]


def size_positions(sizes) -> dict[str, int]:
    """Evenly spaced x positions of the calibration sizes, in numeric order, ``all`` last."""
    return {size: i for i, size in enumerate(ordered_sizes(sizes))}


def calibration_figure(curve: pd.DataFrame, colors: Mapping[str, tuple], title: str) -> Figure:
    """``curve``: the calibration-table rows of one family (one decoder, target and metric)."""
    positions = size_positions(curve["calibration_size"])
    panels = [p for p in PANELS if p in set(curve["alignment"])]
    ncols = min(4, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    figure = new_figure(3.0 * ncols + 1.6, 2.6 * nrows + 1.2)
    axes = figure.subplots(nrows, ncols, squeeze=False, sharey=True)
    methods = sorted(curve["method"].unique())
    first = curve.iloc[0]
    limits = _y_limits(curve, str(first["metric"]))
    for ax, panel in zip(axes.ravel(), panels):
        _panel(ax, curve, panel, methods, colors, positions)
        ax.set_title(f"{panel} ({RUNGS[panel]})", fontsize=8.5)
    _style_axes(axes, len(panels), positions, limits, "calibration trials K of the new recording",
                axis_label(first["target"], first["metric"], "test"))
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colors[m], lw=1.6, marker="o", ms=3) for m in methods]
    handles += [Line2D([], [], color="0.3", lw=0.9, ls=":"), Line2D([], [], color="0.3", marker="D", ls="",
                                                                      mfc="none", ms=5)]
    figure.legend(handles, methods + ["refit on the K trials (control)", "ceiling: within-session"],
                  loc="outside right upper", fontsize=7, frameon=False)
    clipped = f"; y axis cut at {R2_FLOOR:g}" if limits is not None else ""
    suptitle(figure, f"{title}\nmean over test sessions; dotted: refit control, diamond: ceiling{clipped}")
    return figure


def _panel(ax, curve: pd.DataFrame, panel: str, methods, colors, positions) -> None:
    for method in methods:
        rows = curve[(curve["method"] == method)]
        line = rows[rows["alignment"] == panel]
        x = [positions[s] for s in line["calibration_size"]]
        if len(line) == 1:  # one fit for every K (none, published): a level across the panel
            ax.axhline(float(line["mean"].iloc[0]), color=colors[method], lw=1.0, ls="--", alpha=0.8)
        ax.plot(x, line["mean"], color=colors[method], lw=1.6, marker="o", ms=3)
        if panel != "refit":
            refit = rows[rows["alignment"] == "refit"]
            ax.plot([positions[s] for s in refit["calibration_size"]], refit["mean"], color=colors[method],
                    lw=0.9, ls=":")
        ceiling = rows[rows["alignment"] == "ceiling"]
        if len(ceiling):
            ax.plot([positions["all"]], ceiling["mean"], color=colors[method], marker="D", mfc="none", ms=5, ls="")


def calibration_by_method_figure(curve: pd.DataFrame, title: str) -> Figure:
    """``curve`` as for :func:`calibration_figure`; a panel per method, a line per alignment, the refit
    control black and dotted, the ceiling a black diamond."""
    from matplotlib.lines import Line2D

    positions = size_positions(curve["calibration_size"])
    methods = sorted(curve["method"].unique())
    lines = [a for a in ALIGNMENT_LINES if a in set(curve["alignment"])]
    palette = dict(zip(lines, _alignment_palette(len(lines))))
    ncols = min(5, len(methods))
    nrows = int(np.ceil(len(methods) / ncols))
    figure = new_figure(2.5 * ncols + 1.8, 2.1 * nrows + 1.2)
    axes = figure.subplots(nrows, ncols, squeeze=False, sharey=True)
    first = curve.iloc[0]
    limits = _y_limits(curve, str(first["metric"]))
    for ax, method in zip(axes.ravel(), methods):
        rows = curve[curve["method"] == method]
        for alignment in lines:
            line = rows[rows["alignment"] == alignment]
            if len(line) == 1:  # one fit for every K (none, published): a level across the panel
                ax.axhline(float(line["mean"].iloc[0]), color=palette[alignment], lw=1.0, ls="--")
            else:
                ax.plot([positions[s] for s in line["calibration_size"]], line["mean"], color=palette[alignment],
                        lw=1.4, marker="o", ms=2.5)
        refit = rows[rows["alignment"] == "refit"]
        ax.plot([positions[s] for s in refit["calibration_size"]], refit["mean"], color="black", lw=1.2, ls=":")
        ceiling = rows[rows["alignment"] == "ceiling"]
        ax.plot([positions["all"]] * len(ceiling), ceiling["mean"], color="black", marker="D", mfc="none", ms=5,
                ls="")
        ax.set_title(method, fontsize=8)
    _style_axes(axes, len(methods), positions, limits, "calibration trials K",
                axis_label(first["target"], first["metric"], "test"))
    handles = [Line2D([], [], color=palette[a], lw=1.4, ls="--" if a in ("none", "published") else "-")
               for a in lines]
    handles += [Line2D([], [], color="black", lw=1.2, ls=":"), Line2D([], [], color="black", marker="D", ls="",
                                                                      mfc="none", ms=5)]
    labels = [f"{a} ({RUNGS[a]})" for a in lines] + ["refit on the K trials (control)", "ceiling: within-session"]
    figure.legend(handles, labels, loc="outside right upper", fontsize=7, frameon=False)
    clipped = f"; y axis cut at {R2_FLOOR:g}" if limits is not None else ""
    suptitle(figure, f"{title}\nper method: which alignment gets most out of K labelled trials{clipped}")
    return figure


def _style_axes(axes: np.ndarray, used: int, positions: dict, limits: tuple[float, float] | None, xlabel: str,
                ylabel: str) -> None:
    """K ticks, grid and the R^2 cut on the ``used`` panels of a grid; the rest hidden; outer labels."""
    for ax in axes.ravel()[:used]:
        ax.set_xticks(list(positions.values()), list(positions.keys()))
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="0.9", lw=0.6)
        if limits is not None:  # both ends: the autoscaled top keeps a margin of the whole (cut) range
            ax.set_ylim(*limits)
    for ax in axes.ravel()[used:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=8)


def _alignment_palette(n: int) -> list[tuple]:
    from matplotlib import colormaps

    return [colormaps["tab10"](i) for i in range(n)]


def _y_limits(curve: pd.DataFrame, metric: str) -> tuple[float, float] | None:
    """R^2 is unbounded below: one unaligned rung at -5 would flatten the rest; the y limits cut at the floor
    (None when nothing lies below it)."""
    if metric.endswith("r2") and curve["mean"].min() < R2_FLOOR:
        bottom, top = R2_FLOOR - 0.05, float(curve["mean"].max())
        return bottom, top + 0.05 * (top - bottom)
    return None


def calibration_specs(calibration: pd.DataFrame, colors: Mapping[str, tuple]) -> list[FigureSpec]:
    """One calibration figure per headline metric of each family of the ladder (test trials)."""
    if calibration.empty:
        return []
    keys = ["dataset", "task", "protocol", "split", "pair_type", "decoder", "target", "metric"]
    specs = []
    for key, part in calibration[calibration["split"].isin(FIGURE_SPLITS)].groupby(keys, sort=True):
        info = dict(zip(keys, key))
        if (info["decoder"], info["target"], info["metric"]) not in HEADLINE:
            continue
        title = (f"{title_of(info)} · calibration ladder\n"
                 f"{metric_label(info['decoder'], info['target'], info['metric'])}")
        specs.append(FigureSpec("calibration", title, info, calibration_figure, (part, colors, title)))
        specs.append(FigureSpec("calibration_methods", title, info, calibration_by_method_figure, (part, title)))
    return specs


#: the calibration size K of the session x session matrices (the leaderboard's ``calibration_k``)
MATRIX_SIZE = "16"


def calibration_matrix_specs(ladder: pd.DataFrame, size: str = MATRIX_SIZE) -> list[FigureSpec]:
    """Train x test recording matrices of the ladder at calibration size ``size``: one figure per task,
    pair type and rung fitted at that K, a panel per method, for the first headline metric (velocity R^2
    of the linear decoder, test trials)."""
    from .figures import matrix_figure
    from .statistics import pair_scores

    decoder, target, metric = HEADLINE[0]
    rows = ladder[(ladder["calibration_size"].astype(str) == str(size)) & ladder["split"].isin(FIGURE_SPLITS)
                  & (ladder["decoder"] == decoder) & (ladder["target"] == target) & (ladder["metric"] == metric)
                  & (ladder["status"] == "ok")]
    if rows.empty:
        return []
    scores = pair_scores(rows)
    keys = ["dataset", "task", "protocol", "split", "pair_type", "alignment"]
    specs = []
    for key, part in scores.groupby(keys, sort=True):
        info = dict(zip(keys, key))
        methods = sorted(part["method_label"].unique())
        title = (f"{title_of(info)} · calibration K = {size} · {info['alignment']} ({RUNGS[info['alignment']]})\n"
                 f"{metric_label(decoder, target, metric)}")
        specs.append(FigureSpec("calibration_matrix", title, {**info, "calibration_size": str(size)}, matrix_figure,
                                (part, methods, title)))
    return specs
