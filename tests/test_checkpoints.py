"""Checkpoints: one long fit that is also each of its shorter fits (ner_bench/checkpoints.py)."""

import numpy as np
import pytest

import ner_bench as nb
from ner_bench import Method, NerBenchError
from ner_bench.run_folder import RunFolder

pytest.importorskip("cebra")

TINY = "synthetic[n_sessions=1,n_s1_sessions=0,n_trials=24,n_neurons=12]"


def embeddings(fitted) -> dict[str, np.ndarray]:
    return {f"{f.method}[iterations={f.params['iterations']}]": f.values for f in fitted}


@pytest.mark.parametrize("method", ["ner", "cebra"])
def test_a_checkpoint_is_the_shorter_fit_and_the_long_fit_is_untouched(tmp_path, method):
    fitted = nb.fit_embeddings(f"{method}[iterations=30,checkpoints=10+20,batch_size=64]", TINY, out=tmp_path)
    assert [f.params["iterations"] for f in fitted] == [30, 10, 20] and all(f.ok for f in fitted)
    with_checkpoints = embeddings(fitted)
    alone = embeddings(nb.fit_embeddings(f"{method}[iterations=10,batch_size=64],{method}[iterations=30,batch_size=64]",
                                         TINY, out=None))
    for name, values in alone.items():
        np.testing.assert_array_equal(with_checkpoints[name], values, err_msg=name)
    assert not np.array_equal(with_checkpoints[f"{method}[iterations=10]"], with_checkpoints[f"{method}[iterations=30]"])


def test_checkpoints_are_stored_as_the_fits_of_their_own_spec(tmp_path):
    spec = "ner[iterations=24,checkpoints=8+16,batch_size=64]"
    first = nb.run(methods=spec, tasks="within-session", dataset=TINY, out=tmp_path)
    assert first.attrs["fits"]["planned"] == 3 and first.attrs["fits"]["ran"] == 3  # one fit, two checkpoints
    labels = set(first["method_params"])
    assert len(labels) == 3 and (first["status"] == "ok").all()
    training = set(first["training"])
    assert any("a checkpoint of the iterations=24 fit" in t for t in training)
    again = nb.run(methods="ner[iterations=16,batch_size=64]", tasks="within-session", dataset=TINY, out=tmp_path)
    assert again.attrs["fits"]["cached"] == 1 and again.attrs["fits"]["ran"] == 0
    records = RunFolder(tmp_path).fits().records
    assert len(list(records.glob("*.json"))) == 3


def test_a_checkpoint_given_as_a_spec_of_its_own_is_scored_once(tmp_path):
    table = nb.run(methods="ner[iterations=12,checkpoints=6,batch_size=64],ner[iterations=6,batch_size=64]",
                   tasks="within-session", dataset=TINY, out=None)
    assert table.attrs["fits"]["planned"] == 2
    assert table.groupby("method_params").size().nunique() == 1  # as many rows for each


def test_bad_checkpoints_are_refused_with_the_reason():
    with pytest.raises(NerBenchError, match="'pca'.*does not train step by step"):
        nb.run(methods="pca[checkpoints=10]", dataset=TINY, out=None)
    with pytest.raises(NerBenchError, match="checkpoints 30 not below iterations=20"):
        nb.run(methods="ner[iterations=20,checkpoints=10+30]", dataset=TINY, out=None)
    with pytest.raises(NerBenchError, match="early_stopping"):
        nb.run(methods="ner[iterations=20,checkpoints=10,early_stopping=true]", dataset=TINY, out=None)
    with pytest.raises(NerBenchError, match="not a step count"):
        nb.run(methods="ner[iterations=20,checkpoints=ten]", dataset=TINY, out=None)


class Forgetful(Method):
    """Claims to train step by step, never reports a checkpoint."""

    name, description = "forgetful", "a step-trained method that forgets its checkpoints"
    defaults = {"steps": 10}
    length_parameter = "steps"

    def fit(self, train, *, seed, device="cpu"):
        self.mean_ = train.neural.mean(axis=0) * self.params["steps"]
        return self

    def transform(self, recording):
        self.check_fitted()
        return recording.neural[:, :3] - self.mean_[:3]


