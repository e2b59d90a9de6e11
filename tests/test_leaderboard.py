"""The leaderboard end to end: real runs, files written, the CLI, figures' numbers, trajectories."""

import importlib.util
import subprocess
from pathlib import Path
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

import ner_bench as nb
from support.recordings import make_recording
from support.leaderboard_data import fabricated_results, row, write_cache
from ner_bench.statistics.groups import letter_tokens
from ner_bench import Method, NerBenchError
from ner_bench.cli import main
from ner_bench.split import chronological_split
from ner_bench.statistics import DIFFERENT, SAME, pair_scores, prepare, unit_scores
from ner_bench.anchored_trajectories import EmbeddedRecording, align_to_anchor
from ner_bench.run_folder.reading import load_cached_embeddings


class RandomProjection(Method):
    name = "randproj"
    description = "Gaussian random projection to 3-D (a floor for the leaderboard tests)"
    defaults = {"dim": 3}

    def fit(self, train, *, seed, device="cpu"):
        self.weights = np.random.default_rng(seed).normal(size=(train.n_neurons, self.params["dim"]))
        return self

    def transform(self, recording):
        return recording.neural @ self.weights


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    nb.run(methods=["pca", RandomProjection()], tasks="within-session", seeds=(0, 1), out=out,
           dataset="synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12,pool_size=16]")
    return out


def test_leaderboard_of_a_real_run_writes_tables_figures_and_page(run_dir, tmp_path):
    pytest.importorskip("seaborn")  # the board draws figures (the report extra)
    board = nb.leaderboard(run_dir, out=tmp_path / "board", trajectories=False)
    for name in ("summary.csv", "pairwise.csv", "time_course.csv", "index.html"):
        assert (tmp_path / "board" / name).stat().st_size > 0
    summary = pd.read_csv(tmp_path / "board" / "summary.csv")
    assert set(summary["method"]) == {"pca", "randproj"}
    assert set(summary["seeds"].astype(str)) == {"2"} and (summary["n_units"] == 2).all()  # 2 sessions
    assert (summary["n_recordings"] == 3).all()  # day 2 has M1 and PMd: one session, one unit
    assert len(pd.read_csv(tmp_path / "board" / "pairwise.csv")) == summary.groupby(
        ["task", "split", "decoder", "target", "metric"]).ngroups
    kinds = {f.kind for f in board.figures}
    assert kinds == {"bars", "time_course"}
    assert all(p.exists() for p in board.figure_paths) and {p.suffix for p in board.figure_paths} == {".png", ".svg"}


def test_python_api_tables_without_files_and_after_importing_the_submodule(run_dir):
    import ner_bench.board  # noqa: F401  (importing the module must not rebind nb.leaderboard)

    results = pd.read_parquet(run_dir / "results.parquet")
    board = nb.leaderboard(results)
    ranked = results[results["time_bin"].isna()]  # per-bin accuracies go to the time course, not ranked
    families = ranked.groupby(["split", "decoder", "target", "metric"]).ngroups
    assert board.out is None and board.figures == [] and len(board.summary) == 2 * families  # 2 methods


