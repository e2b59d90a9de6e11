"""The curved-vs-straight task: end to end through the runner and the CLI on a small NWB file, its
trajectory metrics on hand-made trajectories, no leakage of test trials, and the trajectory figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ner_bench as nb
from ner_bench import Context, Embedding, chronological_split
from ner_bench.builtins.datasets.mc_maze import McMaze
from ner_bench.builtins.tasks._trajectories import Trajectories, classify, separate
from ner_bench.builtins.tasks.curved_vs_straight import (CurvedVsStraight, distance_rows, plot_condition_trajectories,
                                                        trajectory_figures)
from ner_bench.cli import main as cli_main
from ner_bench.protocol import STRICT


def maze_spec(path, trial_set="straight-curved-13-38-18") -> str:
    return f"mc_maze[path={path},trial_set={trial_set}]"


@pytest.fixture(scope="module")
def results(maze_nwb) -> pd.DataFrame:
    return nb.run(methods="pca", tasks="curved-vs-straight", dataset=maze_spec(maze_nwb), out=None)


def pick(table, **where) -> pd.DataFrame:
    mask = np.ones(len(table), bool)
    for column, value in where.items():
        mask &= table[column] == value
    return table[mask]


def test_runner_scores_decoding_and_separation_per_area(results):
    assert (results["status"] == "ok").all()
    assert set(results["area"]) == {"M1", "PMd"}
    for area in ("M1", "PMd"):
        rows = pick(results, area=area)
        for target in ("velocity", "position"):
            assert len(pick(rows, decoder="linear", target=target, metric="r2", split="test")) == 1
        accuracy = pick(rows, decoder="trajectory-logistic", metric="balanced_accuracy")
        assert set(accuracy["target"]) == {"condition", "reach", "reach:13", "reach:38", "reach:18"}
        finite = accuracy["value"].dropna()
        assert len(finite) and finite.between(0, 1).all()
        distances = pick(rows, decoder="trajectory-mean")
        assert set(distances["split"]) == {"train", "test"} and set(distances["metric"]) == {"distance", "separation"}
        assert (pick(distances, split="train")["value"] > 0).all()


def test_nan_scores_explain_themselves(results):
    missing = results[results["value"].isna() & (results["task"] == "curved-vs-straight")]
    assert (missing["note"].str.len() > 0).all()


def test_pmd_trajectories_separate_straight_from_curved(results):
    """The test file's PMd units carry the curvature; M1 units only the hand velocity."""
    train = pick(results, area="PMd", decoder="trajectory-mean", target="reach", metric="separation", split="train")
    accuracy = pick(results, area="PMd", decoder="trajectory-logistic", target="reach")
    assert train["value"].item() > 1.0 and accuracy["value"].item() >= 0.75


def test_curved_only_sets_score_conditions_only(maze_nwb):
    table = nb.run(methods="pca", tasks="curved-vs-straight", dataset=maze_spec(maze_nwb, "curved-37-1"), out=None)
    trajectory = table[table["decoder"].str.startswith("trajectory")]
    assert set(trajectory["target"]) == {"condition"}


def test_cli_runs_the_task_end_to_end(maze_nwb, tmp_path, capsys):
    code = cli_main(["run", "--methods", "pca", "--task", "curved-vs-straight", "--dataset",
                     maze_spec(maze_nwb, "straight-curved-13"), "--areas", "M1", "--out", str(tmp_path)])
    assert code == 0
    table = pd.read_csv(tmp_path / "results.csv")
    assert set(table["test_unit"]) == {"Jenkins_20090925_M1_straight-curved-13"}
    assert "curved-vs-straight" in capsys.readouterr().out


def test_cli_reports_an_empty_trial_set_in_one_line(maze_nwb, capsys):
    code = cli_main(["run", "--task", "curved-vs-straight", "--dataset", maze_spec(maze_nwb, "curved-99")])
    assert code == 2
    assert "trial set 'curved-99' selects no trials" in capsys.readouterr().err


def test_other_datasets_have_nothing_to_score():
    synthetic = nb.run(methods="pca", tasks="curved-vs-straight,within-session", dataset="synthetic[n_trials=16,n_sessions=2,n_s1_sessions=0]",
                       out=None)
    assert set(synthetic["task"]) == {"within-session"}


