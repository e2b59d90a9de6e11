"""The leaderboard's figures read as paper figures: human labels, distinct method colours, a clipped and
stated colour scale for the matrices, time in ms with chance, and no text drawn over other text."""

import itertools

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("seaborn")  # ner_bench.figures (the report extra)

import ner_bench as nb
from ner_bench import figures as F
from ner_bench.labels import axis_label, metric_label
from support.leaderboard_data import fabricated_results, toy_embeddings

TWELVE = ["behavior", "ner", "dpca", "umap-label", "pca-avg", "pca", "cebra", "umap", "random", "pivae", "cebra-16",
          "raw"]


@pytest.fixture(scope="module")
def board():
    return nb.leaderboard(fabricated_results(n_bins=6))


def texts_outside(figure) -> list[str]:
    """Drawn texts that run past the figure's edge (a clipped title)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    frame = figure.bbox.expanded(1.01, 1.01)
    return [t.get_text() for t in _drawn_texts(figure) if not frame.contains(*t.get_window_extent(renderer).min)
            or not frame.contains(*t.get_window_extent(renderer).max)]


def texts_overlap(figure) -> list[tuple[str, str]]:
    """Pairs of drawn, non-empty texts (the figure's title and legends; each visible axes' titles,
    axis labels, tick labels inside its view limits and legend) whose rendered boxes intersect. Cell
    annotations and tie letters sit inside their axes by design and are left out."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).expanded(0.98, 0.98)) for t in _drawn_texts(figure)]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


def _drawn_texts(figure) -> list:
    texts = [figure._suptitle] if figure._suptitle is not None else []
    texts += [t for legend in figure.legends for t in [*legend.get_texts(), legend.get_title()]]
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            texts += [tick.label1 for tick in axis.get_major_ticks()
                      if tick.label1.get_visible() and low - 1e-9 <= tick.get_loc() <= high + 1e-9]
        if ax.get_legend() is not None:
            texts += [*ax.get_legend().get_texts(), ax.get_legend().get_title()]
    return [t for t in texts if t.get_visible() and str(t.get_text()).strip()]


def test_one_distinct_colour_per_method_the_same_whatever_the_order():
    colors = F.method_colors(TWELVE)
    assert len(set(colors.values())) == 12
    assert F.method_colors(list(reversed(TWELVE)) + ["pca"]) == colors
    assert len(set(F.method_colors([f"m{i}" for i in range(20)]).values())) == 20


def test_labels_are_words_not_identifiers():
    assert axis_label("velocity", "r2", "test") == "velocity R² (test trials)"
    assert axis_label("direction", "peak_accuracy", "test") == "peak direction accuracy (test trials)"
    assert metric_label("linear", "velocity", "r2") == "velocity R² (linear)"
    assert metric_label("-", "-", "separation") == "separation"


def test_bars_have_human_axes_and_no_overlapping_text(board):
    summary = board.summary[(board.summary["split"] == "test") & (board.summary["task"] == "within-session")]
    figure = F.bar_figure(summary, board.unit_scores, F.method_colors(summary["method"]), "toy · within-session")
    labels = {ax.get_ylabel() for ax in figure.axes if ax.get_visible()}
    assert "velocity R² (test trials)" in labels and "peak direction accuracy (test trials)" in labels
    assert not labels & {"r2", "peak_accuracy"}
    assert texts_overlap(figure) == [] and texts_outside(figure) == []


def matrix_scores(n_units=9, outlier=-22.0, methods=TWELVE):
    ids = [f"Chewie_2016{i:04d}_M1" for i in range(n_units)]
    rows = [dict(method_label=m, train_unit=a, test_unit=b, value=0.8 - 0.05 * k - 0.2 * (a != b), target="velocity",
                 metric="r2", split="test") for k, m in enumerate(methods) for a in ids for b in ids]
    rows[len(ids) + 3]["value"] = outlier
    return pd.DataFrame(rows)


def test_matrix_colour_scale_is_clipped_at_the_r2_floor_and_says_so():
    assert F.matrix_scale(np.array([-22.0, 0.1, 0.9]), "r2") == (F.R2_FLOOR, 0.9, True)
    assert F.matrix_scale(np.array([-0.5, 0.1, 0.9]), "r2") == (-0.5, 0.9, False)
    assert F.matrix_scale(np.array([0.1, 0.9, np.nan]), "peak_accuracy") == (0.1, 0.9, False)
    figure = F.matrix_figure(matrix_scores(), TWELVE, "reaching · cross-session\nvelocity R² (linear)")
    meshes = [ax.collections[0] for ax in figure.axes if ax.collections and ax.get_visible() and ax.get_title()]
    assert len(meshes) == 12 and {m.norm.vmin for m in meshes} == {F.R2_FLOOR}  # one outlier flattens nothing
    colorbars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and "clipped at -1" in colorbars[0].get_ylabel()
    assert "clipped at -1" in figure.get_suptitle()
    assert any(t.get_text() == "-22" and t.get_fontweight() == "bold" for ax in figure.axes for t in ax.texts)
    assert texts_overlap(figure) == [] and texts_outside(figure) == []