def test_cli_writes_the_board_and_reports_bad_input_in_one_line(run_dir, tmp_path, capsys):
    assert main(["leaderboard", str(run_dir), "--out", str(tmp_path / "b"), "--no-figures"]) == 0
    assert "families" in capsys.readouterr().out and (tmp_path / "b" / "index.html").exists()
    assert main(["leaderboard", str(tmp_path / "nowhere"), "--out", str(tmp_path / "c")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("ner-bench: error:") and "nowhere" in error and "\n" not in error
    (tmp_path / "empty").mkdir()
    assert main(["leaderboard", str(tmp_path / "empty"), "--out", str(tmp_path / "c")]) == 2
    assert "results.parquet" in capsys.readouterr().err


def test_csv_results_give_the_same_board_as_parquet(run_dir, tmp_path):
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "results.csv").write_bytes((run_dir / "results.csv").read_bytes())
    pd.testing.assert_frame_equal(nb.leaderboard(tmp_path / "csv").summary, nb.leaderboard(run_dir).summary)


def test_a_rerun_into_the_same_folder_removes_figures_it_no_longer_draws(run_dir, tmp_path):
    pytest.importorskip("seaborn")  # the board draws figures (the report extra)
    stale = tmp_path / "figures" / "bars_old.png"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    board = nb.leaderboard(run_dir, out=tmp_path, trajectories=False)
    assert not stale.exists() and all(p.exists() for p in board.figure_paths)


def test_several_results_folders_are_combined_without_double_counting(run_dir, tmp_path):
    once = nb.leaderboard(run_dir).summary
    twice = nb.leaderboard([run_dir, run_dir]).summary
    pd.testing.assert_frame_equal(once, twice)


def test_matrix_diagonal_and_off_diagonal_means_match_the_summary():
    pytest.importorskip("seaborn")  # ner_bench.figures imports seaborn (the report extra)
    from ner_bench.figures import decoding_matrix, diagonal_means

    table = prepare(fabricated_results())
    scores = pair_scores(table)
    cells = scores[(scores["task"] == "cross-session") & (scores["method_label"] == "good")
                   & (scores["target"] == "velocity")]
    matrix = decoding_matrix(cells)
    assert matrix.shape == (4, 4) and list(matrix.index) == list(matrix.columns)
    diagonal, off = diagonal_means(matrix)
    assert diagonal == pytest.approx(cells[cells["cells"] == SAME]["value"].mean())
    assert off == pytest.approx(cells[cells["cells"] == DIFFERENT]["value"].mean())
    assert diagonal == pytest.approx(np.trace(matrix.to_numpy()) / 4)


def toy_embedding(rec, rng):
    """A 3-D embedding that carries direction and time (so direction averages are distinct curves)."""
    angle = np.deg2rad(rec.angle)
    t = rec.time_in_trial / rec.trial_length
    return np.column_stack([np.cos(angle) * t, np.sin(angle) * t, t ** 2]) + 0.01 * rng.normal(size=(rec.n_bins, 3))


def test_alignment_recovers_a_rotated_reflected_shifted_copy():
    rng = np.random.default_rng(0)
    anchor = make_recording(n_trials=40, id="day1", subject="M", area="M1")
    other = make_recording(n_trials=40, id="day2", subject="M", area="M1")
    values = toy_embedding(anchor, rng)
    rotation = Rotation.from_euler("xyz", [30, -50, 80], degrees=True).as_matrix() @ np.diag([1, 1, -1])
    moved = values @ rotation + np.array([2.0, -1.0, 0.5])
    aligned = align_to_anchor([EmbeddedRecording(anchor, values, chronological_split(anchor)),
                               EmbeddedRecording(other, moved, chronological_split(other))], trials="test")
    assert [a.is_anchor for a in aligned] == [True, False]
    np.testing.assert_allclose(aligned[1].curves, aligned[0].curves, atol=1e-8)
    assert aligned[0].curves.shape == (8, anchor.trial_length, 3)
    np.testing.assert_allclose(aligned[0].angles, np.arange(8) * 45.0)


def test_alignment_reduces_wide_and_pads_narrow_embeddings():
    rng = np.random.default_rng(1)
    a, b = make_recording(n_trials=24, id="a"), make_recording(n_trials=24, id="b")
    wide = np.column_stack([toy_embedding(a, rng), rng.normal(size=(a.n_bins, 5))])
    narrow = toy_embedding(b, rng)[:, :2]
    aligned = align_to_anchor([EmbeddedRecording(a, wide), EmbeddedRecording(b, narrow)])
    assert [x.curves.shape[-1] for x in aligned] == [3, 3] and [x.original_dim for x in aligned] == [8, 2]
    with pytest.raises(NerBenchError, match="anchor"):
        align_to_anchor([EmbeddedRecording(a, wide)], anchor="nope")


def test_cache_loader_reads_meta_fields_and_the_board_draws_trajectories(run_dir, tmp_path):
    pytest.importorskip("seaborn")  # the board draws figures (the report extra)
    from ner_bench.plugins import discover
    from ner_bench.plan import load_recordings

    recordings = load_recordings(discover([]), "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12,"
                                 "pool_size=16]", None, (), (), ())
    rng = np.random.default_rng(0)
    cache = tmp_path / "cache"
    write_cache(cache, {"pca": [(r, toy_embedding(r, rng)) for r in recordings],
                        "randproj": [(r, toy_embedding(r, rng)) for r in recordings[:2]]}, seed=1)
    write_cache(cache, {"pca": [(r, toy_embedding(r, rng)) for r in recordings]}, seed=0)
    found = load_cached_embeddings(cache, recordings)
    assert sorted(found) == ["pca"] and len(found["pca"]) == 3  # seed 0 only
    assert all(e.split is not None for e in found["pca"])
    found = load_cached_embeddings(cache, recordings, seed=1)
    assert {m: len(v) for m, v in found.items()} == {"pca": 3, "randproj": 2}
    with pytest.raises(NerBenchError, match="nothing to draw"):
        load_cached_embeddings(cache, [make_recording(id="other")])
    # the runner's own cache (entries without those meta fields) plus ours: the board draws trajectories
    results = pd.read_parquet(run_dir / "results.parquet")
    results.to_parquet(tmp_path / "results.parquet")
    board = nb.leaderboard(tmp_path, out=tmp_path / "board", seed=1,
                           dataset="synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12,pool_size=16]")
    trajectories = [f for f in board.figures if f.kind == "trajectories"]
    assert {(f.key["subject"], f.key["area"]) for f in trajectories} == {("Synthie", "M1"), ("Synthie", "PMd")}
    assert all(not f.files["png"].is_absolute() and (board.out / f.files["png"]).exists() for f in trajectories)


SYNTHETIC = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12,pool_size=16]"


