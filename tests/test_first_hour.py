"""A new user's first hour: the Python API checks its input, a run folder accumulates its results, and the
summary says what its numbers are."""

from __future__ import annotations

import pandas as pd
import pytest

import ner_bench as nb
from ner_bench.builtins.methods.pca import PCA
from ner_bench.run_summary import format_summary, summary

SMALL = "synthetic[n_sessions=1,n_s1_sessions=0,n_trials=24,n_neurons=12]"


def test_seeds_take_an_int_or_a_list_of_ints_and_refuse_a_string():
    assert set(nb.run(methods="pca", seeds=5, out=None, dataset=SMALL)["seed"]) == {5}
    with pytest.raises(TypeError, match=r"seeds=\[0, 1\] here"):
        nb.run(seeds="0,1", out=None, dataset=SMALL)
    with pytest.raises(ValueError, match="given more than once"):
        nb.run(seeds=[0, 0], out=None, dataset=SMALL)


def test_methods_take_names_instances_and_classes_and_refuse_anything_else():
    table = nb.run(methods=[PCA, PCA(dim=2), "random"], out=None, dataset=SMALL)
    assert set(table["method"]) == {"pca", "random"} and len(table.groupby(["method", "method_params"])) == 3
    with pytest.raises(TypeError, match="got 42"):
        nb.run(methods=[42], out=None, dataset=SMALL)


def test_task_is_accepted_as_the_command_line_spells_it():
    assert set(nb.run(task="cross-session", out=None, dataset="synthetic[n_sessions=2,n_s1_sessions=0,"
                                                                 "n_trials=24]")["task"]) == {"cross-session"}
    with pytest.raises(TypeError, match="not both"):
        nb.run(tasks="cross-session", task="within-session", out=None, dataset=SMALL)


def test_a_run_folder_accumulates_what_it_scored(tmp_path):
    first = nb.run(methods="pca,random", out=tmp_path, dataset=SMALL)
    second = nb.run(methods="pca[dim=2]", out=tmp_path, dataset=SMALL)
    folder = pd.read_parquet(tmp_path / "results.parquet")
    assert len(folder) == len(first) + len(second) == second.attrs["folder_rows"]
    again = nb.run(methods="random", out=tmp_path, dataset=SMALL)  # redone: replaced, not repeated
    assert len(pd.read_parquet(tmp_path / "results.parquet")) == len(folder) and len(again) < len(folder)
    nb.run(methods="random", out=tmp_path, dataset=SMALL, fresh=True)
    assert set(pd.read_parquet(tmp_path / "results.parquet")["method"]) == {"random"}


def test_a_rerun_replaces_the_failed_rows_of_the_units_it_scores(tmp_path):
    from ner_bench.runner import run

    table = run(methods="pca", out=tmp_path, dataset=SMALL)
    failed = table.iloc[:1].assign(status="failed", decoder=None, target=None, metric=None, value=float("nan"))
    pd.concat([failed, table]).to_parquet(tmp_path / "results.parquet")
    run(methods="pca", out=tmp_path, dataset=SMALL)
    assert (pd.read_parquet(tmp_path / "results.parquet")["status"] == "ok").all()


def test_the_run_summary_prints_the_boards_numbers():
    table = nb.run(methods="pca,random", tasks="cross-session,latent-correlation", out=None,
                   dataset="synthetic[n_sessions=3,n_s1_sessions=0,n_trials=24]")
    text = format_summary(table)
    assert "test trials" in text and "velocity R^2 (linear)" in text and "over its permutation null" in text
    assert "same recording" in text and "latent-correlation" in text
    printed = summary(table).set_index(["task", "pair_type", "alignment", "method", "metric_label"])
    board = nb.leaderboard(table).summary
    board = board[(board["split"] == "test") & (board["decoder"] == "linear") & (board["target"] == "velocity")
                  & (board["metric"] == "r2")]
    assert len(board) >= 4
    for row in board.itertuples():
        mine = printed.loc[(row.task, row.pair_type, row.alignment, row.method, "velocity R^2 (linear)")]
        assert (mine["mean"], mine["ci_low"], mine["ci_high"], mine["rank"]) == (row.mean, row.ci_low, row.ci_high,
                                                                                 row.rank)
        assert f"{row.mean:8.3f}" in text


