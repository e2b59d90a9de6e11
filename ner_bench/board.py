"""Leaderboards (``ner_bench.leaderboard``, ``ner-bench leaderboard``): results table(s) -> summary and pairwise tables, figures, ``index.html``.

>>> import ner_bench as nb
>>> board = nb.leaderboard("results/", out="leaderboards/")  # doctest: +SKIP
>>> board.summary[["task", "metric", "method", "mean", "ci_low", "ci_high", "tie_group"]]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import pandas as pd

from .errors import NerBenchError
from .paper_cells import write_paper_cells
from .row_identity import duplicated_rows
from .run_folder import RunFolder, canonical_params, parse_params, read_table
from .results import on_calibration_curve
from .statistics import DEFAULT_ALPHA, leaderboard_tables, pair_scores, prepare, time_course, unit_scores
from .statistics.budget_curve import budget_curve_table
from .statistics.calibration import calibration_table
from .statistics.shuffle_controls import shuffle_table
from .anchored_trajectories import EmbeddedRecording

log = logging.getLogger(__name__)



@dataclass
class Leaderboard:
    """The tables of a leaderboard and, when written, where its files are."""

    results: pd.DataFrame
    summary: pd.DataFrame
    pairwise: pd.DataFrame
    time_course: pd.DataFrame
    unit_scores: pd.DataFrame  # one row per independent unit (test session): what the tests compare
    pair_scores: pd.DataFrame  # one row per (train, test) recording pair: the decoding matrices
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)  # score against calibration size K
    shuffle_controls: pd.DataFrame = field(default_factory=pd.DataFrame)  # each method beside its shuffled control
    budget_curve: pd.DataFrame = field(default_factory=pd.DataFrame)  # score against training length
    figures: list = field(default_factory=list)  # FigureRecord, paths relative to ``out``
    out: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def figure_paths(self) -> list[Path]:
        """Every saved figure file (PNG and SVG), absolute."""
        return [self.out / path for record in self.figures for path in record.files.values()] if self.out else []

    @property
    def index_html(self) -> Path | None:
        return self.out / "index.html" if self.out else None

    def _repr_html_(self) -> str:
        columns = ["task", "protocol", "split", "cells", "target", "metric", "rank", "method", "tie_group", "mean",
                   "ci_low", "ci_high", "n_units"]
        return self.summary[[c for c in columns if c in self.summary]].to_html(index=False, float_format="%.3f")


# ----------------------------------------------------------------------------- reading results
def read_results(source: str | Path) -> pd.DataFrame:
    """A results folder (``results.parquet``, else ``results.csv``) or one such file."""
    table, path = read_table(source)
    return prepare(table, source=str(path)).assign(results_source=str(path))


def combine(sources: Sequence[pd.DataFrame | str | Path] | pd.DataFrame | str | Path) -> pd.DataFrame:
    """One prepared table from DataFrames and/or results folders; repeats of one number (rows equal in every
    identifying column, ``row_identity``) from several sources are kept once, the last source winning."""
    if isinstance(sources, (pd.DataFrame, str, Path)):
        sources = [sources]
    if not sources:
        raise NerBenchError("leaderboard: no results given")
    tables = [prepare(s) if isinstance(s, pd.DataFrame) else read_results(s) for s in sources]
    table = pd.concat(tables, ignore_index=True)
    repeated = duplicated_rows(table, keep="last")
    if repeated.any():
        log.warning("leaderboard: %d result rows appear in several sources; the last one is kept", repeated.sum())
        table = table[~repeated].reset_index(drop=True)
    return prepare(table.drop(columns=["method_label", "cells"]))


# ----------------------------------------------------------------------------- the leaderboard
def leaderboard(results: pd.DataFrame | str | Path | Sequence[pd.DataFrame | str | Path], out: str | Path | None = None,
                *, alpha: float = DEFAULT_ALPHA, figures: bool = True, trajectories: bool = True,
                embeddings: Mapping[str, Sequence[EmbeddedRecording]] | None = None, dataset: str | None = None,
                data_dir: str | Path | None = None, plugins: Sequence[str | Path] = (), anchor: str | None = None,
                seed: int | None = None, progress: bool | None = None, jobs: int | str = 1,
                embeddings_from: Sequence[str | Path] = (), figure_formats: Sequence[str] = ("png", "svg")
                ) -> Leaderboard:
    """Summary and pairwise tables of a results table; with ``out``, also figures and ``index.html``.

    Parameters
    ----------
    results : DataFrame, str, Path or a sequence of them
        A table from :func:`ner_bench.run`, a run folder (or its results file), or several; a number
        repeated across them (same identity, ``row_identity``) is kept once, the last source winning.
    out : str, Path or None
        Folder for ``summary.csv``, ``pairwise.csv``, ``time_course.csv``, figures and ``index.html``;
        None: tables only, nothing written.
    alpha : float
        Significance level of the tie groups and paired tests (Holm-corrected).
    figures, trajectories : bool
        Draw the figures; draw the latent trajectory figures among them.
    embeddings : mapping of str to sequence of EmbeddedRecording, optional
        Trajectories to draw per method label; default: the embedding cache of each run folder given.
    embeddings_from : sequence of str or Path
        More run folders whose embedding cache the trajectories may use, their results not read (a board
        made from results files, e.g. the chunks of a long run, beside a run folder that still has its cache).
    dataset, data_dir, plugins
        Where the recordings of cached embeddings come from (default: the dataset named in the results;
        ``data_dir`` and ``plugins`` as for ``run``).
    anchor : str, optional
        The recording the trajectories are rotated onto (default: the first).
    seed : int, optional
        The seed whose cached embeddings are drawn (default: the smallest).
    figure_formats : sequence of str
        The files of each figure: ``png`` and/or ``svg`` (a board kept in a repository may keep PNGs only).
    progress : bool or None
        A progress bar on stderr naming the step (tables, figures, trajectories, page); None: only when
        stderr is a terminal (in Jupyter, a notebook bar).
    jobs : int or "auto"
        Processes drawing the figures ("auto": one per usable core); the files are the same.

    Returns
    -------
    Leaderboard
        ``summary`` (per family and method: mean, median, IQM, bootstrap CI, tie letters, ranks, with each
        table's unit of replication and n), ``pairwise`` (paired tests on independent units), the time
        course, unit and pair scores, figure paths and notes.

    Examples
    --------
    >>> import ner_bench as nb
    >>> results = nb.run(methods="pca,random", out=None,
    ...                  dataset="synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12]")
    >>> board = nb.leaderboard(results)
    >>> sorted(board.summary["method"].unique())
    ['pca', 'random']
    """
    jobs = figure_jobs(jobs)
    figure_formats = chosen_formats(figure_formats)
    with _steps(progress, 2 if out is None else 7 if figures else 5) as step:
        step("reading results")
        table = combine(results)
        curve = on_calibration_curve(table)  # the alignment ladder has a table of its own
        main = table[~curve]
        step(f"tables and statistics of {len(main)} rows")
        summary, pairwise = leaderboard_tables(main, alpha=alpha)
        step(f"time course, unit and pair scores; calibration table of {int(curve.sum())} rows")
        board = Leaderboard(table, summary, pairwise, time_course(main), unit_scores(main), pair_scores(main),
                            calibration_table(table[curve], alpha=alpha))
        board.shuffle_controls = shuffle_table(pairwise, main, alpha)
        board.budget_curve = budget_curve_table(board.unit_scores, main)
        if summary.empty:
            board.notes.append("no successful scalar result rows: nothing to rank")
        if out is None:
            return board
        board.out = Path(out)
        board.out.mkdir(parents=True, exist_ok=True)
        summary.to_csv(board.out / "summary.csv", index=False)
        pairwise.to_csv(board.out / "pairwise.csv", index=False)
        board.time_course.to_csv(board.out / "time_course.csv", index=False)
        board.pair_scores.to_csv(board.out / "pair_scores.csv", index=False)  # the matrices can be redrawn
        board.unit_scores.to_csv(board.out / "unit_scores.csv", index=False)
        if len(board.calibration):
            board.calibration.to_csv(board.out / "calibration.csv", index=False)
        if len(board.shuffle_controls):
            board.shuffle_controls.to_csv(board.out / "shuffle_controls.csv", index=False)
        if len(board.budget_curve):
            board.budget_curve.to_csv(board.out / "budget_curve.csv", index=False)
        cells_file = write_paper_cells(main, board.out)  # only where there are paper-protocol cross-session cells
        step("preparing figures" if figures else "no figures")
        if figures:
            caches = [*(results if isinstance(results, (list, tuple)) else [results]), *embeddings_from]
            _draw(board, caches, embeddings, dataset, data_dir, plugins, anchor, seed, trajectories, step, jobs,
                  figure_formats)
        step("page")
        from .report import write_report

        write_report(board.out / "index.html", table, summary, pairwise, board.figures, alpha=alpha,
                     notes=board.notes, calibration=board.calibration,
                     shuffle_controls=board.shuffle_controls, budget_curve=board.budget_curve,
                     paper_cells=pd.read_csv(cells_file) if cells_file else None)
        step("done")
    log.info("leaderboard written to %s", board.out)
    return board


def figure_jobs(jobs: int | str) -> int:
    """``jobs`` of :func:`leaderboard` as a number of processes."""
    if jobs == "auto":
        from .execution.local_pool import available_cpus

        return available_cpus()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise NerBenchError(f"leaderboard: jobs must be a positive integer or 'auto', got {jobs!r}")
    return jobs


def chosen_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """``figure_formats`` of :func:`leaderboard`, checked: some of png and svg."""
    chosen = tuple(dict.fromkeys(formats))
    if not chosen or set(chosen) - {"png", "svg"}:
        raise NerBenchError(f"leaderboard: figure formats {list(formats)!r}; expected png and/or svg")
    return chosen


def _draw(board: Leaderboard, caches, embeddings, dataset, data_dir, plugins, anchor, seed, trajectories,
          step, jobs: int, formats: tuple[str, ...]) -> None:
    try:
        from .figures import draw_all  # matplotlib only when figures are asked for
    except ImportError as error:
        raise NerBenchError(f"figures need matplotlib and seaborn ({error}): pip install 'ner-bench[report]', "
                            "or pass --no-figures") from None
    from .budget_curve_figures import budget_curve_specs
    from .calibration_figures import calibration_matrix_specs, calibration_specs
    from .figures import board_colors

    step("aligning latent trajectories" if trajectories else "no trajectories")
    extra = _trajectory_specs(board, caches, embeddings, dataset, data_dir, plugins, anchor, seed) if trajectories \
        else []
    colors = board_colors(board.summary, board.time_course, board.calibration)
    ladder = board.results[on_calibration_curve(board.results)]
    extra = (calibration_specs(board.calibration, colors) + calibration_matrix_specs(ladder)
             + budget_curve_specs(board.budget_curve) + extra)
    step(f"drawing {'figures and trajectories' if extra else 'figures'} in {jobs} process{'es' if jobs > 1 else ''}")
    board.figures = draw_all(board.summary, board.unit_scores, board.pair_scores, board.time_course,
                             board.out / "figures", board.out, jobs=jobs, extra=extra, colors=colors,
                             formats=formats)
    _remove_stale_figures(board)


@contextlib.contextmanager
def _steps(progress: bool | None, total: int) -> Iterator[Callable[[str], None]]:
    """``step(name)``: the bar moves on and names what the board does now."""
    from tqdm.auto import tqdm

    disable = None if progress is None else not progress
    with tqdm(total=total, desc="leaderboard", unit="step", disable=disable, file=sys.stderr,
              dynamic_ncols=True) as bar:
        def step(name: str) -> None:
            if bar.n or name != "reading results":
                bar.update()
            bar.set_postfix_str(name)

        yield step


def _remove_stale_figures(board: Leaderboard) -> None:
    """Figures of an earlier leaderboard in the same folder that this one did not redraw."""
    current = {path.resolve() for path in board.figure_paths}
    for path in (board.out / "figures").glob("*"):
        if path.suffix in (".png", ".svg") and path.resolve() not in current:
            log.info("removing stale figure %s", path)
            path.unlink()


def _trajectory_specs(board: Leaderboard, caches, embeddings, dataset, data_dir, plugins, anchor, seed) -> list:
    from .figures import trajectory_specs

    if embeddings is None:
        try:
            embeddings = cached_embeddings(board.results, caches, dataset, data_dir, plugins, seed)
        except NerBenchError as error:
            board.notes.append(f"latent trajectory figures skipped: {error}")
            log.info("latent trajectory figures skipped: %s", error)
            return []
    return trajectory_specs(embeddings, anchor=anchor)


def cached_embeddings(table: pd.DataFrame, results, dataset: str | None, data_dir, plugins,
                      seed: int | None) -> dict[str, list[EmbeddedRecording]]:
    """Embeddings from the ``cache/`` folder of each results folder given, per method label of ``table``."""
    from .plan import load_recordings
    from .plugins import discover

    sources = results if isinstance(results, (list, tuple)) else [results]
    folders = [RunFolder(s) for s in sources if isinstance(s, (str, Path))]
    folders = [folder for folder in folders if folder.has_embeddings()]
    if not folders:
        raise NerBenchError("no embedding cache (RESULTS_DIR/cache) among the results given")
    registry = discover([str(p) for p in plugins])
    specs = [dataset] if dataset else sorted(table["dataset"].dropna().astype(str).unique())
    recordings = [r for spec in specs for r in load_recordings(registry, spec, data_dir, (), (), ())]
    labels = {(m, canonical_params(parse_params(p))): label for m, p, label in
              table[["method", "method_params", "method_label"]].drop_duplicates().itertuples(index=False)}
    found: dict[str, list[EmbeddedRecording]] = {}
    for folder in folders:
        for label, items in folder.embeddings(recordings, seed=seed, labels=labels).items():
            have = {e.recording.id for e in found.get(label, [])}
            found.setdefault(label, []).extend(e for e in items if e.recording.id not in have)
    return found