def test_a_board_of_results_files_draws_trajectories_from_a_named_run_folder(run_dir, tmp_path):
    """The published board is made from committed results files (one per chunk of a long run): their
    trajectories come from a run folder that still has its cache, whose results are not read twice."""
    pytest.importorskip("seaborn")
    kept = tmp_path / "chunk.parquet"
    pd.read_parquet(run_dir / "results.parquet").to_parquet(kept)
    alone = nb.leaderboard(kept, out=tmp_path / "alone", dataset=SYNTHETIC)
    assert not [f for f in alone.figures if f.kind == "trajectories"]
    assert any("no embedding cache" in note for note in alone.notes)
    board = nb.leaderboard(kept, out=tmp_path / "board", embeddings_from=[run_dir], dataset=SYNTHETIC)
    drawn = [f for f in board.figures if f.kind == "trajectories"]
    assert {(f.key["subject"], f.key["area"]) for f in drawn} == {("Synthie", "M1"), ("Synthie", "PMd")}
    assert len(board.results) == len(alone.results)  # the run folder's rows were not read


def test_a_board_can_keep_png_figures_only(run_dir, tmp_path):
    pytest.importorskip("seaborn")
    board = nb.leaderboard(run_dir, out=tmp_path / "board", trajectories=False, figure_formats=["png"])
    assert board.figures and all(set(f.files) == {"png"} for f in board.figures)
    assert not list((tmp_path / "board" / "figures").glob("*.svg"))
    assert ">SVG</a>" not in (tmp_path / "board" / "index.html").read_text()
    with pytest.raises(NerBenchError, match="figure formats.*png and/or svg"):
        nb.leaderboard(run_dir, out=tmp_path / "other", figure_formats=["pdf"])