PLUGIN = '''
from ner_bench import Method

class Scaled(Method):
    name, description, defaults = "scaled", "the neural activity times a factor", {"dim": 1}

    def fit(self, train, *, seed, device="cpu"):
        self.fitted_ = True
        return self

    def transform(self, recording):
        self.check_fitted()
        return recording.neural[:, :1] * FACTOR
'''


def test_an_edited_plug_in_is_reloaded_and_refitted_without_a_version_bump(tmp_path):
    plugin = tmp_path / "scaled.py"
    plugin.write_text(PLUGIN + "\nFACTOR = 1.0\n")
    first = nb.run(methods="scaled", plugins=[plugin], out=tmp_path / "out", dataset=SMALL, tasks="within-session")
    plugin.write_text(PLUGIN + "\nFACTOR = -1.0\n")
    again = nb.run(methods="scaled", plugins=[plugin], out=tmp_path / "out", dataset=SMALL, tasks="within-session")
    assert first.attrs["fits"]["ran"] == again.attrs["fits"]["ran"] == 1
    from ner_bench.plugins import discover

    module = discover([plugin]).methods["scaled"].__module__
    import sys

    assert sys.modules[module].FACTOR == -1.0  # this session sees the edit


def test_results_csv_names_versions_by_id_and_reads_back_whole(tmp_path):
    from ner_bench.run_folder import read_table

    nb.run(methods="pca", out=tmp_path, dataset=SMALL)
    csv = pd.read_csv(tmp_path / "results.csv")
    assert "versions" not in csv and csv["versions_id"].str.len().eq(12).all()
    restored, _ = read_table(tmp_path / "results.csv")
    parquet = pd.read_parquet(tmp_path / "results.parquet")
    assert list(restored.columns) == list(parquet.columns) and (restored["versions"] == parquet["versions"]).all()
    assert (tmp_path / "results.csv").stat().st_mode & 0o044  # readable by the group and others (umask)


def test_the_leaderboard_names_each_step_on_stderr(tmp_path, capsys):
    table = nb.run(methods="pca,random", out=None, dataset="synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24]")
    nb.leaderboard(table, out=tmp_path / "board", figures=False, progress=True)
    err = capsys.readouterr().err
    assert all(step in err for step in ("tables and statistics of", "page", "done"))
    assert {"pair_scores.csv", "unit_scores.csv"} <= {p.name for p in (tmp_path / "board").iterdir()}


PREPARED = '''
from ner_bench import Method

class Prepared(Method):
    name, description, defaults = "prepared", "needs a once-per-process set-up", {"dim": 1}

    def prepare(self):
        """a quick test set-up"""

    def fit(self, train, *, seed, device="cpu"):
        self.fitted_ = True
        return self

    def transform(self, recording):
        self.check_fitted()
        return recording.neural[:, :1]
'''


def test_the_progress_bar_names_a_methods_set_up(tmp_path, capsys):
    plugin = tmp_path / "prepared.py"
    plugin.write_text(PREPARED)
    nb.run(methods="prepared", plugins=[plugin], out=None, dataset=SMALL, jobs=2, progress=True)
    assert "preparing prepared: a quick test set-up" in capsys.readouterr().err


def test_a_run_below_the_published_training_says_so_in_one_line():
    from ner_bench.cli.run_cmd import training_note
    from ner_bench.plugins import discover

    methods = discover().methods
    quick = nb.run(methods="ner[iterations=3,batch_size=16],pca", out=None, dataset=SMALL)
    note = training_note(quick, methods)
    assert note.startswith("not the published training") and "\n" not in note
    assert "ner: iterations 3 (published 20000)" in note and "pca" not in note
    assert training_note(quick[quick["method"] == "pca"], methods) == ""
    # a method with a required parameter and no budget (precomputed) is not built to compare lengths
    rows = quick[quick["method"] == "pca"].assign(method="precomputed", method_params='{"path": "x"}')
    assert training_note(rows, methods) == ""
