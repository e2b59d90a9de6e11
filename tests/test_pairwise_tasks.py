import numpy as np
import pandas as pd
import pytest

import ner_bench as nb
from support.recordings import make_recording
from ner_bench import Context, NerBenchError, chronological_split
from ner_bench.plugins import discover
from ner_bench.protocol import STRICT
from ner_bench.task import Embedding, Unit

SMALL = "synthetic[n_sessions=4,n_s1_sessions=0,n_trials=40,n_neurons=20,pool_size=24]"


def recordings():
    """Two days of right M1, two of left M1 and PMd, two of S1 (ids say subject_day_area)."""
    meta = [("Mo", 1, "M1", "right"), ("Mo", 2, "M1", "right"), ("Mo", 3, "M1", "left"),
            ("Mo", 3, "PMd", "left"), ("Mo", 4, "M1", "left"), ("Mo", 4, "PMd", "left"),
            ("Se", 1, "S1", "left"), ("Se", 2, "S1", "left")]
    return [make_recording(n_trials=8, id=f"{s}_{d}_{a}", subject=s, date=f"2026-01-0{d}", area=a, hemisphere=h)
            for s, d, a, h in meta]


def pairs(task_name):
    task = discover().get("tasks", task_name)()
    return {(u.train.id, u.test.id) for u in task.units(recordings())}


def test_cross_session_pairs_change_the_day_only_plus_the_diagonal():
    found = pairs("cross-session")
    same_hemisphere_m1 = [("Mo_1_M1", "Mo_2_M1"), ("Mo_3_M1", "Mo_4_M1")]
    day_pairs = {p for a, b in same_hemisphere_m1 + [("Mo_3_PMd", "Mo_4_PMd"), ("Se_1_S1", "Se_2_S1")]
                 for p in ((a, b), (b, a))}
    assert found == day_pairs | {(r.id, r.id) for r in recordings()}
    assert ("Mo_1_M1", "Mo_3_M1") not in found  # another hemisphere: cross-hemisphere's, not this task's


def test_cross_hemisphere_pairs_differ_in_hemisphere_only():
    assert pairs("cross-hemisphere") == {(a, b) for a in ("Mo_1_M1", "Mo_2_M1") for b in ("Mo_3_M1", "Mo_4_M1")} | {
        (b, a) for a in ("Mo_1_M1", "Mo_2_M1") for b in ("Mo_3_M1", "Mo_4_M1")}


def test_cross_area_pairs_are_m1_and_pmd_of_one_session_both_ways():
    found = pairs("cross-area")
    assert found == {("Mo_3_M1", "Mo_3_PMd"), ("Mo_3_PMd", "Mo_3_M1"), ("Mo_4_M1", "Mo_4_PMd"), ("Mo_4_PMd", "Mo_4_M1")}


def test_latent_correlation_pairs_different_recordings_of_a_subject():
    found = pairs("latent-correlation")
    assert len(found) == 6 * 5 + 2 and all(a != b for a, b in found)


def test_every_row_carries_its_pair_type_and_each_task_scores_its_own():
    tasks = "within-session,cross-session,cross-hemisphere,cross-area,latent-correlation"
    table = nb.run(methods="pca", tasks=tasks, dataset=SMALL, out=None)
    assert (table["status"] == "ok").all() and table["pair_type"].notna().all()
    types = table.groupby("task")["pair_type"].agg(lambda t: set(t)).to_dict()
    assert types == {"within-session": {"same recording"}, "cross-session": {"same recording", "cross-session"},
                     "cross-hemisphere": {"cross-hemisphere"}, "cross-area": {"cross-area"},
                     "latent-correlation": {"cross-session", "cross-hemisphere", "cross-area",
                                            "cross-session-and-area"}}
    area = table[table["task"] == "cross-area"]
    assert (area["train_session"] == area["test_session"]).all() and (area["train_area"] != area["area"]).all()
    assert set(table["train_session"]) == {f"Synthie_2026-01-0{day}" for day in range(1, 5)}


def test_cross_session_diagonal_equals_the_within_session_score():
    table = nb.run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=None)
    assert (table["status"] == "ok").all()
    keys = ["train_unit", "test_unit", "decoder", "target", "metric", "split", "time_bin"]
    within = table[table["task"] == "within-session"].set_index(keys)["value"]
    cross = table[table["task"] == "cross-session"]
    diagonal = cross[cross["train_unit"] == cross["test_unit"]].set_index(keys)["value"]
    assert set(cross["decoder"]) == {"linear", "ridge", "logistic", "knn"}
    pd.testing.assert_series_equal(diagonal.sort_index(), within.sort_index(), check_exact=True)
    off = cross[(cross["train_unit"] != cross["test_unit"]) & ~cross["calibration_curve"]]
    assert len(off) and set(off["alignment"]) == {"train-procrustes"}
    ladder = cross[cross["calibration_curve"]]  # the calibration ladder: other rungs, off the diagonal only
    assert len(ladder) and (ladder["train_unit"] != ladder["test_unit"]).all() and "cca" in set(ladder["alignment"])


def test_alignment_option_and_its_errors():
    table = nb.run(methods="pca", tasks="cross-session[alignment=none,calibration=off]", dataset=SMALL, out=None)
    assert set(table["alignment"]) == {"none"} and not table["calibration_curve"].any()
    with pytest.raises(NerBenchError, match="alignment"):
        nb.run(methods="pca", tasks="cross-session[alignment=sideways]", dataset=SMALL, out=None)
    with pytest.raises(NerBenchError, match="unknown option"):
        nb.run(methods="pca", tasks="cross-area[colour=red]", dataset=SMALL, out=None)


def test_latent_correlation_of_a_rotated_copy_is_perfect():
    a = make_recording(n_trials=48, id="A", subject="S")
    split = chronological_split(a)
    values = a.neural @ np.random.default_rng(0).normal(size=(a.n_neurons, 3))
    b = a.replace(id="B")
    rotation = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))[0]
    task = discover().get("tasks", "latent-correlation")()
    rows = task.evaluate(Unit(a, b), Embedding(a, split, values), Embedding(b, chronological_split(b),
                         values @ rotation + 1.0), Context(STRICT, 0))
    by_metric = {(r["metric"], r["split"]): r["value"] for r in rows if "train_direction" not in r}
    assert by_metric["diagonal_mean_r", "test"] == pytest.approx(1.0)
    assert by_metric["off_diagonal_mean_r", "test"] < 0.9
    assert by_metric["consistency_r2", "test"] == pytest.approx(1.0)
    per_pair = [r for r in rows if r["metric"] == "pearson_r"]
    assert len(per_pair) == 64 and {r["train_direction"] for r in per_pair} == set(range(8))


def test_paper_protocol_flags_its_alignment_and_swapped_r2():
    table = nb.run(methods="pca", tasks="cross-session", dataset=SMALL, protocol="paper", out=None)
    off = table[table["train_unit"] != table["test_unit"]]
    assert set(off["alignment"]) == {"published"} and off["note"].str.contains("published alignment").all()
    swapped = off[(off["target"] == "velocity") & (off["split"] == "test")]
    assert swapped["note"].str.contains("r2_score(prediction, truth)", regex=False).all()
    assert "float noise" in table["defects"].iloc[0] and "L1 cost" in table["defects"].iloc[0]
