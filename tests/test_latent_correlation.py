import numpy as np
import pytest

import ner_bench as nb
from ner_bench.builtins.tasks.latent_correlation import correlation_rows

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The synthetic default under the protocol's alignment and under none (one output folder each: stored
    task scores are keyed without the task's options)."""
    return {alignment: nb.run(methods="pca,random,behavior", tasks=f"latent-correlation[alignment={alignment}]",
                              dataset="synthetic", seeds=SEEDS, out=tmp_path_factory.mktemp(alignment))
            for alignment in ("protocol", "none")}


def contrast(table, method):
    rows = table[(table["metric"] == "trajectory_contrast_r") & (table["method"] == method)]
    assert len(rows) == 32 * len(SEEDS) and (rows["status"] == "ok").all()
    return rows["value"].mean()


def test_an_offset_is_no_correlation():
    """Independent trajectories far from zero: raw, every pair would correlate near 1; centred, none does."""
    rng = np.random.default_rng(0)
    a = {d: 10.0 + rng.normal(size=(40, 3)) for d in range(8)}
    b = {d: -7.0 + rng.normal(size=(40, 3)) for d in range(8)}
    by_metric = {r["metric"]: r["value"] for r in correlation_rows(a, b) if r["metric"] != "pearson_r"}
    assert abs(by_metric["diagonal_mean_r"]) < 0.1 and abs(by_metric["off_diagonal_mean_r"]) < 0.1
    assert abs(by_metric["trajectory_contrast_r"]) < 0.1


def test_random_is_near_zero_unaligned_and_behavior_is_highest(runs):
    assert set(runs["none"]["alignment"]) == {"none"} and set(runs["protocol"]["alignment"]) == {"train-procrustes"}
    # unaligned, a random projection of another recording's neurons shares nothing direction-specific
    assert abs(contrast(runs["none"], "random")) < 0.1
    # aligned (a rotation fitted on training direction averages), a random projection of tuned neurons
    # lines up partly: it is the floor a method must beat, well under pca and behavior
    scores = {m: contrast(runs["protocol"], m) for m in ("pca", "random", "behavior")}
    assert scores["random"] < scores["pca"] < scores["behavior"] and scores["behavior"] > 0.8
    assert scores["random"] < 0.3


def test_pearson_rows_of_one_unit_are_the_64_direction_pairs_and_make_the_means():
    # enough trials that every direction has test trials (the default's 19 test trials miss some)
    dataset = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=160,n_neurons=20,pool_size=24]"
    table = nb.run(methods="pca", tasks="latent-correlation", dataset=dataset, out=None)
    unit = table[(table["train_unit"] == "Synthie_20260101_M1") & (table["test_unit"] == "Synthie_20260102_M1")]
    pearson = unit[unit["metric"] == "pearson_r"]
    assert len(pearson) == 64 and set(pearson["train_direction"]) == set(pearson["test_direction"]) == set(range(8))
    same = pearson["train_direction"] == pearson["test_direction"]
    value = unit.set_index("metric")["value"]
    assert pearson[same]["value"].mean() == pytest.approx(value["diagonal_mean_r"])
    assert pearson[~same]["value"].mean() == pytest.approx(value["off_diagonal_mean_r"])
    assert value["trajectory_contrast_r"] == pytest.approx(value["diagonal_mean_r"] - value["off_diagonal_mean_r"])
    assert set(unit["pair_type"]) == {"cross-hemisphere"}