def test_matrix_of_a_few_recordings_has_no_overlapping_text():
    figure = F.matrix_figure(matrix_scores(n_units=2, methods=TWELVE[:4]), TWELVE[:4], "toy\nvelocity R² (linear)")
    assert texts_overlap(figure) == [] and texts_outside(figure) == []


def test_time_course_in_ms_from_the_go_cue_with_chance_and_legend_outside(board):
    course = board.time_course[(board.time_course["split"] == "test") & (board.time_course["task"] == "within-session")]
    course = course.assign(dataset="reaching")
    figure = F.time_course_figure(course, F.method_colors(course["method"]), "reaching · within-session")
    ax = figure.axes[0]
    assert ax.get_xlabel() == "time from go cue (ms, 30-ms bins)"
    assert ax.get_ylabel() == "direction accuracy (test trials)"
    assert ax.get_xlim() == (0.0, 30.0 * course["time_bin"].max())
    chance = [line for line in ax.get_lines() if line.get_label().startswith("chance")]
    assert len(chance) == 1 and set(chance[0].get_ydata()) == {0.125}
    legend = ax.get_legend()
    figure.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # beside the lines, not on them
    assert len({tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
                for line in ax.get_lines()}) == len(ax.get_lines())
    assert texts_overlap(figure) == [] and texts_outside(figure) == []


def test_time_course_of_an_unknown_dataset_states_the_assumed_bins(board):
    course = board.time_course[board.time_course["split"] == "test"].assign(dataset="elsewhere")
    assert F.time_axis(course)[1] == "time from go cue (ms, 30-ms bins, assumed)"


def test_a_narrow_bar_figure_wraps_its_title():
    board = nb.leaderboard(fabricated_results(n_bins=2))
    summary = board.summary[(board.summary["split"] == "test") & (board.summary["task"] == "within-session")
                            & (board.summary["target"] == "velocity")]
    figure = F.bar_figure(summary, board.unit_scores, F.method_colors(summary["method"]),
                          "toy · cross-session · protocol strict · test trials · different recordings pairs")
    assert len(figure.axes) == 1 and texts_outside(figure) == [] and texts_overlap(figure) == []


def test_a_diverging_r2_bar_is_cut_and_says_its_mean(board):
    """One method at R^2 = -15 must not flatten the other bars: the axis stops under the floor and the bar
    is labelled with its mean."""
    summary = board.summary[(board.summary["split"] == "test") & (board.summary["task"] == "within-session")
                            & (board.summary["target"] == "velocity") & (board.summary["decoder"] == "linear")].copy()
    worst = summary["mean"].idxmin()
    summary.loc[worst, ["mean", "ci_low"]] = [-15.0, -20.0]
    figure = F.bar_figure(summary, board.unit_scores.iloc[:0], F.method_colors(summary["method"]), "toy")
    ax = figure.axes[0]
    assert ax.get_ylim()[0] == pytest.approx(F.R2_FLOOR - 0.1)
    assert [t.get_text() for t in ax.texts if "↓" in t.get_text()] == ["-15.00 ↓"]


def test_the_overlap_check_sees_text_over_text():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 3))
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, gridspec_kw={"hspace": 0.05})
    top.set_xticks([0, 1], ["a very long method name", "another long one"], rotation=30)
    bottom.set_title("the panel below")
    assert texts_overlap(figure)
    figure.suptitle("a title far too long for a figure three inches wide, so it runs past both edges")
    assert texts_outside(figure)


def test_figures_drawn_in_two_processes_are_the_files_drawn_in_one(tmp_path):
    """Session points at fixed places, not jittered at random, crossbars of the critical-difference diagrams
    in rank order, not a set's, and no dates or random SVG ids: a figure (latent trajectories included, drawn
    in the same pool) is the same file whichever process drew it, and the records keep their order."""
    board = nb.leaderboard(fabricated_results())
    args = (board.summary, board.unit_scores, board.pair_scores, board.time_course)
    extra = F.trajectory_specs(toy_embeddings())
    one = F.draw_all(*args, tmp_path / "one", jobs=1, extra=extra)
    two = F.draw_all(*args, tmp_path / "two", jobs=2, extra=extra)
    assert [record.title for record in one] == [record.title for record in two]
    assert {"ranks", "trajectories", "matrix"} <= {record.kind for record in one} and one[-1].kind == "trajectories"
    for record in one:
        for fmt, path in record.files.items():
            assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name