def test_nothing_fitted_sees_the_test_trials(maze_nwb):
    recording = McMaze(path=str(maze_nwb), trial_set="straight-curved-13-38-18").load()[0]
    split = chronological_split(recording)
    values = np.random.default_rng(0).normal(size=(recording.n_bins, 3))
    scrambled = values.copy()
    test_rows = np.isin(recording.trial, split.test_trials)
    scrambled[test_rows] = np.random.default_rng(1).normal(size=(test_rows.sum(), 3))
    task, context = CurvedVsStraight(), Context(STRICT, 0)

    def scores(embedding_values):
        embedding = Embedding(recording, split, embedding_values)
        return pd.DataFrame(task.evaluate(task.units([recording])[0], embedding, embedding, context))

    before, after = scores(values), scores(scrambled)
    trained = before["split"] == "train"
    assert np.allclose(before[trained]["value"], after[trained]["value"], equal_nan=True)
    assert not np.allclose(before[~trained]["value"], after[~trained]["value"], equal_nan=True)


# ----------------------------------------------------------------------------- the metrics themselves
def trajectories(groups: dict[str, np.ndarray]) -> Trajectories:
    labels = np.concatenate([[label] * len(g) for label, g in groups.items()])
    return Trajectories(values=np.concatenate(list(groups.values())), trial_ids=np.arange(len(labels)),
                        labels=labels, trial_types=np.array([int(label.split("-")[0]) for label in labels]),
                        reaches=np.array([label.split("-")[1] for label in labels]),
                        conditions=("13-straight", "13-curved"))


def test_separation_is_the_distance_of_means_over_the_spread():
    offset = np.array([3.0, 4.0, 0.0])  # |offset| = 5
    wobble = np.array([0.0, 0.0, 2.0])
    straight = np.stack([np.tile(wobble, (10, 1)), np.tile(-wobble, (10, 1))])  # mean 0, each trial 2 away
    curved = straight + offset
    distance, separation = separate(straight, curved, ("a", "b"))
    assert distance.value == pytest.approx(5.0) and separation.value == pytest.approx(2.5)
    too_few, _ = separate(straight[:1], curved, ("13-straight", "13-curved"))
    assert np.isnan(too_few.value) and "13-straight" in too_few.note


def test_a_condition_without_test_trials_gives_nan_with_a_note():
    rng = np.random.default_rng(0)
    part = trajectories({"13-straight": rng.normal(size=(1, 20, 3)), "13-curved": rng.normal(size=(4, 20, 3))})
    rows = {(r["target"], r["metric"]): r for r in distance_rows(part, "test")}
    assert np.isnan(rows[("reach:13", "separation")]["value"])
    assert "fewer than 2 trials of 13-straight" in rows[("reach:13", "separation")]["note"]


def test_classification_of_separable_and_of_incomplete_classes():
    rng = np.random.default_rng(0)
    make = lambda n: trajectories({"13-straight": rng.normal(0, 1, (n, 20, 3)),
                                   "13-curved": rng.normal(0, 1, (n, 20, 3)) + 4.0})
    train, test = make(12), make(5)
    score = classify(train, test, train.labels, test.labels, ["13-straight", "13-curved"])
    assert score.value == 1.0 and "chance 0.50" in score.note
    only_curved = test.where(test.labels == "13-curved")
    score = classify(train, only_curved, train.labels, only_curved.labels, ["13-straight", "13-curved"])
    assert np.isnan(score.value) and "1 of the 2 classes" in score.note
    no_straight = train.where(train.labels == "13-curved")
    score = classify(no_straight, test, no_straight.labels, test.labels, ["13-straight", "13-curved"])
    assert np.isnan(score.value) and "no training trials of 13-straight" in score.note


# ----------------------------------------------------------------------------- figures
def test_condition_trajectory_figure_is_written(maze_nwb, tmp_path):
    pytest.importorskip("matplotlib")
    recording = McMaze(path=str(maze_nwb), trial_set="straight-curved-13").load()[0]
    values = np.random.default_rng(0).normal(size=(recording.n_bins, 2))  # 2-D: drawn in 3-D with z = 0
    path = plot_condition_trajectories(values, recording, tmp_path / "fig.png", trials=recording.trial_ids[:6])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trajectory_figures_reuse_the_run_s_embeddings(maze_nwb, tmp_path):
    pytest.importorskip("matplotlib")
    spec = maze_spec(maze_nwb, "straight-curved-13")
    nb.run(methods="pca", tasks="curved-vs-straight", dataset=spec, out=tmp_path / "run")
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "run" / "cache").rglob("*.npz")}
    written = trajectory_figures("pca", spec, tmp_path / "figures", out=tmp_path / "run")
    assert sorted(p.name for p in written) == [f"pca_Jenkins_20090925_{area}_straight-curved-13_seed0_test.png"
                                               for area in ("M1", "PMd")]
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "run" / "cache").rglob("*.npz")} == cached  # no refit