def test_a_checkpoint_the_method_never_reports_fails_alone():
    fitted = nb.fit_embeddings(Forgetful(steps=10, checkpoints=5), TINY, out=None)
    status = {f.params["steps"]: (f.status, f.error) for f in fitted}
    assert status[10][0] == "ok"
    assert status[5][0] == "failed" and "did not report checkpoint 5" in status[5][1]


def test_the_board_draws_the_budget_curve_from_one_run(tmp_path):
    pytest.importorskip("matplotlib")
    methods = "ner[iterations=20,checkpoints=5+10,batch_size=64],cebra[iterations=20,checkpoints=5+10,batch_size=64],pca"
    results = nb.run(methods=methods, tasks="within-session,cross-session[calibration=off,decoders=linear]",
                     dataset="synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12]", out=None)
    n_recordings = results["train_unit"].nunique()
    assert results.attrs["fits"]["planned"] == 7 * n_recordings  # 3 lengths x 2 methods + pca, per recording
    board = nb.leaderboard(results, out=tmp_path / "board", trajectories=False)
    curve = board.budget_curve
    assert set(curve["curve"]) == {"ner", "cebra"} and set(curve["steps"]) == {5, 10, 20}  # pca has no length
    one = curve[(curve["task"] == "within-session") & (curve["metric"] == "r2") & (curve["decoder"] == "linear")
                & (curve["target"] == "velocity") & (curve["split"] == "test")]
    assert len(one) == 6 and set(one["rank"]) <= {1, 2} and (one.groupby("steps")["rank"].min() == 1).all()
    assert (tmp_path / "board" / "budget_curve.csv").exists()
    assert any(record.kind == "budget_curve" for record in board.figures)
    page = (tmp_path / "board" / "index.html").read_text()
    assert "training length" in page and "id='training-length'" in page


def test_ranking_holds_compares_the_shortest_and_longest_common_length():
    import pandas as pd
    from ner_bench.statistics.budget_curve import ranking_holds
    from ner_bench.statistics.table import FAMILY

    family = dict.fromkeys(FAMILY, "x")
    rows = [dict(family, curve=c, steps=s, rank=r) for c, s, r in
            [("a", 10, 1), ("b", 10, 2), ("a", 100, 2), ("b", 100, 1), ("a", 1000, 2), ("b", 1000, 1),
             ("a", 5000, 1)]]  # b lacks 5000
    holds = ranking_holds(pd.DataFrame(rows)).iloc[0]
    assert (holds["shortest"], holds["longest"]) == (10, 1000) and not holds["holds"]
    assert holds["ranking_at_shortest"] == "a > b" and holds["ranking_at_longest"] == "b > a"
    assert holds["stable_from"] == 100  # from 100 on, every length ranks as the longest does


def test_the_budget_figure_draws_same_recording_scores_once():
    """A pair task's diagonal repeats the within-session numbers: one same-recording panel, within-session's."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    from ner_bench.budget_curve_figures import curve_panels
    from ner_bench.statistics.table import SAME

    panels = [("cross-session", SAME, "train-procrustes"), ("within-session", SAME, "-"),
              ("cross-session", "cross-session", "train-procrustes")]
    curve = pd.DataFrame([dict(task=t, pair_type=p, alignment=a) for t, p, a in panels])
    assert curve_panels(curve) == [("within-session", SAME, "-"), ("cross-session", "cross-session", "train-procrustes")]
    only_pairs = curve[curve["task"] == "cross-session"]
    assert curve_panels(only_pairs) == [("cross-session", SAME, "train-procrustes"),
                                        ("cross-session", "cross-session", "train-procrustes")]


def test_the_budget_figure_marks_a_length_below_the_r2_cut_with_its_value():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    from ner_bench.budget_curve_figures import budget_curve_figure
    from ner_bench.statistics.table import SAME

    rows = [dict(task="within-session", pair_type=SAME, alignment="-", curve="ner", steps=s, mean=m,
                 length_parameter="iterations", target="velocity", metric="r2")
            for s, m in ((250, -8.15), (500, 0.57), (1000, 0.64))]
    figure = budget_curve_figure(pd.DataFrame(rows), "title")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.texts] == ["-8.15"]  # the point under the cut says its value
    assert ax.get_ylim()[0] < -1 < ax.get_ylim()[1]