def test_engine_imports_without_matplotlib():
    code = "import sys, ner_bench, ner_bench.runner, ner_bench.statistics; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_every_latent_correlation_direction_pair_counts(tmp_path):
    """The board's pearson_r is the mean over all direction pairs of its rows: no row is merged away,
    also when the same rows arrive from two results folders."""
    rng = np.random.default_rng(0)
    rows = [row(task="latent-correlation", method=m, train_unit=a, test_unit=b, decoder="pearson",
                target="latent_trajectory", metric="pearson_r", train_direction=i, test_direction=j,
                pair_type="cross-session", value=float(rng.uniform(-1, 1)))
            for m in ("x", "y") for a, b in (("d1", "d2"), ("d2", "d1")) for i in range(8) for j in range(8)]
    table = pd.DataFrame(rows)
    board = nb.leaderboard([table, table.copy()])
    assert len(board.results) == len(table)  # the repeat from the second source is dropped, nothing else
    summary = board.summary.set_index("method")
    for method in ("x", "y"):
        expected = table[table["method"] == method].groupby("test_unit")["value"].mean().mean()
        assert summary.loc[method, "mean"] == pytest.approx(expected)
    assert summary["rank"].isna().all()  # one direction pair's r has no better end


PUBLISHED = Path(__file__).resolve().parents[1] / "leaderboards"


@pytest.mark.parametrize("board", ["reaching", "published"])
def test_published_tables_keep_their_promises(board):
    """On the boards in leaderboards/: letters read both ways (a shared letter if and only if the blocked test
    does not separate the pair at Holm p < 0.05); every pairwise row has its subjects' differences and sign
    agreement and every family its scope; `raw` across recordings has no letter; a cross-recording comparison
    has at most recordings - 1 degrees of freedom; every table names its unit; cross-area families pair two
    areas of one session only."""
    folder = PUBLISHED / board
    summary = pd.read_csv(folder / "summary.csv", keep_default_na=False, na_values=[""])
    pairwise = pd.read_csv(folder / "pairwise.csv", keep_default_na=False, na_values=[""])
    assert summary["unit"].notna().all() and (summary["n_units"] > 0).all() and summary["scope"].notna().all()
    keys = [c for c in ("dataset", "task", "protocol", "split", "pair_type", "alignment", "decoder", "target",
                        "metric") if c in summary]
    letters = {tuple(k) + (m,): str(g) for *k, m, g in summary[keys + ["method", "tie_group"]].itertuples(index=False)}
    for pair in pairwise.itertuples(index=False):
        key = tuple(getattr(pair, c) for c in keys)
        share = bool(set(letter_tokens(letters[key + (pair.method_a,)]))
                     & set(letter_tokens(letters[key + (pair.method_b,)])))
        assert share == (not pair.blocked_p_holm < 0.05), (key, pair)
    assert pairwise["subject_diffs"].notna().all() and (pairwise["subjects_agree"] <= pairwise["n_subjects"]).all()
    across = summary[(summary["task"] != "within-session") & (summary["pair_type"] != "same recording")]
    raw = across[across["method"] == "raw"]
    assert (raw["tie_group"].fillna("") == "").all() and raw["rank"].isna().all()
    recordings = summary.groupby(keys)["n_recordings"].max()
    for pair in pairwise.itertuples(index=False):
        key = tuple(getattr(pair, c) for c in keys)
        assert pair.t_df <= recordings[key] - 1 or not np.isfinite(pair.t_df)
    if "cross-area" in set(summary["task"]):
        assert set(summary.loc[summary["task"] == "cross-area", "pair_type"]) == {"cross-area"}


def test_readme_tables_are_the_published_boards():
    """Every marked block of leaderboards/README.md is what readme_tables.py prints from the committed CSVs,
    and every block the CSVs give is quoted there."""
    spec = importlib.util.spec_from_file_location("readme_tables", PUBLISHED / "readme_tables.py")
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    readme = (PUBLISHED / "README.md").read_text()
    for board in ("reaching", "budget"):
        for name, block in tables.blocks(PUBLISHED / board).items():
            assert tables.quoted(readme, name) == block, name
